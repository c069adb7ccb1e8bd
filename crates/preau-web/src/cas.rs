//! The CAS 3.0 server (`/cas/…`): sign-in through the portal session (`renew`, `gateway`),
//! logout with single logout to the services of the session, and ticket validation in the
//! protocol's text (`/validate`) and XML (`/serviceValidate`, `/proxyValidate`, their `/p3/`
//! twins, `/proxy`) forms. What is released and to whom is decided in `preau-sso`; this module
//! only speaks the protocol. A service URL that no CAS connector registers gets an error page,
//! never a redirect.

use crate::auth::lang_of;
use crate::error::{PageError, message};
use crate::pages::ClientOrigin;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use preau_core::Error;
use preau_sso::cas::{Accept, CasFailure, Validated};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cas/login", get(login_page).post(login_submit))
        .route("/cas/logout", get(logout))
        .route("/cas/validate", get(validate))
        .route("/cas/serviceValidate", get(service_validate))
        .route("/cas/p3/serviceValidate", get(service_validate))
        .route("/cas/proxyValidate", get(proxy_validate))
        .route("/cas/p3/proxyValidate", get(proxy_validate))
        .route("/cas/proxy", get(proxy))
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    renew: String,
    #[serde(default)]
    gateway: String,
}

/// How recent a login must be to answer `renew=true` once its second factor is given.
const FRESH_LOGIN_SECS: i64 = 60;

/// Where a CAS sign-in resumes after the second factor.
fn resume(service: &str, renew: bool) -> String {
    format!("/cas/login?service={}{}", query_escape(service), if renew { "&renew=true" } else { "" })
}

fn flag(v: &str) -> bool {
    matches!(v, "true" | "1" | "yes")
}

/// `service` with the ticket appended as the last query parameter, before any fragment.
fn with_ticket(service: &str, ticket: &str) -> String {
    let (base, fragment) = service.split_once('#').map_or((service, None), |(b, f)| (b, Some(f)));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}ticket={ticket}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Escapes a value for a URL query.
pub fn query_escape(s: &str) -> String {
    preau_core::text::url_escape(s)
}

/// The charter page, remembering the service to go on to once it is accepted.
fn to_charter(service: &str) -> String {
    format!("/charter?service={}", query_escape(service))
}

/// Issues a ticket for the session's person and sends them back to the service.
async fn sign_in(state: &AppState, session: &preau_identity::Session, service: &str, renewed: bool, lang: crate::i18n::Lang) -> Response {
    let principal = match state.principal(session).await {
        Ok(p) => p,
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    match state.sso.cas_login(&principal, &session.digest.to_string(), service, renewed).await {
        Ok(ticket) => Redirect::to(&with_ticket(service, &ticket)).into_response(),
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = lang_of(&headers);
    let session = state.session_of(&headers).await;
    if q.service.is_empty() {
        return Redirect::to(if session.is_some() { "/portal" } else { "/" }).into_response();
    }
    let connector = match state.sso.cas_connector(state.config.territory, &q.service).await {
        Ok(c) => c,
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    let renew = flag(&q.renew);
    match session {
        Some(s) if s.mfa_pending => Redirect::to(&crate::pages::mfa::to_second_factor(&resume(&q.service, renew))).into_response(),
        Some(s) if s.charter_pending => Redirect::to(&to_charter(&q.service)).into_response(),
        Some(s) if !renew => sign_in(&state, &s, &q.service, false, lang).await,
        // `renew` after the second factor: the password and the code were given just now.
        Some(s) if state.clock.now() - s.created_at <= FRESH_LOGIN_SECS => sign_in(&state, &s, &q.service, true, lang).await,
        _ if flag(&q.gateway) && !renew => Redirect::to(&q.service).into_response(),
        _ => crate::pages::cas_login_page(&state, lang, String::new(), None, &q.service, &connector.name, renew),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    service: String,
    #[serde(default)]
    renew: String,
}

async fn login_submit(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<LoginForm>) -> Response {
    let lang = lang_of(&headers);
    let connector = match state.sso.cas_connector(state.config.territory, &f.service).await {
        Ok(c) => c,
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    let result = state.accounts.login(state.config.territory, &f.login, &f.password, &origin).await;
    state.metrics.login_result(&result);
    let opened = match result {
        Ok(o) => o,
        Err(e @ (Error::Overloaded(_) | Error::Internal(_))) => return PageError::new(e, lang).into_response(),
        Err(e) => {
            let mut r = crate::pages::cas_login_page(&state, lang, f.login, Some(message(&e, lang)), &f.service, &connector.name, flag(&f.renew));
            *r.status_mut() = crate::error::status_of(&e);
            return r;
        }
    };
    if opened.session.charter_pending || opened.session.mfa_pending {
        let to = if opened.session.mfa_pending { crate::pages::mfa::to_second_factor(&resume(&f.service, flag(&f.renew))) } else { to_charter(&f.service) };
        let mut r = crate::pages::opened(&state, opened).await;
        if let Ok(v) = header::HeaderValue::from_str(&to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    let mut r = sign_in(&state, &opened.session, &f.service, true, lang).await;
    let cookie = crate::auth::session_cookie(&opened.token, state.config.secure_cookies, state.accounts.sessions.policy.absolute_secs);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = lang_of(&headers);
    let mut clear = None;
    if let Some(s) = state.session_of(&headers).await {
        if let Err(e) = state.accounts.sessions.close(&*state.store, &s.digest).await {
            return PageError::new(e, lang).into_response();
        }
        clear = Some(crate::auth::clear_session_cookie(state.config.secure_cookies));
    }
    // Only to a registered service: never an open redirect.
    let back = !q.service.is_empty() && state.sso.cas_connector(state.config.territory, &q.service).await.is_ok();
    let mut r = if back { Redirect::to(&q.service).into_response() } else { crate::pages::landing_with_notice(&state, lang, lang.t("cas.logged_out")) };
    if let Some(c) = clear.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

#[derive(Deserialize)]
struct ValidateQuery {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    renew: String,
    #[serde(default, rename = "pgtUrl")]
    pgt_url: String,
    /// `JSON` for the protocol's JSON form; XML otherwise.
    #[serde(default)]
    format: String,
}

/// Escapes text for XML content and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn envelope(inner: &str) -> Response {
    xml_response(format!("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n{inner}</cas:serviceResponse>\n"))
}

fn failure(kind: &str, f: &CasFailure) -> Response {
    envelope(&format!("  <cas:{kind} code=\"{}\">{}</cas:{kind}>\n", f.code, xml(&f.message)))
}

fn success(v: &Validated, iou: Option<&str>) -> Response {
    let mut s = format!("  <cas:authenticationSuccess>\n    <cas:user>{}</cas:user>\n    <cas:attributes>\n", xml(&v.user));
    s.push_str(&format!("      <cas:isFromNewLogin>{}</cas:isFromNewLogin>\n", v.from_new_login));
    for (name, values) in &v.attributes {
        for value in values {
            s.push_str(&format!("      <cas:{name}>{}</cas:{name}>\n", xml(value)));
        }
    }
    s.push_str("    </cas:attributes>\n");
    if let Some(iou) = iou {
        s.push_str(&format!("    <cas:proxyGrantingTicket>{}</cas:proxyGrantingTicket>\n", xml(iou)));
    }
    if !v.proxies.is_empty() {
        s.push_str("    <cas:proxies>\n");
        for p in &v.proxies {
            s.push_str(&format!("      <cas:proxy>{}</cas:proxy>\n", xml(p)));
        }
        s.push_str("    </cas:proxies>\n");
    }
    s.push_str("  </cas:authenticationSuccess>\n");
    envelope(&s)
}

async fn validate(State(state): State<AppState>, Query(q): Query<ValidateQuery>) -> Response {
    let r = state.sso.cas_validate(state.config.territory, &q.ticket, &q.service, flag(&q.renew), Accept::ServiceTickets, None).await;
    let body = match r {
        Ok(v) => format!("yes\n{}\n", v.user),
        Err(_) => "no\n".to_owned(),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// Delivers a proxy-granting ticket to its callback (`pgtUrl?pgtIou=…&pgtId=…`); only a
/// callback that answers 200 gets its IOU into the validation response.
async fn deliver_pgt(state: &AppState, v: &Validated) -> Option<String> {
    let g = v.pgt.as_ref()?;
    let ok = state
        .http
        .get(&g.callback)
        .query(&[("pgtIou", g.iou.as_str()), ("pgtId", g.pgt.as_str())])
        .send()
        .await
        .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
    if ok {
        Some(g.iou.clone())
    } else {
        state.sso.cas_drop_pgt(&g.pgt);
        None
    }
}

/// The JSON form of a validation (CAS 3.0, `format=JSON`): multi-valued attributes are arrays.
fn json_response(result: Result<(&Validated, Option<&str>), &CasFailure>) -> Response {
    use serde_json::{Map, Value, json};
    let body = match result {
        Ok((v, iou)) => {
            let mut attributes = Map::new();
            attributes.insert("isFromNewLogin".into(), json!([v.from_new_login]));
            for (name, values) in &v.attributes {
                attributes.insert(name.clone(), json!(values));
            }
            let mut success = Map::new();
            success.insert("user".into(), json!(v.user));
            success.insert("attributes".into(), Value::Object(attributes));
            if let Some(iou) = iou {
                success.insert("proxyGrantingTicket".into(), json!(iou));
            }
            if !v.proxies.is_empty() {
                success.insert("proxies".into(), json!(v.proxies));
            }
            json!({"serviceResponse": {"authenticationSuccess": success}})
        }
        Err(f) => json!({"serviceResponse": {"authenticationFailure": {"code": f.code, "description": f.message}}}),
    };
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body.to_string()).into_response()
}

async fn validate_xml(state: &AppState, q: &ValidateQuery, accept: Accept) -> Response {
    let pgt_url = (!q.pgt_url.is_empty()).then_some(q.pgt_url.as_str());
    let json = q.format.eq_ignore_ascii_case("json");
    match state.sso.cas_validate(state.config.territory, &q.ticket, &q.service, flag(&q.renew), accept, pgt_url).await {
        Ok(v) => {
            let iou = deliver_pgt(state, &v).await;
            if json { json_response(Ok((&v, iou.as_deref()))) } else { success(&v, iou.as_deref()) }
        }
        Err(f) if json => json_response(Err(&f)),
        Err(f) => failure("authenticationFailure", &f),
    }
}

async fn service_validate(State(state): State<AppState>, Query(q): Query<ValidateQuery>) -> Response {
    validate_xml(&state, &q, Accept::ServiceTickets).await
}

async fn proxy_validate(State(state): State<AppState>, Query(q): Query<ValidateQuery>) -> Response {
    validate_xml(&state, &q, Accept::AnyTicket).await
}

#[derive(Deserialize)]
struct ProxyQuery {
    #[serde(default)]
    pgt: String,
    #[serde(default, rename = "targetService")]
    target_service: String,
}

async fn proxy(State(state): State<AppState>, Query(q): Query<ProxyQuery>) -> Response {
    match state.sso.cas_proxy(state.config.territory, &q.pgt, &q.target_service).await {
        Ok(pt) => envelope(&format!("  <cas:proxySuccess>\n    <cas:proxyTicket>{}</cas:proxyTicket>\n  </cas:proxySuccess>\n", xml(&pt))),
        Err(f) => failure("proxyFailure", &f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_goes_before_the_fragment() {
        assert_eq!(with_ticket("https://s.fr/app", "ST-1"), "https://s.fr/app?ticket=ST-1");
        assert_eq!(with_ticket("https://s.fr/app?x=1#top", "ST-1"), "https://s.fr/app?x=1&ticket=ST-1#top");
    }
}
