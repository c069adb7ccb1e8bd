//! The one error type of the domains. Each kind has a stable code; the web crate maps kinds to
//! HTTP statuses in a single place and never shows internal details to users.

use serde::Serialize;

/// A problem with one field of an input, reported to the user next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// A stable message key, translated by the web crate (e.g. `uai.invalid`).
    pub code: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was wrong; nothing was changed.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The caller is not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// No caller, or bad credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("not found")]
    NotFound,
    /// The operation conflicts with existing data (duplicate login, UAI already used…).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Too many attempts: try again after this many seconds.
    #[error("too many attempts, retry after {0}s")]
    TooManyAttempts(u64),
    /// The server is saturated: try again after this many seconds.
    #[error("overloaded, retry after {0}s")]
    Overloaded(u64),
    /// A failure of the infrastructure (database, disk, mail); logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &str, code: &str) -> Self {
        Error::Invalid(vec![FieldError::new(field, code)])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }

    /// The stable machine-readable code of this error, used in problem+json `type`s.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid-input",
            Error::Forbidden => "forbidden",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::NotFound => "not-found",
            Error::Conflict(_) => "conflict",
            Error::TooManyAttempts(_) => "too-many-attempts",
            Error::Overloaded(_) => "overloaded",
            Error::Internal(_) => "internal",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors so that a form reports all its problems at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, code: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError::new(field, code));
        }
        self
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Invalid(self.0)) }
    }
}
