//! Text helpers shared by the domains: folding names into logins.

/// Folds a name to lower-case ASCII letters and digits, dropping accents, apostrophes and spaces
/// (`"Lefèvre-D'Aubigné"` → `"lefevre-daubigne"`). Hyphens between words are kept.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match fold_char(c) {
            Some(s) => out.push_str(s),
            None if c.is_ascii_alphanumeric() => out.push(c),
            None if (c == '-' || c == ' ') && !out.is_empty() && !out.ends_with('-') => out.push('-'),
            None => {}
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        _ => return None,
    })
}

/// The base login `prenom.nom` for a person; the caller adds a numeric suffix on collision.
pub fn base_login(given_name: &str, family_name: &str) -> String {
    let given = fold_name(given_name);
    let family = fold_name(family_name);
    match (given.is_empty(), family.is_empty()) {
        (false, false) => format!("{given}.{family}"),
        (true, false) => family,
        (false, true) => given,
        (true, true) => "utilisateur".to_owned(),
    }
}

/// Percent-escapes a value for a URL query: everything but unreserved characters (RFC 3986).
pub fn url_escape(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Decodes a form-encoded value (`%XX` escapes, `+` for space); a malformed escape stays as it is.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%' && i + 2 < b.len()).then(|| std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())).flatten();
        match (b[i], hex) {
            (_, Some(v)) => {
                out.push(v);
                i += 2;
            }
            (b'+', None) => out.push(b' '),
            (c, None) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_spaces_and_apostrophes_are_folded() {
        assert_eq!(base_login("Zoé", "Lefèvre-D'Aubigné"), "zoe.lefevre-daubigne");
        assert_eq!(base_login("Jean Pierre", "  de la Tour "), "jean-pierre.de-la-tour");
        assert_eq!(base_login("Œdipe", "Müller"), "oedipe.muller");
    }

    #[test]
    fn empty_names_still_give_a_login() {
        assert_eq!(base_login("", "Ndiaye"), "ndiaye");
        assert_eq!(base_login("", ""), "utilisateur");
    }
}
