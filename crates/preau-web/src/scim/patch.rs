//! SCIM PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace` operations applied to the JSON of
//! a resource, which is then read back and written like a PUT. Paths may name a sub-attribute,
//! an extension's attribute, or elements of a multi-valued attribute through a filter.

use super::filter::{self, AttrPath, Filter};
use serde_json::{Map, Value};

/// Why a PATCH cannot apply, with its SCIM error type.
#[derive(Debug, PartialEq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn err(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError { scim_type, detail: detail.into() }
}

#[derive(Debug)]
struct Target {
    path: AttrPath,
    filter: Option<Filter>,
    /// The sub-attribute after a filter: `emails[type eq "work"].value`.
    sub_after: Option<String>,
}

fn parse_path(p: &str) -> Result<Target, PatchError> {
    let bad = || err("invalidPath", format!("chemin invalide : {p}"));
    match p.find('[') {
        None => Ok(Target { path: AttrPath::parse(p.trim()).ok_or_else(bad)?, filter: None, sub_after: None }),
        Some(open) => {
            let close = p.rfind(']').ok_or_else(bad)?;
            let path = AttrPath::parse(p[..open].trim()).filter(|a| a.sub.is_none()).ok_or_else(bad)?;
            let filter = filter::parse(&p[open + 1..close]).ok_or_else(|| err("invalidFilter", format!("filtre invalide : {p}")))?;
            let rest = &p[close + 1..];
            let sub_after = match rest.strip_prefix('.') {
                Some(s) if !s.is_empty() => Some(s.to_owned()),
                None if rest.is_empty() => None,
                _ => return Err(bad()),
            };
            Ok(Target { path, filter: Some(filter), sub_after })
        }
    }
}

fn key_ci(o: &Map<String, Value>, name: &str) -> Option<String> {
    o.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The object holding the path's attribute: the resource, or an extension's object.
fn scope<'v>(resource: &'v mut Map<String, Value>, urn: &Option<String>, core: &str, create: bool) -> Option<&'v mut Map<String, Value>> {
    match urn {
        Some(u) if !u.eq_ignore_ascii_case(core) => {
            let key = match key_ci(resource, u) {
                Some(k) => k,
                None if create => {
                    resource.insert(u.clone(), Value::Object(Map::new()));
                    u.clone()
                }
                None => return None,
            };
            resource.get_mut(&key)?.as_object_mut()
        }
        _ => Some(resource),
    }
}

/// Merges `value` into `slot` the way `add` does: multi-valued attributes gain elements,
/// complex ones gain sub-attributes, others are set.
fn add_into(slot: &mut Value, value: Value) {
    match (slot, value) {
        (Value::Array(items), Value::Array(new)) => {
            for v in new {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
        }
        (Value::Array(items), v) => {
            if !items.contains(&v) {
                items.push(v);
            }
        }
        (Value::Object(o), Value::Object(new)) => {
            for (k, v) in new {
                let key = key_ci(o, &k).unwrap_or(k);
                o.insert(key, v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn set_attr(scope: &mut Map<String, Value>, t: &Target, value: Value, add: bool) -> Result<(), PatchError> {
    let key = key_ci(scope, &t.path.attr).unwrap_or_else(|| t.path.attr.clone());
    if let Some(f) = &t.filter {
        let Some(Value::Array(items)) = scope.get_mut(&key) else { return Err(err("noTarget", format!("{key} : aucune valeur ne correspond"))) };
        let mut hit = false;
        for item in items.iter_mut().filter(|i| filter::matches(f, i, "")) {
            hit = true;
            match (&t.sub_after, item) {
                (Some(sub), Value::Object(o)) => {
                    let k = key_ci(o, sub).unwrap_or_else(|| sub.clone());
                    o.insert(k, value.clone());
                }
                (None, item) => add_into(item, value.clone()),
                _ => {}
            }
        }
        return if hit { Ok(()) } else { Err(err("noTarget", format!("{key} : aucune valeur ne correspond"))) };
    }
    match &t.path.sub {
        Some(sub) => {
            let slot = scope.entry(key).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(o) = slot else { return Err(err("invalidPath", format!("{} n'a pas de sous-attribut", t.path.attr))) };
            let k = key_ci(o, sub).unwrap_or_else(|| sub.clone());
            o.insert(k, value);
        }
        None => match scope.get_mut(&key) {
            Some(slot) if add || slot.is_object() => add_into(slot, value),
            _ => {
                scope.insert(key, value);
            }
        },
    }
    Ok(())
}

fn remove_attr(scope: &mut Map<String, Value>, t: &Target) -> Result<(), PatchError> {
    let Some(key) = key_ci(scope, &t.path.attr) else { return Ok(()) };
    match (&t.filter, &t.path.sub) {
        (Some(f), _) => {
            if let Some(Value::Array(items)) = scope.get_mut(&key) {
                match &t.sub_after {
                    None => items.retain(|i| !filter::matches(f, i, "")),
                    Some(sub) => items.iter_mut().filter(|i| filter::matches(f, i, "")).for_each(|i| {
                        if let Value::Object(o) = i {
                            o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                        }
                    }),
                }
                if items.is_empty() {
                    scope.remove(&key);
                }
            }
        }
        (None, Some(sub)) => {
            if let Some(Value::Object(o)) = scope.get_mut(&key) {
                o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                if o.is_empty() {
                    scope.remove(&key);
                }
            }
        }
        (None, None) => {
            scope.remove(&key);
        }
    }
    Ok(())
}

/// Sets the attributes given of a whole extension object (named by its URN as the path, or as
/// a key of a path-less value), or removes it.
fn whole_extension(res: &mut Map<String, Value>, urn: &str, op: &str, value: Option<Value>, core: &str) -> Result<(), PatchError> {
    if op == "remove" {
        if let Some(k) = key_ci(res, urn) {
            res.remove(&k);
        }
        return Ok(());
    }
    let Some(Value::Object(values)) = value else { return Err(err("invalidValue", format!("{urn} : la valeur doit être un objet"))) };
    for (k, v) in values.into_iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
        let t = Target { path: AttrPath { urn: Some(urn.to_owned()), attr: k, sub: None }, filter: None, sub_after: None };
        let scope = scope(res, &t.path.urn, core, true).ok_or_else(|| err("invalidPath", urn.to_owned()))?;
        // The extension's attributes given are its new values, as for a complex attribute.
        set_attr(scope, &t, v, false)?;
    }
    Ok(())
}

/// Applies the `Operations` of a PATCH request to a resource. `core` is the URN of the
/// resource's core schema (paths may be prefixed with it); `extensions` the URNs of its
/// extensions, which a path may name whole.
pub fn apply(resource: &mut Value, body: &Value, core: &str, extensions: &[&str]) -> Result<(), PatchError> {
    let ops = super::resource::get_ci(body, "Operations").and_then(Value::as_array).ok_or_else(|| err("invalidSyntax", "Operations manquant"))?;
    let Some(res) = resource.as_object_mut() else { return Err(err("invalidSyntax", "ressource")) };
    for op in ops {
        let name = super::resource::get_ci(op, "op").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let path = super::resource::get_ci(op, "path").and_then(Value::as_str);
        let value = super::resource::get_ci(op, "value").cloned();
        if let Some(urn) = path.and_then(|p| extensions.iter().find(|e| e.eq_ignore_ascii_case(p.trim())))
            && matches!(name.as_str(), "add" | "replace" | "remove")
        {
            whole_extension(res, urn, &name, value, core)?;
            continue;
        }
        match (name.as_str(), path) {
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else { return Err(err("invalidValue", "value doit être un objet sans path")) };
                for (k, v) in values {
                    if k.starts_with("urn:") && v.is_object() && !k.eq_ignore_ascii_case(core) {
                        whole_extension(res, &k, &name, Some(v), core)?;
                    } else {
                        let t = parse_path(&k)?;
                        let scope = scope(res, &t.path.urn, core, true).ok_or_else(|| err("invalidPath", k.clone()))?;
                        set_attr(scope, &t, v, name == "add")?;
                    }
                }
            }
            ("add" | "replace", Some(p)) => {
                let t = parse_path(p)?;
                let v = value.ok_or_else(|| err("invalidValue", "value manquante"))?;
                let scope = scope(res, &t.path.urn, core, true).ok_or_else(|| err("invalidPath", p))?;
                set_attr(scope, &t, v, name == "add")?;
            }
            ("remove", None) => return Err(err("noTarget", "remove sans path")),
            ("remove", Some(p)) => {
                let t = parse_path(p)?;
                if let Some(scope) = scope(res, &t.path.urn, core, false) {
                    remove_attr(scope, &t)?;
                }
            }
            _ => return Err(err("invalidSyntax", format!("opération inconnue : {name}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn patched(ops: Value) -> Value {
        let mut v = json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@w.fr", "type": "work"}, {"value": "a@h.fr", "type": "home"}], "active": true});
        apply(&mut v, &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}), CORE, &["urn:preau:scim:schemas:2.0:EntUser"])
            .expect("applies");
        v
    }

    #[test]
    fn replace_add_and_remove_simple_and_complex_attributes() {
        assert_eq!(patched(json!([{"op": "replace", "path": "userName", "value": "b"}]))["userName"], "b");
        assert_eq!(patched(json!([{"op": "Replace", "path": "name.familyName", "value": "C"}]))["name"], json!({"givenName": "A", "familyName": "C"}));
        assert!(patched(json!([{"op": "remove", "path": "active"}])).get("active").is_none());
        let v = patched(json!([{"op": "add", "value": {"displayName": "A B", "name": {"givenName": "Z"}}}]));
        assert_eq!((v["displayName"].as_str(), v["name"]["givenName"].as_str(), v["name"]["familyName"].as_str()), (Some("A B"), Some("Z"), Some("B")));
    }

    #[test]
    fn value_paths_reach_elements_of_multi_valued_attributes() {
        let v = patched(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@w.fr"}]));
        assert_eq!(v["emails"][0]["value"], "new@w.fr");
        assert_eq!(v["emails"][1]["value"], "a@h.fr");
        let v = patched(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
        assert_eq!(v["emails"].as_array().map(Vec::len), Some(1));
        let v = patched(json!([{"op": "add", "path": "emails", "value": [{"value": "x@y.fr"}]}]));
        assert_eq!(v["emails"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn extension_attributes_and_errors() {
        let ext = "urn:preau:scim:schemas:2.0:EntUser";
        let v = patched(json!([{"op": "add", "path": format!("{ext}:profiles"), "value": [{"structure": "0290009C", "profile": "ENS"}]}]));
        assert_eq!(v[ext]["profiles"][0]["profile"], "ENS");
        let v = patched(json!([{"op": "replace", "path": ext, "value": {"schemas": [ext], "profiles": [{"structure": "0290009C", "profile": "DIR"}]}}]));
        assert_eq!(v[ext], json!({"profiles": [{"structure": "0290009C", "profile": "DIR"}]}));
        let v = patched(json!([{"op": "add", "path": ext, "value": {"profiles": []}}, {"op": "remove", "path": ext}]));
        assert!(v.get(ext).is_none());
        let mut v = json!({"emails": []});
        let e = apply(&mut v, &json!({"Operations": [{"op": "replace", "path": "emails[type eq \"x\"].value", "value": "y"}]}), CORE, &[]);
        assert_eq!(e.map_err(|e| e.scim_type), Err("noTarget"));
        let e = apply(&mut v, &json!({"Operations": [{"op": "remove"}]}), CORE, &[]);
        assert_eq!(e.map_err(|e| e.scim_type), Err("noTarget"));
        let e = apply(&mut v, &json!({"Operations": [{"op": "move", "path": "a"}]}), CORE, &[]);
        assert_eq!(e.map_err(|e| e.scim_type), Err("invalidSyntax"));
    }
}
