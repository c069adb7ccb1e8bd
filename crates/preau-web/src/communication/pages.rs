//! The messaging pages: the folders with search, a message with its thread and what can be done
//! with it, and the compose form. Everything works without script: the recipient picker is a
//! search inside the compose form, whose "Rechercher" and "Ajouter" buttons post the form back
//! with what was written so far.

use super::user_name;
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{fmt_size, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_communication::messages::{Copy, Entry, Folder, MessageInput};
use preau_communication::rules::Target;
use preau_core::{AttachmentId, MessageId};
use serde::Deserialize;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages", get(show_folder))
        .route("/messages/new", get(compose))
        .route("/messages/{id}", get(show_message))
        .route("/messages/{id}/file", post(file))
        .route("/messages/{id}/recall", post(recall))
        .route("/messages/{id}/acknowledge", post(acknowledge))
        .route("/messages/{id}/remind", post(remind))
}

/// How a target reads: "Parents — 4B", "Enseignants — Collège Jules Verne", a person's name.
pub fn label(tr: &Tr, t: &Target, name: &str) -> String {
    match t {
        Target::Structure { profile, .. } | Target::Class { profile, .. } => format!("{} — {name}", tr.t(&format!("audience.{}", profile.code()))),
        _ => name.to_owned(),
    }
}

struct Row {
    id: String,
    who: String,
    subject: String,
    date: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct FolderPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    folder: &'static str,
    unread: i64,
    q: String,
    rows: Vec<Row>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct FolderQuery {
    #[serde(default)]
    folder: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    done: String,
}

fn row(tr: &Tr, e: &Entry) -> Row {
    let m = &e.message;
    let who = match e.folder {
        Folder::Sent | Folder::Drafts => m.addressees.iter().map(|a| label(tr, &a.target, &a.name)).collect::<Vec<_>>().join(", "),
        _ => m.sender_name.clone(),
    };
    Row {
        id: m.id.to_string(),
        who,
        subject: if m.subject.is_empty() { tr.t("message.no_subject") } else { m.subject.clone() },
        date: fmt_time(m.deliver_at.unwrap_or(m.created_at)),
        unread: e.read_at.is_none(),
    }
}

async fn show_folder(State(state): State<AppState>, a: Authed, Query(q): Query<FolderQuery>) -> PageResult {
    let folder = Folder::parse(&q.folder).unwrap_or(Folder::Inbox);
    let entries = state.communication.folder(&a.principal, folder, &q.q).await.map_err(|e| a.fail(e))?;
    let tr = Tr(a.lang);
    let notice = (!q.done.is_empty()).then(|| a.lang.t(&format!("message.done.{}", q.done.chars().filter(char::is_ascii_alphabetic).collect::<String>())));
    Ok(render(&FolderPage {
        user: Some(user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        folder: folder.code(),
        unread: state.communication.unread(&a.principal).await.map_err(|e| a.fail(e))?,
        q: q.q.clone(),
        rows: entries.iter().map(|e| row(&tr, e)).collect(),
        notice,
        tr,
    }))
}

struct Item {
    from: String,
    to: String,
    date: String,
    body: String,
    current: bool,
    hidden: bool,
    /// (download address, "name (size)").
    files: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    id: String,
    subject: String,
    thread: Vec<Item>,
    mine: bool,
    sent: bool,
    recalled: bool,
    in_trash: bool,
    can_reply: bool,
    /// Carnet de liaison: asked of me, and whether I did.
    ask_me: bool,
    acknowledged: bool,
    /// Carnet de liaison, for its sender: (name, acknowledged on, or nothing).
    acknowledgements: Vec<(String, Option<String>)>,
    reported: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct OpenQuery {
    #[serde(default)]
    recalled: Option<u64>,
    #[serde(default)]
    kept: Option<u64>,
    #[serde(default)]
    reminded: Option<usize>,
    #[serde(default)]
    reported: Option<u8>,
}

async fn show_message(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Query(q): Query<OpenQuery>) -> PageResult {
    let (entry, thread) = state.communication.open(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let tr = Tr(a.lang);
    let to = |e: &Entry| {
        e.message
            .addressees
            .iter()
            .map(|x| {
                format!(
                    "{}{}",
                    label(&tr, &x.target, &x.name),
                    if x.copy == Copy::To { String::new() } else { format!(" ({})", tr.t(&format!("message.{}", x.copy.code()))) }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let items = if thread.is_empty() { vec![entry.clone()] } else { thread };
    let notice = q
        .recalled
        .map(|n| format!("{} {n} — {} {}", tr.t("message.recalled_from"), tr.t("message.already_read"), q.kept.unwrap_or(0)))
        .or(q.reminded.map(|n| format!("{} {n}", tr.t("liaison.reminded"))));
    let m = &entry.message;
    let mine = m.sender == a.session.person;
    let acknowledgements = if mine && m.acknowledge {
        let list = state.communication.acknowledgements(&a.principal, id).await.map_err(|e| a.fail(e))?;
        list.into_iter().map(|x| (x.name, x.acknowledged_at.map(fmt_time))).collect()
    } else {
        vec![]
    };
    let acknowledged = !mine && m.acknowledge && state.communication.my_acknowledgement(&a.principal, id).await.map_err(|e| a.fail(e))?.is_some();
    Ok(render(&MessagePage {
        user: Some(user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        id: m.id.to_string(),
        subject: m.subject.clone(),
        thread: items
            .iter()
            .map(|e| Item {
                from: e.message.sender_name.clone(),
                to: to(e),
                date: fmt_time(e.message.deliver_at.unwrap_or(e.message.created_at)),
                body: e.message.body.clone(),
                current: e.message.id == m.id,
                hidden: e.message.hidden_at.is_some(),
                files: e
                    .message
                    .attachments
                    .iter()
                    .map(|f| (format!("/messages/{}/attachments/{}", e.message.id, f.id), format!("{} ({})", f.name, fmt_size(f.size))))
                    .collect(),
            })
            .collect(),
        mine,
        ask_me: !mine && m.acknowledge,
        acknowledged,
        acknowledgements,
        reported: q.reported.is_some(),
        sent: m.sent_at.is_some(),
        recalled: m.recalled_at.is_some(),
        in_trash: entry.folder == Folder::Trash,
        can_reply: m.sent_at.is_some() && (m.sender == a.session.person || !m.no_reply),
        notice,
        tr,
    }))
}

#[derive(Deserialize)]
struct FileForm {
    csrf: String,
    to: String,
}

async fn file(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<FileForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let (to, done) = match f.to.as_str() {
        "trash" => (Some(Folder::Trash), "trashed"),
        "back" => (Some(Folder::Inbox), "restored"),
        _ => (None, "deleted"),
    };
    state.communication.file(&a.principal, id, to).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/messages?done={done}")).into_response())
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn recall(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<CsrfOnly>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let r = state.communication.recall(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/messages/{id}?recalled={}&kept={}", r.taken_back, r.already_read)).into_response())
}

async fn acknowledge(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<CsrfOnly>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.communication.acknowledge(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/messages/{id}")).into_response())
}

async fn remind(State(state): State<AppState>, a: Authed, Path(id): Path<MessageId>, Form(f): Form<CsrfOnly>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let n = state.communication.remind(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/messages/{id}?reminded={n}")).into_response())
}

/// A recipient chosen in the form: how addressed, the target's code, and how it reads.
struct Chosen {
    copy: &'static str,
    code: String,
    label: String,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    chosen: Vec<Chosen>,
    /// (code, label) offered by the search.
    found: Vec<(String, String)>,
    searched: bool,
    q: String,
    subject: String,
    body: String,
    send_at: String,
    may_broadcast: bool,
    no_reply: bool,
    may_ask: bool,
    acknowledge: bool,
    reply_to: String,
    draft_id: String,
    /// The files attached so far: (id, "name (size)").
    files: Vec<(String, String)>,
    /// The files of one's own documents that can be attached: (id, "path (size)").
    documents: Vec<(String, String)>,
    error: Option<String>,
}

/// The compose form as posted (or prefilled).
#[derive(Default)]
struct Draft {
    chosen: Vec<(Copy, Target)>,
    q: String,
    subject: String,
    body: String,
    send_at: String,
    no_reply: bool,
    acknowledge: bool,
    reply_to: Option<MessageId>,
    draft_id: Option<MessageId>,
    attachments: Vec<AttachmentId>,
}

impl Draft {
    fn from_pairs(pairs: &[(String, String)]) -> (Draft, String, Vec<Target>, Copy) {
        let mut d = Draft::default();
        let (mut action, mut add, mut add_as) = (String::new(), vec![], Copy::To);
        for (k, v) in pairs {
            match k.as_str() {
                "to" | "cc" | "bcc" => {
                    if let (Some(c), Some(t)) = (Copy::parse(k), Target::parse(v))
                        && !d.chosen.iter().any(|(_, x)| *x == t)
                    {
                        d.chosen.push((c, t));
                    }
                }
                "add" => add.extend(Target::parse(v)),
                "add_as" => add_as = Copy::parse(v).unwrap_or(Copy::To),
                "q" => d.q = v.clone(),
                "subject" => d.subject = v.clone(),
                "body" => d.body = v.clone(),
                "send_at" => d.send_at = v.clone(),
                "no_reply" => d.no_reply = true,
                "acknowledge" => d.acknowledge = true,
                "reply_to" => d.reply_to = v.parse().ok(),
                "draft_id" => d.draft_id = v.parse().ok(),
                "attachment" => d.attachments.extend(v.parse::<AttachmentId>().ok()),
                "action" => action = v.clone(),
                _ => {}
            }
        }
        (d, action, add, add_as)
    }

    /// `send_at` as written in a `datetime-local` field (Paris time).
    fn send_at(&self) -> Option<i64> {
        let local = chrono::NaiveDateTime::parse_from_str(&self.send_at, "%Y-%m-%dT%H:%M").ok()?;
        Some(preau_core::local_time::from_paris(local.and_utc().timestamp()))
    }

    fn input(&self, draft: bool) -> MessageInput {
        let of = |c: Copy| self.chosen.iter().filter(|(x, _)| *x == c).map(|(_, t)| *t).collect();
        MessageInput {
            to: of(Copy::To),
            cc: of(Copy::Cc),
            bcc: of(Copy::Bcc),
            subject: self.subject.clone(),
            body: self.body.clone(),
            send_at: self.send_at(),
            no_reply: self.no_reply,
            reply_to: self.reply_to,
            draft,
            draft_id: self.draft_id,
            acknowledge: self.acknowledge,
            attachments: self.attachments.clone(),
        }
    }
}

async fn compose_page(state: &AppState, a: &Authed, d: Draft, searched: bool, error: Option<String>) -> PageResult {
    let tr = Tr(a.lang);
    let described = state.communication.describe(&a.principal, &d.chosen, d.reply_to).await.map_err(|e| a.fail(e))?;
    let targets: Vec<Target> = described.iter().map(|(_, t, _)| *t).collect();
    let chosen = described.iter().map(|(c, t, n)| Chosen { copy: c.code(), code: t.code(), label: label(&tr, t, n) }).collect();
    let found = if searched {
        let p = state.communication.picker(&a.principal, &d.q, 20).await.map_err(|e| a.fail(e))?;
        p.audiences.iter().chain(&p.people).filter(|n| !targets.contains(&n.target)).map(|n| (n.target.code(), label(&tr, &n.target, &n.name))).collect()
    } else {
        vec![]
    };
    let options = state.communication.sending_options(&a.principal).await.map_err(|e| a.fail(e))?;
    let files = state.communication.my_uploads(&a.principal, &d.attachments, d.draft_id).await.map_err(|e| a.fail(e))?;
    let documents = state.documents.my_files(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&ComposePage {
        documents: documents.iter().map(|(path, n)| (n.id.to_string(), format!("{path} ({})", fmt_size(n.size)))).collect(),
        files: files.iter().map(|f| (f.id.to_string(), format!("{} ({})", f.name, fmt_size(f.size)))).collect(),
        user: Some(user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        chosen,
        found,
        searched,
        q: d.q,
        subject: d.subject,
        body: d.body,
        send_at: d.send_at,
        may_broadcast: options.no_reply,
        no_reply: d.no_reply,
        may_ask: options.acknowledge,
        acknowledge: d.acknowledge,
        reply_to: d.reply_to.map(|r| r.to_string()).unwrap_or_default(),
        draft_id: d.draft_id.map(|r| r.to_string()).unwrap_or_default(),
        error,
        tr,
    }))
}

#[derive(Deserialize, Default)]
struct ComposeQuery {
    /// Answer this message.
    #[serde(default)]
    reply: Option<MessageId>,
    /// …to everyone it was addressed to.
    #[serde(default)]
    all: Option<String>,
    /// Go on with this draft.
    #[serde(default)]
    draft: Option<MessageId>,
    /// Write to this target.
    #[serde(default)]
    to: Option<String>,
}

async fn compose(State(state): State<AppState>, a: Authed, Query(q): Query<ComposeQuery>) -> PageResult {
    let mut d = Draft::default();
    if let Some(t) = q.to.as_deref().and_then(Target::parse) {
        d.chosen.push((Copy::To, t));
    }
    if let Some(id) = q.draft {
        let (e, _) = state.communication.open(&a.principal, id).await.map_err(|e| a.fail(e))?;
        d.chosen = e.message.addressees.iter().map(|x| (x.copy, x.target)).collect();
        d.attachments = e.message.attachments.iter().map(|f| f.id).collect();
        (d.subject, d.body, d.draft_id) = (e.message.subject, e.message.body, Some(id));
    }
    if let Some(id) = q.reply {
        let (e, _) = state.communication.open(&a.principal, id).await.map_err(|e| a.fail(e))?;
        let m = e.message;
        let mut targets = vec![Target::Person { person: m.sender }];
        if q.all.is_some() {
            let others: Vec<Target> = m.addressees.iter().filter(|x| x.copy != Copy::Bcc).map(|x| x.target).collect();
            targets.extend(state.communication.within_reach(&a.principal, &others).await.map_err(|e| a.fail(e))?);
        }
        targets.retain(|t| *t != Target::Person { person: a.session.person });
        targets.dedup();
        d.chosen = targets.into_iter().map(|t| (Copy::To, t)).collect();
        d.subject = if m.subject.starts_with("Re:") { m.subject.clone() } else { format!("Re: {}", m.subject) };
        let quoted: String = m.body.lines().map(|l| format!("> {l}\n")).collect();
        d.body = format!("\n\n{} {} :\n{quoted}", fmt_time(m.sent_at.unwrap_or(m.created_at)), m.sender_name);
        d.reply_to = Some(id);
    }
    compose_page(&state, &a, d, false, None).await
}

/// The compose form as posted: its fields, and the files chosen in it stored as uploads. A
/// form with files comes as `multipart/form-data`; its CSRF token (the form's first field) is
/// checked before any file is stored.
async fn read_compose(state: &AppState, a: &Authed, req: Request) -> Result<(Vec<(String, String)>, Option<String>), PageError> {
    let multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(pairs) =
            Form::<Vec<(String, String)>>::from_request(req, state).await.map_err(|_| a.fail(preau_core::Error::invalid("body", "form.invalid")))?;
        let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
        a.check_csrf(csrf)?;
        return attach_documents(state, a, pairs).await;
    }
    let mut form = Multipart::from_request(req, state).await.map_err(|_| a.fail(preau_core::Error::invalid("body", "form.invalid")))?;
    let (mut pairs, mut checked) = (vec![], false);
    let interrupted = || a.fail(preau_core::Error::invalid("file", "attachment.interrupted"));
    while let Some(field) = form.next_field().await.map_err(|_| interrupted())? {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file) if name == "files" => {
                if !checked {
                    return Err(a.fail(preau_core::Error::Forbidden));
                }
                if file.is_empty() {
                    continue; // The file input left empty.
                }
                match super::attachments::save_upload(state, &a.principal, &file, field).await {
                    Ok(f) => pairs.push(("attachment".to_owned(), f.id.to_string())),
                    Err(e @ preau_core::Error::Invalid(_)) => return Ok((pairs, Some(message(&e, a.lang)))),
                    Err(e) => return Err(a.fail(e)),
                }
            }
            _ => {
                let value = field.text().await.map_err(|_| interrupted())?;
                if name == "csrf" {
                    a.check_csrf(&value)?;
                    checked = true;
                }
                pairs.push((name, value));
            }
        }
    }
    if !checked {
        return Err(a.fail(preau_core::Error::Forbidden));
    }
    attach_documents(state, a, pairs).await
}

/// The files chosen from one's documents (`document` fields) become uploads attached like the
/// others (`attachment` fields); a refusal is returned to show.
async fn attach_documents(state: &AppState, a: &Authed, pairs: Vec<(String, String)>) -> Result<(Vec<(String, String)>, Option<String>), PageError> {
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k != "document" {
            out.push((k, v));
            continue;
        }
        let Ok(id) = v.parse() else { continue };
        match super::attachments::from_document(state, &a.principal, id).await {
            Ok(f) => out.push(("attachment".to_owned(), f.id.to_string())),
            Err(e @ preau_core::Error::Invalid(_)) => return Ok((out, Some(message(&e, a.lang)))),
            Err(e) => return Err(a.fail(e)),
        }
    }
    Ok((out, None))
}

pub(crate) async fn compose_post(State(state): State<AppState>, a: Authed, req: Request) -> PageResult {
    let (pairs, refused) = read_compose(&state, &a, req).await?;
    if refused.is_some() {
        let (d, ..) = Draft::from_pairs(&pairs);
        return compose_page(&state, &a, d, false, refused).await;
    }
    let (mut d, action, add, add_as) = Draft::from_pairs(&pairs);
    match action.as_str() {
        "send" | "draft" => match state.communication.send(&a.principal, &d.input(action == "draft")).await {
            Ok(m) if action == "draft" => Ok(Redirect::to(&format!("/messages?folder=drafts&done=saved#m-{}", m.id)).into_response()),
            Ok(_) => Ok(Redirect::to("/messages?done=sent").into_response()),
            Err(e @ (preau_core::Error::Invalid(_) | preau_core::Error::Forbidden | preau_core::Error::Conflict(_))) => {
                let error = Some(message(&e, a.lang));
                compose_page(&state, &a, d, false, error).await
            }
            Err(e) => Err(a.fail(e)),
        },
        "add" => {
            for t in add {
                if !d.chosen.iter().any(|(_, x)| *x == t) {
                    d.chosen.push((add_as, t));
                }
            }
            compose_page(&state, &a, d, true, None).await
        }
        _ => compose_page(&state, &a, d, true, None).await,
    }
}
