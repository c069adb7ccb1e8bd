//! The cahier de textes' JSON API: a lesson's entry and the homework set in it, for its
//! teachers; the homework due and the lessons' log of a pupil, for the pupil and their
//! parents; the pupil's ticks; a class's cahier, workload and visas; the files attached.

use super::today;
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Days, NaiveDate};
use preau_core::{CourseId, DocumentId, EntryId, Error, GroupId, HomeworkId, PersonId, Principal, Result};
use preau_timetable::cahier::{EntryInput, HomeworkInput};
use serde::Deserialize;

type ApiResult = std::result::Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cahier/lessons/{course}/{date}", get(lesson).put(write_entry).delete(delete_entry))
        .route("/api/v1/cahier/lessons/{course}/{date}/homework", post(set_homework))
        .route("/api/v1/homework", get(homework_due))
        .route("/api/v1/homework/{id}", put(update_homework).delete(delete_homework))
        .route("/api/v1/homework/{id}/done", put(tick).delete(untick))
        .route("/api/v1/homework/{id}/attachments/{doc}", get(homework_attachment))
        .route("/api/v1/cahier/log", get(lessons_log))
        .route("/api/v1/cahier/entries/{id}/attachments/{doc}", get(entry_attachment))
        .route("/api/v1/classes/{id}/cahier", get(class_cahier))
        .route("/api/v1/classes/{id}/workload", get(workload))
        .route("/api/v1/classes/{id}/visas", post(visa).delete(withdraw_visa))
}

/// Whose and when: by default the caller, from today for two weeks.
#[derive(Deserialize, Default)]
pub struct RangeQuery {
    pub pupil: Option<PersonId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl RangeQuery {
    /// The days asked for (checked by the operation), by default around `today`.
    pub fn range(&self, today: NaiveDate, back: u64, ahead: u64) -> (NaiveDate, NaiveDate) {
        let from = self.from.unwrap_or(today - Days::new(back));
        (from, self.to.unwrap_or_else(|| from.checked_add_days(Days::new(back + ahead)).unwrap_or(from)))
    }

    pub fn pupil(&self, c: &Principal) -> Result<PersonId> {
        self.pupil.or(c.person_id()).ok_or(Error::Forbidden)
    }
}

#[derive(Deserialize)]
pub struct EntryBody {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub attachments: Vec<DocumentId>,
    pub publish_at: Option<i64>,
}

#[derive(Deserialize)]
pub struct HomeworkBody {
    pub due: NaiveDate,
    pub instructions: String,
    #[serde(default)]
    pub minutes: u16,
    #[serde(default)]
    pub attachments: Vec<DocumentId>,
    #[serde(default)]
    pub hand_in: bool,
    /// When copies handed in online are due (by default 8:00 on the due day).
    pub deadline: Option<i64>,
    pub publish_at: Option<i64>,
}

pub fn homework_input(b: HomeworkBody) -> HomeworkInput {
    HomeworkInput {
        due: b.due,
        instructions: b.instructions,
        minutes: b.minutes,
        attachments: b.attachments,
        hand_in: b.hand_in,
        deadline: b.deadline,
        publish_at: b.publish_at,
    }
}

async fn lesson(State(state): State<AppState>, c: ApiCaller, Path((course, date)): Path<(CourseId, NaiveDate)>) -> ApiResult {
    Ok(Json(state.timetable.lesson_cahier(&c.principal, course, date).await?).into_response())
}

async fn write_entry(State(state): State<AppState>, c: ApiCaller, Path((course, date)): Path<(CourseId, NaiveDate)>, Json(b): Json<EntryBody>) -> ApiResult {
    let input = EntryInput { title: b.title, content: b.content, attachments: b.attachments, publish_at: b.publish_at };
    Ok(Json(state.timetable.write_entry(&c.principal, course, date, input).await?).into_response())
}

async fn delete_entry(State(state): State<AppState>, c: ApiCaller, Path((course, date)): Path<(CourseId, NaiveDate)>) -> ApiResult {
    state.timetable.delete_entry(&c.principal, course, date).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_homework(
    State(state): State<AppState>,
    c: ApiCaller,
    Path((course, date)): Path<(CourseId, NaiveDate)>,
    Json(b): Json<HomeworkBody>,
) -> ApiResult {
    let input = homework_input(b);
    Ok((StatusCode::CREATED, Json(state.timetable.set_homework(&c.principal, course, date, input).await?)).into_response())
}

async fn update_homework(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>, Json(b): Json<HomeworkBody>) -> ApiResult {
    let input = homework_input(b);
    Ok(Json(state.timetable.update_homework(&c.principal, id, input).await?).into_response())
}

async fn delete_homework(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>) -> ApiResult {
    state.timetable.delete_homework(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn homework_due(State(state): State<AppState>, c: ApiCaller, Query(q): Query<RangeQuery>) -> ApiResult {
    let (from, to) = q.range(today(&state), 0, 14);
    Ok(Json(state.timetable.homework_for(&c.principal, q.pupil(&c.principal)?, from, to).await?).into_response())
}

async fn tick(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>) -> ApiResult {
    state.timetable.tick(&c.principal, id, true).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn untick(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>) -> ApiResult {
    state.timetable.tick(&c.principal, id, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn lessons_log(State(state): State<AppState>, c: ApiCaller, Query(q): Query<RangeQuery>) -> ApiResult {
    let (from, to) = q.range(today(&state), 28, 0);
    Ok(Json(state.timetable.lessons_log(&c.principal, q.pupil(&c.principal)?, from, to).await?).into_response())
}

async fn class_cahier(State(state): State<AppState>, c: ApiCaller, Path(id): Path<GroupId>, Query(q): Query<RangeQuery>) -> ApiResult {
    let (from, to) = q.range(today(&state), 28, 14);
    Ok(Json(state.timetable.class_cahier(&c.principal, id, from, to).await?).into_response())
}

async fn workload(State(state): State<AppState>, c: ApiCaller, Path(id): Path<GroupId>, Query(q): Query<RangeQuery>) -> ApiResult {
    let (from, to) = q.range(today(&state), 0, 14);
    Ok(Json(state.timetable.workload(&c.principal, id, from, to).await?).into_response())
}

#[derive(Deserialize)]
struct VisaBody {
    teacher: PersonId,
    until: Option<NaiveDate>,
    #[serde(default)]
    note: String,
}

async fn visa(State(state): State<AppState>, c: ApiCaller, Path(id): Path<GroupId>, Json(b): Json<VisaBody>) -> ApiResult {
    let until = b.until.unwrap_or_else(|| today(&state));
    Ok((StatusCode::CREATED, Json(state.timetable.visa(&c.principal, id, b.teacher, until, &b.note).await?)).into_response())
}

#[derive(Deserialize)]
struct VisaKey {
    teacher: PersonId,
    until: NaiveDate,
}

/// Withdraws a visa (the direction): `?teacher=&until=`.
async fn withdraw_visa(State(state): State<AppState>, c: ApiCaller, Path(id): Path<GroupId>, Query(k): Query<VisaKey>) -> ApiResult {
    state.timetable.withdraw_visa(&c.principal, id, k.teacher, k.until).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A file attached to an entry or homework, once the caller may read it.
pub async fn attachment(state: &AppState, headers: &HeaderMap, doc: DocumentId) -> Result<Response> {
    let node = preau_documents::DocumentStore::node(&*state.store, doc).await?.filter(|n| !n.folder && n.trashed_at.is_none()).ok_or(Error::NotFound)?;
    crate::documents::serve_node(state, headers, &node, false).await
}

async fn entry_attachment(State(state): State<AppState>, c: ApiCaller, headers: HeaderMap, Path((id, doc)): Path<(EntryId, DocumentId)>) -> ApiResult {
    state.timetable.entry_attachment(&c.principal, id, doc).await?;
    Ok(attachment(&state, &headers, doc).await?)
}

async fn homework_attachment(State(state): State<AppState>, c: ApiCaller, headers: HeaderMap, Path((id, doc)): Path<(HomeworkId, DocumentId)>) -> ApiResult {
    state.timetable.homework_attachment(&c.principal, id, doc).await?;
    Ok(attachment(&state, &headers, doc).await?)
}
