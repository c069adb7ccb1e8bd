//! The SCIM 2.0 server under `/scim/v2` (RFC 7644): discovery, Users and Groups with filters,
//! pagination, attribute projection, PATCH and ETags, authenticated by the bearer token of a
//! provisioning source. Handlers only translate JSON; the source's rights are checked by the
//! domain operations of `preau_feeds::scim`.

pub mod filter;
pub mod patch;
pub mod resource;
pub mod schema;

use crate::error::ScimError;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use preau_core::{Error, GroupId, PersonId};
use preau_feeds::scim::ScimSource;
use resource::{GROUP, Projection, USER};
use serde::Deserialize;
use serde_json::{Value, json};

/// Most resources returned by one list or search.
pub const MAX_RESULTS: usize = 1000;
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

type ScimResult = Result<Response, ScimError>;

pub fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config).fallback(method_not_allowed))
        .route("/ResourceTypes", get(resource_types).fallback(method_not_allowed))
        .route("/ResourceTypes/{id}", get(resource_type).fallback(method_not_allowed))
        .route("/Schemas", get(schemas).fallback(method_not_allowed))
        .route("/Schemas/{id}", get(schema_by_id).fallback(method_not_allowed))
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/.search", post(search_users))
        .route("/Users/{id}", get(get_user).put(put_user).patch(patch_user).delete(delete_user))
        .route("/Groups", get(list_groups).post(create_group))
        .route("/Groups/.search", post(search_groups))
        .route("/Groups/{id}", get(get_group).put(put_group).patch(patch_group).delete(delete_group))
        .route("/.search", post(search_all))
        .route("/Me", any(not_implemented))
        .route("/Bulk", any(not_implemented))
        .fallback(not_found);
    Router::new().nest("/scim/v2", api)
}

/// The provisioning source of the request's bearer token.
pub struct Source(pub ScimSource);

impl FromRequestParts<AppState> for Source {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        Ok(Source(state.scim.authenticate(token.trim()).await?))
    }
}

fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.accounts.base_url.trim_end_matches('/'))
}

fn reply(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/scim+json"));
    if let Some(version) = v["meta"]["version"].as_str().and_then(|s| HeaderValue::from_str(s).ok()) {
        r.headers_mut().insert(header::ETAG, version);
    }
    if status == StatusCode::CREATED
        && let Some(location) = v["meta"]["location"].as_str().and_then(|s| HeaderValue::from_str(s).ok())
    {
        r.headers_mut().insert(header::LOCATION, location);
    }
    r
}

fn body_json(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| ScimError::bad("invalidSyntax", format!("JSON invalide : {e}")))
}

/// Refuses a write whose `If-Match` names another version than the current one.
fn precondition(headers: &HeaderMap, current: &Value) -> Result<(), ScimError> {
    let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let version = current["meta"]["version"].as_str().unwrap_or("");
    let strip = |s: &str| s.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    if wanted.trim() == "*" || wanted.split(',').any(|w| strip(w) == strip(version)) {
        Ok(())
    } else {
        Err(ScimError::new(StatusCode::PRECONDITION_FAILED, None, "la ressource a changé depuis sa lecture (If-Match)".into()))
    }
}

/// A GET answered with 304 when the client already holds this version.
fn single(headers: &HeaderMap, v: Value, projection: &Projection, core: &str) -> ScimResult {
    let version = v["meta"]["version"].as_str().unwrap_or("").to_owned();
    if headers.get(header::IF_NONE_MATCH).and_then(|h| h.to_str().ok()).is_some_and(|h| h.split(',').any(|x| x.trim() == version)) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(reply(StatusCode::OK, &projection.apply(v, core)))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

impl ListQuery {
    fn projection(&self) -> Projection {
        Projection::new(self.attributes.as_deref(), self.excluded_attributes.as_deref())
    }

    /// The parameters of a `POST …/.search` body.
    fn from_search(body: &Value) -> ListQuery {
        let s = |k: &str| resource::get_ci(body, k).and_then(Value::as_str).map(str::to_owned);
        let list = |k: &str| match resource::get_ci(body, k) {
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let n = |k: &str| resource::get_ci(body, k).and_then(Value::as_i64);
        ListQuery {
            filter: s("filter"),
            start_index: n("startIndex"),
            count: n("count"),
            attributes: list("attributes"),
            excluded_attributes: list("excludedAttributes"),
        }
    }
}

/// Filters, pages and projects resources (each with the URN of its core schema).
fn list_response(resources: Vec<(Value, &str)>, q: &ListQuery) -> ScimResult {
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Some(filter::parse(f).ok_or_else(|| ScimError::bad("invalidFilter", format!("filtre invalide : {f}")))?),
        None => None,
    };
    let matching: Vec<(Value, &str)> = resources.into_iter().filter(|(v, core)| filter.as_ref().is_none_or(|f| filter::matches(f, v, core))).collect();
    let total = matching.len();
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(MAX_RESULTS as i64).clamp(0, MAX_RESULTS as i64);
    let projection = q.projection();
    let page: Vec<Value> = matching.into_iter().skip((start - 1) as usize).take(count as usize).map(|(v, core)| projection.apply(v, core)).collect();
    let body = json!({"schemas": [LIST], "totalResults": total, "startIndex": start, "itemsPerPage": page.len(), "Resources": page});
    Ok(reply(StatusCode::OK, &body))
}

// ----- Discovery -----

async fn service_provider_config(State(state): State<AppState>, _s: Source) -> ScimResult {
    Ok(reply(StatusCode::OK, &schema::service_provider_config(&base(&state))))
}

async fn resource_types(State(state): State<AppState>, _s: Source) -> ScimResult {
    list_response(schema::resource_types(&base(&state)).into_iter().map(|v| (v, "")).collect(), &ListQuery::default())
}

async fn resource_type(State(state): State<AppState>, _s: Source, Path(id): Path<String>) -> ScimResult {
    let found = schema::resource_types(&base(&state)).into_iter().find(|r| r["id"] == id.as_str()).ok_or(Error::NotFound)?;
    Ok(reply(StatusCode::OK, &found))
}

async fn source_schemas(state: &AppState, src: &ScimSource) -> Result<Vec<Value>, ScimError> {
    let uais: Vec<String> = state.scim.scope(src).await?.into_iter().map(|(_, u)| u).collect();
    Ok(schema::schemas(&base(state), &uais))
}

async fn schemas(State(state): State<AppState>, Source(src): Source) -> ScimResult {
    list_response(source_schemas(&state, &src).await?.into_iter().map(|v| (v, "")).collect(), &ListQuery::default())
}

async fn schema_by_id(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>) -> ScimResult {
    let found =
        source_schemas(&state, &src).await?.into_iter().find(|s| s["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&id))).ok_or(Error::NotFound)?;
    Ok(reply(StatusCode::OK, &found))
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "méthode non prise en charge sur cette ressource".into())
}

async fn not_implemented() -> ScimError {
    ScimError::new(StatusCode::NOT_IMPLEMENTED, None, "non pris en charge par ce serveur".into())
}

async fn not_found() -> ScimError {
    ScimError::from(Error::NotFound)
}

// ----- Users -----

fn person_id(id: &str) -> Result<PersonId, ScimError> {
    id.parse().map_err(|_| ScimError::from(Error::NotFound))
}

async fn user_value(state: &AppState, src: &ScimSource, id: PersonId) -> Result<Value, ScimError> {
    Ok(resource::user_json(&state.scim.user(src, id).await?, &base(state)))
}

async fn all_users(state: &AppState, src: &ScimSource) -> Result<Vec<(Value, &'static str)>, ScimError> {
    let b = base(state);
    Ok(state.scim.users(src).await?.iter().map(|u| (resource::user_json(u, &b), USER)).collect())
}

async fn list_users(State(state): State<AppState>, Source(src): Source, Query(q): Query<ListQuery>) -> ScimResult {
    list_response(all_users(&state, &src).await?, &q)
}

async fn search_users(State(state): State<AppState>, Source(src): Source, body: Bytes) -> ScimResult {
    list_response(all_users(&state, &src).await?, &ListQuery::from_search(&body_json(&body)?))
}

async fn get_user(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, Query(q): Query<ListQuery>, headers: HeaderMap) -> ScimResult {
    single(&headers, user_value(&state, &src, person_id(&id)?).await?, &q.projection(), USER)
}

async fn create_user(State(state): State<AppState>, Source(src): Source, body: Bytes) -> ScimResult {
    let data = resource::user_data(&body_json(&body)?)?;
    let user = state.scim.create_user(&src, data).await?;
    Ok(reply(StatusCode::CREATED, &resource::user_json(&user, &base(&state))))
}

/// Writes a user's new state; a user made inactive loses their open sessions at once.
async fn write_user(state: &AppState, src: &ScimSource, id: PersonId, new: &Value) -> ScimResult {
    let data = resource::user_data(new)?;
    let user = state.scim.replace_user(src, id, data).await?;
    if user.data.active == Some(false) {
        state.accounts.sessions.close_all_of(&*state.store, id, None).await?;
    }
    Ok(reply(StatusCode::OK, &resource::user_json(&user, &base(state))))
}

async fn put_user(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> ScimResult {
    let id = person_id(&id)?;
    precondition(&headers, &user_value(&state, &src, id).await?)?;
    write_user(&state, &src, id, &body_json(&body)?).await
}

async fn patch_user(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> ScimResult {
    let id = person_id(&id)?;
    let mut current = user_value(&state, &src, id).await?;
    precondition(&headers, &current)?;
    patch::apply(&mut current, &body_json(&body)?, USER, &[resource::USER_EXT]).map_err(|e| ScimError::bad(e.scim_type, e.detail))?;
    write_user(&state, &src, id, &current).await
}

async fn delete_user(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap) -> ScimResult {
    let id = person_id(&id)?;
    precondition(&headers, &user_value(&state, &src, id).await?)?;
    state.accounts.sessions.close_all_of(&*state.store, id, None).await?;
    state.scim.delete_user(&src, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- Groups -----

fn group_id(id: &str) -> Result<GroupId, ScimError> {
    id.parse().map_err(|_| ScimError::from(Error::NotFound))
}

async fn group_value(state: &AppState, src: &ScimSource, id: GroupId) -> Result<Value, ScimError> {
    Ok(resource::group_json(&state.scim.group(src, id).await?, &base(state)))
}

async fn all_groups(state: &AppState, src: &ScimSource) -> Result<Vec<(Value, &'static str)>, ScimError> {
    let b = base(state);
    Ok(state.scim.groups(src).await?.iter().map(|g| (resource::group_json(g, &b), GROUP)).collect())
}

async fn list_groups(State(state): State<AppState>, Source(src): Source, Query(q): Query<ListQuery>) -> ScimResult {
    list_response(all_groups(&state, &src).await?, &q)
}

async fn search_groups(State(state): State<AppState>, Source(src): Source, body: Bytes) -> ScimResult {
    list_response(all_groups(&state, &src).await?, &ListQuery::from_search(&body_json(&body)?))
}

async fn get_group(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, Query(q): Query<ListQuery>, headers: HeaderMap) -> ScimResult {
    single(&headers, group_value(&state, &src, group_id(&id)?).await?, &q.projection(), GROUP)
}

async fn create_group(State(state): State<AppState>, Source(src): Source, body: Bytes) -> ScimResult {
    let data = resource::group_data(&body_json(&body)?)?;
    let group = state.scim.create_group(&src, data).await?;
    Ok(reply(StatusCode::CREATED, &resource::group_json(&group, &base(&state))))
}

async fn write_group(state: &AppState, src: &ScimSource, id: GroupId, new: &Value) -> ScimResult {
    let group = state.scim.replace_group(src, id, resource::group_data(new)?).await?;
    Ok(reply(StatusCode::OK, &resource::group_json(&group, &base(state))))
}

async fn put_group(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> ScimResult {
    let id = group_id(&id)?;
    precondition(&headers, &group_value(&state, &src, id).await?)?;
    write_group(&state, &src, id, &body_json(&body)?).await
}

async fn patch_group(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> ScimResult {
    let id = group_id(&id)?;
    let mut current = group_value(&state, &src, id).await?;
    precondition(&headers, &current)?;
    patch::apply(&mut current, &body_json(&body)?, GROUP, &[resource::GROUP_EXT]).map_err(|e| ScimError::bad(e.scim_type, e.detail))?;
    write_group(&state, &src, id, &current).await
}

async fn delete_group(State(state): State<AppState>, Source(src): Source, Path(id): Path<String>, headers: HeaderMap) -> ScimResult {
    let id = group_id(&id)?;
    precondition(&headers, &group_value(&state, &src, id).await?)?;
    state.scim.delete_group(&src, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn search_all(State(state): State<AppState>, Source(src): Source, body: Bytes) -> ScimResult {
    let mut all = all_users(&state, &src).await?;
    all.extend(all_groups(&state, &src).await?);
    list_response(all, &ListQuery::from_search(&body_json(&body)?))
}
