//! The UAI (*unité administrative immatriculée*), the national identifier of a school:
//! seven digits and a check letter computed from them.

use serde::{Serialize, Serializer};
use std::fmt;

/// The 23 letters used as UAI check keys (I, O and Q are left out).
const KEYS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

impl Uai {
    /// Parses a UAI, accepting lower case and surrounding spaces, and checks its key letter.
    pub fn parse(input: &str) -> crate::Result<Uai> {
        let s = input.trim().to_ascii_uppercase();
        let bytes = s.as_bytes();
        if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) {
            return Err(crate::Error::invalid("uai", "uai.format"));
        }
        if bytes[7] != Self::key_for(&s[..7]) {
            return Err(crate::Error::invalid("uai", "uai.key"));
        }
        Ok(Uai(s))
    }

    /// The check letter of seven digits.
    pub fn key_for(digits: &str) -> u8 {
        let n: u64 = digits.bytes().fold(0, |acc, d| acc * 10 + u64::from(d - b'0'));
        KEYS[(n % 23) as usize]
    }

    /// Builds a valid UAI from seven digits (used by the demo generator).
    pub fn from_digits(digits: u32) -> Uai {
        let d = format!("{:07}", digits % 10_000_000);
        let key = Self::key_for(&d) as char;
        Uai(format!("{d}{key}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Uai {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_uais_are_accepted() {
        assert!(Uai::parse("0290009C").is_ok());
        assert!(Uai::parse(" 0750654d ").is_ok());
    }

    #[test]
    fn wrong_key_or_format_is_refused() {
        assert!(Uai::parse("0290009D").is_err());
        assert!(Uai::parse("029000C").is_err());
        assert!(Uai::parse("A290009C").is_err());
    }

    #[test]
    fn generated_uais_are_valid() {
        for n in [1, 750654, 9_999_999] {
            let u = Uai::from_digits(n);
            assert_eq!(Uai::parse(u.as_str()).ok(), Some(u));
        }
    }
}
