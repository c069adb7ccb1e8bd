//! Homework handed in online, in the pages: a pupil sends their copy from the cahier's
//! homework list (`POST /cahier/homework/{id}/copy`); the homework's teachers open
//! `/cahier/homework/{id}/copies` — who handed in (late or not), who did not, each copy to
//! download or all as a zip, and a form to return each with a comment and a corrected file.

use super::handin_api::{give_back, receive, record};
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{field, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::{CopyId, Error, HomeworkId};
use std::collections::HashMap;

type PageResult = std::result::Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cahier/homework/{id}/copy", post(hand_in))
        .route("/cahier/homework/{id}/copies", get(copies_page))
        .route("/cahier/copies/{id}/return", post(return_copy))
}

async fn hand_in(State(state): State<AppState>, a: Authed, Path(id): Path<HomeworkId>, mut form: Multipart) -> PageResult {
    let bad = || Error::invalid("file", "document.interrupted");
    let mut csrf_ok = false;
    let mut outcome = None;
    while let Some(field) = form.next_field().await.map_err(|_| a.fail(bad()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf_ok = a.session.csrf.matches(&field.text().await.unwrap_or_default()),
            "file" if csrf_ok => {
                let name = field.file_name().unwrap_or("copie").to_owned();
                let r = match receive(&state, &a.principal, &name, field).await {
                    Ok(file) => record(&state, &a.principal, id, file).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                outcome = Some(r);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(a.fail(Error::Forbidden));
    }
    match outcome {
        Some(Ok(())) => Ok(Redirect::to(&format!("/cahier?done=handed_in#hw-{id}")).into_response()),
        Some(Err(e @ (Error::Invalid(_) | Error::Conflict(_)))) => {
            Ok(Redirect::to(&format!("/cahier?error={}#hw-{id}", preau_core::text::url_escape(&message(&e, a.lang)))).into_response())
        }
        Some(Err(e)) => Err(a.fail(e)),
        None => Err(a.fail(Error::invalid("file", "handin.empty"))),
    }
}

/// A copy as the teacher's page shows it.
struct ShownCopy {
    id: String,
    pupil: String,
    name: String,
    submitted: String,
    late: bool,
    returned: Option<String>,
}

#[derive(Template)]
#[template(path = "cahier_copies.html")]
struct CopiesPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    subject: String,
    due: String,
    deadline: String,
    copies: Vec<ShownCopy>,
    missing: Vec<String>,
    my_files: Vec<(String, String)>,
    zip: String,
    done: bool,
}

async fn copies_page(State(state): State<AppState>, a: Authed, Path(id): Path<HomeworkId>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let h = state.timetable.hand_ins(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let my_files = state.documents.my_files(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&CopiesPage {
        tr: Tr(a.lang),
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        subject: h.homework.subject.clone(),
        due: super::pages::day_title(a.lang, h.homework.due),
        deadline: fmt_time(h.deadline),
        copies: h
            .copies
            .into_iter()
            .map(|(c, pupil)| ShownCopy {
                id: c.id.to_string(),
                pupil,
                name: c.file.name,
                submitted: fmt_time(c.submitted),
                late: c.late,
                returned: c.returned.map(|r| r.comment),
            })
            .collect(),
        missing: h.missing.into_iter().map(|(_, n)| n).collect(),
        my_files: my_files.into_iter().filter(|(_, n)| !n.folder).map(|(path, n)| (n.id.to_string(), path)).collect(),
        zip: format!("/api/v1/homework/{id}/copies.zip"),
        done: q.contains_key("done"),
    }))
}

async fn return_copy(State(state): State<AppState>, a: Authed, Path(id): Path<CopyId>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let get = |k: &str| field(&f, k);
    a.check_csrf(get("csrf"))?;
    let corrected = get("corrected").parse().ok();
    let copy = give_back(&state, &a.principal, id, get("comment"), corrected).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/cahier/homework/{}/copies?done=returned", copy.homework)).into_response())
}
