//! The claims an OpenID Connect client receives: the connector's released attributes whose
//! scope the client asked for (and the person agreed to), under their released names. A single
//! value is a JSON string, a list an array; the birth date is `YYYY-MM-DD`, as OIDC wants it.

use crate::attributes::{Attribute, Subject};
use crate::connectors::{Connector, SubjectKind};
use crate::{Sso, SsoStore};
use serde_json::{Map, Value};

/// What a consent screen lists for these scopes: the attribute codes released under them, and
/// `offline_access` when the client asks to keep access while the person is away.
pub fn consent_items(c: &Connector, scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = c.release.iter().filter(|r| scopes.iter().any(|s| s == r.attribute.scope())).map(|r| r.attribute.code().to_owned()).collect();
    if scopes.iter().any(|s| s == "offline_access") {
        out.push("offline_access".to_owned());
    }
    out
}

fn claim_value(a: Attribute, values: Vec<String>) -> Option<Value> {
    if values.is_empty() {
        return None;
    }
    let values: Vec<String> = match a {
        Attribute::BirthDate => values.iter().map(|d| d.split('/').rev().collect::<Vec<_>>().join("-")).collect(),
        _ => values,
    };
    if a.single_valued() { values.into_iter().next().map(Value::String) } else { Some(Value::from(values)) }
}

/// The released claims for `scopes`.
pub fn released_claims(c: &Connector, s: &Subject, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    for r in c.release.iter().filter(|r| scopes.iter().any(|sc| sc == r.attribute.scope())) {
        if let Some(v) = claim_value(r.attribute, crate::connectors::attribute_values(c, s, r.attribute)) {
            out.insert(r.name.clone(), v);
        }
    }
    out
}

impl<S: SsoStore> Sso<S> {
    /// The `sub` the client sees: login, pairwise, or transient — fixed for one portal session,
    /// since a client must see the same `sub` in every token of a sign-in.
    pub(crate) fn oidc_subject_id(&self, c: &Connector, s: &Subject, session: &str) -> String {
        if c.subject != SubjectKind::Transient {
            return self.subject_id(c, s);
        }
        let key = (c.service, s.person.id, session.to_owned());
        let fresh = self.subject_id(c, s);
        let now = self.clock.now();
        self.oidc.with(|i| i.transient.entry(key).or_insert((fresh.clone(), now)).0.clone()).unwrap_or(fresh)
    }

    /// The per-client session id (`sid`) of a portal session: unlinkable across clients.
    pub(crate) fn oidc_sid(c: &Connector, session: &str) -> String {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(format!("{}:{session}", c.salt).as_bytes());
        d[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Forgets the transient subjects of a person's session (at logout).
    pub(crate) fn oidc_forget_transient(&self, session: &str) {
        self.oidc.with(|i| i.transient.retain(|(_, _, s), _| s != session));
    }
}
