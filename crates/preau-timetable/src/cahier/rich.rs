//! Rich text of entries and homework: the HTML a teacher writes (or pastes), cut down to a
//! few formatting tags and `http(s)`/`mailto` links that open in a new tab, so that it can be
//! shown in Préau's pages as is. Plain text (no tag) becomes paragraphs with links made
//! clickable.

use std::collections::HashSet;
use std::sync::LazyLock;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> =
        ["p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre"].into_iter().collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .clean_content_tags(["script", "style"].into_iter().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(std::iter::once(("a", std::iter::once("href").collect())).collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank");
    b
});

/// The HTML to keep for what a teacher wrote.
pub fn clean(input: &str) -> String {
    let input = input.trim();
    if looks_like_html(input) { CLEANER.clean(input).to_string().trim().to_owned() } else { paragraphs(input) }
}

fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>')
}

/// Plain text as paragraphs (blank lines), lines kept, web addresses as links.
fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for para in text.replace("\r\n", "\n").split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        let lines: Vec<String> = para.lines().map(linked).collect();
        out.push_str(&lines.join("<br>"));
        out.push_str("</p>");
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line of text, escaped, its `http(s)://` words turned into links.
fn linked(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            if (w.starts_with("https://") || w.starts_with("http://")) && w.len() > 8 {
                let href = escape(w);
                format!("<a href=\"{href}\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">{href}</a>")
            } else {
                escape(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_other_schemes_are_removed() {
        let got =
            clean(r#"<p onclick="x()">Voir <a href="javascript:alert(1)">ici</a><script>alert(2)</script><img src=x onerror=y()> <strong>bien</strong></p>"#);
        assert!(
            !got.contains("script") && !got.contains("onclick") && !got.contains("onerror") && !got.contains("javascript") && !got.contains("<img"),
            "{got}"
        );
        assert!(got.contains("<strong>bien</strong>"), "{got}");
        let link = clean(r#"<a href="https://fr.wikipedia.org/wiki/Thal%C3%A8s">Thalès</a>"#);
        assert!(link.contains(r#"href="https://fr.wikipedia.org/wiki/Thal%C3%A8s""#) && link.contains("noopener"), "{link}");
    }

    #[test]
    fn plain_text_becomes_paragraphs_with_links() {
        let got = clean("Exercices 1 & 2 p. 45\nVoir https://example.org/cours\n\nBon courage <3");
        assert_eq!(
            got,
            "<p>Exercices 1 &amp; 2 p. 45<br>Voir <a href=\"https://example.org/cours\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">https://example.org/cours</a></p><p>Bon courage &lt;3</p>"
        );
    }
}
