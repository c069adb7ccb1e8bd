//! Single logout started by a service provider (HTTP-Redirect binding): its `LogoutRequest`,
//! signed over the query string with the certificate it registered, ends the portal session
//! it names, and the `LogoutResponse` goes back to its single logout service, signed the same
//! way with this identity provider's key.

use super::xml::{NS_SAML, NS_SAMLP, attr, instant, text};
use crate::connectors::Protocol;
use crate::{Sso, SsoStore};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use preau_core::text::url_escape;
use preau_core::{Error, Result, TerritoryId};
use std::io::Write;

pub const SIG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// Whether a base64 DER certificate can be read.
pub fn certificate_ok(b64: &str) -> bool {
    STANDARD.decode(b64).ok().is_some_and(|der| webpki::EndEntityCert::try_from(&rustls_pki_types::CertificateDer::from(der.as_slice())).is_ok())
}

/// What a logout request says.
#[derive(Debug, Default)]
struct Parsed {
    id: String,
    issuer: String,
    name_id: String,
}

fn parse(xml_text: &str) -> Result<Parsed> {
    use quick_xml::events::Event;
    let bad = || Error::invalid("SAMLRequest", "saml.request_invalid");
    let mut reader = quick_xml::Reader::from_str(xml_text);
    let mut p = Parsed::default();
    let (mut root, mut field) = (false, 0u8);
    loop {
        match reader.read_event().map_err(|_| bad())? {
            Event::DocType(_) => return Err(bad()),
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                let local: &str = name.as_ref();
                if !root {
                    if local != "LogoutRequest" {
                        return Err(bad());
                    }
                    root = true;
                    for a in e.attributes().flatten() {
                        if a.key.local_name().as_ref() == "ID" {
                            p.id = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|_| bad())?.into_owned();
                        }
                    }
                } else {
                    field = match local {
                        "Issuer" => 1,
                        "NameID" => 2,
                        _ => 0,
                    };
                }
            }
            Event::Text(t) => match field {
                1 => p.issuer.push_str(t.trim()),
                2 => p.name_id.push_str(t.trim()),
                _ => {}
            },
            Event::End(_) => field = 0,
            Event::Eof => break,
            _ => {}
        }
    }
    if !root || p.id.is_empty() || p.issuer.is_empty() || p.name_id.is_empty() {
        return Err(bad());
    }
    Ok(p)
}

/// A message of the HTTP-Redirect binding, its parameters decoded.
pub struct RedirectMessage<'a> {
    /// `SAMLRequest`: base64 of the deflated XML.
    pub message: &'a str,
    pub relay_state: Option<&'a str>,
    pub sig_alg: &'a str,
    /// Base64.
    pub signature: &'a str,
    /// What was signed: the query string as it came, up to and without `&Signature=`.
    pub signed: &'a str,
}

/// A logout request, checked: the portal session it ends, and where to answer.
pub struct SpLogout {
    pub session: Option<String>,
    pub response_query: String,
    pub slo_url: String,
}

impl<S: SsoStore> Sso<S> {
    /// Checks a service provider's logout request (Redirect binding). Returns the portal
    /// session to end (if the name is still signed in there) and the signed answer for its
    /// logout service.
    pub async fn saml_sp_logout(&self, territory: TerritoryId, idp: &str, q: &RedirectMessage<'_>) -> Result<SpLogout> {
        let (request_b64, relay_state, sig_alg, signature_b64, signed) = (q.message, q.relay_state, q.sig_alg, q.signature, q.signed);
        let xml = super::decode_request(request_b64, true)?;
        let p = parse(&xml)?;
        let c = self.saml_sp(territory, &p.issuer).await?;
        if c.protocol != Protocol::Saml || c.saml.sp_certificate.is_empty() || c.saml.slo_url.is_empty() || sig_alg != SIG_RSA_SHA256 {
            return Err(Error::invalid("SAMLRequest", "saml.request_invalid"));
        }
        let bad_signature = || Error::invalid("Signature", "saml.signature");
        let der = STANDARD.decode(&c.saml.sp_certificate).map_err(|_| bad_signature())?;
        let cert_der = rustls_pki_types::CertificateDer::from(der.as_slice());
        let cert = webpki::EndEntityCert::try_from(&cert_der).map_err(|_| bad_signature())?;
        let signature = STANDARD.decode(signature_b64).map_err(|_| bad_signature())?;
        cert.verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature).map_err(|_| bad_signature())?;
        // The session this name is signed in to at that service provider, which stops being told.
        let session = self.saml.0.lock().ok().and_then(|mut i| {
            let key = i.sessions.iter().find(|(_, list)| list.iter().any(|s| s.connector == c.service && s.name_id == p.name_id)).map(|(k, _)| k.clone())?;
            if let Some(list) = i.sessions.get_mut(&key) {
                list.retain(|s| s.connector != c.service);
            }
            Some(key)
        });
        let response_query = self.saml_logout_response(idp, &c.saml.slo_url, &p.id, relay_state).await?;
        Ok(SpLogout { session, response_query, slo_url: c.saml.slo_url.clone() })
    }

    /// The signed Redirect-binding query of a successful `LogoutResponse`.
    async fn saml_logout_response(&self, idp: &str, destination: &str, in_response_to: &str, relay_state: Option<&str>) -> Result<String> {
        let id = super::response::new_id(&*self.rng);
        let xml = format!(
            "<samlp:LogoutResponse xmlns:samlp=\"{NS_SAMLP}\" Destination=\"{}\" ID=\"{id}\" InResponseTo=\"{}\" IssueInstant=\"{}\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{NS_SAML}\">{}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status></samlp:LogoutResponse>",
            attr(destination),
            attr(in_response_to),
            instant(self.clock.now()),
            text(idp)
        );
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(xml.as_bytes()).map_err(Error::internal)?;
        let deflated = e.finish().map_err(Error::internal)?;
        let mut query = format!("SAMLResponse={}", url_escape(&STANDARD.encode(deflated)));
        if let Some(rs) = relay_state {
            query.push_str(&format!("&RelayState={}", url_escape(rs)));
        }
        query.push_str(&format!("&SigAlg={}", url_escape(SIG_RSA_SHA256)));
        let (key, _) = self.saml_key().await?;
        let signature = key.signature(query.as_bytes())?;
        query.push_str(&format!("&Signature={}", url_escape(&STANDARD.encode(signature))));
        Ok(query)
    }
}
