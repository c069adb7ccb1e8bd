//! The timetable's JSON API: lessons of a person, class or room over a range; the courses of
//! a structure for its managers; changing one lesson; the caller's calendar feed address; and
//! the feed itself (`/ics/{token}`, no session: the token is the key).

use super::{monday_of, shown, today};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Days, NaiveDate};
use preau_core::{CourseId, Error, GroupId, PersonId, Result, StructureId};
use preau_identity::secrets;
use preau_timetable::Weeks;
use preau_timetable::manage::{ChangeInput, CourseInput};
use preau_timetable::model::parse_minute;
use preau_timetable::views::Of;
use serde::Deserialize;

type ApiResult = std::result::Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/timetable", get(lessons))
        .route("/api/v1/structures/{id}/courses", get(courses).post(add_course))
        .route("/api/v1/structures/{id}/timetable/import", post(import_csv))
        .route("/api/v1/structures/{id}/timetable/source", get(source).delete(forget_source))
        .route("/api/v1/structures/{id}/slots", get(slots).put(set_slots))
        .route("/api/v1/structures/{id}/calendar", get(calendar).put(set_calendar))
        .route("/api/v1/courses/{id}", get(course).put(update_course).delete(delete_course))
        .route("/api/v1/courses/{id}/lessons/{date}", put(change).delete(undo))
        .route("/api/v1/me/calendar-link", post(make_link).delete(revoke_link))
        .route("/api/v1/me/calendar-links", get(scoped_links).post(make_scoped_link).delete(revoke_scoped_link))
        .route("/ics/{token}", get(feed))
}

/// Whose lessons, and when: `week` (any day of it) or `from` and `to`; by default the
/// caller's own this week.
#[derive(Deserialize, Default)]
pub struct LessonQuery {
    pub person: Option<PersonId>,
    pub class: Option<GroupId>,
    pub room: Option<String>,
    pub structure: Option<StructureId>,
    pub week: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl LessonQuery {
    pub fn of(&self, me: Option<PersonId>) -> Result<Of> {
        Ok(match (&self.class, &self.room, self.person.or(me)) {
            (Some(g), _, _) => Of::Class(*g),
            (None, Some(r), _) => Of::Room(self.structure.ok_or_else(|| Error::invalid("structure", "timetable.structure"))?, r.clone()),
            (None, None, Some(p)) => Of::Person(p),
            _ => return Err(Error::Forbidden),
        })
    }

    pub fn range(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        match (self.from, self.to) {
            (Some(f), Some(t)) => (f, t),
            _ => {
                // A day no school could have is answered as asked (and refused), never computed on.
                let week = self.week.unwrap_or(today);
                if !preau_timetable::views::plausible(&week) {
                    return (week, week);
                }
                let monday = monday_of(week);
                (monday, monday + Days::new(6))
            }
        }
    }
}

async fn lessons(State(state): State<AppState>, c: ApiCaller, Query(q): Query<LessonQuery>) -> ApiResult {
    let (from, to) = q.range(today(&state));
    let list = state.timetable.lessons(&c.principal, &q.of(c.principal.person_id())?, from, to).await?;
    Ok(Json(shown(&state, list).await?).into_response())
}

async fn courses(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    Ok(Json(state.timetable.courses(&c.principal, id).await?).into_response())
}

#[derive(Deserialize)]
struct CourseBody {
    subject: String,
    #[serde(default)]
    teachers: Vec<PersonId>,
    groups: Vec<GroupId>,
    #[serde(default)]
    room: String,
    weekday: u8,
    start: String,
    end: String,
    #[serde(default)]
    weeks: String,
    from: NaiveDate,
    to: NaiveDate,
}

fn minute(s: &str, field: &str) -> Result<u16> {
    parse_minute(s).ok_or_else(|| Error::invalid(field, "timetable.times"))
}

impl CourseBody {
    fn input(self) -> Result<CourseInput> {
        Ok(CourseInput {
            start: minute(&self.start, "start")?,
            end: minute(&self.end, "end")?,
            weeks: Weeks::parse(&self.weeks).ok_or_else(|| Error::invalid("weeks", "timetable.weeks"))?,
            subject: self.subject,
            teachers: self.teachers,
            groups: self.groups,
            room: self.room,
            weekday: self.weekday,
            from: self.from,
            to: self.to,
        })
    }
}

async fn add_course(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Json(b): Json<CourseBody>) -> ApiResult {
    let course = state.timetable.add_course(&c.principal, id, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(course)).into_response())
}

async fn course(State(state): State<AppState>, c: ApiCaller, Path(id): Path<CourseId>) -> ApiResult {
    Ok(Json(state.timetable.course(&c.principal, id).await?).into_response())
}

/// Changes a course in place; its lessons' changes and cahier entries stay.
async fn update_course(State(state): State<AppState>, c: ApiCaller, Path(id): Path<CourseId>, Json(b): Json<CourseBody>) -> ApiResult {
    Ok(Json(state.timetable.update_course(&c.principal, id, b.input()?).await?).into_response())
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    /// The class an iCalendar file is for, when its events name none.
    class: Option<GroupId>,
    /// The address the file is published at, instead of a body: fetched, and kept for the
    /// nightly import once applied.
    url: Option<String>,
}

/// Imports a CSV or iCalendar timetable: the report, `422` when a line was wrong (nothing
/// applied).
async fn import_csv(
    State(state): State<AppState>,
    c: ApiCaller,
    Path(id): Path<StructureId>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    let report = match q.url.filter(|u| !u.trim().is_empty()) {
        Some(url) => super::fetch::import_url(&state, &c.principal, id, &url, q.class, q.dry_run).await?,
        None => state.timetable.import_file(&c.principal, id, &body, q.class, q.dry_run).await?,
    };
    let status = if report.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(report)).into_response())
}

/// The address the structure's timetable is imported from every night, with its last run.
async fn source(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    let source = state.timetable.import_source(&c.principal, id).await?.ok_or(Error::NotFound)?;
    Ok(Json(source).into_response())
}

async fn forget_source(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    state.timetable.forget_import_source(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The structure's school calendar, for its adults: its académie's zone, what it says over
/// it, and the years that result.
async fn calendar(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    Ok(Json(state.timetable.school_calendar(&c.principal, id).await?).into_response())
}

async fn set_calendar(
    State(state): State<AppState>,
    c: ApiCaller,
    Path(id): Path<StructureId>,
    Json(b): Json<preau_timetable::calendar::LocalCalendar>,
) -> ApiResult {
    Ok(Json(state.timetable.set_school_calendar(&c.principal, id, b).await?).into_response())
}

/// The structure's slot grid, for its adults.
async fn slots(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>) -> ApiResult {
    Ok(Json(state.timetable.grid(&c.principal, id).await?).into_response())
}

#[derive(Deserialize)]
struct SlotBody {
    code: String,
    start: String,
    end: String,
}

async fn set_slots(State(state): State<AppState>, c: ApiCaller, Path(id): Path<StructureId>, Json(b): Json<Vec<SlotBody>>) -> ApiResult {
    let grid = b
        .into_iter()
        .map(|s| Ok(preau_timetable::slots::Slot { code: s.code, start: minute(&s.start, "slots")?, end: minute(&s.end, "slots")? }))
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(state.timetable.set_slots(&c.principal, id, grid).await?).into_response())
}

async fn delete_course(State(state): State<AppState>, c: ApiCaller, Path(id): Path<CourseId>) -> ApiResult {
    state.timetable.delete_course(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    cancelled: bool,
    moved_date: Option<NaiveDate>,
    moved_start: Option<String>,
    moved_end: Option<String>,
    replacement: Option<PersonId>,
    room: Option<String>,
    #[serde(default)]
    note: String,
}

async fn change(State(state): State<AppState>, c: ApiCaller, Path((id, date)): Path<(CourseId, NaiveDate)>, Json(b): Json<ChangeBody>) -> ApiResult {
    let moved_to = match (b.moved_date, &b.moved_start, &b.moved_end) {
        (Some(d), Some(s), Some(e)) => Some((d, minute(s, "moved_start")?, minute(e, "moved_end")?)),
        (None, None, None) => None,
        _ => return Err(Error::invalid("moved_date", "timetable.move_incomplete").into()),
    };
    let input = ChangeInput { cancelled: b.cancelled, moved_to, replacement: b.replacement, room: b.room, note: b.note };
    Ok(Json(state.timetable.change_lesson(&c.principal, id, date, input).await?).into_response())
}

async fn undo(State(state): State<AppState>, c: ApiCaller, Path((id, date)): Path<(CourseId, NaiveDate)>) -> ApiResult {
    state.timetable.undo_change(&c.principal, id, date).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Makes the caller's calendar feed address (the previous one stops working); the address is
/// shown this once.
pub async fn make_link_for(state: &AppState, caller: &preau_core::Principal) -> Result<String> {
    let token = secrets::token(&*state.rng);
    state.timetable.make_calendar_link(caller, &secrets::digest(&token)).await?;
    Ok(format!("{}/ics/{token}", state.config.base_url))
}

async fn make_link(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    let url = make_link_for(&state, &c.principal).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "url": url }))).into_response())
}

async fn revoke_link(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    if !state.timetable.revoke_calendar_link(&c.principal).await? {
        return Err(Error::NotFound.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct ScopeBody {
    pub class: Option<GroupId>,
    pub structure: Option<StructureId>,
    pub room: Option<String>,
}

impl ScopeBody {
    pub fn of(&self) -> Result<Of> {
        match (self.class, self.structure, &self.room) {
            (Some(g), _, _) => Ok(Of::Class(g)),
            (None, Some(s), Some(r)) => Ok(Of::Room(s, r.clone())),
            _ => Err(Error::invalid("class", "timetable.feed_scope")),
        }
    }
}

/// Makes the caller's address of a class's or room's feed; shown this once.
pub async fn make_scoped_link_for(state: &AppState, caller: &preau_core::Principal, of: &Of) -> Result<(String, String)> {
    let token = secrets::token(&*state.rng);
    let scope = state.timetable.make_scoped_feed(caller, of, &secrets::digest(&token)).await?;
    Ok((format!("{}/ics/{token}", state.config.base_url), scope))
}

async fn make_scoped_link(State(state): State<AppState>, c: ApiCaller, Json(b): Json<ScopeBody>) -> ApiResult {
    let (url, scope) = make_scoped_link_for(&state, &c.principal, &b.of()?).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "url": url, "scope": scope }))).into_response())
}

async fn scoped_links(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    let list = state.timetable.scoped_feeds(&c.principal).await?;
    let list: Vec<_> = list.into_iter().map(|(scope, label, at)| serde_json::json!({"scope": scope, "label": label, "created_at": at})).collect();
    Ok(Json(list).into_response())
}

#[derive(Deserialize)]
struct ScopeQuery {
    scope: String,
}

async fn revoke_scoped_link(State(state): State<AppState>, c: ApiCaller, Query(q): Query<ScopeQuery>) -> ApiResult {
    if !state.timetable.revoke_scoped_feed(&c.principal, &q.scope).await? {
        return Err(Error::NotFound.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult {
    let token = token.trim_end_matches(".ics");
    let body = state.timetable.calendar_feed(&secrets::digest(token), async |p| state.principal_of(state.config.territory, p).await).await?;
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")], body).into_response())
}
