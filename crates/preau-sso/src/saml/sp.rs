//! Préau as a SAML 2.0 service provider of an outside identity provider: the `AuthnRequest`
//! (HTTP-Redirect binding) and the checks of the `Response` that comes back by HTTP-POST —
//! destination, `InResponseTo` (the request must be one Préau sent and still waits for: a
//! replayed response finds none), success status, and an assertion whose signature verifies
//! (`verify.rs`; its own, or the response's around it), issued by the provider, for Préau
//! (audience), still valid, confirmed for this address and request. Only the element whose
//! signature was checked is read.

use super::verify::{self, Element, Node};
use super::xml::{NS_SAML, NS_SAMLP, attr, instant, text};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use preau_core::text::url_escape;
use preau_core::{Error, Result};
use std::io::Write;

/// Clock skew tolerated between the provider and Préau.
const SKEW_SECS: i64 = 180;

/// The address that sends the browser to the provider with a new request `id`.
pub fn authn_request_url(sp_entity: &str, acs: &str, sso_url: &str, id: &str, now: i64) -> Result<String> {
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{NS_SAMLP}\" AssertionConsumerServiceURL=\"{}\" Destination=\"{}\" ID=\"{}\" IssueInstant=\"{}\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{NS_SAML}\">{}</saml:Issuer></samlp:AuthnRequest>",
        attr(acs),
        attr(sso_url),
        attr(id),
        instant(now),
        text(sp_entity)
    );
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(xml.as_bytes()).map_err(Error::internal)?;
    let deflated = e.finish().map_err(Error::internal)?;
    let sep = if sso_url.contains('?') { '&' } else { '?' };
    Ok(format!("{sso_url}{sep}SAMLRequest={}", url_escape(&STANDARD.encode(deflated))))
}

/// What the response must match.
pub struct Expected<'a> {
    pub idp_entity: &'a str,
    pub certificate: &'a str,
    pub sp_entity: &'a str,
    pub acs: &'a str,
    pub request_id: &'a str,
    pub now: i64,
    /// The attribute (`Name` or `FriendlyName`) that carries the matching value.
    pub match_claim: &'a str,
}

/// Who the provider vouches for: the `NameID`, and the value of the matching attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    pub subject: String,
    pub claim: Option<String>,
}

fn refused() -> Error {
    Error::Unauthenticated("federation.refused")
}

fn children<'a>(el: &'a Element, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    el.children.iter().filter_map(move |c| match c {
        Node::Element(e) if e.name.rsplit(':').next() == Some(local) => Some(e),
        _ => None,
    })
}

fn child<'a>(el: &'a Element, local: &'a str) -> Option<&'a Element> {
    children(el, local).next()
}

fn value<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn content(el: &Element) -> String {
    el.children.iter().filter_map(|c| if let Node::Text(t) = c { Some(t.as_str()) } else { None }).collect::<String>().trim().to_owned()
}

fn time(el: &Element, name: &str) -> Option<i64> {
    value(el, name).and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok()).map(|d| d.timestamp())
}

/// The `InResponseTo` of a response, to find the request it answers (nothing is trusted yet).
pub fn in_response_to(xml: &str) -> Option<String> {
    let root = verify::parse(xml).ok()?;
    value(&root, "InResponseTo").map(str::to_owned)
}

/// Checks a response (the decoded XML of `SAMLResponse`).
pub fn check_response(xml: &str, e: &Expected) -> Result<Asserted> {
    let root = verify::parse(xml).map_err(|_| refused())?;
    if root.name.rsplit(':').next() != Some("Response") {
        return Err(refused());
    }
    let destination_ok = value(&root, "Destination").is_none_or(|d| d == e.acs);
    let status_ok =
        child(&root, "Status").and_then(|s| child(s, "StatusCode")).and_then(|c| value(c, "Value")) == Some("urn:oasis:names:tc:SAML:2.0:status:Success");
    if !destination_ok || value(&root, "InResponseTo") != Some(e.request_id) || !status_ok {
        return Err(refused());
    }
    let assertions: Vec<&Element> = children(&root, "Assertion").collect();
    let [assertion] = assertions.as_slice() else { return Err(refused()) };
    let assertion_id = value(assertion, "ID").ok_or_else(refused)?;
    // The assertion's own signature, or the response's, which covers it.
    let signed = match verify::verify_enveloped(&root, assertion_id, e.certificate) {
        Ok(a) => a,
        Err(_) => {
            let response_id = value(&root, "ID").ok_or_else(refused)?;
            let response = verify::verify_enveloped(&root, response_id, e.certificate).map_err(|_| refused())?;
            let mut inner = children(response, "Assertion");
            match (inner.next(), inner.next()) {
                (Some(a), None) => a,
                _ => return Err(refused()),
            }
        }
    };
    if child(signed, "Issuer").map(content).as_deref() != Some(e.idp_entity) {
        return Err(refused());
    }
    let conditions = child(signed, "Conditions").ok_or_else(refused)?;
    let in_time =
        time(conditions, "NotBefore").is_none_or(|t| t <= e.now + SKEW_SECS) && time(conditions, "NotOnOrAfter").is_some_and(|t| t > e.now - SKEW_SECS);
    let for_us = children(conditions, "AudienceRestriction").flat_map(|r| children(r, "Audience")).any(|a| content(a) == e.sp_entity);
    let subject = child(signed, "Subject").ok_or_else(refused)?;
    let confirmed = children(subject, "SubjectConfirmation").filter_map(|c| child(c, "SubjectConfirmationData")).any(|d| {
        value(d, "Recipient") == Some(e.acs)
            && value(d, "InResponseTo").is_none_or(|r| r == e.request_id)
            && time(d, "NotOnOrAfter").is_some_and(|t| t > e.now - SKEW_SECS)
    });
    if !in_time || !for_us || !confirmed {
        return Err(refused());
    }
    let name_id = child(subject, "NameID").map(content).filter(|n| !n.is_empty()).ok_or_else(refused)?;
    let claim = children(signed, "AttributeStatement")
        .flat_map(|s| children(s, "Attribute"))
        .find(|a| value(a, "Name") == Some(e.match_claim) || value(a, "FriendlyName") == Some(e.match_claim))
        .and_then(|a| child(a, "AttributeValue"))
        .map(content);
    Ok(Asserted { subject: name_id, claim })
}
