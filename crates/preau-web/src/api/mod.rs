//! The JSON API under `/api/v1`: the same domain operations and the same authorization as the
//! pages, authenticated by API key or session cookie (writes with a cookie carry
//! `X-CSRF-Token`). Errors are `application/problem+json`.

mod openapi;

use crate::auth::{ApiCaller, session_cookie};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use preau_core::{AssignmentId, Error, GroupId, PersonId, Profile, Role, Scope, ServiceId, StructureId};
use preau_directory::Grantee;
use preau_directory::groups::GroupInput;
use preau_directory::people::PersonInput;
use preau_directory::services::ServiceInput;
use preau_directory::structures::StructureInput;
use serde::Deserialize;
use serde_json::{Value, json};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/session/mfa", post(second_factor))
        .route("/api/v1/mfa-policy", get(get_mfa_policy).put(put_mfa_policy))
        .route("/api/v1/people/{id}/mfa", axum::routing::delete(reset_mfa))
        .route("/api/v1/me", get(me))
        .route("/api/v1/structures", get(list_structures).post(create_structure))
        .route("/api/v1/structures/{id}", get(get_structure).put(update_structure))
        .route("/api/v1/structures/{id}/people", get(list_people))
        .route("/api/v1/structures/{id}/groups", get(list_groups))
        .route("/api/v1/structures/{id}/bouquet/{profile}", get(get_bouquet).put(put_bouquet))
        .route("/api/v1/people", post(create_person))
        .route("/api/v1/people/{id}", get(get_person))
        .route("/api/v1/people/{id}/block", post(block).delete(unblock))
        .route("/api/v1/people/{id}/activation-code", post(activation_code))
        .route("/api/v1/groups", post(create_group))
        .route("/api/v1/groups/{id}/members", post(add_member))
        .route("/api/v1/services", get(list_services).post(create_service))
        .route("/api/v1/services/{id}", axum::routing::put(update_service))
        .route("/api/v1/connectors", get(list_connectors).post(create_connector))
        .route("/api/v1/connectors/{id}", get(get_connector).put(update_connector))
        .route("/api/v1/connectors/{id}/secret", post(renew_client_secret))
        .route("/api/v1/launches", get(launches))
        .route("/api/v1/roles", get(list_roles).post(grant_role))
        .route("/api/v1/roles/{id}", axum::routing::delete(revoke_role))
        .route("/api/v1/audit", get(audit))
}

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

fn created(v: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

async fn login(State(state): State<AppState>, crate::pages::ClientOrigin(origin): crate::pages::ClientOrigin, Json(b): Json<LoginBody>) -> ApiResult {
    let o = state.accounts.login(state.config.territory, &b.login, &b.password, &origin).await;
    state.metrics.login_result(&o);
    let o = o?;
    let cookie = session_cookie(&o.token, state.config.secure_cookies, state.accounts.sessions.policy.absolute_secs);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({ "csrf": o.session.csrf.to_string(), "charter_pending": o.session.charter_pending, "mfa_pending": o.session.mfa_pending })),
    )
        .into_response())
}

/// The session of the cookie, whatever it still waits for, with the CSRF header checked.
async fn own_session(state: &AppState, headers: &axum::http::HeaderMap) -> Result<preau_identity::Session, Error> {
    let s = state.session_of(headers).await.ok_or(Error::Unauthenticated("login.required"))?;
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !s.csrf.matches(token) {
        return Err(Error::Forbidden);
    }
    Ok(s)
}

async fn logout(State(state): State<AppState>, headers: axum::http::HeaderMap) -> ApiResult {
    let s = own_session(&state, &headers).await?;
    state.accounts.sessions.close(&*state.store, &s.digest).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct SecondFactor {
    code: String,
    #[serde(default)]
    remember: bool,
}

/// The second factor of a session opened by `POST /api/v1/session` with `mfa_pending`.
async fn second_factor(State(state): State<AppState>, headers: axum::http::HeaderMap, Json(b): Json<SecondFactor>) -> ApiResult {
    let s = own_session(&state, &headers).await?;
    let passed = state.accounts.verify_second_factor(&s, &b.code, b.remember, "API").await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Some(v) = passed.device.and_then(|t| {
        axum::http::HeaderValue::from_str(&format!(
            "{}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            crate::pages::mfa::DEVICE_COOKIE,
            preau_identity::mfa::DEVICE_SECS
        ))
        .ok()
    }) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize, serde::Serialize)]
struct MfaPolicy {
    /// Profile codes whose members must use a second factor (administrators always must).
    profiles: Vec<String>,
}

async fn get_mfa_policy(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    let profiles = state.accounts.mfa_policy(&c.principal).await?;
    ok(MfaPolicy { profiles: profiles.iter().map(|p| p.code().to_owned()).collect() })
}

async fn put_mfa_policy(State(state): State<AppState>, c: ApiCaller, Json(b): Json<MfaPolicy>) -> ApiResult {
    let mut profiles = vec![];
    for code in &b.profiles {
        profiles.push(code.parse::<preau_core::Profile>().map_err(|_| Error::invalid("profiles", "profile.unknown"))?);
    }
    state.accounts.set_mfa_policy(&c.principal, &profiles).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes a person's second factor (a lost phone); they enrol again at their next login.
async fn reset_mfa(State(state): State<AppState>, c: ApiCaller, Path(id): Path<PersonId>) -> ApiResult {
    state.accounts.reset_mfa(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    let acting = c.session.as_ref().and_then(|s| s.acting);
    let view = state.portal(&c.principal, acting).await?;
    ok(json!({ "portal": &*view, "csrf": c.session.map(|s| s.csrf.to_string()) }))
}

async fn list_structures(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(state.directory.administered_structures(&c.principal).await?)
}

async fn create_structure(State(state): State<AppState>, c: ApiCaller, Json(b): Json<StructureInput>) -> ApiResult {
    created(state.directory.create_structure(&c.principal, &b).await?)
}

async fn get_structure(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    let list = state.directory.administered_structures(&c.principal).await?;
    ok(list.into_iter().find(|s| s.id == id).ok_or(Error::NotFound)?)
}

async fn update_structure(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Json(b): Json<StructureInput>) -> ApiResult {
    ok(state.directory.update_structure(&c.principal, id, &b).await?)
}

#[derive(Deserialize)]
struct PeopleQuery {
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    q: String,
}

async fn list_people(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Query(q): Query<PeopleQuery>) -> ApiResult {
    let profile = q.profile.as_deref().filter(|p| !p.is_empty()).map(str::parse::<Profile>).transpose()?;
    let people = state.directory.people_of(&c.principal, id, profile, &q.q).await?;
    ok(people.into_iter().map(|(p, prof)| json!({ "person": p, "profile": prof.code() })).collect::<Vec<Value>>())
}

async fn list_groups(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    ok(state.directory.groups_of_structure(&c.principal, id).await?)
}

async fn get_bouquet(State(state): State<AppState>, c: ApiCaller, Path((id, profile)): Path<(StructureId, String)>) -> ApiResult {
    ok(state.directory.bouquet_for_admin(&c.principal, id, profile.parse()?).await?)
}

#[derive(Deserialize)]
struct BouquetBody {
    services: Vec<ServiceId>,
}

async fn put_bouquet(State(state): State<AppState>, c: ApiCaller, Path((id, profile)): Path<(StructureId, String)>, Json(b): Json<BouquetBody>) -> ApiResult {
    let profile: Profile = profile.parse()?;
    state.sso.set_bouquet(&c.principal, id, profile, &b.services).await?;
    ok(state.directory.bouquet_for_admin(&c.principal, id, profile).await?)
}

async fn create_person(State(state): State<AppState>, c: ApiCaller, Json(b): Json<PersonInput>) -> ApiResult {
    let p = state.directory.create_person(&c.principal, &b).await?;
    let code = state.accounts.issue_code(&c.principal, p.id).await?;
    created(json!({ "person": p, "activation_code": code }))
}

async fn get_person(State(state): State<AppState>, c: ApiCaller, Path(id): Path<PersonId>) -> ApiResult {
    let (p, ms) = state.directory.managed_person(&c.principal, id).await?;
    let cred = preau_identity::IdentityStore::credential(&*state.store, id).await?;
    let memberships: Vec<Value> = ms.iter().map(|m| json!({ "structure": m.structure, "profile": m.profile.code() })).collect();
    ok(json!({ "person": p, "memberships": memberships, "blocked": cred.blocked, "activated": cred.password_hash.is_some() }))
}

async fn block(State(state): State<AppState>, c: ApiCaller, Path(id): Path<PersonId>) -> ApiResult {
    state.accounts.set_blocked(&c.principal, id, true).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn unblock(State(state): State<AppState>, c: ApiCaller, Path(id): Path<PersonId>) -> ApiResult {
    state.accounts.set_blocked(&c.principal, id, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn activation_code(State(state): State<AppState>, c: ApiCaller, Path(id): Path<PersonId>) -> ApiResult {
    created(json!({ "activation_code": state.accounts.issue_code(&c.principal, id).await? }))
}

async fn create_group(State(state): State<AppState>, c: ApiCaller, Json(b): Json<GroupInput>) -> ApiResult {
    created(state.directory.create_group(&c.principal, &b).await?)
}

#[derive(Deserialize)]
struct MemberBody {
    person: PersonId,
}

async fn add_member(State(state): State<AppState>, c: ApiCaller, Path(id): Path<GroupId>, Json(b): Json<MemberBody>) -> ApiResult {
    state.directory.add_group_member(&c.principal, id, b.person).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_services(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(state.directory.catalogue(&c.principal).await?)
}

async fn create_service(State(state): State<AppState>, c: ApiCaller, Json(b): Json<ServiceInput>) -> ApiResult {
    created(state.directory.create_service(&c.principal, &b).await?)
}

async fn update_service(State(state): State<AppState>, c: ApiCaller, Path(id): Path<ServiceId>, Json(b): Json<ServiceInput>) -> ApiResult {
    ok(state.directory.update_service(&c.principal, id, &b).await?)
}

async fn list_connectors(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(state.sso.connectors(&c.principal).await?)
}

async fn create_connector(State(state): State<AppState>, c: ApiCaller, Json(b): Json<preau_sso::ConnectorInput>) -> ApiResult {
    created(state.sso.create_connector(&c.principal, &b).await?)
}

async fn get_connector(State(state): State<AppState>, c: ApiCaller, Path(id): Path<ServiceId>) -> ApiResult {
    ok(state.sso.connector(&c.principal, id).await?)
}

async fn update_connector(State(state): State<AppState>, c: ApiCaller, Path(id): Path<ServiceId>, Json(b): Json<preau_sso::ConnectorInput>) -> ApiResult {
    ok(state.sso.update_connector(&c.principal, id, &b).await?)
}

/// A new secret for a confidential OpenID Connect client, returned once.
async fn renew_client_secret(State(state): State<AppState>, c: ApiCaller, Path(id): Path<ServiceId>) -> ApiResult {
    ok(state.sso.renew_client_secret(&c.principal, id).await?)
}

#[derive(Deserialize)]
struct Period {
    from: String,
    to: String,
}

/// Launch counts per day, connector, structure and profile (counts not yet written are
/// written first).
async fn launches(State(state): State<AppState>, c: ApiCaller, Query(p): Query<Period>) -> ApiResult {
    state.sso.flush_launches().await?;
    let rows = state.sso.launch_report(&c.principal, &p.from, &p.to).await?;
    let out: Vec<Value> = rows
        .into_iter()
        .map(
            |((day, service, structure, profile), n)| json!({"day": day, "service": service, "structure": structure, "profile": profile.code(), "launches": n}),
        )
        .collect();
    ok(out)
}

async fn list_roles(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(state.directory.visible_assignments(&c.principal).await?)
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
    person: PersonId,
    /// A structure id, or absent for the whole territory.
    #[serde(default)]
    structure: Option<StructureId>,
}

async fn grant_role(State(state): State<AppState>, c: ApiCaller, Json(b): Json<RoleBody>) -> ApiResult {
    let role: Role = b.role.parse()?;
    let scope = b.structure.map(Scope::Structure).unwrap_or(Scope::Territory);
    created(state.directory.grant_role(&c.principal, role, Grantee::Person(b.person), scope).await?)
}

async fn revoke_role(State(state): State<AppState>, c: ApiCaller, Path(id): Path<AssignmentId>) -> ApiResult {
    state.directory.revoke_role(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<i64>,
}

async fn audit(State(state): State<AppState>, c: ApiCaller, Query(q): Query<AuditQuery>) -> ApiResult {
    ok(state.directory.audit_log(&c.principal, q.limit.unwrap_or(100).clamp(1, 1000)).await?)
}
