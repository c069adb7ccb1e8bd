//! The JSON API of communication: a structure's rules, the recipient picker, "may I write to",
//! and messaging. Each handler calls one domain operation.

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use preau_communication::messages::{Folder, MessageInput};
use preau_communication::moderation::Reported;
use preau_communication::news::NewsInput;
use preau_communication::notifications::{Preference, QuietHours};
use preau_communication::rules::Rule;
use preau_core::{Error, MessageId, NewsId, PersonId, StructureId};
use serde::Deserialize;
use serde_json::json;

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/structures/{id}/communication-rules", get(get_rules).put(put_rules).delete(reset_rules))
        .route("/api/v1/communication/picker", get(picker))
        .route("/api/v1/communication/may-write/{person}", get(may_write))
        .route("/api/v1/messages", get(list).post(send))
        .route("/api/v1/messages/unread", get(unread))
        .route("/api/v1/messages/{id}", get(open).delete(delete_forever))
        .route("/api/v1/messages/{id}/folder", put(file))
        .route("/api/v1/messages/{id}/recall", post(recall))
        .route("/api/v1/messages/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/messages/{id}/acknowledgements", get(acknowledgements))
        .route("/api/v1/messages/{id}/remind", post(remind))
        .route("/api/v1/news", get(news_board).post(write_news))
        .route("/api/v1/news/{id}", get(read_news).put(edit_news))
        .route("/api/v1/news/{id}/{step}", post(news_step))
        .route("/api/v1/reports", get(reports).post(report))
        .route("/api/v1/reports/{id}/decision", post(decide))
        .route("/api/v1/notifications", get(feed))
        .route("/api/v1/notifications/settings", get(get_settings).put(put_settings))
        .route("/api/v1/structures/{id}/quiet-hours", put(structure_quiet_hours))
}

async fn get_rules(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    Ok(Json(state.communication.rule_set(&c.principal, id).await?).into_response())
}

#[derive(Deserialize)]
struct RulesBody {
    rules: Vec<Rule>,
}

async fn put_rules(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Json(b): Json<RulesBody>) -> ApiResult {
    Ok(Json(state.communication.set_rules(&c.principal, id, &b.rules).await?).into_response())
}

async fn reset_rules(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    Ok(Json(state.communication.reset_rules(&c.principal, id).await?).into_response())
}

#[derive(Deserialize, Default)]
struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    folder: String,
}

async fn picker(State(state): State<AppState>, c: ApiCaller, Query(s): Query<Search>) -> ApiResult {
    Ok(Json(state.communication.picker(&c.principal, &s.q, 20).await?).into_response())
}

async fn may_write(State(state): State<AppState>, c: ApiCaller, Path(person): Path<PersonId>) -> ApiResult {
    Ok(Json(json!({"allowed": state.communication.may_write_to(&c.principal, person).await?})).into_response())
}

async fn list(State(state): State<AppState>, c: ApiCaller, Query(s): Query<Search>) -> ApiResult {
    let folder = if s.folder.is_empty() { Folder::Inbox } else { Folder::parse(&s.folder).ok_or_else(|| Error::invalid("folder", "message.folder"))? };
    Ok(Json(state.communication.folder(&c.principal, folder, &s.q).await?).into_response())
}

async fn send(State(state): State<AppState>, c: ApiCaller, Json(b): Json<MessageInput>) -> ApiResult {
    Ok((StatusCode::CREATED, Json(state.communication.send(&c.principal, &b).await?)).into_response())
}

async fn unread(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(json!({"unread": state.communication.unread(&c.principal).await?})).into_response())
}

async fn open(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    let (entry, thread) = state.communication.open(&c.principal, id).await?;
    Ok(Json(json!({"message": entry.message, "folder": entry.folder, "read_at": entry.read_at, "thread": thread})).into_response())
}

#[derive(Deserialize)]
struct FolderBody {
    folder: Folder,
}

async fn file(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>, Json(b): Json<FolderBody>) -> ApiResult {
    state.communication.file(&c.principal, id, Some(b.folder)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_forever(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    state.communication.file(&c.principal, id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn recall(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    Ok(Json(state.communication.recall(&c.principal, id).await?).into_response())
}

async fn feed(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.communication.feed(&c.principal, 50).await?).into_response())
}

async fn get_settings(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.communication.settings(&c.principal).await?).into_response())
}

#[derive(Deserialize)]
struct SettingsBody {
    #[serde(default)]
    preferences: Vec<Preference>,
    #[serde(default)]
    quiet_hours: Option<QuietHours>,
}

async fn put_settings(State(state): State<AppState>, c: ApiCaller, Json(b): Json<SettingsBody>) -> ApiResult {
    Ok(Json(state.communication.set_settings(&c.principal, &b.preferences, b.quiet_hours).await?).into_response())
}

#[derive(Deserialize)]
struct QuietBody {
    quiet_hours: Option<QuietHours>,
}

async fn structure_quiet_hours(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Json(b): Json<QuietBody>) -> ApiResult {
    state.communication.set_structure_quiet_hours(&c.principal, id, b.quiet_hours).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn news_board(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.communication.news_board(&c.principal).await?).into_response())
}

#[derive(Deserialize)]
struct NewsBody {
    #[serde(flatten)]
    input: NewsInput,
    /// Hand it to the publishers at once.
    #[serde(default)]
    submit: bool,
}

async fn write_news(State(state): State<AppState>, c: ApiCaller, Json(b): Json<NewsBody>) -> ApiResult {
    Ok((StatusCode::CREATED, Json(state.communication.write_news(&c.principal, &b.input, b.submit).await?)).into_response())
}

async fn read_news(State(state): State<AppState>, c: ApiCaller, Path(id): Path<NewsId>) -> ApiResult {
    Ok(Json(state.communication.read_news(&c.principal, id).await?).into_response())
}

async fn edit_news(State(state): State<AppState>, c: ApiCaller, Path(id): Path<NewsId>, Json(b): Json<NewsInput>) -> ApiResult {
    Ok(Json(state.communication.edit_news(&c.principal, id, &b).await?).into_response())
}

async fn news_step(State(state): State<AppState>, c: ApiCaller, Path((id, step)): Path<(NewsId, String)>) -> ApiResult {
    Ok(Json(state.communication.news_step(&c.principal, id, &step).await?).into_response())
}

async fn acknowledge(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    state.communication.acknowledge(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn acknowledgements(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    Ok(Json(state.communication.acknowledgements(&c.principal, id).await?).into_response())
}

async fn remind(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>) -> ApiResult {
    Ok(Json(json!({"reminded": state.communication.remind(&c.principal, id).await?})).into_response())
}

#[derive(Deserialize)]
struct ReportBody {
    #[serde(flatten)]
    item: Reported,
    #[serde(default)]
    reason: String,
}

async fn report(State(state): State<AppState>, c: ApiCaller, Json(b): Json<ReportBody>) -> ApiResult {
    Ok((StatusCode::CREATED, Json(state.communication.report(&c.principal, b.item, &b.reason).await?)).into_response())
}

async fn reports(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.communication.reports(&c.principal).await?).into_response())
}

#[derive(Deserialize)]
struct DecisionBody {
    hide: bool,
}

async fn decide(State(state): State<AppState>, c: ApiCaller, Path(id): Path<MessageId>, Json(b): Json<DecisionBody>) -> ApiResult {
    Ok(Json(state.communication.decide(&c.principal, id, b.hide).await?).into_response())
}
