//! SCIM filters (RFC 7644 §3.4.2.2): parsed once into a tree, evaluated against the JSON of a
//! resource. Also used for value paths of PATCH (`emails[type eq "work"]`).

use super::resource::get_ci;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, Op, Value),
    /// `emails[type eq "work"]`: some element of a multi-valued attribute matches.
    ValuePath(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// `urn:…:User:name.givenName`: an optional schema URN, an attribute and a sub-attribute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    pub fn parse(s: &str) -> Option<AttrPath> {
        let (urn, rest) = match s.rfind(':') {
            Some(i) => (Some(s[..i].to_owned()), &s[i + 1..]),
            None => (None, s),
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, b)) => (a, Some(b.to_owned())),
            None => (rest, None),
        };
        let ok = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
        (ok(attr) && sub.as_deref().is_none_or(ok)).then(|| AttrPath { urn, attr: attr.to_owned(), sub })
    }

    /// The values this path designates in a resource (flattening multi-valued attributes).
    fn values<'v>(&self, resource: &'v Value, core: &str) -> Vec<&'v Value> {
        let scope = match &self.urn {
            Some(urn) if !urn.eq_ignore_ascii_case(core) => get_ci(resource, urn),
            _ => Some(resource),
        };
        let Some(v) = scope.and_then(|s| get_ci(s, &self.attr)) else { return vec![] };
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        items
            .into_iter()
            .filter_map(|item| match (&self.sub, item) {
                (Some(sub), _) => get_ci(item, sub),
                // A complex value compared as a whole is compared by its `value`.
                (None, Value::Object(_)) => get_ci(item, "value"),
                (None, _) => Some(item),
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(s: &str) -> Option<Vec<Token>> {
    let mut out = vec![];
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut raw = String::from('"');
                let mut escaped = false;
                loop {
                    let c = chars.next()?;
                    raw.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push(Token::Str(serde_json::from_str(&raw).ok()?));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '\n' | '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Option<Filter> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Filter> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Filter> {
        if self.peek_word("not") {
            self.at += 1;
            return Some(Filter::Not(Box::new(self.unary()?)));
        }
        match self.next()? {
            Token::Open => {
                let f = self.or()?;
                (self.next()? == Token::Close).then_some(f)
            }
            Token::Word(w) => self.comparison(&w),
            _ => None,
        }
    }

    fn comparison(&mut self, word: &str) -> Option<Filter> {
        let path = AttrPath::parse(word)?;
        if self.tokens.get(self.at) == Some(&Token::OpenBracket) {
            self.at += 1;
            let inner = self.or()?;
            (self.next()? == Token::CloseBracket).then_some(())?;
            return Some(Filter::ValuePath(path, Box::new(inner)));
        }
        let Token::Word(op) = self.next()? else { return None };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Some(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        };
        let value = match self.next()? {
            Token::Str(s) => Value::String(s),
            Token::Word(w) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                n => serde_json::from_str::<serde_json::Number>(n).ok().map(Value::Number)?,
            },
            _ => return None,
        };
        Some(Filter::Compare(path, op, value))
    }
}

/// Parses a filter; `None` if it is not valid SCIM filter syntax.
pub fn parse(s: &str) -> Option<Filter> {
    let mut p = Parser { tokens: tokens(s)?, at: 0 };
    let f = p.or()?;
    (p.at == p.tokens.len()).then_some(f)
}

fn compare(a: &Value, op: Op, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            let (x, y) = (x.to_lowercase(), y.to_lowercase());
            match op {
                Op::Eq => x == y,
                Op::Ne => x != y,
                Op::Co => x.contains(&y),
                Op::Sw => x.starts_with(&y),
                Op::Ew => x.ends_with(&y),
                Op::Gt => x > y,
                Op::Ge => x >= y,
                Op::Lt => x < y,
                Op::Le => x <= y,
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            match op {
                Op::Eq => x == y,
                Op::Ne => x != y,
                Op::Gt => x > y,
                Op::Ge => x >= y,
                Op::Lt => x < y,
                Op::Le => x <= y,
                _ => false,
            }
        }
        (x, y) => match op {
            Op::Eq => x == y,
            Op::Ne => x != y,
            _ => false,
        },
    }
}

/// Whether a resource (or an element of a multi-valued attribute) matches. `core` is the URN of
/// the resource's core schema, which a path may name.
pub fn matches(f: &Filter, v: &Value, core: &str) -> bool {
    match f {
        Filter::And(a, b) => matches(a, v, core) && matches(b, v, core),
        Filter::Or(a, b) => matches(a, v, core) || matches(b, v, core),
        Filter::Not(a) => !matches(a, v, core),
        Filter::Present(p) => p.values(v, core).iter().any(|x| !x.is_null() && *x != &Value::String(String::new())),
        Filter::Compare(p, Op::Ne, value) => !p.values(v, core).iter().any(|x| compare(x, Op::Eq, value)),
        Filter::Compare(p, op, value) => p.values(v, core).iter().any(|x| compare(x, *op, value)),
        Filter::ValuePath(p, inner) => {
            let whole = AttrPath { sub: None, ..p.clone() };
            let scope = match &whole.urn {
                Some(urn) if !urn.eq_ignore_ascii_case(core) => get_ci(v, urn),
                _ => Some(v),
            };
            match scope.and_then(|s| get_ci(s, &whole.attr)) {
                Some(Value::Array(items)) => items.iter().any(|i| matches(inner, i, core)),
                Some(one) => matches(inner, one, core),
                None => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn user() -> Value {
        json!({
            "userName": "Jean.Dupont",
            "name": {"givenName": "Jean", "familyName": "Dupont"},
            "emails": [{"value": "jean@ecole.fr", "type": "work"}, {"value": "jd@maison.fr", "type": "home"}],
            "active": true,
            "urn:preau:scim:schemas:2.0:EntUser": {"profiles": [{"structure": "0290009C", "profile": "ENS"}]}
        })
    }

    fn m(f: &str) -> bool {
        matches(&parse(f).unwrap_or_else(|| panic!("parse {f}")), &user(), CORE)
    }

    #[test]
    fn attribute_comparisons_are_case_insensitive() {
        assert!(m(r#"userName eq "jean.dupont""#));
        assert!(m(r#"UserName Eq "JEAN.DUPONT""#));
        assert!(!m(r#"userName eq "jean""#));
        assert!(m(r#"name.familyName sw "Dup""#));
        assert!(m(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName co "dupont""#));
    }

    #[test]
    fn multi_valued_and_logical_filters() {
        assert!(m(r#"emails co "maison""#));
        assert!(m(r#"emails[type eq "work" and value ew "ecole.fr"]"#));
        assert!(!m(r#"emails[type eq "work" and value ew "maison.fr"]"#));
        assert!(m(r#"active eq true and (userName eq "x" or name.givenName eq "jean")"#));
        assert!(m(r#"not (userName eq "x")"#));
        assert!(m("name.givenName pr"));
        assert!(!m("displayName pr"));
        assert!(m(r#"urn:preau:scim:schemas:2.0:EntUser:profiles.structure eq "0290009C""#));
    }

    #[test]
    fn bad_syntax_is_refused() {
        for f in [r#"userName eq"#, r#"userName zz "x""#, r#"(userName eq "x""#, r#"userName eq "x" junk"#, r#"emails[type eq "w""#] {
            assert!(parse(f).is_none(), "{f}");
        }
    }
}
