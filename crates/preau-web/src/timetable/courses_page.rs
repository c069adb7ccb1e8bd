//! The courses pages of a school's timetable managers: `/timetable/courses/{structure}` lists
//! the school's courses (by day and time, with their source) and links to the import;
//! `/timetable/courses/{structure}/new` adds one by hand; `/timetable/course/{id}` changes or
//! deletes one. Every rule is the domain's (`Timetable::add_course`, `update_course`,
//! `delete_course`); a refused form comes back filled in, with what was wrong.

use super::today;
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{field, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::{CourseId, Error, GroupId, PersonId, Profile, Result, StructureId};
use preau_directory::DirectoryStore;
use preau_timetable::Weeks;
use preau_timetable::manage::CourseInput;
use preau_timetable::model::{Course, parse_minute, show_minute};
use std::collections::HashMap;

type PageResult = std::result::Result<Response, PageError>;
type Pairs = Vec<(String, String)>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/timetable/courses/{structure}", get(list))
        .route("/timetable/courses/{structure}/new", get(new_form).post(create))
        .route("/timetable/course/{id}", get(edit_form).post(save))
        .route("/timetable/course/{id}/delete", post(delete))
}

/// The French (or English) name of a weekday, 1 = Monday.
fn weekday_name(tr: &Tr, d: u8) -> String {
    tr.t(&format!("timetable.day_{d}"))
}

/// A course as the list shows it.
struct Row {
    href: String,
    day: String,
    time: String,
    subject: String,
    teachers: String,
    groups: String,
    room: String,
    weeks: String,
    imported: bool,
}

#[derive(Template)]
#[template(path = "timetable_courses.html")]
struct ListPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    school: String,
    structure: String,
    rows: Vec<Row>,
    done: Option<String>,
}

/// A course's form, as stored or as sent back.
struct Fields {
    subject: String,
    teachers: Vec<String>,
    groups: Vec<String>,
    room: String,
    weekday: u8,
    start: String,
    end: String,
    /// `every`, `A`, `B` or `given`, with the given weeks.
    weeks: String,
    given: String,
    from: String,
    to: String,
}

impl Fields {
    fn of(c: &Course) -> Fields {
        let (weeks, given) = match &c.weeks {
            Weeks::Given(_) => ("given".to_owned(), c.weeks.code()),
            other => (other.code(), String::new()),
        };
        Fields {
            subject: c.subject.clone(),
            teachers: c.teachers.iter().map(ToString::to_string).collect(),
            groups: c.groups.iter().map(ToString::to_string).collect(),
            room: c.room.clone(),
            weekday: c.weekday,
            start: show_minute(c.start),
            end: show_minute(c.end),
            weeks,
            given,
            from: c.from.to_string(),
            to: c.to.to_string(),
        }
    }

    fn blank(state: &AppState) -> Fields {
        let (from, to) = preau_timetable::calendar::year_period(today(state));
        Fields {
            subject: String::new(),
            teachers: vec![],
            groups: vec![],
            room: String::new(),
            weekday: 1,
            start: "08:00".into(),
            end: "09:00".into(),
            weeks: "every".into(),
            given: String::new(),
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    fn sent(f: &Pairs) -> Fields {
        let all = |name: &str| f.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect();
        Fields {
            subject: field(f, "subject").to_owned(),
            teachers: all("teachers"),
            groups: all("groups"),
            room: field(f, "room").to_owned(),
            weekday: field(f, "weekday").parse().unwrap_or(0),
            start: field(f, "start").to_owned(),
            end: field(f, "end").to_owned(),
            weeks: field(f, "weeks").to_owned(),
            given: field(f, "given").to_owned(),
            from: field(f, "from").to_owned(),
            to: field(f, "to").to_owned(),
        }
    }

    /// What the domain is asked; a field that cannot even be read is reported as the domain
    /// reports it.
    fn input(&self) -> Result<CourseInput> {
        let weeks = if self.weeks == "given" { Weeks::parse(&self.given).filter(|w| *w != Weeks::Every) } else { Weeks::parse(&self.weeks) };
        let date = |s: &str, name: &str| s.parse().map_err(|_| Error::invalid(name, "timetable.period"));
        Ok(CourseInput {
            subject: self.subject.clone(),
            teachers: self
                .teachers
                .iter()
                .map(|s| s.parse::<PersonId>().map_err(|_| Error::invalid("teachers", "timetable.teacher_unknown")))
                .collect::<Result<_>>()?,
            groups: self.groups.iter().map(|s| s.parse::<GroupId>().map_err(|_| Error::invalid("groups", "timetable.group_unknown"))).collect::<Result<_>>()?,
            room: self.room.clone(),
            weekday: self.weekday,
            start: parse_minute(&self.start).ok_or_else(|| Error::invalid("start", "timetable.times"))?,
            end: parse_minute(&self.end).ok_or_else(|| Error::invalid("end", "timetable.times"))?,
            weeks: weeks.ok_or_else(|| Error::invalid("weeks", "timetable.weeks"))?,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
        })
    }
}

#[derive(Template)]
#[template(path = "timetable_course.html")]
struct FormPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    school: String,
    list: String,
    action: String,
    /// Changing an existing course: its delete action, and whether an import made it.
    delete: Option<String>,
    imported: bool,
    f: Fields,
    error: Option<String>,
    /// (id, name, chosen)
    teachers: Vec<(String, String, bool)>,
    groups: Vec<(String, String, bool)>,
    days: Vec<(u8, String)>,
}

async fn school_name(state: &AppState, s: StructureId) -> Result<String> {
    Ok(state.store.structure(s).await?.name)
}

/// "Last name First name", as a picker sorts people.
fn sort_name(p: &preau_directory::Person) -> String {
    format!("{} {}", p.family_name, p.given_name)
}

async fn list(State(state): State<AppState>, a: Authed, Path(s): Path<StructureId>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let courses = state.timetable.courses(&a.principal, s).await.map_err(|e| a.fail(e))?;
    let names = state
        .timetable
        .names_for(courses.iter().flat_map(|c| c.teachers.iter().copied()), courses.iter().flat_map(|c| c.groups.iter().copied()))
        .await
        .map_err(|e| a.fail(e))?;
    let name_list = |ids: Vec<String>| ids.iter().map(|id| names.get(id).cloned().unwrap_or_default()).collect::<Vec<_>>().join(", ");
    let tr = Tr(a.lang);
    let rows = courses
        .into_iter()
        .map(|c| Row {
            href: format!("/timetable/course/{}", c.id),
            day: weekday_name(&tr, c.weekday),
            time: format!("{}–{}", show_minute(c.start), show_minute(c.end)),
            teachers: name_list(c.teachers.iter().map(ToString::to_string).collect()),
            groups: name_list(c.groups.iter().map(ToString::to_string).collect()),
            weeks: weeks_label(&tr, &c.weeks),
            imported: c.source != "manual",
            subject: c.subject,
            room: c.room,
        })
        .collect();
    Ok(render(&ListPage {
        tr,
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        school: school_name(&state, s).await.map_err(|e| a.fail(e))?,
        structure: s.to_string(),
        rows,
        done: q.get("done").filter(|d| ["added", "saved", "deleted"].contains(&d.as_str())).map(|d| format!("timetable.course_{d}")),
    }))
}

fn weeks_label(tr: &Tr, w: &Weeks) -> String {
    match w {
        Weeks::Every => tr.t("timetable.weeks_every"),
        Weeks::A => tr.t("timetable.weeks_a"),
        Weeks::B => tr.t("timetable.weeks_b"),
        Weeks::Given(_) => format!("{} {}", tr.t("timetable.weeks_given"), w.code()),
    }
}

async fn form_page(state: &AppState, a: &Authed, s: StructureId, course: Option<&Course>, f: Fields, error: Option<String>) -> PageResult {
    let fail = |e| a.fail(e);
    let mut teachers: Vec<(String, String, bool)> = state
        .store
        .people_in(s, Some(Profile::Teacher), "", 100_000)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(p, _)| (p.id.to_string(), sort_name(&p), false))
        .collect();
    // An adult of the school who is not a teacher but was named on the course stays pickable.
    for t in &f.teachers {
        if !teachers.iter().any(|(id, _, _)| id == t)
            && let Ok(id) = t.parse()
            && state.store.memberships(id).await.is_ok_and(|ms| ms.iter().any(|m| m.structure == s))
            && let Ok(p) = state.store.person(id).await
        {
            teachers.push((t.clone(), sort_name(&p), false));
        }
    }
    teachers.sort_by(|x, y| x.1.cmp(&y.1));
    teachers.dedup_by(|x, y| x.0 == y.0);
    teachers.iter_mut().for_each(|t| t.2 = f.teachers.contains(&t.0));
    let mut groups: Vec<(String, String, bool)> =
        state.store.groups_in(s).await.map_err(fail)?.into_iter().filter(|g| g.archived_year.is_none()).map(|g| (g.id.to_string(), g.name, false)).collect();
    groups.sort_by(|x, y| x.1.cmp(&y.1));
    groups.iter_mut().for_each(|g| g.2 = f.groups.contains(&g.0));
    let tr = Tr(a.lang);
    let days = (1..=6).map(|d| (d, weekday_name(&tr, d))).collect();
    Ok(render(&FormPage {
        user: Some(crate::communication::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        school: school_name(state, s).await.map_err(fail)?,
        list: format!("/timetable/courses/{s}"),
        action: course.map_or(format!("/timetable/courses/{s}/new"), |c| format!("/timetable/course/{}", c.id)),
        delete: course.map(|c| format!("/timetable/course/{}/delete", c.id)),
        imported: course.is_some_and(|c| c.source != "manual"),
        f,
        error,
        teachers,
        groups,
        days,
        tr,
    }))
}

async fn new_form(State(state): State<AppState>, a: Authed, Path(s): Path<StructureId>) -> PageResult {
    if !state.timetable.manages(&a.principal, s).await.map_err(|e| a.fail(e))? {
        return Err(a.fail(Error::Forbidden));
    }
    form_page(&state, &a, s, None, Fields::blank(&state), None).await
}

async fn create(State(state): State<AppState>, a: Authed, Path(s): Path<StructureId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let fields = Fields::sent(&f);
    let r = async { state.timetable.add_course(&a.principal, s, fields.input()?).await }.await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/timetable/courses/{s}?done=added")).into_response()),
        Err(e @ Error::Invalid(_)) => form_page(&state, &a, s, None, fields, Some(message(&e, a.lang))).await,
        Err(e) => Err(a.fail(e)),
    }
}

async fn edit_form(State(state): State<AppState>, a: Authed, Path(id): Path<CourseId>) -> PageResult {
    let course = state.timetable.course(&a.principal, id).await.map_err(|e| a.fail(e))?;
    form_page(&state, &a, course.structure, Some(&course), Fields::of(&course), None).await
}

async fn save(State(state): State<AppState>, a: Authed, Path(id): Path<CourseId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let course = state.timetable.course(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let fields = Fields::sent(&f);
    let r = async { state.timetable.update_course(&a.principal, id, fields.input()?).await }.await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/timetable/courses/{}?done=saved", course.structure)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => form_page(&state, &a, course.structure, Some(&course), fields, Some(message(&e, a.lang))).await,
        Err(e) => Err(a.fail(e)),
    }
}

async fn delete(State(state): State<AppState>, a: Authed, Path(id): Path<CourseId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let course = state.timetable.course(&a.principal, id).await.map_err(|e| a.fail(e))?;
    state.timetable.delete_course(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/timetable/courses/{}?done=deleted", course.structure)).into_response())
}
