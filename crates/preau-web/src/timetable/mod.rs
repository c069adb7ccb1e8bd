//! The timetable's web side: the JSON API (`api.rs`), the week page (`pages.rs`) and the
//! calendar feed that calendar apps subscribe to (`GET /ics/{token}`, in `api.rs`); the
//! cahier de textes' API (`cahier_api.rs`) and pages (`cahier_pages.rs`); homework handed in
//! online (`handin_api.rs`, `handin_pages.rs`); the import page and the courses pages of a
//! school's timetable managers (`import_page.rs`, `courses_page.rs`); the school calendar
//! with the school's own days off and years (`calendar_page.rs`); a timetable published
//! at an address, fetched and imported, and again every night (`fetch.rs`); CalDAV read access
//! to one's own timetable (`caldav.rs`).

pub mod api;
pub mod cahier_api;
pub mod cahier_pages;
pub mod caldav;
pub mod calendar_page;
pub mod courses_page;
pub mod fetch;
pub mod handin_api;
pub mod handin_pages;
pub mod import_page;
pub mod pages;

use crate::state::AppState;
use axum::Router;
use chrono::NaiveDate;
use preau_core::Result;
use preau_timetable::Lesson;
use preau_timetable::model::show_minute;
use serde::Serialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    api::routes()
        .merge(cahier_api::routes())
        .merge(handin_api::routes())
        .merge(pages::routes())
        .merge(cahier_pages::routes())
        .merge(import_page::routes())
        .merge(courses_page::routes())
        .merge(calendar_page::routes())
        .route("/caldav", axum::routing::any(caldav::serve))
        .route("/caldav/", axum::routing::any(caldav::serve))
        .route("/caldav/{*path}", axum::routing::any(caldav::serve))
        .route(
            "/.well-known/caldav",
            axum::routing::any(|| async { (axum::http::StatusCode::MOVED_PERMANENTLY, [(axum::http::header::LOCATION, "/caldav/")]) }),
        )
        .merge(handin_pages::routes())
}

/// A lesson as the API and the pages show it: names instead of ids.
#[derive(Debug, Serialize)]
pub struct ShownLesson {
    pub course: String,
    pub date: NaiveDate,
    pub day: NaiveDate,
    pub start: String,
    pub end: String,
    pub subject: String,
    pub teachers: Vec<String>,
    pub groups: Vec<String>,
    pub room: String,
    pub status: preau_timetable::LessonStatus,
    pub note: String,
    pub week: Option<preau_timetable::WeekLetter>,
    /// The lesson's slot on its school's grid (`M1`, `M1–M2`), when its times match one.
    pub slot: Option<String>,
}

pub async fn shown(state: &AppState, lessons: Vec<Lesson>) -> Result<Vec<ShownLesson>> {
    let names = state.timetable.names(&lessons).await?;
    let mut grids = HashMap::new();
    for l in &lessons {
        if let std::collections::hash_map::Entry::Vacant(e) = grids.entry(l.structure) {
            e.insert(state.timetable.slots(l.structure).await?);
        }
    }
    let name = |id: String| names.get(&id).cloned().unwrap_or_default();
    Ok(lessons
        .into_iter()
        .map(|l| ShownLesson {
            slot: grids.get(&l.structure).and_then(|g| preau_timetable::slots::label(g, l.start, l.end)),
            course: l.course.to_string(),
            date: l.date,
            day: l.day,
            start: show_minute(l.start),
            end: show_minute(l.end),
            subject: l.subject,
            teachers: l.teachers.iter().map(|t| name(t.to_string())).collect(),
            groups: l.groups.iter().map(|g| name(g.to_string())).collect(),
            room: l.room,
            status: l.status,
            note: l.note,
            week: l.week,
        })
        .collect())
}

/// Today in Paris.
pub fn today(state: &AppState) -> NaiveDate {
    preau_core::local_time::paris_date(state.clock.now())
}

pub use preau_timetable::calendar::monday_of;
