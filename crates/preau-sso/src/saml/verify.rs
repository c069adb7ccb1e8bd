//! Checking an enveloped XML signature made by someone else (an outside SAML identity provider):
//! the document is read into a tree, the referenced element canonicalized with Exclusive XML
//! Canonicalization 1.0 (without comments, honouring `InclusiveNamespaces`) minus its own
//! signature, its SHA-256 digest compared, then `SignedInfo` canonicalized and its RSA-SHA256
//! signature checked with the provider's certificate.
//!
//! Against signature wrapping: the reference must name, by `ID`, exactly one element of the
//! document, and the signature must be a direct child of that element; the caller is told which
//! element was signed and must read nothing else. A document type declaration is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use preau_core::{Error, Result};
use sha2::{Digest, Sha256};

const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// How deep a document may nest.
const MAX_DEPTH: usize = 64;
/// How many namespace declarations and attributes one element may carry (SAML needs a
/// handful; a crafted element with thousands would make canonicalization quadratic).
const MAX_DECLS: usize = 32;
const MAX_ATTRS: usize = 32;

/// An element: its qualified name, the namespace declarations it carries, its attributes as
/// (qualified name, value), and its children.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub decls: Vec<(String, String)>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    Text(String),
    /// A processing instruction (`<?target data?>`): canonicalization keeps it.
    Instruction(String),
}

fn bad() -> Error {
    Error::invalid("SAMLResponse", "saml.signature")
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map(|(p, _)| p).unwrap_or("")
}

fn local_of(qname: &str) -> &str {
    qname.split_once(':').map(|(_, l)| l).unwrap_or(qname)
}

/// Reads a document into its root element. Line ends are normalized first (XML 1.0 §2.11),
/// so a signature made over `\n` verifies whatever the transport did to them.
pub fn parse(xml: &str) -> Result<Element> {
    use quick_xml::events::Event;
    let xml = xml.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut stack: Vec<Element> = vec![];
    let mut root = None;
    let mut text = String::new();
    let flush = |text: &mut String, stack: &mut Vec<Element>| {
        if !text.is_empty()
            && let Some(top) = stack.last_mut()
        {
            top.children.push(Node::Text(std::mem::take(text)));
        }
        text.clear();
    };
    // A finished element goes to its parent, or becomes the root: only one root is allowed.
    let place = |el: Element, stack: &mut Vec<Element>, root: &mut Option<Element>| match stack.last_mut() {
        Some(top) => {
            top.children.push(Node::Element(el));
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(el);
            Ok(())
        }
        None => Err(bad()),
    };
    loop {
        match reader.read_event().map_err(|_| bad())? {
            Event::DocType(_) => return Err(bad()),
            Event::Start(e) => {
                flush(&mut text, &mut stack);
                // SAML documents are shallow; a deep one would only exhaust the stack of the
                // recursive walks below.
                if stack.len() >= MAX_DEPTH || (stack.is_empty() && root.is_some()) {
                    return Err(bad());
                }
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                flush(&mut text, &mut stack);
                place(element(&e)?, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                flush(&mut text, &mut stack);
                let el = stack.pop().ok_or_else(bad)?;
                place(el, &mut stack, &mut root)?;
            }
            Event::Text(t) if stack.is_empty() && !t.trim().is_empty() => return Err(bad()),
            Event::Text(_) if stack.is_empty() => {}
            Event::Text(t) => text.push_str(&t),
            Event::CData(c) => text.push_str(&c),
            Event::GeneralRef(r) if !stack.is_empty() => text.push(reference(&r).ok_or_else(bad)?),
            Event::GeneralRef(_) => return Err(bad()),
            Event::PI(pi) if !stack.is_empty() => {
                flush(&mut text, &mut stack);
                // Canonically `target data`: one space between them, whatever was written.
                let raw: &str = &pi;
                let pi = match raw.split_once(|c: char| c.is_ascii_whitespace()) {
                    Some((target, data)) if !data.trim_start().is_empty() => format!("{target} {}", data.trim_start()),
                    _ => raw.trim_end().to_owned(),
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node::Instruction(pi));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(bad());
    }
    root.ok_or_else(bad)
}

/// The character an entity or character reference stands for: the five predefined entities,
/// or a decimal / hexadecimal reference to a character XML allows.
fn reference(name: &str) -> Option<char> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        n => {
            let code = if let Some(h) = n.strip_prefix("#x") {
                (!h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u32::from_str_radix(h, 16).ok()).flatten()?
            } else {
                let d = n.strip_prefix('#')?;
                (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.parse().ok()).flatten()?
            };
            char::from_u32(code).filter(|c| matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}')))?
        }
    };
    Some(c)
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element> {
    let qname = e.name();
    let name: &str = qname.as_ref();
    let mut el = Element { name: name.to_owned(), ..Element::default() };
    for a in e.attributes() {
        let a = a.map_err(|_| bad())?;
        let key: &str = a.key.as_ref();
        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|_| bad())?.into_owned();
        if key == "xmlns" {
            el.decls.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            el.decls.push((p.to_owned(), value));
        } else {
            el.attrs.push((key.to_owned(), value));
        }
    }
    if el.decls.len() > MAX_DECLS || el.attrs.len() > MAX_ATTRS {
        return Err(bad());
    }
    Ok(el)
}

/// The namespaces in scope: (prefix, URI), innermost last.
type Scope = Vec<(String, String)>;

fn lookup<'a>(scope: &'a Scope, prefix: &str) -> Option<&'a str> {
    scope.iter().rev().find(|(p, _)| p == prefix).map(|(_, u)| u.as_str())
}

/// Exclusive canonicalization of `el`, whose ancestors put `scope` in scope; `rendered` is
/// what output ancestors declared; `skip` leaves out one element (the enveloped signature).
/// Both stacks are given back as they came (one stack for the whole walk, never copied).
fn c14n(el: &Element, scope: &mut Scope, rendered: &mut Scope, inclusive: &[String], skip: Option<*const Element>, out: &mut String) {
    let (scope_len, rendered_len) = (scope.len(), rendered.len());
    scope.extend(el.decls.iter().cloned());
    // The prefixes this element visibly uses, and those the signer listed as inclusive.
    let mut used: Vec<String> = vec![prefix_of(&el.name).to_owned()];
    for (k, _) in &el.attrs {
        let p = prefix_of(k);
        if !p.is_empty() && p != "xml" && !used.iter().any(|u| u == p) {
            used.push(p.to_owned());
        }
    }
    for p in inclusive {
        if lookup(scope, p).is_some() && !used.contains(p) {
            used.push(p.clone());
        }
    }
    let mut decls: Vec<(String, String)> = vec![];
    for p in &used {
        let uri = lookup(scope, p).unwrap_or("");
        let already = lookup(rendered, p).unwrap_or("");
        if uri != already {
            decls.push((p.clone(), uri.to_owned()));
        }
    }
    decls.sort();
    let mut attrs: Vec<(String, String, &str, &str)> = el
        .attrs
        .iter()
        .map(|(k, v)| {
            let p = prefix_of(k);
            let ns = if p.is_empty() {
                String::new()
            } else if p == "xml" {
                "http://www.w3.org/XML/1998/namespace".to_owned()
            } else {
                lookup(scope, p).unwrap_or("").to_owned()
            };
            (ns, local_of(k).to_owned(), k.as_str(), v.as_str())
        })
        .collect();
    attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out.push('<');
    out.push_str(&el.name);
    for (p, uri) in &decls {
        out.push_str(if p.is_empty() { " xmlns=\"" } else { " xmlns:" });
        if !p.is_empty() {
            out.push_str(p);
            out.push_str("=\"");
        }
        out.push_str(&super::xml::attr(uri));
        out.push('"');
    }
    for (_, _, k, v) in &attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&super::xml::attr(v));
        out.push('"');
    }
    out.push('>');
    rendered.extend(decls);
    for child in &el.children {
        match child {
            Node::Text(t) => out.push_str(&super::xml::text(t)),
            Node::Instruction(pi) => {
                out.push_str("<?");
                out.push_str(pi);
                out.push_str("?>");
            }
            Node::Element(c) if skip == Some(c as *const Element) => {}
            Node::Element(c) => c14n(c, scope, rendered, inclusive, skip, out),
        }
    }
    out.push_str("</");
    out.push_str(&el.name);
    out.push('>');
    scope.truncate(scope_len);
    rendered.truncate(rendered_len);
}

fn local_is(el: &Element, local: &str) -> bool {
    local_of(&el.name) == local
}

fn child<'a>(el: &'a Element, local: &str) -> Option<&'a Element> {
    el.children.iter().find_map(|c| match c {
        Node::Element(e) if local_is(e, local) => Some(e),
        _ => None,
    })
}

fn text_of(el: &Element) -> String {
    el.children.iter().filter_map(|c| if let Node::Text(t) = c { Some(t.as_str()) } else { None }).collect::<String>()
}

fn attr<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Every element with this `ID`, with the namespaces in scope at it (`scope`: one stack for
/// the walk, given back as it came).
fn find_by_id<'a>(el: &'a Element, id: &str, scope: &mut Scope, found: &mut Vec<(&'a Element, Scope)>) {
    if attr(el, "ID") == Some(id) {
        found.push((el, scope.clone()));
    }
    let len = scope.len();
    scope.extend(el.decls.iter().cloned());
    for c in &el.children {
        if let Node::Element(e) = c {
            find_by_id(e, id, scope, found);
        }
    }
    scope.truncate(len);
}

fn inclusive_prefixes(transform: &Element) -> Vec<String> {
    child(transform, "InclusiveNamespaces")
        .and_then(|i| attr(i, "PrefixList"))
        .map(|l| l.split_whitespace().map(|p| if p == "#default" { String::new() } else { p.to_owned() }).collect())
        .unwrap_or_default()
}

/// Checks the enveloped signature of the element whose `ID` is `id`, with the certificate
/// (DER, base64). Returns that element, the only one the caller may read.
pub fn verify_enveloped<'a>(root: &'a Element, id: &str, cert_b64: &str) -> Result<&'a Element> {
    let mut found = vec![];
    find_by_id(root, id, &mut Scope::new(), &mut found);
    let [(signed, scope)] = found.as_slice() else { return Err(bad()) };
    let mut inside = scope.clone();
    inside.extend(signed.decls.iter().cloned());
    let is_ds_signature = |e: &Element| {
        let mut at = inside.clone();
        at.extend(e.decls.iter().cloned());
        local_is(e, "Signature") && lookup(&at, prefix_of(&e.name)) == Some(NS_DS)
    };
    let signature = signed
        .children
        .iter()
        .find_map(|c| match c {
            Node::Element(e) if is_ds_signature(e) => Some(e),
            _ => None,
        })
        .ok_or_else(bad)?;
    let info = child(signature, "SignedInfo").ok_or_else(bad)?;
    let method = child(info, "SignatureMethod").and_then(|m| attr(m, "Algorithm"));
    let canon = child(info, "CanonicalizationMethod").and_then(|m| attr(m, "Algorithm"));
    if method != Some(RSA_SHA256) || canon != Some(EXC_C14N) {
        return Err(bad());
    }
    let references: Vec<&Element> =
        info.children.iter().filter_map(|c| if let Node::Element(e) = c { local_is(e, "Reference").then_some(e) } else { None }).collect();
    let [reference] = references.as_slice() else { return Err(bad()) };
    if attr(reference, "URI") != Some(&format!("#{id}")) {
        return Err(bad());
    }
    let transforms: Vec<&Element> = child(reference, "Transforms")
        .map(|t| t.children.iter().filter_map(|c| if let Node::Element(e) = c { Some(e) } else { None }).collect())
        .unwrap_or_default();
    let algorithms: Vec<&str> = transforms.iter().filter_map(|t| attr(t, "Algorithm")).collect();
    if transforms.len() != 2 || algorithms != [ENVELOPED, EXC_C14N] || child(reference, "DigestMethod").and_then(|d| attr(d, "Algorithm")) != Some(SHA256) {
        return Err(bad());
    }
    let inclusive = inclusive_prefixes(transforms[1]);
    let mut canonical = String::new();
    c14n(signed, &mut scope.clone(), &mut Scope::new(), &inclusive, Some(signature as *const Element), &mut canonical);
    let digest = STANDARD.encode(Sha256::digest(canonical.as_bytes()));
    let expected: String = child(reference, "DigestValue").map(text_of).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    if digest != expected {
        return Err(bad());
    }
    // SignedInfo, canonicalized with the namespaces in scope where it sits.
    let mut info_scope = inside.clone();
    info_scope.extend(signature.decls.iter().cloned());
    let info_inclusive = child(info, "CanonicalizationMethod").map(inclusive_prefixes).unwrap_or_default();
    let mut canonical_info = String::new();
    c14n(info, &mut info_scope, &mut Scope::new(), &info_inclusive, None, &mut canonical_info);
    let value: String = child(signature, "SignatureValue").map(text_of).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    let value = STANDARD.decode(value).map_err(|_| bad())?;
    let der = STANDARD.decode(cert_b64).map_err(|_| bad())?;
    let cert_der = rustls_pki_types::CertificateDer::from(der.as_slice());
    let cert = webpki::EndEntityCert::try_from(&cert_der).map_err(|_| bad())?;
    cert.verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, canonical_info.as_bytes(), &value).map_err(|_| bad())?;
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlg, SigningKey, StoredKey, generate, saml_certificate};

    /// A key of the SAML kind and its certificate (base64 DER).
    fn key() -> (SigningKey, String) {
        let k = StoredKey {
            kid: "test".into(),
            alg: SigningAlg::SamlRs256,
            private_der: generate(SigningAlg::SamlRs256, &preau_core::OsRandom).expect("key"),
            created_at: 1_790_000_000,
            retired_at: None,
        };
        let cert = STANDARD.encode(saml_certificate(&k).expect("certificate"));
        (SigningKey::load(&k).expect("load"), cert)
    }

    const ASSERTION: &str = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a1\" IssueInstant=\"2026-11-28T10:00:00Z\" Version=\"2.0\"><saml:Issuer>https://idp.example.org</saml:Issuer><saml:Subject><saml:NameID>anne</saml:NameID></saml:Subject></saml:Assertion>";

    fn response(assertion: &str) -> String {
        format!("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r1\" Version=\"2.0\">\n  {assertion}\n</samlp:Response>")
    }

    #[test]
    fn a_signature_made_here_verifies_and_names_the_signed_element() {
        let (k, cert) = key();
        let signed = crate::saml::xml::sign_enveloped(ASSERTION, "_a1", "</saml:Issuer>", &k, &cert).expect("sign");
        let doc = parse(&response(&signed)).expect("parse");
        let el = verify_enveloped(&doc, "_a1", &cert).expect("verified");
        assert_eq!(attr(el, "ID"), Some("_a1"));
    }

    #[test]
    fn a_tampered_value_or_another_key_is_refused() {
        let (k, cert) = key();
        let signed = crate::saml::xml::sign_enveloped(ASSERTION, "_a1", "</saml:Issuer>", &k, &cert).expect("sign");
        let tampered = parse(&response(&signed.replace(">anne<", ">admin<"))).expect("parse");
        assert!(verify_enveloped(&tampered, "_a1", &cert).is_err());
        let (_, other) = key();
        assert!(verify_enveloped(&parse(&response(&signed)).expect("parse"), "_a1", &other).is_err());
    }

    #[test]
    fn signature_wrapping_is_refused() {
        let (k, cert) = key();
        let signed = crate::saml::xml::sign_enveloped(ASSERTION, "_a1", "</saml:Issuer>", &k, &cert).expect("sign");
        // A forged assertion with the same ID beside the signed one: the ID no longer names one element.
        let evil = ASSERTION.replace(">anne<", ">admin<");
        assert!(verify_enveloped(&parse(&response(&format!("{evil}{signed}"))).expect("parse"), "_a1", &cert).is_err());
        // The signed assertion moved inside another element, a forged one in its place with
        // another ID: only the signed one is ever returned, and the forged one is not signed.
        let moved = response(&format!("<samlp:Extensions>{signed}</samlp:Extensions>{}", evil.replace("_a1", "_a2")));
        let doc = parse(&moved).expect("parse");
        let el = verify_enveloped(&doc, "_a1", &cert).expect("the signed one still verifies");
        assert!(format!("{el:?}").contains("anne") && !format!("{el:?}").contains("admin"));
        assert!(verify_enveloped(&doc, "_a2", &cert).is_err());
        // A document type declaration is refused outright, and so is a document nested deep
        // enough to exhaust a stack.
        assert!(parse(&format!("<!DOCTYPE x>{}", response(&signed))).is_err());
        assert!(parse(&format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000))).is_err());
    }

    #[test]
    fn line_ends_are_normalized_and_instructions_are_signed_content() {
        let (k, cert) = key();
        let multiline = ASSERTION.replace(">anne<", ">anne\nmartin<");
        let signed = crate::saml::xml::sign_enveloped(&multiline, "_a1", "</saml:Issuer>", &k, &cert).expect("sign");
        // A transport that rewrote the line ends to CRLF changed nothing that was signed.
        let crlf = response(&signed).replace('\n', "\r\n");
        assert!(verify_enveloped(&parse(&crlf).expect("parse"), "_a1", &cert).is_ok());
        // A processing instruction slipped into the signed element is a change.
        let with_pi = response(&signed.replace("<saml:Subject>", "<saml:Subject><?evil x?>"));
        assert!(verify_enveloped(&parse(&with_pi).expect("parse"), "_a1", &cert).is_err());
    }

    #[test]
    fn malformed_documents_are_refused() {
        let (k, cert) = key();
        let signed = crate::saml::xml::sign_enveloped(ASSERTION, "_a1", "</saml:Issuer>", &k, &cert).expect("sign");
        assert!(parse(&response(&signed)).is_ok());
        // Two roots, text beside the root, an unclosed element.
        assert!(parse(&format!("{}{}", response(&signed), response(&signed))).is_err());
        assert!(parse(&format!("{}junk", response(&signed))).is_err());
        assert!(parse("<a><b></b>").is_err());
        // Character references to nothing XML allows, or written loosely.
        for r in ["&#0;", "&#x+41;", "&#xD800;", "&#;", "&#x;", "&#-65;", "&nbsp;"] {
            assert!(parse(&format!("<a>{r}</a>")).is_err(), "{r}");
        }
        assert_eq!(format!("{:?}", parse("<a>&#x41;&#66;&amp;</a>").expect("parse").children), format!("{:?}", vec![Node::Text("AB&".into())]));
        // An element with hundreds of namespace declarations (canonicalization would be quadratic).
        let decls: String = (0..200).map(|i| format!(" xmlns:p{i}=\"urn:x:{i}\"")).collect();
        assert!(parse(&format!("<a{decls}></a>")).is_err());
    }

    /// Signed by xmlsec1 (libxml2's canonicalization, an independent implementation), when the
    /// machine has it; `.ci/run` installs it.
    #[test]
    fn a_signature_made_by_xmlsec1_verifies() {
        let Ok(out) = std::process::Command::new("xmlsec1").arg("--version").output() else {
            eprintln!("SKIPPED: xmlsec1 is not installed (Debian package xmlsec1)");
            return;
        };
        assert!(out.status.success());
        let dir = std::env::temp_dir().join(format!("preau-xmlsec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let k = StoredKey {
            kid: "xs".into(),
            alg: SigningAlg::SamlRs256,
            private_der: generate(SigningAlg::SamlRs256, &preau_core::OsRandom).expect("key"),
            created_at: 1_790_000_000,
            retired_at: None,
        };
        let cert = STANDARD.encode(saml_certificate(&k).expect("certificate"));
        let pem = |label: &str, der: &[u8]| {
            let b64 = STANDARD.encode(der);
            let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
            format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
        };
        std::fs::write(dir.join("key.pem"), pem("RSA PRIVATE KEY", &k.private_der)).expect("key");
        // A template with xs:string values and an InclusiveNamespaces prefix list, as IdPs write them.
        let template = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ID=\"_r\" Version=\"2.0\">\n <saml:Assertion ID=\"_a9\" Version=\"2.0\" IssueInstant=\"2026-11-28T10:00:00Z\">\n  <saml:Issuer>https://idp.example.org</saml:Issuer>\n  <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#_a9\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"xs\"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>\n  <saml:AttributeStatement><saml:Attribute Name=\"FrEduCtRefId\"><saml:AttributeValue xsi:type=\"xs:string\">{AAF}1234 &amp; D&apos;Arc</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>\n </saml:Assertion>\n</samlp:Response>\n";
        std::fs::write(dir.join("tmpl.xml"), template).expect("template");
        let out = std::process::Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem"])
            .arg(dir.join("key.pem"))
            .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--output"])
            .arg(dir.join("signed.xml"))
            .arg(dir.join("tmpl.xml"))
            .output()
            .expect("xmlsec1");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let signed = std::fs::read_to_string(dir.join("signed.xml")).expect("signed");
        let doc = parse(&signed).expect("parse");
        let el = verify_enveloped(&doc, "_a9", &cert).expect("xmlsec1's signature verifies");
        assert!(format!("{el:?}").contains("{AAF}1234 & D'Arc"));
        let tampered = parse(&signed.replace("{AAF}1234", "{AAF}9999")).expect("parse");
        assert!(verify_enveloped(&tampered, "_a9", &cert).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
