//! The timetable import page (`/timetable/import/{structure}`): a school's timetable managers
//! upload their timetabling tool's CSV or iCalendar export (for an iCalendar file of one
//! class, they say which), check it (the default) or apply it, and read
//! the report — the counts, and each wrong line with its number, field and what was wrong.

use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::routing::get;
use preau_core::{Error, StructureId};
use preau_directory::DirectoryStore;
use preau_timetable::import::ImportReport;

type PageResult = std::result::Result<Response, PageError>;

/// The largest file taken (a school's timetable is some hundred kilobytes).
const MAX_FILE: usize = 5 << 20;

pub fn routes() -> Router<AppState> {
    Router::new().route("/timetable/import/{structure}", get(form).post(upload))
}

/// A wrong line as shown.
struct ShownError {
    line: usize,
    field: String,
    message: String,
    value: String,
}

#[derive(Template)]
#[template(path = "timetable_import.html")]
struct ImportPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    school: String,
    action: String,
    report: Option<ImportReport>,
    errors: Vec<ShownError>,
    dry_run: bool,
    /// The school's classes and groups, for an iCalendar file of one class: (id, name).
    classes: Vec<(String, String)>,
}

async fn page(state: &AppState, a: &Authed, structure: StructureId, report: Option<ImportReport>, dry_run: bool) -> PageResult {
    if !state.timetable.manages(&a.principal, structure).await.map_err(|e| a.fail(e))? {
        return Err(a.fail(Error::Forbidden));
    }
    let school = state.store.structure(structure).await.map_err(|e| a.fail(e))?.name;
    let mut classes: Vec<(String, String)> = state
        .store
        .groups_in(structure)
        .await
        .map_err(|e| a.fail(e))?
        .into_iter()
        .filter(|g| g.archived_year.is_none())
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    classes.sort_by(|x, y| x.1.cmp(&y.1));
    let errors = report
        .as_ref()
        .map(|r| r.errors.iter().map(|e| ShownError { line: e.line, field: e.field.clone(), message: a.lang.t(&e.code), value: e.value.clone() }).collect())
        .unwrap_or_default();
    Ok(render(&ImportPage {
        tr: Tr(a.lang),
        user: Some(crate::communication::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        school,
        action: format!("/timetable/import/{structure}"),
        report,
        errors,
        dry_run,
        classes,
    }))
}

async fn form(State(state): State<AppState>, a: Authed, Path(structure): Path<StructureId>) -> PageResult {
    page(&state, &a, structure, None, true).await
}

async fn upload(State(state): State<AppState>, a: Authed, Path(structure): Path<StructureId>, mut form: Multipart) -> PageResult {
    let bad = || Error::invalid("file", "timetable.import_unreadable");
    let (mut csrf_ok, mut dry_run, mut file, mut class) = (false, false, None, None);
    while let Some(mut field) = form.next_field().await.map_err(|_| a.fail(bad()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf_ok = a.session.csrf.matches(&field.text().await.unwrap_or_default()),
            "dry_run" => dry_run = field.text().await.unwrap_or_default() == "on",
            "class" => class = field.text().await.unwrap_or_default().parse().ok(),
            "file" if csrf_ok => {
                let mut bytes = vec![];
                while let Some(chunk) = field.chunk().await.map_err(|_| a.fail(bad()))? {
                    if bytes.len() + chunk.len() > MAX_FILE {
                        return Err(a.fail(Error::invalid("file", "timetable.import_too_big")));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(a.fail(Error::Forbidden));
    }
    let bytes = file.filter(|f| !f.is_empty()).ok_or_else(|| a.fail(Error::invalid("file", "timetable.import_no_file")))?;
    let report = state.timetable.import_file(&a.principal, structure, &bytes, class, dry_run).await.map_err(|e| a.fail(e))?;
    page(&state, &a, structure, Some(report), dry_run).await
}
