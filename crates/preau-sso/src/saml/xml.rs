//! XML written directly in its exclusive canonical form (Exclusive XML Canonicalization 1.0):
//! no declaration, no whitespace between elements, start and end tags for empty elements,
//! each element declaring exactly the namespaces it uses that no ancestor declared, attributes
//! sorted, and the canonical escapes. What is signed is therefore the text as written, and a
//! verifier that canonicalizes the parsed element finds the same bytes. Enveloped XML
//! signatures (RSA-SHA256 over SHA-256 digests) are made here.

use crate::keys::SigningKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use preau_core::Result;
use sha2::{Digest, Sha256};

pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Text content, escaped as canonical XML does.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value, escaped as canonical XML does.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// A `xs:dateTime` in UTC.
pub fn instant(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// The `SignedInfo` of a reference to `id` with this digest, without its namespace declaration.
fn signed_info(id: &str, digest: &str) -> String {
    format!(
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod><ds:Reference URI=\"#{}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>",
        attr(id)
    )
}

/// Signs the canonical element `element` (whose `ID` is `id`) with an enveloped signature
/// placed right after its first child ending with `after` (the `Issuer`, as SAML's schema
/// wants it). Returns the element with its signature.
pub fn sign_enveloped(element: &str, id: &str, after: &str, key: &SigningKey, cert_b64: &str) -> Result<String> {
    let digest = STANDARD.encode(Sha256::digest(element.as_bytes()));
    let info = signed_info(id, &digest);
    // Canonicalized alone, SignedInfo carries the `ds` declaration it inherits in the document.
    let canonical_info = format!("<ds:SignedInfo xmlns:ds=\"{NS_DS}\">{info}</ds:SignedInfo>");
    let value = STANDARD.encode(key.signature(canonical_info.as_bytes())?);
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\"><ds:SignedInfo>{info}</ds:SignedInfo><ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
    );
    let at = element.find(after).map(|i| i + after.len()).ok_or_else(|| preau_core::Error::internal("no place for the signature"))?;
    Ok(format!("{}{signature}{}", &element[..at], &element[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_canonical_xml() {
        assert_eq!(text("a & b < c > d\r"), "a &amp; b &lt; c &gt; d&#xD;");
        assert_eq!(attr("D'Artagnan \"<x>\"\t\n"), "D'Artagnan &quot;&lt;x>&quot;&#x9;&#xA;");
    }
}
