//! SCIM resources as JSON: Users and Groups built from the domain's values (with `meta`, the
//! version used as ETag, and the ENT extension), read back from what a client sends (attribute
//! names are case-insensitive), and projected by `attributes` / `excludedAttributes`.

use preau_feeds::scim::{Email, Group, GroupData, Member, ProfileRef, User, UserData};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const USER_EXT: &str = "urn:preau:scim:schemas:2.0:EntUser";
pub const GROUP_EXT: &str = "urn:preau:scim:schemas:2.0:EntGroup";

/// Why a request body is not a valid resource.
#[derive(Debug)]
pub struct BadValue(pub String);

/// A member of a JSON object, by name, ignoring case.
pub fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Adds `meta` with a version derived from the content: equal content, equal ETag.
fn with_meta(mut v: Value, kind: &str, location: String, created: i64, modified: i64) -> Value {
    let digest = Sha256::digest(v.to_string().as_bytes());
    let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    v["meta"] = json!({
        "resourceType": kind,
        "created": time(created),
        "lastModified": time(modified),
        "location": location,
        "version": format!("W/\"{version}\""),
    });
    v
}

fn put_opt(o: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        o.insert(key.into(), Value::String(v.clone()));
    }
}

pub fn user_json(u: &User, base: &str) -> Value {
    let d = &u.data;
    let mut o = Map::new();
    o.insert("id".into(), json!(u.id.to_string()));
    put_opt(&mut o, "externalId", &d.external_id);
    o.insert("userName".into(), json!(d.user_name));
    let mut name = Map::new();
    put_opt(&mut name, "givenName", &d.given_name);
    put_opt(&mut name, "familyName", &d.family_name);
    if !name.is_empty() {
        o.insert("name".into(), Value::Object(name));
    }
    put_opt(&mut o, "displayName", &d.display_name);
    if !d.emails.is_empty() {
        let emails = d
            .emails
            .iter()
            .map(|e| {
                let mut m = Map::new();
                m.insert("value".into(), json!(e.value));
                put_opt(&mut m, "type", &e.kind);
                if let Some(p) = e.primary {
                    m.insert("primary".into(), json!(p));
                }
                Value::Object(m)
            })
            .collect();
        o.insert("emails".into(), Value::Array(emails));
    }
    if let Some(a) = d.active {
        o.insert("active".into(), json!(a));
    }
    if !u.groups.is_empty() {
        let groups = u.groups.iter().map(|(g, n)| json!({"value": g.to_string(), "$ref": format!("{base}/Groups/{g}"), "display": n})).collect();
        o.insert("groups".into(), Value::Array(groups));
    }
    let mut schemas = vec![json!(USER)];
    if !d.profiles.is_empty() || !u.classes.is_empty() {
        let mut ext = Map::new();
        if !d.profiles.is_empty() {
            ext.insert("profiles".into(), d.profiles.iter().map(|p| json!({"structure": p.structure, "profile": p.profile})).collect());
        }
        if !u.classes.is_empty() {
            ext.insert("classes".into(), json!(u.classes));
        }
        o.insert(USER_EXT.into(), Value::Object(ext));
        schemas.push(json!(USER_EXT));
    }
    o.insert("schemas".into(), Value::Array(schemas));
    with_meta(Value::Object(o), "User", format!("{base}/Users/{}", u.id), u.created, u.modified)
}

pub fn group_json(g: &Group, base: &str) -> Value {
    let d = &g.data;
    let mut o = Map::new();
    o.insert("schemas".into(), json!([GROUP, GROUP_EXT]));
    o.insert("id".into(), json!(g.id.to_string()));
    put_opt(&mut o, "externalId", &d.external_id);
    o.insert("displayName".into(), json!(d.display_name));
    if !d.members.is_empty() {
        let members = d
            .members
            .iter()
            .map(|m| {
                let mut x = Map::new();
                x.insert("value".into(), json!(m.value));
                put_opt(&mut x, "$ref", &m.reference);
                put_opt(&mut x, "type", &m.kind);
                put_opt(&mut x, "display", &m.display);
                Value::Object(x)
            })
            .collect();
        o.insert("members".into(), Value::Array(members));
    }
    let mut ext = Map::new();
    put_opt(&mut ext, "structure", &d.structure);
    put_opt(&mut ext, "kind", &d.kind);
    if ext.is_empty() {
        o.insert("schemas".into(), json!([GROUP]));
    } else {
        o.insert(GROUP_EXT.into(), Value::Object(ext));
    }
    with_meta(Value::Object(o), "Group", format!("{base}/Groups/{}", g.id), g.created, g.modified)
}

fn string(v: &Value, key: &str) -> Result<Option<String>, BadValue> {
    match get_ci(v, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(BadValue(format!("{key} doit être une chaîne"))),
    }
}

fn list<'v>(v: &'v Value, key: &str) -> Result<&'v [Value], BadValue> {
    match get_ci(v, key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(BadValue(format!("{key} doit être une liste"))),
    }
}

fn extension<'v>(v: &'v Value, urn: &str) -> Option<&'v Value> {
    get_ci(v, urn).filter(|e| e.is_object())
}

pub fn user_data(v: &Value) -> Result<UserData, BadValue> {
    if !v.is_object() {
        return Err(BadValue("le corps doit être un objet JSON".into()));
    }
    let user_name = string(v, "userName")?.ok_or_else(|| BadValue("userName est obligatoire".into()))?;
    let name = get_ci(v, "name").filter(|n| n.is_object());
    let (given_name, family_name) = match name {
        Some(n) => (string(n, "givenName")?, string(n, "familyName")?),
        None => (None, None),
    };
    let mut emails = vec![];
    for e in list(v, "emails")? {
        let value = string(e, "value")?.ok_or_else(|| BadValue("emails.value est obligatoire".into()))?;
        let primary = match get_ci(e, "primary") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(BadValue("emails.primary doit être un booléen".into())),
        };
        emails.push(Email { value, kind: string(e, "type")?, primary });
    }
    let active = match get_ci(v, "active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(BadValue("active doit être un booléen".into())),
    };
    let mut profiles = vec![];
    if let Some(ext) = extension(v, USER_EXT) {
        for p in list(ext, "profiles")? {
            let structure = string(p, "structure")?.unwrap_or_default();
            let profile = string(p, "profile")?.unwrap_or_default();
            profiles.push(ProfileRef { structure, profile });
        }
    }
    Ok(UserData {
        user_name,
        external_id: string(v, "externalId")?,
        given_name,
        family_name,
        display_name: string(v, "displayName")?,
        emails,
        active,
        profiles,
    })
}

pub fn group_data(v: &Value) -> Result<GroupData, BadValue> {
    if !v.is_object() {
        return Err(BadValue("le corps doit être un objet JSON".into()));
    }
    let display_name = string(v, "displayName")?.ok_or_else(|| BadValue("displayName est obligatoire".into()))?;
    let mut members = vec![];
    for m in list(v, "members")? {
        let value = string(m, "value")?.ok_or_else(|| BadValue("members.value est obligatoire".into()))?;
        members.push(Member { value, reference: string(m, "$ref")?, kind: string(m, "type")?, display: string(m, "display")? });
    }
    let (structure, kind) = match extension(v, GROUP_EXT) {
        Some(ext) => (string(ext, "structure")?, string(ext, "kind")?),
        None => (None, None),
    };
    Ok(GroupData { display_name, external_id: string(v, "externalId")?, structure, kind, members })
}

/// Which attributes to return (RFC 7644 §3.9): `attributes` keeps only those named (plus `id`
/// and `schemas`), `excludedAttributes` drops those named.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn names(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("").split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        Projection { attributes: names(attributes), excluded: names(excluded) }
    }

    /// (extension URN or none, attribute, sub-attribute) of a name, relative to the core schema.
    fn split(name: &str, core: &str) -> (Option<String>, String, Option<String>) {
        let (urn, rest) = match name.rfind(':') {
            Some(i) => {
                let urn = &name[..i];
                (if urn.eq_ignore_ascii_case(core) { None } else { Some(urn.to_owned()) }, &name[i + 1..])
            }
            None => (None, name),
        };
        match rest.split_once('.') {
            Some((a, s)) => (urn, a.to_owned(), Some(s.to_owned())),
            None => (urn, rest.to_owned(), None),
        }
    }

    pub fn apply(&self, mut v: Value, core: &str) -> Value {
        const ALWAYS: [&str; 2] = ["id", "schemas"];
        let Some(obj) = v.as_object_mut() else { return v };
        if !self.attributes.is_empty() {
            let keys: Vec<String> = obj.keys().cloned().collect();
            for k in keys {
                if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&k)) || self.attributes.iter().any(|a| a.eq_ignore_ascii_case(&k)) {
                    continue;
                }
                // The names asked for inside this attribute: sub-attributes of a core attribute,
                // attributes of an extension (`urn:…:attr`).
                let is_ext = k.starts_with("urn:");
                let mut whole = false;
                let mut inner = vec![];
                for (urn, a, sub) in self.attributes.iter().map(|a| Self::split(a, core)) {
                    match (is_ext, urn) {
                        (true, Some(u)) if u.eq_ignore_ascii_case(&k) => inner.push(a),
                        (false, None) if a.eq_ignore_ascii_case(&k) => match sub {
                            Some(s) => inner.push(s),
                            None => whole = true,
                        },
                        _ => {}
                    }
                }
                if whole {
                    continue;
                }
                match obj.get_mut(&k) {
                    Some(v) if !inner.is_empty() => retain_subs(v, &inner),
                    _ => {
                        obj.remove(&k);
                    }
                }
            }
        }
        for ex in &self.excluded {
            let (urn, a, sub) = Self::split(ex, core);
            if ALWAYS.iter().any(|x| x.eq_ignore_ascii_case(&a)) && urn.is_none() {
                continue;
            }
            let scope = match &urn {
                Some(u) => obj.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(u)).and_then(|(_, v)| v.as_object_mut()),
                None => Some(&mut *obj),
            };
            let Some(scope) = scope else { continue };
            let Some(key) = scope.keys().find(|k| k.eq_ignore_ascii_case(&a)).cloned() else { continue };
            match sub {
                None => {
                    scope.remove(&key);
                }
                Some(s) => {
                    if let Some(target) = scope.get_mut(&key) {
                        drop_sub(target, &s);
                    }
                }
            }
        }
        v
    }
}

fn retain_subs(v: &mut Value, subs: &[String]) {
    match v {
        Value::Object(o) => o.retain(|k, _| subs.iter().any(|s| s.eq_ignore_ascii_case(k))),
        Value::Array(items) => items.iter_mut().for_each(|i| retain_subs(i, subs)),
        _ => {}
    }
}

fn drop_sub(v: &mut Value, sub: &str) {
    match v {
        Value::Object(o) => o.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
        Value::Array(items) => items.iter_mut().for_each(|i| drop_sub(i, sub)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"schemas": [USER, USER_EXT], "id": "1", "userName": "a", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@b.c", "type": "work"}], USER_EXT: {"profiles": [], "classes": ["4B"]}})
    }

    #[test]
    fn attributes_keep_only_what_is_asked_plus_id_and_schemas() {
        let v = Projection::new(Some("userName,name.familyName"), None).apply(sample(), USER);
        assert_eq!(v, json!({"schemas": [USER, USER_EXT], "id": "1", "userName": "a", "name": {"familyName": "B"}}));
        let v = Projection::new(Some(&format!("{USER_EXT}:classes")), None).apply(sample(), USER);
        assert_eq!(v[USER_EXT], json!({"classes": ["4B"]}));
    }

    #[test]
    fn excluded_attributes_are_dropped_but_never_the_id() {
        let v = Projection::new(None, Some("emails,id,name.givenName")).apply(sample(), USER);
        assert!(v.get("emails").is_none());
        assert_eq!(v["id"], "1");
        assert_eq!(v["name"], json!({"familyName": "B"}));
    }

    #[test]
    fn a_user_body_is_read_whatever_the_case_of_its_names() {
        let d =
            user_data(&json!({"UserName": "x", "NAME": {"givenname": "G"}, "Emails": [{"Value": "x@y.z", "Primary": true}], "active": false})).expect("valid");
        assert_eq!((d.user_name.as_str(), d.given_name.as_deref(), d.active), ("x", Some("G"), Some(false)));
        assert_eq!(d.emails[0].primary, Some(true));
        assert!(user_data(&json!({"name": {}})).is_err(), "userName is required");
        assert!(user_data(&json!({"userName": "x", "active": "yes"})).is_err());
    }
}
