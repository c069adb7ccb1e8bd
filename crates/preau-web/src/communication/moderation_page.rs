//! Moderation on the web: "Signaler" on a message or a news item, and the moderators' page of
//! open reports with the content and the two decisions.

use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::{fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_communication::moderation::Reported;
use preau_core::{MessageId, NewsId};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages/{id}/report", post(report_message))
        .route("/news/{id}/report", post(report_news))
        .route("/moderation", get(page))
        .route("/moderation/{id}", post(decide))
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn report(state: &AppState, a: &Authed, item: Reported, f: &ReportForm, back: String) -> Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    state.communication.report(&a.principal, item, &f.reason).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("{back}?reported=1")).into_response())
}

async fn report_message(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<ReportForm>) -> Result<Response, PageError> {
    report(&state, &a, Reported::Message(id), &f, format!("/messages/{id}")).await
}

async fn report_news(State(state): State<AppState>, a: Authed, Path(id): Path<NewsId>, Form(f): Form<ReportForm>) -> Result<Response, PageError> {
    report(&state, &a, Reported::News(id), &f, format!("/news/{id}")).await
}

struct Row {
    id: String,
    what: &'static str,
    author: String,
    title: String,
    body: String,
    reason: String,
    date: String,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    rows: Vec<Row>,
}

async fn page(State(state): State<AppState>, a: Authed) -> Result<Response, PageError> {
    let views = state.communication.reports(&a.principal).await.map_err(|e| a.fail(e))?;
    let rows = views
        .into_iter()
        .map(|v| Row {
            id: v.report.id.to_string(),
            what: match v.report.item {
                Reported::Message(_) => "moderation.a_message",
                Reported::News(_) => "moderation.a_news",
            },
            author: v.author,
            title: v.title,
            body: v.body,
            reason: v.report.reason,
            date: fmt_time(v.report.created_at),
        })
        .collect();
    Ok(render(&ModerationPage { tr: Tr(a.lang), user: Some(super::user_name(&state, &a).await?), csrf: a.session.csrf.to_string(), rows }))
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
    decision: String,
}

async fn decide(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<DecisionForm>) -> Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    state.communication.decide(&a.principal, id, f.decision == "hide").await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/moderation").into_response())
}
