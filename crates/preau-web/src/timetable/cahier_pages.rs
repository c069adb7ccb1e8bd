//! The cahier de textes' pages. `/cahier`: for a pupil (or a parent, per child) the homework
//! due by day, with the pupil's own ticks, and what was done in each subject lately; for a
//! teacher, the week's lessons to write up. `/cahier/lesson/{course}/{date}`: a lesson's
//! entry and homework, with the class's workload beside. `/cahier/class/{group}`: a class's
//! whole cahier, printable, where the head adds a visa.

use super::{ShownLesson, monday_of, shown, today};
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{field, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Days, NaiveDate};
use preau_core::{CourseId, DocumentId, Error, GroupId, HomeworkId, PersonId, Profile, Result};
use preau_directory::DirectoryStore;
use preau_timetable::cahier::{DayLoad, EntryInput, Homework, HomeworkInput};
use preau_timetable::views::Of;
use std::collections::{BTreeMap, HashMap};

type PageResult = std::result::Result<Response, PageError>;
type Pairs = Vec<(String, String)>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cahier", get(home))
        .route("/cahier/homework/{id}/done", post(tick))
        .route("/cahier/lesson/{course}/{date}", get(lesson_page).post(save_entry))
        .route("/cahier/lesson/{course}/{date}/homework", post(add_homework))
        .route("/cahier/homework/{id}/delete", post(delete_homework))
        .route("/cahier/class/{group}", get(class_page))
        .route("/cahier/class/{group}/visa", post(visa))
        .route("/cahier/class/{group}/visa/withdraw", post(withdraw_visa))
}

/// A file shown with an item: its name and where to open it.
struct Attached {
    name: String,
    href: String,
}

/// Homework as a page shows it.
struct ShownHomework {
    id: String,
    subject: String,
    due: String,
    instructions: String,
    minutes: u16,
    files: Vec<Attached>,
    done: bool,
    scheduled: Option<String>,
    /// Handed in online: the page of copies (a teacher's) or the pupil's copy, if any.
    hand_in: bool,
    copy: Option<ShownOwnCopy>,
    /// A copy may still be sent (none yet, or not returned).
    open: bool,
}

/// A pupil's own copy, as their cahier shows it.
struct ShownOwnCopy {
    name: String,
    href: String,
    submitted: String,
    late: bool,
    returned: Option<String>,
    corrected: Option<String>,
}

impl ShownOwnCopy {
    fn of(c: preau_timetable::cahier::handin::Copy) -> ShownOwnCopy {
        let returned = c.returned.as_ref().map(|r| r.comment.clone());
        let corrected = c.returned.as_ref().and_then(|r| r.corrected.as_ref()).map(|_| format!("/api/v1/copies/{}/corrected", c.id));
        ShownOwnCopy { href: format!("/api/v1/copies/{}/file", c.id), name: c.file.name, submitted: fmt_time(c.submitted), late: c.late, returned, corrected }
    }
}

/// The attached files still there, in their order (one read for all of an item's files).
async fn files(state: &AppState, ids: &[DocumentId], prefix: &str) -> Vec<Attached> {
    if ids.is_empty() {
        return vec![];
    }
    let nodes = preau_documents::DocumentStore::nodes(&*state.store, ids).await.unwrap_or_default();
    ids.iter()
        .filter_map(|id| nodes.iter().find(|n| n.id == *id))
        .map(|n| Attached { name: n.name.clone(), href: format!("{prefix}/attachments/{}", n.id) })
        .collect()
}

async fn shown_homework(state: &AppState, lang: crate::i18n::Lang, h: Homework, done: bool) -> ShownHomework {
    let now = state.clock.now();
    ShownHomework {
        id: h.id.to_string(),
        subject: h.subject,
        due: super::pages::day_title(lang, h.due),
        instructions: h.instructions,
        minutes: h.minutes,
        files: files(state, &h.attachments, &format!("/api/v1/homework/{}", h.id)).await,
        done,
        scheduled: (h.publish_at > now).then(|| fmt_time(h.publish_at)),
        open: h.hand_in,
        hand_in: h.hand_in,
        copy: None,
    }
}

/// An entry as a page shows it.
struct ShownEntry {
    day: String,
    subject: String,
    title: String,
    content: String,
    files: Vec<Attached>,
    scheduled: Option<String>,
}

#[derive(Template)]
#[template(path = "cahier.html")]
struct HomePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    /// The pupil's own page (ticks shown).
    own: bool,
    whose: Option<String>,
    children: Vec<(String, String, bool)>,
    /// Homework by due day.
    due: Vec<(String, Vec<ShownHomework>)>,
    /// Entries by subject.
    log: Vec<(String, Vec<ShownEntry>)>,
    /// Back from handing in, or the reason it was refused.
    handed_in: bool,
    error: Option<String>,
    /// A teacher's lessons of the week: (day, lessons, href of each).
    lessons: Vec<(String, Vec<(ShownLesson, String)>)>,
    teacher: bool,
    prev: String,
    next: String,
    /// Which tab: what was done in class, or (by default) the homework due.
    log_tab: bool,
    due_href: String,
    log_href: String,
}

async fn home(State(state): State<AppState>, a: Authed, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    let is_pupil = a.principal.memberships.iter().any(|(_, p)| *p == Profile::Pupil);
    let children = if is_pupil { vec![] } else { state.store.children(me).await.map_err(|e| a.fail(e))? };
    let pupil = q.get("pupil").and_then(|p| p.parse::<PersonId>().ok()).or(if is_pupil { Some(me) } else { children.first().map(|(c, _)| c.id) });
    let tr = Tr(a.lang);
    let user = Some(crate::communication::user_name(&state, &a).await?);
    let Some(pupil) = pupil else {
        return teacher_home(&state, &a, tr, user, q.get("week").and_then(|w| w.parse().ok()).filter(preau_timetable::views::plausible)).await;
    };
    // From a chosen day (browsing), by default today.
    let day = q.get("from").and_then(|d| d.parse().ok()).filter(preau_timetable::views::plausible).unwrap_or_else(|| today(&state));
    // Two tabs: the homework due (the evening's page), and what was done in class.
    let log_tab = q.get("tab").is_some_and(|t| t == "log");
    let due = if log_tab { vec![] } else { state.timetable.homework_for(&a.principal, pupil, day, day + Days::new(14)).await.map_err(|e| a.fail(e))? };
    let mut by_day: BTreeMap<NaiveDate, Vec<ShownHomework>> = BTreeMap::new();
    for d in due {
        let (when, done, id, hand_in) = (d.homework.due, d.done.is_some(), d.homework.id, d.homework.hand_in);
        let mut shown = shown_homework(&state, a.lang, d.homework, done).await;
        if hand_in {
            shown.copy = state.timetable.my_copy(&a.principal, id, pupil).await.map_err(|e| a.fail(e))?.map(ShownOwnCopy::of);
            shown.open = shown.copy.as_ref().is_none_or(|c| c.returned.is_none());
        }
        by_day.entry(when).or_default().push(shown);
    }
    let entries = if log_tab { state.timetable.lessons_log(&a.principal, pupil, day - Days::new(28), day).await.map_err(|e| a.fail(e))? } else { vec![] };
    let mut log: Vec<(String, Vec<ShownEntry>)> = vec![];
    for e in entries.into_iter().rev() {
        let shown = ShownEntry {
            day: super::pages::day_title(a.lang, e.date),
            subject: e.subject.clone(),
            title: e.title,
            content: e.content,
            files: files(&state, &e.attachments, &format!("/api/v1/cahier/entries/{}", e.id)).await,
            scheduled: None,
        };
        match log.iter_mut().find(|(s, _)| *s == e.subject) {
            Some((_, list)) => list.push(shown),
            None => log.push((e.subject, vec![shown])),
        }
    }
    log.sort_by(|a, b| a.0.cmp(&b.0));
    let tab = if log_tab { "&tab=log" } else { "" };
    let children = children.into_iter().map(|(c, _)| (format!("/cahier?pupil={}{tab}", c.id), c.display_name(), c.id == pupil)).collect();
    let whose = if pupil == me { None } else { state.store.person(pupil).await.ok().map(|p| p.display_name()) };
    Ok(render(&HomePage {
        tr,
        user,
        csrf: a.session.csrf.to_string(),
        own: pupil == me,
        whose,
        children,
        due: by_day.into_iter().map(|(d, list)| (super::pages::day_title(a.lang, d), list)).collect(),
        log,
        handed_in: q.get("done").is_some_and(|d| d == "handed_in"),
        error: q.get("error").cloned(),
        lessons: vec![],
        teacher: false,
        prev: format!("/cahier?pupil={pupil}&from={}{tab}", day - Days::new(14)),
        next: format!("/cahier?pupil={pupil}&from={}{tab}", day + Days::new(14)),
        log_tab,
        due_href: format!("/cahier?pupil={pupil}&from={day}"),
        log_href: format!("/cahier?pupil={pupil}&from={day}&tab=log"),
    }))
}

/// A teacher's week of lessons, each linked to its write-up.
async fn teacher_home(state: &AppState, a: &Authed, tr: Tr, user: Option<String>, week: Option<NaiveDate>) -> PageResult {
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    let monday = monday_of(week.unwrap_or_else(|| today(state)));
    let lessons = state.timetable.lessons(&a.principal, &Of::Person(me), monday, monday + Days::new(6)).await.map_err(|e| a.fail(e))?;
    let mine: Vec<_> = lessons.into_iter().filter(|l| l.teachers.contains(&me)).collect();
    let mut days: Vec<(String, Vec<(ShownLesson, String)>)> = vec![];
    for l in shown(state, mine).await.map_err(|e| a.fail(e))? {
        let title = super::pages::day_title(a.lang, l.day);
        let href = format!("/cahier/lesson/{}/{}", l.course, l.date);
        match days.last_mut() {
            Some((t, list)) if *t == title => list.push((l, href)),
            _ => days.push((title, vec![(l, href)])),
        }
    }
    Ok(render(&HomePage {
        tr,
        user,
        csrf: a.session.csrf.to_string(),
        own: false,
        whose: None,
        children: vec![],
        due: vec![],
        log: vec![],
        handed_in: false,
        error: None,
        lessons: days,
        teacher: true,
        prev: format!("/cahier?week={}", monday - Days::new(7)),
        next: format!("/cahier?week={}", monday + Days::new(7)),
        log_tab: false,
        due_href: String::new(),
        log_href: String::new(),
    }))
}

async fn tick(State(state): State<AppState>, a: Authed, Path(id): Path<HomeworkId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    state.timetable.tick(&a.principal, id, field(&f, "done") == "1").await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/cahier#hw-{id}")).into_response())
}

#[derive(Template)]
#[template(path = "cahier_lesson.html")]
struct LessonPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    action: String,
    lesson: ShownLesson,
    day: String,
    writable: bool,
    title: String,
    /// What the form holds (text in a textarea, escaped).
    content: String,
    /// The stored entry's cleaned HTML, shown when it can no longer be written.
    stored: String,
    /// The caller's files: (id, path, attached).
    my_files: Vec<(String, String, bool)>,
    homework: Vec<ShownHomework>,
    next_lesson: String,
    workload: Vec<(String, DayLoad)>,
    class_links: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
    /// The homework form as it was sent, when it came back with an error (nothing typed is
    /// lost); empty otherwise.
    hw: HomeworkForm,
}

/// What the homework form holds.
#[derive(Default)]
struct HomeworkForm {
    due: String,
    instructions: String,
    minutes: String,
    hand_in: bool,
    deadline: String,
    publish_at: String,
    attached: Vec<String>,
}

impl HomeworkForm {
    /// The form as sent, if `f` is the homework form's.
    fn sent(f: &Pairs) -> Option<HomeworkForm> {
        f.iter().any(|(k, _)| k == "instructions").then(|| HomeworkForm {
            due: field(f, "due").to_owned(),
            instructions: field(f, "instructions").to_owned(),
            minutes: field(f, "minutes").to_owned(),
            hand_in: field(f, "hand_in") == "on",
            deadline: field(f, "deadline").to_owned(),
            publish_at: field(f, "publish_at").to_owned(),
            attached: f.iter().filter(|(k, _)| k == "attachment").map(|(_, v)| v.clone()).collect(),
        })
    }
}

async fn lesson_page(
    State(state): State<AppState>,
    a: Authed,
    Path((course, date)): Path<(CourseId, NaiveDate)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    lesson_view(&state, &a, course, date, None, q.contains_key("done")).await
}

async fn lesson_view(state: &AppState, a: &Authed, course: CourseId, date: NaiveDate, error: Option<(String, Pairs)>, saved: bool) -> PageResult {
    let lc = state.timetable.lesson_cahier(&a.principal, course, date).await.map_err(|e| a.fail(e))?;
    let hw = error.as_ref().and_then(|(_, f)| HomeworkForm::sent(f));
    // The entry's own form shows what was typed when it came back, what is stored otherwise
    // (also when the homework form came back).
    let typed_entry = error.as_ref().filter(|_| hw.is_none()).map(|(_, f)| f);
    let (entry_title, entry_content, attached) = match (typed_entry, &lc.entry) {
        (Some(f), _) => (
            field(f, "title").to_owned(),
            field(f, "content").to_owned(),
            f.iter().filter(|(k, _)| k == "attachment").filter_map(|(_, v)| v.parse().ok()).collect(),
        ),
        (None, Some(e)) => (e.title.clone(), e.content.clone(), e.attachments.clone()),
        (None, None) => Default::default(),
    };
    let my_files = state.documents.my_files(&a.principal).await.map_err(|e| a.fail(e))?;
    let my_files = my_files.into_iter().filter(|(_, n)| !n.folder).map(|(path, n)| (n.id.to_string(), path, attached.contains(&n.id))).collect();
    let mut homework = vec![];
    for h in lc.homework {
        homework.push(shown_homework(state, a.lang, h, false).await);
    }
    // The next lessons of this course: the natural "for" of homework.
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    let ahead = state.timetable.lessons(&a.principal, &Of::Person(me), date + Days::new(1), date + Days::new(60)).await.map_err(|e| a.fail(e))?;
    let next_lesson = ahead.iter().find(|l| l.course == course).map(|l| l.day).unwrap_or(date + Days::new(7));
    let mut workload = vec![];
    let mut class_links = vec![];
    let names = state.timetable.names(std::slice::from_ref(&lc.lesson)).await.map_err(|e| a.fail(e))?;
    for g in &lc.lesson.groups {
        let name = names.get(&g.to_string()).cloned().unwrap_or_default();
        class_links.push((format!("/cahier/class/{g}"), name));
        if let Ok(load) = state.timetable.workload(&a.principal, *g, date, date + Days::new(14)).await {
            workload.extend(load.into_iter().map(|d| (super::pages::day_title(a.lang, d.day), d)));
        }
    }
    let lesson = shown(state, vec![lc.lesson.clone()]).await.map_err(|e| a.fail(e))?.pop().ok_or_else(|| a.fail(Error::NotFound))?;
    Ok(render(&LessonPage {
        tr: Tr(a.lang),
        user: Some(crate::communication::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        action: format!("/cahier/lesson/{course}/{date}"),
        day: super::pages::day_title(a.lang, lc.lesson.day),
        lesson,
        writable: lc.writable,
        title: entry_title,
        content: entry_content,
        stored: lc.entry.as_ref().map(|e| e.content.clone()).unwrap_or_default(),
        my_files,
        homework,
        next_lesson: next_lesson.to_string(),
        workload,
        class_links,
        error: error.map(|(m, _)| m),
        saved,
        hw: hw.unwrap_or_default(),
    }))
}

/// The files ticked (`attachment` repeated); one that cannot be read (an altered form) is
/// refused, not dropped.
fn attachments_of(f: &Pairs) -> Result<Vec<DocumentId>> {
    crate::pages::ticked(f, "attachment", "form.invalid")
}

/// A `datetime-local` field (`YYYY-MM-DDTHH:MM`, Paris time; with a space instead of the `T`
/// from a browser that shows a plain text field) as an instant. Empty: none. Anything else is
/// refused: read as none, a publication planned for later would go out at once.
fn instant_of(f: &Pairs, name: &str) -> Result<Option<i64>> {
    let text = field(f, name).trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parsed = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"));
    let t = parsed.map_err(|_| Error::invalid(name, "form.datetime"))?;
    Ok(Some(preau_core::local_time::from_paris(t.and_utc().timestamp())))
}

/// Back to the lesson page: saved, or with the error and what was typed.
async fn after(state: &AppState, a: &Authed, course: CourseId, date: NaiveDate, r: Result<()>, f: Pairs) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/cahier/lesson/{course}/{date}?done=saved")).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => lesson_view(state, a, course, date, Some((message(&e, a.lang), f)), false).await,
        Err(e) => Err(a.fail(e)),
    }
}

async fn save_entry(State(state): State<AppState>, a: Authed, Path((course, date)): Path<(CourseId, NaiveDate)>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let r = async {
        let input = EntryInput {
            title: field(&f, "title").to_owned(),
            content: field(&f, "content").to_owned(),
            attachments: attachments_of(&f)?,
            publish_at: instant_of(&f, "publish_at")?,
        };
        state.timetable.write_entry(&a.principal, course, date, input).await.map(|_| ())
    }
    .await;
    after(&state, &a, course, date, r, f).await
}

async fn add_homework(State(state): State<AppState>, a: Authed, Path((course, date)): Path<(CourseId, NaiveDate)>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let r = async {
        let due = field(&f, "due").parse().map_err(|_| Error::invalid("due", "cahier.due_before"))?;
        let minutes = crate::pages::optional(&f, "minutes")?.unwrap_or(0);
        let input = HomeworkInput {
            due,
            instructions: field(&f, "instructions").to_owned(),
            minutes,
            attachments: attachments_of(&f)?,
            hand_in: field(&f, "hand_in") == "on",
            deadline: instant_of(&f, "deadline")?,
            publish_at: instant_of(&f, "publish_at")?,
        };
        state.timetable.set_homework(&a.principal, course, date, input).await.map(|_| ())
    }
    .await;
    after(&state, &a, course, date, r, f).await
}

async fn delete_homework(State(state): State<AppState>, a: Authed, Path(id): Path<HomeworkId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let h = preau_timetable::TimetableStore::homework(&*state.store, id).await.and_then(|h| h.ok_or(Error::NotFound)).map_err(|e| a.fail(e))?;
    let r = state.timetable.delete_homework(&a.principal, id).await;
    after(&state, &a, h.course, h.set_on, r, f).await
}

#[derive(Template)]
#[template(path = "cahier_class.html")]
struct ClassPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    name: String,
    range: String,
    archived: bool,
    entries: Vec<ShownEntry>,
    homework: Vec<ShownHomework>,
    /// (teacher, until, note, when, teacher's id, until as a date)
    visas: Vec<(String, String, String, String, String, String)>,
    /// The teachers a head may visa: (id, name).
    teachers: Option<Vec<(String, String)>>,
    action: String,
    today: String,
    prev: String,
    next: String,
    /// The notice after adding or withdrawing a visa.
    done: Option<&'static str>,
}

async fn class_page(State(state): State<AppState>, a: Authed, Path(group): Path<GroupId>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let from = q.get("from").and_then(|d| d.parse().ok()).filter(preau_timetable::views::plausible).unwrap_or_else(|| monday_of(today(&state)) - Days::new(21));
    let to = from + Days::new(34);
    let c = state.timetable.class_cahier(&a.principal, group, from, to).await.map_err(|e| a.fail(e))?;
    let g = state.store.group(group).await.map_err(|e| a.fail(e))?;
    let mut teachers: BTreeMap<String, String> = BTreeMap::new();
    let mut name_of = async |p: PersonId| -> String {
        if let Some(n) = teachers.get(&p.to_string()) {
            return n.clone();
        }
        let n = state.store.person(p).await.map(|p| p.display_name()).unwrap_or_default();
        teachers.insert(p.to_string(), n.clone());
        n
    };
    let now = state.clock.now();
    let mut entries = vec![];
    for e in c.entries {
        let teacher = name_of(e.teacher).await;
        entries.push(ShownEntry {
            day: super::pages::day_title(a.lang, e.date),
            subject: format!("{} — {teacher}", e.subject),
            title: e.title,
            content: e.content,
            files: files(&state, &e.attachments, &format!("/api/v1/cahier/entries/{}", e.id)).await,
            scheduled: (e.publish_at > now).then(|| fmt_time(e.publish_at)),
        });
    }
    let mut homework = vec![];
    for h in c.homework {
        homework.push(shown_homework(&state, a.lang, h, false).await);
    }
    let mut visas = vec![];
    for v in c.visas {
        visas.push((name_of(v.teacher).await, super::pages::day_title(a.lang, v.until), v.note, fmt_time(v.at), v.teacher.to_string(), v.until.to_string()));
    }
    let head = state.timetable.may_visa(&a.principal, g.structure);
    let teachers = head.then(|| teachers.into_iter().collect());
    Ok(render(&ClassPage {
        tr: Tr(a.lang),
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        name: g.name,
        range: format!("{} – {}", super::pages::day_title(a.lang, from), super::pages::day_title(a.lang, to)),
        archived: c.archived,
        entries,
        homework,
        visas,
        teachers,
        action: format!("/cahier/class/{group}/visa"),
        today: today(&state).to_string(),
        prev: format!("/cahier/class/{group}?from={}", from - Days::new(35)),
        next: format!("/cahier/class/{group}?from={}", from + Days::new(35)),
        done: match q.get("done").map(String::as_str) {
            Some("visa") => Some("cahier.visa_done"),
            Some("withdrawn") => Some("cahier.visa_withdrawn"),
            _ => None,
        },
    }))
}

async fn withdraw_visa(State(state): State<AppState>, a: Authed, Path(group): Path<GroupId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let teacher = field(&f, "teacher").parse().map_err(|_| a.fail(Error::NotFound))?;
    let until = field(&f, "until").parse().map_err(|_| a.fail(Error::NotFound))?;
    state.timetable.withdraw_visa(&a.principal, group, teacher, until).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/cahier/class/{group}?done=withdrawn#visas")).into_response())
}

async fn visa(State(state): State<AppState>, a: Authed, Path(group): Path<GroupId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let teacher = field(&f, "teacher").parse().map_err(|_| a.fail(Error::invalid("teacher", "field.required")))?;
    let until = field(&f, "until").parse().unwrap_or_else(|_| today(&state));
    state.timetable.visa(&a.principal, group, teacher, until, field(&f, "note")).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/cahier/class/{group}?done=visa#visas")).into_response())
}
