//! Accounts and login: argon2id passwords hashed on a bounded pool, activation codes, the
//! versioned charter, forgotten-password links, server-side sessions, brute-force throttling,
//! account blocking and API keys.
//!
//! Operations receive the caller and check authorization themselves; secrets (session ids,
//! codes, tokens, API keys) are stored only as SHA-256 digests.

pub mod accounts;
pub mod api_keys;
pub mod app_passwords;
pub mod federation;
pub mod hashing;
pub mod mail;
pub mod mfa;
pub mod secrets;
pub mod sessions;
pub mod store;
pub mod throttle;

pub use accounts::Accounts;
pub use hashing::PasswordHasher;
pub use sessions::{Session, SessionManager};
pub use store::IdentityStore;
