//! The SAML 2.0 identity provider: an `AuthnRequest` read from the HTTP-Redirect (deflated) or
//! HTTP-POST binding and checked against a registered service provider (this file), and the
//! signed `Response` with its signed `Assertion` (`response.rs`, canonical XML in `xml.rs`).
//!
//! A connector with protocol `saml` is a service provider: its entity ID must be the request's
//! `Issuer`, and the assertion goes only to one of its registered assertion consumer service
//! URLs (exactly). A request ID is accepted once (replay), and a request must be recent.

pub mod logout;
pub mod response;
pub mod sp;
pub mod verify;
pub mod xml;

use crate::connectors::{Connector, Protocol};
use crate::{Sso, SsoStore};
use base64::Engine;
use preau_core::{Error, Principal, Result, ServiceId, TerritoryId};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

/// How long a request may wait for the person to log in.
const PENDING_SECS: i64 = 30 * 60;
/// How far a request's `IssueInstant` may be from now (clock skew and a slow login page).
const SKEW_SECS: i64 = 5 * 60;
/// How long request IDs are remembered against replay.
const SEEN_SECS: i64 = 15 * 60;

pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// A checked authentication request.
#[derive(Debug, Clone)]
pub struct AuthnRequest {
    pub id: String,
    pub connector: ServiceId,
    pub connector_name: String,
    pub acs: String,
    pub relay_state: String,
    pub force_authn: bool,
    /// Set when the person was sent to log in: a session opened before this does not count.
    pub login_after: Option<i64>,
}

/// A service provider a portal session signed in to, for single logout.
#[derive(Debug, Clone)]
struct SignedIn {
    connector: ServiceId,
    name_id: String,
    format: &'static str,
    session_index: String,
    at: i64,
}

#[derive(Default)]
struct Inner {
    pending: HashMap<String, (AuthnRequest, i64)>,
    seen: HashMap<String, i64>,
    /// Per portal session: the service providers it signed in to.
    sessions: HashMap<String, Vec<SignedIn>>,
    count: u64,
}

/// The identity provider's memory: requests waiting for a login, request IDs already seen.
#[derive(Default)]
pub struct SamlState(Mutex<Inner>);

/// What the XML of a request says.
#[derive(Debug, Default)]
struct Parsed {
    id: String,
    issuer: String,
    acs: String,
    binding: String,
    destination: String,
    issue_instant: String,
    force_authn: bool,
}

fn parse_request(xml_text: &str) -> Result<Parsed> {
    use quick_xml::events::Event;
    let bad = || Error::invalid("SAMLRequest", "saml.request_invalid");
    let mut reader = quick_xml::Reader::from_str(xml_text);
    let mut p = Parsed::default();
    let mut in_issuer = false;
    let mut root = false;
    loop {
        match reader.read_event().map_err(|_| bad())? {
            // No document type declaration: no entity can be expanded.
            Event::DocType(_) => return Err(bad()),
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                let local: &str = name.as_ref();
                if !root {
                    if local != "AuthnRequest" {
                        return Err(bad());
                    }
                    root = true;
                    for a in e.attributes().flatten() {
                        let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|_| bad())?.into_owned();
                        let key = a.key.local_name();
                        match key.as_ref() {
                            "ID" => p.id = v,
                            "AssertionConsumerServiceURL" => p.acs = v,
                            "ProtocolBinding" => p.binding = v,
                            "Destination" => p.destination = v,
                            "IssueInstant" => p.issue_instant = v,
                            "ForceAuthn" => p.force_authn = v == "true" || v == "1",
                            _ => {}
                        }
                    }
                } else if local == "Issuer" && p.issuer.is_empty() {
                    in_issuer = true;
                }
            }
            Event::Text(t) if in_issuer => p.issuer.push_str(t.trim()),
            Event::End(_) => in_issuer = false,
            Event::Eof => break,
            _ => {}
        }
    }
    if !root || p.id.is_empty() || p.issuer.is_empty() {
        return Err(bad());
    }
    Ok(p)
}

/// The request's XML from the HTTP-Redirect binding (base64 of raw DEFLATE) or the HTTP-POST
/// binding (base64), bounded in size.
pub fn decode_request(encoded: &str, deflated: bool) -> Result<String> {
    let bad = || Error::invalid("SAMLRequest", "saml.request_invalid");
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let raw = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| bad())?;
    let bytes = if deflated {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&raw[..]).take(256 * 1024).read_to_end(&mut out).map_err(|_| bad())?;
        out
    } else {
        raw
    };
    String::from_utf8(bytes).map_err(|_| bad())
}

fn instant(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

impl<S: SsoStore> Sso<S> {
    /// The SAML connector whose entity ID is `entity_id`.
    pub async fn saml_sp(&self, territory: TerritoryId, entity_id: &str) -> Result<Connector> {
        let all = self.all_connectors(territory).await?;
        all.iter().find(|c| c.protocol == Protocol::Saml && c.saml.entity_id == entity_id).cloned().ok_or_else(|| Error::invalid("Issuer", "saml.sp_unknown"))
    }

    /// Checks an authentication request (`sso_url`: this IdP's SSO address, for `Destination`).
    pub async fn saml_authn_request(&self, territory: TerritoryId, xml_text: &str, relay_state: &str, sso_url: &str) -> Result<AuthnRequest> {
        let p = parse_request(xml_text)?;
        let c = self.saml_sp(territory, &p.issuer).await?;
        let acs = if p.acs.is_empty() { c.service_urls.first().cloned().unwrap_or_default() } else { p.acs.clone() };
        if acs.is_empty() || !c.service_urls.contains(&acs) {
            return Err(Error::invalid("AssertionConsumerServiceURL", "saml.acs_unknown"));
        }
        let now = self.clock.now();
        let fresh = instant(&p.issue_instant).is_some_and(|t| (t - now).abs() <= SKEW_SECS);
        let binding_ok = p.binding.is_empty() || p.binding == BINDING_POST;
        let destination_ok = p.destination.is_empty() || p.destination == sso_url;
        if !fresh || !binding_ok || !destination_ok || relay_state.len() > 1024 {
            return Err(Error::invalid("SAMLRequest", "saml.request_invalid"));
        }
        let first_use = self
            .saml
            .0
            .lock()
            .map(|mut i| {
                i.count += 1;
                if i.count.is_multiple_of(1024) {
                    i.seen.retain(|_, at| *at + SEEN_SECS > now);
                    i.pending.retain(|_, (_, exp)| *exp > now);
                    i.sessions.retain(|_, v| v.iter().any(|s| s.at + 24 * 3600 > now));
                }
                i.seen.insert(format!("{}\u{0}{}", c.service, p.id), now).is_none()
            })
            .unwrap_or(false);
        if !first_use {
            return Err(Error::invalid("SAMLRequest", "saml.replay"));
        }
        Ok(AuthnRequest {
            id: p.id,
            connector: c.service,
            connector_name: c.name.clone(),
            acs,
            relay_state: relay_state.to_owned(),
            force_authn: p.force_authn,
            login_after: None,
        })
    }

    /// Keeps a request while the person logs in; returns its handle.
    pub fn saml_keep_pending(&self, mut req: AuthnRequest, login: bool) -> String {
        let now = self.clock.now();
        if login {
            req.login_after = Some(now);
        }
        let id = preau_identity::secrets::token(&*self.rng);
        if let Ok(mut i) = self.saml.0.lock() {
            i.pending.insert(id.clone(), (req, now + PENDING_SECS));
        }
        id
    }

    /// A request kept by [`Self::saml_keep_pending`], taken.
    pub fn saml_take_pending(&self, id: &str) -> Option<AuthnRequest> {
        let now = self.clock.now();
        self.saml.0.lock().ok()?.pending.remove(id).filter(|(_, exp)| *exp > now).map(|(r, _)| r)
    }

    /// Whether the person must log in (again) before the assertion: `ForceAuthn`, or a login
    /// asked for since the request arrived.
    pub fn saml_needs_login(req: &AuthnRequest, auth_time: i64) -> bool {
        match req.login_after {
            Some(t) => auth_time < t,
            None => req.force_authn,
        }
    }

    /// The signed response for the caller, to POST to the request's assertion consumer service.
    /// The connector must be offered to them.
    pub async fn saml_respond(&self, caller: &Principal, session: &str, auth_time: i64, req: &AuthnRequest, idp_entity_id: &str) -> Result<String> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let c = self.cached_connector(caller.territory, req.connector).await?.filter(|c| c.protocol == Protocol::Saml).ok_or(Error::NotFound)?;
        let subject = self.subject(&c, me).await?;
        let Some((structure, profile)) = subject.through.first() else {
            return Err(Error::Forbidden);
        };
        self.count_launch(c.service, structure.id, *profile);
        let name_id = self.subject_id(&c, &subject);
        let mut attributes = Self::released(&c, &subject);
        if !c.saml.ent_id.is_empty() {
            attributes.push(("idEnt".to_owned(), vec![c.saml.ent_id.clone()]));
        }
        let (key, cert) = self.saml_key().await?;
        let session_index = self.saml_session_index(&c, session);
        let format = response::name_id_format(c.subject);
        let a = response::Assertion {
            idp: idp_entity_id,
            sp: &c.saml.entity_id,
            acs: &req.acs,
            in_response_to: &req.id,
            name_id: &name_id,
            name_id_format: format,
            attributes: &attributes,
            now: self.clock.now(),
            auth_time,
            session_index: &session_index,
        };
        let xml = response::signed_response(&a, &key, &cert, &*self.rng)?;
        let signed_in = SignedIn { connector: c.service, name_id, format, session_index, at: self.clock.now() };
        if let Ok(mut i) = self.saml.0.lock() {
            let list = i.sessions.entry(session.to_owned()).or_default();
            list.retain(|s| s.connector != c.service);
            list.push(signed_in);
        }
        Ok(xml)
    }

    /// Ends a portal session for SAML: returns, for each service provider it signed in to that
    /// has a single logout service, that address and the signed `LogoutRequest` to send it.
    pub async fn saml_end_session(&self, territory: TerritoryId, idp_entity_id: &str, session: &str) -> Vec<(String, String)> {
        let signed_in = self.saml.0.lock().ok().and_then(|mut i| i.sessions.remove(session)).unwrap_or_default();
        if signed_in.is_empty() {
            return vec![];
        }
        let Ok((key, cert)) = self.saml_key().await else { return vec![] };
        let mut out = vec![];
        for s in signed_in {
            let Ok(Some(c)) = self.cached_connector(territory, s.connector).await else { continue };
            if c.saml.slo_url.is_empty() {
                continue;
            }
            let r = response::LogoutRequest {
                idp: idp_entity_id,
                sp: &c.saml.entity_id,
                destination: &c.saml.slo_url,
                name_id: &s.name_id,
                format: s.format,
                session_index: &s.session_index,
                now: self.clock.now(),
            };
            if let Ok(xml) = response::signed_logout_request(&r, &key, &cert, &*self.rng) {
                out.push((c.saml.slo_url.clone(), xml));
            }
        }
        out
    }

    /// The session index a service provider sees for a portal session (unlinkable across SPs).
    fn saml_session_index(&self, c: &Connector, session: &str) -> String {
        format!("_{}", Self::oidc_sid(c, session))
    }
}
