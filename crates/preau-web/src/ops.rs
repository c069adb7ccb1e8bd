//! Operations: `/healthz`, `/readyz`, `/metrics` (Prometheus text format), and the middleware
//! every request passes through — request id, structured log line, metrics, refusal of
//! cross-site writes, and uniform error bodies for malformed requests.

use crate::auth::lang_of;
use crate::error::{error_page, problem};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS: [f64; 11] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, u16), u64>>,
    buckets: [AtomicU64; 11],
    count: AtomicU64,
    sum_micros: AtomicU64,
    logins: Mutex<HashMap<&'static str, u64>>,
    next_id: AtomicU64,
}

impl Metrics {
    fn observe(&self, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_owned(), status)).or_default() += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// Counts the outcome of a login attempt, whichever page or API made it.
    pub fn login_result<T>(&self, result: &preau_core::Result<T>) {
        use preau_core::Error;
        self.login(match result {
            Ok(_) => "success",
            Err(Error::Unauthenticated("login.blocked")) => "blocked",
            Err(Error::TooManyAttempts(_)) => "throttled",
            Err(Error::Overloaded(_)) => "overloaded",
            Err(Error::Internal(_)) => "error",
            Err(_) => "failure",
        });
    }

    /// Counts a login outcome (`success`, `failure`, `throttled`, `overloaded`, `blocked`).
    fn login(&self, outcome: &'static str) {
        if let Ok(mut m) = self.logins.lock() {
            *m.entry(outcome).or_default() += 1;
        }
    }

    fn render(&self, hash_queue: usize, sessions: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP preau_http_requests_total HTTP requests by route and status.\n# TYPE preau_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((route, status), n) in rows {
                let _ = writeln!(out, "preau_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP preau_http_request_duration_seconds Request latency.\n# TYPE preau_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "preau_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}", self.buckets[i].load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "preau_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "preau_http_request_duration_seconds_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "preau_http_request_duration_seconds_count {count}");
        out.push_str("# HELP preau_logins_total Login attempts by outcome.\n# TYPE preau_logins_total counter\n");
        if let Ok(m) = self.logins.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for (outcome, n) in rows {
                let _ = writeln!(out, "preau_logins_total{{outcome=\"{outcome}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP preau_hash_queue_depth Password hashes waiting for a worker.\n# TYPE preau_hash_queue_depth gauge\npreau_hash_queue_depth {hash_queue}"
        );
        let _ = writeln!(out, "# HELP preau_sessions Live sessions held in memory.\n# TYPE preau_sessions gauge\npreau_sessions {sessions}");
        out
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.ping().await { "ready".into_response() } else { (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response() }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.accounts.hasher.queue_depth(), state.accounts.sessions.count());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Browsers say where a request comes from; a write from another site is refused.
fn cross_site(req: &Request) -> bool {
    let h = req.headers();
    if h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => origin != "null" && origin.split("://").nth(1) != Some(host),
        (Some("null"), None) => true,
        _ => false,
    }
}

pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = format!("{:016x}", state.metrics.next_id.fetch_add(1, Ordering::Relaxed) ^ 0x5eed_0000_0000);
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let lang = lang_of(req.headers());
    let mut response = if is_write(&method)
        && cross_site(&req)
        && !crate::oidc::cookieless(&path)
        && !crate::saml::cross_site_allowed(&path)
        && path != "/federation/saml/acs"
    {
        if api {
            problem(StatusCode::FORBIDDEN, "forbidden", "cross-site request refused", json!({}))
        } else {
            error_page(StatusCode::FORBIDDEN, lang, lang.t("error.csrf"))
        }
    } else {
        next.run(req).await
    };
    // WebDAV and CalDAV clients read their protocol's own answers.
    if !(path == "/dav" || path.starts_with("/dav/") || path == "/caldav" || path.starts_with("/caldav/")) {
        response = uniform_rejection(response, api, lang).await;
    }
    let status = response.status().as_u16();
    let elapsed = start.elapsed().as_secs_f64();
    state.metrics.observe(&route, status, elapsed);
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    secure_headers(response.headers_mut());
    tracing::info!(request_id = %id, %method, path = %logged_path(&route, &path), status, ms = elapsed * 1e3, "request");
    response
}

/// What the request log says of a path: a route whose path carries a secret (`{token}`:
/// public links, calendar feeds) is logged by its pattern, since secrets are never written down.
fn logged_path<'a>(route: &'a str, path: &'a str) -> &'a str {
    if route.contains("{token}") { route } else { path }
}

fn secure_headers(h: &mut axum::http::HeaderMap) {
    h.entry("x-content-type-options").or_insert(HeaderValue::from_static("nosniff"));
    h.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    h.entry("referrer-policy").or_insert(HeaderValue::from_static("same-origin"));
    h.entry("content-security-policy").or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ));
}

/// Axum answers malformed bodies, unknown routes and oversized requests in plain text; turn
/// those into problem+json for the API and a French/English page for browsers.
async fn uniform_rejection(response: Response, api: bool, lang: crate::i18n::Lang) -> Response {
    let status = response.status();
    let plain = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() && plain) {
        return response;
    }
    let detail = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::METHOD_NOT_ALLOWED => "bad-request",
        _ => "bad-request",
    };
    if api {
        problem(status, code, &detail, json!({}))
    } else {
        let mut r = error_page(status, lang, lang.t(&format!("error.{code}")));
        *r.status_mut() = status;
        r
    }
}

/// An empty body, for handlers that only set headers.
pub fn empty() -> Body {
    Body::empty()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_tokens_in_paths_are_not_logged() {
        assert_eq!(super::logged_path("/ics/{token}", "/ics/s3cr3t"), "/ics/{token}");
        assert_eq!(super::logged_path("/p/{token}/files/{id}", "/p/s3cr3t/files/42"), "/p/{token}/files/{id}");
        assert_eq!(super::logged_path("/documents/nodes/{id}", "/documents/nodes/42"), "/documents/nodes/42");
    }
}
