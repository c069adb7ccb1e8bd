//! The one mapping from domain errors to HTTP: a status per kind, an HTML page for the browser,
//! `application/problem+json` (RFC 9457) for the API. Internal details are logged, never shown.

use crate::i18n::Lang;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use preau_core::Error;
use serde_json::json;

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn retry_after(e: &Error) -> Option<u64> {
    match e {
        Error::TooManyAttempts(s) | Error::Overloaded(s) => Some(*s),
        _ => None,
    }
}

/// The message a user reads for an error, in their language.
pub fn message(e: &Error, lang: Lang) -> String {
    match e {
        Error::Unauthenticated(code) | Error::Conflict(code) if lang.t(code) != *code => lang.t(code),
        Error::Invalid(fields) => fields.iter().map(|f| lang.t(&f.code)).collect::<Vec<_>>().join(" "),
        other => lang.t(&format!("error.{}", other.code())),
    }
}

fn log(e: &Error) {
    if let Error::Internal(detail) = e {
        tracing::error!(error = %detail, "internal error");
    }
}

/// An error answered to the JSON API.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub fn problem(status: StatusCode, code: &str, detail: &str, extra: serde_json::Value) -> Response {
    let mut body = json!({
        "type": format!("https://preau.fr/problems/{code}"),
        "title": Lang::En.t(&format!("error.{code}")),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(x.clone());
    }
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log(&self.0);
        let status = status_of(&self.0);
        let extra = match &self.0 {
            Error::Invalid(fields) => {
                json!({ "errors": fields.iter().map(|f| json!({"field": f.field, "code": f.code, "message": Lang::En.t(&f.code)})).collect::<Vec<_>>() })
            }
            _ => json!({}),
        };
        let mut r = problem(status, self.0.code(), &message(&self.0, Lang::En), extra);
        if let Some(s) = retry_after(&self.0) {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: crate::i18n::Tr,
    title: String,
    message: String,
    user: Option<String>,
    csrf: String,
}

/// An error answered to a browser.
#[derive(Debug)]
pub struct PageError {
    pub error: Error,
    pub lang: Lang,
}

impl PageError {
    pub fn new(error: Error, lang: Lang) -> Self {
        Self { error, lang }
    }
}

pub fn error_page(status: StatusCode, lang: Lang, message: String) -> Response {
    let page = ErrorPage { tr: crate::i18n::Tr(lang), title: lang.t("error.title"), message, user: None, csrf: String::new() };
    let html = page.render().unwrap_or_else(|_| "error".to_owned());
    (status, axum::response::Html(html)).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        log(&self.error);
        if matches!(self.error, Error::Unauthenticated(_)) {
            return axum::response::Redirect::to("/").into_response();
        }
        let mut r = error_page(status_of(&self.error), self.lang, message(&self.error, self.lang));
        if let Some(s) = retry_after(&self.error) {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

/// An error answered to a SCIM client (RFC 7644 §3.12): the same statuses as the API, but
/// invalid input is `400` with a `scimType`, and the body is a SCIM `Error` message.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<&'static str>, detail: String) -> Self {
        ScimError { status, scim_type, detail }
    }

    pub fn bad(scim_type: &'static str, detail: String) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        log(&e);
        let detail = message(&e, Lang::Fr);
        match &e {
            Error::Invalid(_) => ScimError::bad("invalidValue", detail),
            Error::Conflict(_) => ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), detail),
            other => ScimError::new(status_of(other), None, detail),
        }
    }
}

impl From<crate::scim::resource::BadValue> for ScimError {
    fn from(e: crate::scim::resource::BadValue) -> Self {
        ScimError::bad("invalidValue", e.0)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/scim+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\""));
        }
        r
    }
}
