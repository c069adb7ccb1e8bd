//! The news pages: the board (news for me, what waits for my work), writing a news item,
//! reading one with its workflow buttons; and a structure's public news in its Atom feed.

use crate::auth::{Authed, lang_of};
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_communication::news::{News, NewsInput, NewsState};
use preau_communication::rules::PROFILES;
use preau_core::{NewsId, StructureId};
use preau_directory::DirectoryStore;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/news", get(board))
        .route("/news/new", get(new_form).post(create))
        .route("/news/{id}", get(show))
        .route("/news/{id}/step", post(step))
        .route("/news/{id}/edit", get(edit_form).post(edit))
        .route("/s/{uai}/news.atom", get(atom))
}

struct Item {
    id: String,
    title: String,
    by: String,
    date: String,
    state: &'static str,
}

fn item(n: &News) -> Item {
    Item {
        id: n.id.to_string(),
        title: n.title.clone(),
        by: n.author_name.clone(),
        date: fmt_time(n.published_at.unwrap_or(n.created_at)),
        state: n.state.code(),
    }
}

#[derive(Template)]
#[template(path = "news.html")]
struct BoardPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    published: Vec<Item>,
    to_work_on: Vec<Item>,
    can_write: bool,
    notice: Option<String>,
}

async fn board(
    State(state): State<AppState>,
    a: Authed,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let b = state.communication.news_board(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&BoardPage {
        tr: Tr(a.lang),
        user: Some(super::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        published: b.published.iter().map(item).collect(),
        to_work_on: b.to_work_on.iter().map(item).collect(),
        can_write: !b.can_write_in.is_empty(),
        notice: q.get("done").map(|d| a.lang.t(&format!("news.done.{}", d.chars().filter(char::is_ascii_alphabetic).collect::<String>()))),
    }))
}

#[derive(Template)]
#[template(path = "news_form.html")]
struct FormPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    /// (structure id, name)
    structures: Vec<(String, String)>,
    /// (group id, "structure — group")
    groups: Vec<(String, String)>,
    /// (code, label, chosen)
    profiles: Vec<(&'static str, String, bool)>,
    /// Where the form posts: `/news/new`, or `/news/<id>/edit`.
    action: String,
    /// What the form holds so far, with its structure's and group's ids ("" for none).
    chosen: NewsInput,
    chosen_structure: String,
    chosen_group: String,
    /// The expiry date as the date field shows it.
    expires: String,
    editing: bool,
    error: Option<String>,
}

/// What the news form shows: empty for a new item, the item's own values to change it.
struct Prefill {
    action: String,
    chosen: NewsInput,
    editing: bool,
}

impl Prefill {
    fn new_item(title: String, body: String) -> Prefill {
        let chosen = NewsInput { structure: StructureId::new(), group: None, profiles: vec![], title, body, expires_at: None, public: false };
        Prefill { action: "/news/new".into(), chosen, editing: false }
    }
}

async fn form_page(state: &AppState, a: &Authed, f: Prefill, error: Option<String>) -> PageResult {
    let b = state.communication.news_board(&a.principal).await.map_err(|e| a.fail(e))?;
    let tr = Tr(a.lang);
    let mut structures = vec![];
    let mut groups = vec![];
    for s in &b.can_write_in {
        let st = state.store.structure(*s).await.map_err(|e| a.fail(e))?;
        for g in state.store.groups_in(*s).await.map_err(|e| a.fail(e))?.into_iter().filter(|g| g.archived_year.is_none()) {
            groups.push((g.id.to_string(), format!("{} — {}", st.name, g.name)));
        }
        structures.push((s.to_string(), st.name));
    }
    let expires = f
        .chosen
        .expires_at
        .and_then(|t| chrono::DateTime::from_timestamp(preau_core::local_time::to_paris(t), 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Ok(render(&FormPage {
        user: Some(super::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        structures,
        groups,
        profiles: PROFILES.iter().map(|p| (p.code(), tr.t(&format!("audience.{}", p.code())), f.chosen.profiles.contains(p))).collect(),
        action: f.action,
        expires,
        chosen_structure: f.chosen.structure.to_string(),
        chosen_group: f.chosen.group.map(|g| g.to_string()).unwrap_or_default(),
        chosen: f.chosen,
        editing: f.editing,
        error,
        tr,
    }))
}

async fn new_form(State(state): State<AppState>, a: Authed) -> PageResult {
    form_page(&state, &a, Prefill::new_item(String::new(), String::new()), None).await
}

async fn edit_form(State(state): State<AppState>, a: Authed, Path(id): Path<NewsId>) -> PageResult {
    let n = state.communication.editable_news(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let chosen =
        NewsInput { structure: n.structure, group: n.group, profiles: n.profiles, title: n.title, body: n.body, expires_at: n.expires_at, public: n.public };
    form_page(&state, &a, Prefill { action: format!("/news/{id}/edit"), chosen, editing: true }, None).await
}

async fn edit(State(state): State<AppState>, a: Authed, Path(id): Path<NewsId>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or(""))?;
    let input = input_of(&pairs).map_err(|e| a.fail(e))?;
    match state.communication.edit_news(&a.principal, id, &input).await {
        Ok(n) => Ok(Redirect::to(&format!("/news/{}", n.id)).into_response()),
        Err(e @ preau_core::Error::Invalid(_)) => {
            let error = Some(message(&e, a.lang));
            form_page(&state, &a, Prefill { action: format!("/news/{id}/edit"), chosen: input, editing: true }, error).await
        }
        Err(e) => Err(a.fail(e)),
    }
}

/// Reads the posted form: structure, group, profile (repeated), title, body, expires (a date), public.
fn input_of(pairs: &[(String, String)]) -> preau_core::Result<NewsInput> {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str()).unwrap_or("");
    // A group that cannot be read is refused, never read as none (the whole school).
    let group = crate::pages::optional(pairs, "group")?;
    // The end of that day in Paris.
    let expires_at = crate::pages::optional::<chrono::NaiveDate>(pairs, "expires")?
        .and_then(|d| d.and_hms_opt(23, 59, 0))
        .map(|t| preau_core::local_time::from_paris(t.and_utc().timestamp()));
    Ok(NewsInput {
        structure: get("structure").parse::<StructureId>().map_err(|_| preau_core::Error::invalid("structure", "field.required"))?,
        group,
        profiles: crate::pages::profiles_ticked(pairs, "profile")?,
        title: get("title").to_owned(),
        body: get("body").to_owned(),
        expires_at,
        public: !get("public").is_empty(),
    })
}

async fn create(State(state): State<AppState>, a: Authed, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or(""))?;
    let submit = pairs.iter().any(|(k, v)| k == "action" && v == "submit");
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let input = match input_of(&pairs) {
        Ok(input) => input,
        Err(e) => return form_page(&state, &a, Prefill::new_item(get("title"), get("body")), Some(message(&e, a.lang))).await,
    };
    match state.communication.write_news(&a.principal, &input, submit).await {
        Ok(n) => Ok(Redirect::to(&format!("/news/{}", n.id)).into_response()),
        Err(e @ preau_core::Error::Invalid(_)) => {
            let error = Some(message(&e, a.lang));
            form_page(&state, &a, Prefill { action: "/news/new".into(), chosen: input, editing: false }, error).await
        }
        Err(e) => Err(a.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "news_item.html")]
struct ItemPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    id: String,
    title: String,
    body: String,
    by: String,
    date: String,
    state: &'static str,
    mine: bool,
    publisher: bool,
    public: bool,
    reported: bool,
    /// Its author before publication, or a publisher.
    may_edit: bool,
}

async fn show(
    State(state): State<AppState>,
    a: Authed,
    Path(id): Path<NewsId>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let n = state.communication.read_news(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let publisher = state.communication.may_publish(&a.principal, n.structure).await.map_err(|e| a.fail(e))?;
    Ok(render(&ItemPage {
        may_edit: state.communication.may_edit_news(&a.principal, &n).await.map_err(|e| a.fail(e))?,
        tr: Tr(a.lang),
        user: Some(super::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        id: n.id.to_string(),
        title: n.title.clone(),
        body: n.body.clone(),
        by: n.author_name.clone(),
        date: fmt_time(n.published_at.unwrap_or(n.created_at)),
        state: n.state.code(),
        mine: n.author == a.session.person,
        publisher,
        public: n.public,
        reported: q.contains_key("reported"),
    }))
}

#[derive(serde::Deserialize)]
struct StepForm {
    csrf: String,
    step: String,
}

async fn step(State(state): State<AppState>, a: Authed, Path(id): Path<NewsId>, Form(f): Form<StepForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let n = state.communication.news_step(&a.principal, id, &f.step).await.map_err(|e| a.fail(e))?;
    let done = match n.state {
        NewsState::Published => "published",
        NewsState::Submitted => "submitted",
        NewsState::Draft => "rejected",
    };
    Ok(Redirect::to(&format!("/news?done={done}")).into_response())
}

/// `GET /s/<uai>/news.atom`: the structure's public news (Atom, RFC 4287), escaped and dated
/// with the XML helpers of the SAML module.
async fn atom(State(state): State<AppState>, headers: HeaderMap, Path(uai): Path<String>) -> PageResult {
    let lang = lang_of(&headers);
    let s = state.directory.public_structure(&uai).await.map_err(|e| PageError::new(e, lang))?;
    let items = state.communication.public_news(s.id).await.map_err(|e| PageError::new(e, lang))?;
    use preau_sso::saml::xml::{attr, instant, text};
    let base = &state.config.base_url;
    let updated = items.iter().filter_map(|n| n.published_at).max().unwrap_or(0);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{}</title>\n<id>{base}/s/{}</id>\n<link rel=\"self\" href=\"{base}/s/{}/news.atom\"/>\n<link href=\"{base}/s/{}\"/>\n<updated>{}</updated>\n",
        text(&s.name),
        attr(s.uai.as_str()),
        attr(s.uai.as_str()),
        attr(s.uai.as_str()),
        instant(updated)
    );
    for n in &items {
        out.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>urn:uuid:{}</id>\n<link href=\"{base}/s/{}#news-{}\"/>\n<updated>{}</updated>\n<author><name>{}</name></author>\n<content type=\"text\">{}</content>\n</entry>\n",
            text(&n.title),
            n.id,
            attr(s.uai.as_str()),
            n.id,
            instant(n.published_at.unwrap_or(n.created_at)),
            text(&n.author_name),
            text(&n.body)
        ));
    }
    out.push_str("</feed>\n");
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], out).into_response())
}
