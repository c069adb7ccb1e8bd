//! Préau as a SAML 2.0 service provider of an outside identity provider: the `AuthnRequest`
//! (HTTP-Redirect binding) and the checks of the `Response` that comes back by HTTP-POST, as
//! the Web Browser SSO profile asks: destination, `InResponseTo` (the request must be one Préau
//! sent and still waits for: a replayed response finds none), success status, issuer, and an
//! assertion whose signature verifies (`verify.rs`; its own, or the response's around it),
//! issued by the provider, with an authentication statement, for Préau (every audience
//! restriction), still valid (a time that cannot be read or a condition Préau does not know
//! refuses it), and confirmed as bearer for this address and this request. Only the element
//! whose signature was checked is read; the matching attribute is found by its `Name`.

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
    /// The attribute (its `Name`) that carries the matching value.
    pub match_claim: &'a str,
}

/// Who the provider vouches for: a stable subject to link (none for a transient `NameID`,
/// which names the person for this login only), the value of the matching attribute, and the
/// assertion's ID with the time until which it stays valid (to refuse it if it comes again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    pub subject: Option<String>,
    pub claim: Option<String>,
    pub assertion_id: String,
    pub valid_until: i64,
}

const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
/// The conditions Préau understands; any other makes the assertion indeterminate (refused).
const KNOWN_CONDITIONS: [&str; 3] = ["AudienceRestriction", "OneTimeUse", "ProxyRestriction"];

fn refused() -> Error {
    Error::Unauthenticated("federation.refused")
}

fn elements(el: &Element) -> impl Iterator<Item = &Element> {
    el.children.iter().filter_map(|c| match c {
        Node::Element(e) => Some(e),
        _ => None,
    })
}

fn local(el: &Element) -> &str {
    el.name.rsplit(':').next().unwrap_or("")
}

fn children<'a>(el: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    elements(el).filter(move |e| local(e) == name)
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

/// A time attribute: absent (`Ok(None)`), or a valid instant; anything else is refused.
fn time(el: &Element, name: &str) -> Result<Option<i64>> {
    value(el, name).map(|v| chrono::DateTime::parse_from_rfc3339(v).map(|d| d.timestamp()).map_err(|_| refused())).transpose()
}

/// The `InResponseTo` of a response, to find the request it answers (nothing is trusted yet).
pub fn in_response_to(xml: &str) -> Option<String> {
    let root = verify::parse(xml).ok()?;
    value(&root, "InResponseTo").map(str::to_owned)
}

/// An `Issuer`, if present, must be the provider (and of the entity format).
fn issued_by(el: &Element, idp_entity: &str, required: bool) -> bool {
    match child(el, "Issuer") {
        None => !required,
        Some(i) => content(i) == idp_entity && value(i, "Format").is_none_or(|f| f == ENTITY),
    }
}

/// Checks a response (the decoded XML of `SAMLResponse`).
pub fn check_response(xml: &str, e: &Expected) -> Result<Asserted> {
    let root = verify::parse(xml).map_err(|_| refused())?;
    if local(&root) != "Response" || value(&root, "Version") != Some("2.0") {
        return Err(refused());
    }
    let destination_ok = value(&root, "Destination").is_none_or(|d| d == e.acs);
    let status_ok =
        child(&root, "Status").and_then(|s| child(s, "StatusCode")).and_then(|c| value(c, "Value")) == Some("urn:oasis:names:tc:SAML:2.0:status:Success");
    if !destination_ok || value(&root, "InResponseTo") != Some(e.request_id) || !status_ok || !issued_by(&root, e.idp_entity, false) {
        return Err(refused());
    }
    let assertions: Vec<&Element> = children(&root, "Assertion").collect();
    let [assertion] = assertions.as_slice() else { return Err(refused()) };
    if elements(&root).any(|c| local(c) == "EncryptedAssertion") {
        return Err(refused());
    }
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
    check_assertion(signed, e)
}

/// The signed assertion: issuer, conditions, subject confirmation, authentication statement.
fn check_assertion(signed: &Element, e: &Expected) -> Result<Asserted> {
    if !issued_by(signed, e.idp_entity, true) || child(signed, "AuthnStatement").is_none() {
        return Err(refused());
    }
    let conditions = child(signed, "Conditions").ok_or_else(refused)?;
    let valid_until = time(conditions, "NotOnOrAfter")?.ok_or_else(refused)?;
    let in_time = time(conditions, "NotBefore")?.is_none_or(|t| t <= e.now + SKEW_SECS) && valid_until > e.now - SKEW_SECS;
    // Every audience restriction must name Préau; at least one must be there.
    let restrictions: Vec<&Element> = children(conditions, "AudienceRestriction").collect();
    let for_us = !restrictions.is_empty() && restrictions.iter().all(|r| children(r, "Audience").any(|a| content(a) == e.sp_entity));
    let understood = elements(conditions).all(|c| KNOWN_CONDITIONS.contains(&local(c)));
    if !in_time || !for_us || !understood {
        return Err(refused());
    }
    let subject = child(signed, "Subject").ok_or_else(refused)?;
    if !confirmed(subject, e)? {
        return Err(refused());
    }
    let name_id = child(subject, "NameID").ok_or_else(refused)?;
    let claim = children(signed, "AttributeStatement")
        .flat_map(|s| children(s, "Attribute"))
        .find(|a| value(a, "Name") == Some(e.match_claim))
        .and_then(|a| child(a, "AttributeValue"))
        .map(content)
        .filter(|c| !c.is_empty());
    Ok(Asserted {
        subject: subject_key(name_id, e)?,
        claim,
        assertion_id: value(signed, "ID").unwrap_or_default().to_owned(),
        valid_until: valid_until + SKEW_SECS,
    })
}

/// A bearer confirmation for this address and this request, still valid.
fn confirmed(subject: &Element, e: &Expected) -> Result<bool> {
    for c in children(subject, "SubjectConfirmation").filter(|c| value(c, "Method") == Some(BEARER)) {
        let Some(d) = child(c, "SubjectConfirmationData") else { continue };
        let not_before = time(d, "NotBefore")?;
        let until = time(d, "NotOnOrAfter")?;
        if value(d, "Recipient") == Some(e.acs)
            && value(d, "InResponseTo") == Some(e.request_id)
            && not_before.is_none_or(|t| t <= e.now + SKEW_SECS)
            && until.is_some_and(|t| t > e.now - SKEW_SECS)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What links the person to a local account: the `NameID` with its format and qualifiers
/// (those equal to the provider's or Préau's own entity add nothing); none when transient.
fn subject_key(name_id: &Element, e: &Expected) -> Result<Option<String>> {
    let v = content(name_id);
    if v.is_empty() || v.len() > 256 {
        return Err(refused());
    }
    let format = value(name_id, "Format").unwrap_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
    if format == TRANSIENT {
        return Ok(None);
    }
    let short = format.rsplit(':').next().unwrap_or(format);
    let qualifier = value(name_id, "NameQualifier").filter(|q| *q != e.idp_entity).unwrap_or("");
    let sp_qualifier = value(name_id, "SPNameQualifier").filter(|q| *q != e.sp_entity).unwrap_or("");
    Ok(Some(if qualifier.is_empty() && sp_qualifier.is_empty() { format!("{short}!{v}") } else { format!("{short}!{qualifier}!{sp_qualifier}!{v}") }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlg, SigningKey, StoredKey, generate, saml_certificate};

    const IDP: &str = "https://idp.example.org";
    const SP: &str = "https://ent.example.org/federation/saml/metadata";
    const ACS: &str = "https://ent.example.org/federation/saml/acs";
    const NOW: i64 = 1_795_000_000;

    fn key() -> (SigningKey, String) {
        let k = StoredKey {
            kid: "idp".into(),
            alg: SigningAlg::SamlRs256,
            private_der: generate(SigningAlg::SamlRs256, &preau_core::OsRandom).expect("key"),
            created_at: NOW,
            retired_at: None,
        };
        let cert = STANDARD.encode(saml_certificate(&k).expect("certificate"));
        (SigningKey::load(&k).expect("load"), cert)
    }

    /// An assertion as a provider writes it; `edit` changes its text before it is signed.
    fn response(k: &SigningKey, cert: &str, edit: impl Fn(String) -> String) -> String {
        let (t, later) = (instant(NOW), instant(NOW + 300));
        let assertion = edit(format!(
            "<saml:Assertion xmlns:saml=\"{NS_SAML}\" ID=\"_a1\" IssueInstant=\"{t}\" Version=\"2.0\"><saml:Issuer>{IDP}</saml:Issuer><saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">agent-7</saml:NameID><saml:SubjectConfirmation Method=\"{BEARER}\"><saml:SubjectConfirmationData InResponseTo=\"_req\" NotOnOrAfter=\"{later}\" Recipient=\"{ACS}\"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore=\"{t}\" NotOnOrAfter=\"{later}\"><saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant=\"{t}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute FriendlyName=\"mail\" Name=\"urn:oid:0.9.2342.19200300.100.1.3\"><saml:AttributeValue>anne@example.org</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"
        ));
        let signed = crate::saml::xml::sign_enveloped(&assertion, "_a1", "</saml:Issuer>", k, cert).expect("sign");
        format!(
            "<samlp:Response xmlns:samlp=\"{NS_SAMLP}\" Destination=\"{ACS}\" ID=\"_r1\" InResponseTo=\"_req\" IssueInstant=\"{t}\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{NS_SAML}\">{IDP}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>{signed}</samlp:Response>"
        )
    }

    fn expected(cert: &str) -> Expected<'_> {
        Expected { idp_entity: IDP, certificate: cert, sp_entity: SP, acs: ACS, request_id: "_req", now: NOW, match_claim: "urn:oid:0.9.2342.19200300.100.1.3" }
    }

    #[test]
    fn a_good_response_names_the_persistent_subject_and_the_claim_by_its_name() {
        let (k, cert) = key();
        let a = check_response(&response(&k, &cert, |s| s), &expected(&cert)).expect("accepted");
        assert_eq!(a.subject.as_deref(), Some("persistent!agent-7"));
        assert_eq!(a.claim.as_deref(), Some("anne@example.org"));
        assert_eq!((a.assertion_id.as_str(), a.valid_until), ("_a1", NOW + 300 + SKEW_SECS));
        // The friendly name is a label, not an identifier: it does not match.
        assert_eq!(check_response(&response(&k, &cert, |s| s), &Expected { match_claim: "mail", ..expected(&cert) }).expect("accepted").claim, None);
    }

    #[test]
    fn a_transient_name_links_nothing_and_qualifiers_are_part_of_the_subject() {
        let (k, cert) = key();
        let transient = |s: String| s.replace("nameid-format:persistent", "nameid-format:transient");
        assert_eq!(check_response(&response(&k, &cert, transient), &expected(&cert)).expect("accepted").subject, None);
        let qualified = |s: String| s.replace("persistent\">agent-7", "persistent\" NameQualifier=\"https://other.example.org\">agent-7");
        assert_eq!(
            check_response(&response(&k, &cert, qualified), &expected(&cert)).expect("accepted").subject.as_deref(),
            Some("persistent!https://other.example.org!!agent-7")
        );
    }

    #[test]
    fn every_rule_of_the_profile_is_enforced() {
        let (k, cert) = key();
        let later = instant(NOW + 300);
        type Edit = Box<dyn Fn(String) -> String>;
        let refusals: Vec<(&str, Edit)> = vec![
            (
                "no authentication statement",
                Box::new(|s: String| {
                    let (a, b) = (s.find("<saml:AuthnStatement").unwrap_or(0), s.find("<saml:AttributeStatement").unwrap_or(0));
                    format!("{}{}", &s[..a], &s[b..])
                }),
            ),
            (
                "a second audience restriction not for Préau",
                Box::new(|s: String| {
                    s.replace(
                        "</saml:Conditions>",
                        "<saml:AudienceRestriction><saml:Audience>https://else.example.org</saml:Audience></saml:AudienceRestriction></saml:Conditions>",
                    )
                }),
            ),
            ("a condition Préau does not know", Box::new(|s: String| s.replace("</saml:Conditions>", "<saml:Condition></saml:Condition></saml:Conditions>"))),
            ("an unreadable time", Box::new(move |s: String| s.replace(&format!("NotOnOrAfter=\"{later}\" Recipient"), "NotOnOrAfter=\"tomorrow\" Recipient"))),
            ("a confirmation for no request", Box::new(|s: String| s.replace(" InResponseTo=\"_req\"", ""))),
            ("a confirmation that is not bearer", Box::new(|s: String| s.replace(BEARER, "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"))),
            ("another issuer", Box::new(|s: String| s.replace(&format!("<saml:Issuer>{IDP}"), "<saml:Issuer>https://evil.example.org"))),
            ("an empty name", Box::new(|s: String| s.replace(">agent-7<", "><"))),
        ];
        for (what, edit) in refusals {
            assert!(check_response(&response(&k, &cert, edit), &expected(&cert)).is_err(), "{what} must be refused");
        }
        // Outside the signed assertion: the response's issuer, its request, its version.
        let good = response(&k, &cert, |s| s);
        for (what, bad) in [
            ("a response from another issuer", good.replacen(&format!(">{IDP}<"), ">https://evil.example.org<", 1)),
            ("another request", good.replace("InResponseTo=\"_req\" IssueInstant", "InResponseTo=\"_other\" IssueInstant")),
            ("SAML 1", good.replacen("Version=\"2.0\"", "Version=\"1.1\"", 1)),
        ] {
            assert!(check_response(&bad, &expected(&cert)).is_err(), "{what} must be refused");
        }
        assert!(check_response(&good, &Expected { now: NOW + 600, ..expected(&cert) }).is_err(), "expired");
    }
}
