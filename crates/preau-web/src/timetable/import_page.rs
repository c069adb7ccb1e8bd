//! The timetable import page (`/timetable/import/{structure}`): a school's timetable managers
//! upload their timetabling tool's CSV or iCalendar export (for an iCalendar file of one
//! class, they say which), or give the address their tool publishes it at; check it (the
//! default) or apply it, and read the report — the counts, and each wrong line with its
//! number, field and what was wrong. An address once applied is imported again every night;
//! the page shows its last run, and forgets it on demand.

use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use preau_core::{Error, StructureId};
use preau_directory::DirectoryStore;
use preau_timetable::import::ImportReport;

type PageResult = std::result::Result<Response, PageError>;

/// The largest file taken (a school's timetable is some hundred kilobytes).
const MAX_FILE: usize = 5 << 20;

pub fn routes() -> Router<AppState> {
    Router::new().route("/timetable/import/{structure}", get(form).post(upload)).route("/timetable/import/{structure}/forget", post(forget))
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
    /// The address imported every night, with its last run.
    source: Option<ShownSource>,
    /// The address given in the form, shown again.
    url: String,
}

/// The kept address as the page shows it.
struct ShownSource {
    url: String,
    last_run: Option<String>,
    /// What the last run did, or why it failed.
    outcome: String,
    failed: bool,
}

fn shown_source(a: &Authed, s: preau_timetable::source::ImportSource) -> ShownSource {
    let (outcome, failed) = match (&s.last_error, &s.last_report) {
        (Some(code), _) => (a.lang.t(code), true),
        (None, Some(r)) if !r.errors.is_empty() => (a.lang.t("timetable.import_rejected"), true),
        (None, Some(r)) => (
            format!(
                "{} {}, {} {}, {} {}",
                r.created,
                a.lang.t("timetable.import_created"),
                r.updated,
                a.lang.t("timetable.import_updated"),
                r.removed,
                a.lang.t("timetable.import_removed")
            ),
            false,
        ),
        (None, None) => (String::new(), false),
    };
    ShownSource { url: s.url, last_run: s.last_run.map(crate::pages::fmt_time), outcome, failed }
}

async fn page(state: &AppState, a: &Authed, structure: StructureId, report: Option<ImportReport>, dry_run: bool, url: String) -> PageResult {
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
        source: state.timetable.import_source(&a.principal, structure).await.map_err(|e| a.fail(e))?.map(|s| shown_source(a, s)),
        url,
    }))
}

async fn form(State(state): State<AppState>, a: Authed, Path(structure): Path<StructureId>) -> PageResult {
    page(&state, &a, structure, None, true, String::new()).await
}

async fn upload(State(state): State<AppState>, a: Authed, Path(structure): Path<StructureId>, mut form: Multipart) -> PageResult {
    let bad = || Error::invalid("file", "timetable.import_unreadable");
    let (mut csrf_ok, mut dry_run, mut file, mut class, mut url, mut kept) = (false, false, None, None, String::new(), false);
    while let Some(mut field) = form.next_field().await.map_err(|_| a.fail(bad()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf_ok = a.session.csrf.matches(&field.text().await.unwrap_or_default()),
            "dry_run" => dry_run = field.text().await.unwrap_or_default() == "on",
            "class" => class = field.text().await.unwrap_or_default().parse().ok(),
            "url" => url = field.text().await.unwrap_or_default().trim().to_owned(),
            "kept" => kept = field.text().await.unwrap_or_default() == "1",
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
    // "Import now" runs the kept address with its class.
    if kept && let Some(source) = state.timetable.import_source(&a.principal, structure).await.map_err(|e| a.fail(e))? {
        (url, class) = (source.url, source.class);
    }
    let report = match file.filter(|f| !f.is_empty()) {
        Some(bytes) => state.timetable.import_file(&a.principal, structure, &bytes, class, dry_run).await,
        None if !url.is_empty() => super::fetch::import_url(&state, &a.principal, structure, &url, class, dry_run).await,
        None => Err(Error::invalid("file", "timetable.import_no_file")),
    };
    match report {
        Ok(r) => page(&state, &a, structure, Some(r), dry_run, url).await,
        // A file or address that could not be read: said on the page, the address kept in the form.
        Err(Error::Invalid(fields)) => {
            let errors = fields
                .into_iter()
                .map(|f| {
                    let value = if f.field == "url" { url.clone() } else { String::new() };
                    preau_timetable::import::LineError { line: 0, field: f.field, code: f.code, value }
                })
                .collect();
            page(&state, &a, structure, Some(ImportReport { errors, ..Default::default() }), dry_run, url).await
        }
        Err(e) => Err(a.fail(e)),
    }
}

async fn forget(State(state): State<AppState>, a: Authed, Path(structure): Path<StructureId>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(crate::pages::field(&f, "csrf"))?;
    state.timetable.forget_import_source(&a.principal, structure).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/timetable/import/{structure}")).into_response())
}
