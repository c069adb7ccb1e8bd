//! Directory feeds in the console: a territory admin uploads an AAF extract set, follows the
//! import on a progress page (it runs in the background, so a long feed neither blocks the
//! browser nor dies with it), sees the report of a dry run, applies it, and reads every kept
//! report.

use super::CsrfForm;
use super::{fmt_time, render};
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use preau_core::{Error, Permission};
use preau_feeds::import::{Options, Progress, import_aaf};
use preau_feeds::report::{Outcome, Report, kept_report, kept_reports};
use preau_feeds::store::FeedStore;
use tokio::io::AsyncWriteExt;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/imports", get(list))
        .route("/admin/imports/{id}", get(show))
        .route("/admin/imports/{id}/apply", post(apply))
        .route("/admin/imports/running/{batch}", get(running))
        .route("/admin/imports/running/{batch}/status", get(running_status))
}

/// An import running in the background: where it stands, then the id of its kept report.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub progress: Progress,
    pub dry_run: bool,
    pub report: Option<String>,
}

/// The imports started from the console, by uploaded batch.
#[derive(Default)]
pub struct Running(std::sync::Mutex<std::collections::HashMap<String, Job>>);

impl Running {
    fn update(&self, batch: &str, f: impl FnOnce(&mut Job)) {
        if let Ok(mut jobs) = self.0.lock()
            && let Some(job) = jobs.get_mut(batch)
        {
            f(job);
        }
    }

    fn get(&self, batch: &str) -> Option<Job> {
        self.0.lock().ok()?.get(batch).cloned()
    }

    /// Registers a new run of a batch; `false` if one is still running.
    fn start(&self, batch: &str, dry_run: bool) -> bool {
        let Ok(mut jobs) = self.0.lock() else { return false };
        if jobs.get(batch).is_some_and(|j| j.report.is_none()) {
            return false;
        }
        jobs.insert(batch.to_owned(), Job { dry_run, ..Default::default() });
        true
    }
}

/// The upload route, which alone accepts large bodies.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/admin/imports/aaf", post(upload))
}

type PageResult = Result<Response, PageError>;

/// Refuses an upload before its files are streamed to disk; the import itself checks again.
fn require(a: &Authed) -> Result<(), PageError> {
    a.principal.require_territory(Permission::ManageTerritory).map_err(|e| a.fail(e))
}

#[derive(Template)]
#[template(path = "admin/imports.html")]
struct ListPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    /// (id, date, source, summary)
    reports: Vec<(String, String, String, String)>,
    error: Option<String>,
}

fn summary(json: &str) -> String {
    match serde_json::from_str::<Report>(json) {
        Ok(r) => {
            let total = |o: Outcome| r.counts.values().filter_map(|c| c.get(&o)).sum::<u64>();
            format!(
                "{}{} créés, {} modifiés, {} détachés, {} rejetés",
                if r.dry_run { "simulation : " } else { "" },
                total(Outcome::Created),
                total(Outcome::Updated),
                total(Outcome::Detached),
                r.rejected_total
            )
        }
        Err(_) => serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| v["failed"].as_str().map(|f| format!("échec : {f}"))).unwrap_or_default(),
    }
}

async fn list_page(state: &AppState, a: &Authed, error: Option<String>) -> PageResult {
    let reports = kept_reports(&*state.store, &a.principal, 100)
        .await
        .map_err(|e| a.fail(e))?
        .into_iter()
        .map(|r| (r.id, fmt_time(r.started_at), r.source.clone(), summary(&r.json)))
        .collect();
    Ok(render(&ListPage { tr: Tr(a.lang), user: Some(a.principal.label()), csrf: a.session.csrf.to_string(), reports, error }))
}

async fn list(State(state): State<AppState>, a: Authed) -> PageResult {
    list_page(&state, &a, None).await
}

/// A file name of an extract set, or `None` for anything else (never a path).
fn extract_name(name: &str) -> Option<String> {
    let clean: String = name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')).collect();
    preau_feeds::aaf::category_of(&clean).map(|_| clean)
}

async fn upload(State(state): State<AppState>, a: Authed, mut form: Multipart) -> PageResult {
    require(&a)?;
    let batch = uuid::Uuid::now_v7().simple().to_string();
    let dir = state.config.upload_dir.join(&batch);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| a.fail(Error::internal(e)))?;
    let (mut academie, mut dry_run, mut csrf_ok, mut files, mut refused) = (String::new(), false, false, 0, vec![]);
    while let Some(mut field) = form.next_field().await.map_err(|_| a.fail(Error::invalid("files", "error.bad-request")))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf_ok = a.session.csrf.matches(&field.text().await.unwrap_or_default()),
            "academie" => academie = field.text().await.unwrap_or_default(),
            "dry_run" => dry_run = field.text().await.unwrap_or_default() == "on",
            "files" if csrf_ok => {
                let original = field.file_name().unwrap_or("").to_owned();
                let Some(name) = extract_name(&original) else {
                    if !original.is_empty() {
                        refused.push(original);
                    }
                    continue;
                };
                let mut out = tokio::fs::File::create(dir.join(&name)).await.map_err(|e| a.fail(Error::internal(e)))?;
                while let Some(chunk) = field.chunk().await.map_err(|_| a.fail(Error::invalid("files", "error.bad-request")))? {
                    out.write_all(&chunk).await.map_err(|e| a.fail(Error::internal(e)))?;
                }
                out.flush().await.map_err(|e| a.fail(Error::internal(e)))?;
                files += 1;
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(a.fail(Error::Forbidden));
    }
    if files == 0 {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        let msg = if refused.is_empty() { a.lang.t("imports.no_files") } else { format!("{} {}", a.lang.t("imports.refused"), refused.join(", ")) };
        return list_page(&state, &a, Some(msg)).await;
    }
    run(&state, &a, &batch, &academie, dry_run).await
}

/// Starts an import of an uploaded batch in the background and sends the browser to its
/// progress page.
async fn run(state: &AppState, a: &Authed, batch: &str, academie: &str, dry_run: bool) -> PageResult {
    require(a)?;
    let to_progress = Redirect::to(&format!("/admin/imports/running/{batch}")).into_response();
    if !state.imports.start(batch, dry_run) {
        return Ok(to_progress);
    }
    let (state, principal, batch, academie, lang) = (state.clone(), a.principal.clone(), batch.to_owned(), academie.to_owned(), a.lang);
    tokio::spawn(async move {
        let dir = state.config.upload_dir.join(&batch);
        let opts = Options { dry_run, ..Options::new(&academie) };
        let started = state.clock.now();
        let jobs = state.imports.clone();
        let result = import_aaf(&*state.store, &principal, &dir, &opts, started, &mut |p| jobs.update(&batch, |j| j.progress = p.clone())).await;
        let source = format!("aaf:{batch}:{}", opts.academie.trim().to_uppercase());
        let json = match &result {
            Ok(report) => serde_json::to_string(report).unwrap_or_default(),
            Err(e) => serde_json::json!({ "failed": crate::error::message(e, lang) }).to_string(),
        };
        match state.store.save_report(principal.territory, &source, started, state.clock.now(), &json).await {
            Ok(id) => jobs.update(&batch, |j| j.report = Some(id)),
            Err(e) => tracing::error!(error = %e, "an import report could not be kept"),
        }
        if result.as_ref().is_ok_and(|r| !r.dry_run) {
            let _ = tokio::fs::remove_dir_all(&dir).await;
        }
    });
    Ok(to_progress)
}

#[derive(Template)]
#[template(path = "admin/import_running.html")]
struct RunningPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    batch: String,
    job: Job,
}

/// Where a background import stands; its report once it is done.
async fn running(State(state): State<AppState>, a: Authed, Path(batch): Path<String>) -> PageResult {
    require(&a)?;
    let job = state.imports.get(&batch).ok_or_else(|| a.fail(Error::NotFound))?;
    if let Some(id) = &job.report {
        return Ok(Redirect::to(&format!("/admin/imports/{id}")).into_response());
    }
    Ok(render(&RunningPage { tr: Tr(a.lang), user: Some(a.principal.label()), csrf: a.session.csrf.to_string(), batch, job }))
}

/// The same as JSON, for the progress page's script.
async fn running_status(State(state): State<AppState>, a: Authed, Path(batch): Path<String>) -> PageResult {
    require(&a)?;
    let job = state.imports.get(&batch).ok_or_else(|| a.fail(Error::NotFound))?;
    let body = serde_json::json!({
        "percent": job.progress.percent(),
        "file": job.progress.file,
        "entries": job.progress.entries,
        "report": job.report.map(|id| format!("/admin/imports/{id}")),
    });
    Ok(axum::Json(body).into_response())
}

#[derive(Template)]
#[template(path = "admin/import_report.html")]
struct ReportPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    id: String,
    date: String,
    source: String,
    failed: Option<String>,
    report: Report,
    outcomes: Vec<(&'static str, Outcome)>,
    can_apply: bool,
}

impl ReportPage {
    fn cell(&self, category: &str, o: &Outcome) -> u64 {
        self.report.get(category, *o)
    }
}

async fn show(State(state): State<AppState>, a: Authed, Path(id): Path<String>) -> PageResult {
    let kept = kept_report(&*state.store, &a.principal, &id).await.map_err(|e| a.fail(e))?;
    let report: Report = serde_json::from_str(&kept.json).unwrap_or_default();
    let failed = serde_json::from_str::<serde_json::Value>(&kept.json).ok().and_then(|v| v["failed"].as_str().map(str::to_owned));
    let batch = kept.source.split(':').nth(1).unwrap_or("").to_owned();
    let can_apply = failed.is_none() && report.dry_run && !batch.is_empty() && state.config.upload_dir.join(&batch).is_dir();
    Ok(render(&ReportPage {
        tr: Tr(a.lang),
        user: Some(a.principal.label()),
        csrf: a.session.csrf.to_string(),
        id: kept.id,
        date: fmt_time(kept.started_at),
        source: kept.source,
        failed,
        report,
        outcomes: Outcome::ALL.iter().map(|o| (o.label(), *o)).collect(),
        can_apply,
    }))
}

/// Applies for real the files of a dry run.
async fn apply(State(state): State<AppState>, a: Authed, Path(id): Path<String>, axum::Form(f): axum::Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let kept = kept_report(&*state.store, &a.principal, &id).await.map_err(|e| a.fail(e))?;
    let mut parts = kept.source.split(':');
    let (Some("aaf"), Some(batch), Some(academie)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(a.fail(Error::NotFound));
    };
    if !batch.chars().all(|c| c.is_ascii_alphanumeric()) || !state.config.upload_dir.join(batch).is_dir() {
        return Err(a.fail(Error::NotFound));
    }
    run(&state, &a, batch, academie, false).await
}
