//! Random secrets and their digests. Secrets go to the user once; only digests are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use preau_core::Random;
use preau_core::ports::random_string;
use sha2::{Digest, Sha256};

/// Letters and digits that cannot be confused when read from paper (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A 256-bit URL-safe token (session ids, reset links, API keys).
pub fn token(rng: &dyn Random) -> String {
    let mut b = [0u8; 32];
    rng.fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// An activation code as printed on a letter: `XXXX-XXXX-XXXX` (60 bits).
pub fn activation_code(rng: &dyn Random) -> String {
    let raw = random_string(rng, CODE_ALPHABET, 12);
    format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
}

/// Normalises a typed activation code: upper case, no spaces or dashes.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(d)
}
