//! SCIM discovery (RFC 7643 §5–7): the service provider configuration, the resource types, and
//! the schemas of what Préau stores — a subset of the core User and Group schemas plus the ENT
//! extensions. The structures a source may provision appear as canonical values.

use super::resource::{GROUP, GROUP_EXT, USER, USER_EXT};
use preau_core::Profile;
use serde_json::{Value, json};

fn attr(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn multi(v: Value) -> Value {
    with(v, "multiValued", json!(true))
}

fn read_only(v: Value) -> Value {
    with(v, "mutability", json!("readOnly"))
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// Every schema, for a source that may provision the structures of `uais`.
pub fn schemas(base: &str, uais: &[String]) -> Vec<Value> {
    let user = schema(
        USER,
        "User",
        "Compte d'une personne",
        vec![
            with(
                with(attr("userName", "string", "Identifiant de connexion, unique dans le territoire"), "required", json!(true)),
                "uniqueness",
                json!("server"),
            ),
            with(
                attr("name", "complex", "Nom"),
                "subAttributes",
                json!([attr("givenName", "string", "Prénom"), attr("familyName", "string", "Nom de famille")]),
            ),
            attr("displayName", "string", "Nom affiché"),
            multi(with(
                attr("emails", "complex", "Adresses électroniques"),
                "subAttributes",
                json!([
                    attr("value", "string", "Adresse"),
                    with(attr("type", "string", "Usage"), "canonicalValues", json!(["work", "home", "other"])),
                    attr("primary", "boolean", "Adresse principale"),
                ]),
            )),
            attr("active", "boolean", "Compte actif (faux : bloqué)"),
            read_only(multi(with(
                attr("groups", "complex", "Groupes de cette source dont la personne est membre"),
                "subAttributes",
                json!([
                    read_only(attr("value", "string", "Identifiant du groupe")),
                    read_only(with(attr("$ref", "reference", "URI du groupe"), "referenceTypes", json!(["Group"]))),
                    read_only(attr("display", "string", "Nom du groupe")),
                ]),
            ))),
        ],
        base,
    );
    let codes: Vec<&str> = Profile::ALL.iter().map(|p| p.code()).collect();
    let user_ext = schema(
        USER_EXT,
        "EntUser",
        "Profils dans les établissements et classes (ENT)",
        vec![
            multi(with(
                attr("profiles", "complex", "Profil dans un établissement"),
                "subAttributes",
                json!([
                    with(attr("structure", "string", "UAI de l'établissement"), "canonicalValues", json!(uais)),
                    with(attr("profile", "string", "Profil national (ELV, TUT, ENS, DIR, EVS, ETA, ACA, DOC, COL, INV)"), "canonicalValues", json!(codes)),
                ]),
            )),
            read_only(multi(attr("classes", "string", "Classes de la personne"))),
        ],
        base,
    );
    let group = schema(
        GROUP,
        "Group",
        "Classe ou groupe",
        vec![
            with(attr("displayName", "string", "Nom du groupe"), "required", json!(true)),
            multi(with(
                attr("members", "complex", "Membres"),
                "subAttributes",
                json!([
                    with(attr("value", "string", "Identifiant du membre"), "mutability", json!("immutable")),
                    with(with(attr("$ref", "reference", "URI du membre"), "referenceTypes", json!(["User"])), "mutability", json!("immutable")),
                    with(with(attr("type", "string", "Type du membre"), "canonicalValues", json!(["User"])), "mutability", json!("immutable")),
                    attr("display", "string", "Nom du membre"),
                ]),
            )),
        ],
        base,
    );
    let group_ext = schema(
        GROUP_EXT,
        "EntGroup",
        "Établissement et nature du groupe (ENT)",
        vec![
            with(with(attr("structure", "string", "UAI de l'établissement du groupe"), "canonicalValues", json!(uais)), "required", json!(true)),
            with(attr("kind", "string", "class : une classe ; group : un groupe"), "canonicalValues", json!(["class", "group"])),
        ],
        base,
    );
    vec![user, user_ext, group, group_ext]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    let rt = |id: &str, endpoint: &str, schema: &str, ext: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": id,
            "name": id,
            "endpoint": endpoint,
            "description": id,
            "schema": schema,
            "schemaExtensions": [{"schema": ext, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}")},
        })
    };
    vec![rt("User", "/Users", USER, USER_EXT), rt("Group", "/Groups", GROUP, GROUP_EXT)]
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://preau.fr/docs/ADMIN.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Jeton de la source",
            "description": "Jeton porteur délivré par l'administrateur du territoire pour une source, limité à ses établissements",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
