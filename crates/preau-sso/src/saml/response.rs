//! The signed SAML `Response`: a `Success` status and one `Assertion` (issuer, subject with its
//! `NameID` and bearer confirmation for the request, conditions with the audience, the
//! authentication statement and the released attributes), the assertion signed, then the
//! response signed around it.

use super::xml::{NS_SAML, NS_SAMLP, attr, instant, sign_enveloped, text};
use crate::connectors::SubjectKind;
use crate::keys::SigningKey;
use preau_core::{Random, Result};

/// How long an assertion may take to reach the service provider.
const VALIDITY_SECS: i64 = 5 * 60;

/// What an assertion says.
pub struct Assertion<'a> {
    pub idp: &'a str,
    pub sp: &'a str,
    pub acs: &'a str,
    pub in_response_to: &'a str,
    pub name_id: &'a str,
    pub name_id_format: &'static str,
    pub attributes: &'a [(String, Vec<String>)],
    pub now: i64,
    pub auth_time: i64,
    pub session_index: &'a str,
}

/// The `NameID` format for the connector's identifier.
pub fn name_id_format(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Login => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        SubjectKind::Pairwise => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        SubjectKind::Transient => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    }
}

/// A new message ID: an NCName of 160 random bits.
pub fn new_id(rng: &dyn Random) -> String {
    let mut b = [0u8; 20];
    rng.fill(&mut b);
    format!("_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

fn assertion_xml(a: &Assertion, id: &str) -> String {
    let (now, until) = (instant(a.now), instant(a.now + VALIDITY_SECS));
    let mut x = format!("<saml:Assertion xmlns:saml=\"{NS_SAML}\" ID=\"{id}\" IssueInstant=\"{now}\" Version=\"2.0\">");
    x.push_str(&format!("<saml:Issuer>{}</saml:Issuer>", text(a.idp)));
    x.push_str(&format!(
        "<saml:Subject><saml:NameID Format=\"{}\" SPNameQualifier=\"{}\">{}</saml:NameID><saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData InResponseTo=\"{}\" NotOnOrAfter=\"{until}\" Recipient=\"{}\"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>",
        a.name_id_format,
        attr(a.sp),
        text(a.name_id),
        attr(a.in_response_to),
        attr(a.acs)
    ));
    x.push_str(&format!(
        "<saml:Conditions NotBefore=\"{}\" NotOnOrAfter=\"{until}\"><saml:AudienceRestriction><saml:Audience>{}</saml:Audience></saml:AudienceRestriction></saml:Conditions>",
        instant(a.now - 60),
        text(a.sp)
    ));
    x.push_str(&format!(
        "<saml:AuthnStatement AuthnInstant=\"{}\" SessionIndex=\"{}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>",
        instant(a.auth_time),
        attr(a.session_index)
    ));
    if !a.attributes.is_empty() {
        x.push_str("<saml:AttributeStatement>");
        for (name, values) in a.attributes {
            x.push_str(&format!("<saml:Attribute Name=\"{}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">", attr(name)));
            for v in values {
                x.push_str(&format!("<saml:AttributeValue>{}</saml:AttributeValue>", text(v)));
            }
            x.push_str("</saml:Attribute>");
        }
        x.push_str("</saml:AttributeStatement>");
    }
    x.push_str("</saml:Assertion>");
    x
}

/// The response, signed, and its assertion, signed: base64 is left to the caller.
pub fn signed_response(a: &Assertion, key: &SigningKey, cert: &str, rng: &dyn Random) -> Result<String> {
    let assertion_id = new_id(rng);
    let assertion = sign_enveloped(&assertion_xml(a, &assertion_id), &assertion_id, "</saml:Issuer>", key, cert)?;
    let id = new_id(rng);
    let response = format!(
        "<samlp:Response xmlns:samlp=\"{NS_SAMLP}\" Destination=\"{}\" ID=\"{id}\" InResponseTo=\"{}\" IssueInstant=\"{}\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{NS_SAML}\">{}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>{assertion}</samlp:Response>",
        attr(a.acs),
        attr(a.in_response_to),
        instant(a.now),
        text(a.idp)
    );
    sign_enveloped(&response, &id, "</saml:Issuer>", key, cert)
}

/// What a logout request says: this person's session at this service provider is over.
pub struct LogoutRequest<'a> {
    pub idp: &'a str,
    pub sp: &'a str,
    pub destination: &'a str,
    pub name_id: &'a str,
    pub format: &'static str,
    pub session_index: &'a str,
    pub now: i64,
}

/// The signed `LogoutRequest` (for the SOAP binding: the caller wraps it in an envelope).
pub fn signed_logout_request(r: &LogoutRequest, key: &SigningKey, cert: &str, rng: &dyn Random) -> Result<String> {
    let id = new_id(rng);
    let xml = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{NS_SAMLP}\" Destination=\"{}\" ID=\"{id}\" IssueInstant=\"{}\" NotOnOrAfter=\"{}\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{NS_SAML}\">{}</saml:Issuer><saml:NameID xmlns:saml=\"{NS_SAML}\" Format=\"{}\" SPNameQualifier=\"{}\">{}</saml:NameID><samlp:SessionIndex>{}</samlp:SessionIndex></samlp:LogoutRequest>",
        attr(r.destination),
        instant(r.now),
        instant(r.now + VALIDITY_SECS),
        text(r.idp),
        r.format,
        attr(r.sp),
        text(r.name_id),
        text(r.session_index)
    );
    sign_enveloped(&xml, &id, "</saml:Issuer>", key, cert)
}
