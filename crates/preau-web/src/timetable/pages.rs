//! The week page (`/timetable`): the lessons of a week day by day (a list, readable on a phone
//! and with a screen reader), the week's letter, links to the weeks before and after; with
//! `?day=`, one day, with links to the days before and after (Sundays skipped, and Saturdays
//! without lessons); a parent picks a child;
//! and the calendar feed address to subscribe to.

use super::api::{LessonQuery, make_link_for};
use super::{ShownLesson, monday_of, shown, today};
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::{Lang, Tr};
use crate::pages::{CsrfForm, field, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, Days, NaiveDate};
use preau_core::Error;
use preau_directory::DirectoryStore;
use std::collections::HashMap;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/timetable", get(week_page))
        .route("/timetable/calendar-link", post(make_link))
        .route("/timetable/calendar-link/revoke", post(revoke_link))
        .route("/timetable/calendar-links", post(make_scoped_link))
        .route("/timetable/calendar-links/revoke", post(revoke_scoped_link))
}

/// A day of the week shown, with its lessons, and the address of its day view.
struct Day {
    title: String,
    href: String,
    lessons: Vec<ShownLesson>,
}

#[derive(Template)]
#[template(path = "timetable.html")]
struct WeekPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    title: String,
    /// Whose week, when not the caller's own.
    whose: Option<String>,
    week_letter: Option<String>,
    days: Vec<Day>,
    prev: String,
    next: String,
    this_week: String,
    /// One day shown (the day view): the address of its week.
    week_of_day: Option<String>,
    /// A parent's children: (href, name, current).
    children: Vec<(String, String, bool)>,
    feed_made: Option<String>,
    feed_url: Option<String>,
    /// Back from revoking the address.
    feed_revoked: bool,
    /// The schools whose timetable the caller manages: (courses page, name).
    managed: Vec<(String, String)>,
    /// Viewing a class or room as one of its school's adults: the hidden fields of the form
    /// that makes its feed address.
    scoped_fields: Option<Vec<(String, String)>>,
    /// The caller's class and room feeds: (scope, label, made).
    scoped: Vec<(String, String, String)>,
}

pub(crate) fn day_title(lang: Lang, d: NaiveDate) -> String {
    const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
    const FR_MONTHS: [&str; 12] = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
    let (wd, m) = (d.weekday().num_days_from_monday() as usize, d.month0() as usize);
    match lang {
        Lang::Fr => format!("{} {} {}", FR_DAYS[wd], d.day(), FR_MONTHS[m]),
        Lang::En => d.format("%A %-d %B").to_string(),
    }
}

async fn week_page(State(state): State<AppState>, a: Authed, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    let query = LessonQuery {
        person: q.get("person").and_then(|p| p.parse().ok()),
        class: q.get("class").and_then(|c| c.parse().ok()),
        room: q.get("room").filter(|r| !r.trim().is_empty()).cloned(),
        structure: q.get("structure").and_then(|s| s.parse().ok()),
        week: q.get("week").and_then(|w| w.parse().ok()).filter(preau_timetable::views::plausible),
        ..LessonQuery::default()
    };
    let one_day: Option<NaiveDate> = q.get("day").and_then(|d| d.parse().ok()).filter(preau_timetable::views::plausible);
    let monday = monday_of(one_day.or(query.week).unwrap_or_else(|| today(&state)));
    let (from, to) = match one_day {
        Some(d) => (d, d),
        None => (monday, monday + Days::new(6)),
    };
    let of = query.of(Some(me)).map_err(|e| a.fail(e))?;
    let lessons = state.timetable.lessons(&a.principal, &of, from, to).await.map_err(|e| a.fail(e))?;
    let week_letter = lessons.iter().find_map(|l| l.week).map(|w| format!("{w:?}"));
    let mut shown = shown(&state, lessons).await.map_err(|e| a.fail(e))?;
    let keep = match (&of, query.person) {
        (preau_timetable::views::Of::Class(c), _) => format!("class={c}&"),
        (preau_timetable::views::Of::Room(s, r), _) => format!("structure={s}&room={}&", preau_core::text::url_escape(r)),
        (_, Some(p)) => format!("person={p}&"),
        _ => String::new(),
    };
    let mut days = vec![];
    for d in from.iter_days().take_while(|d| *d <= to) {
        let today: Vec<ShownLesson> = shown.extract_if(.., |l| l.day == d).collect();
        if !today.is_empty() || one_day.is_some() || d.weekday().num_days_from_monday() < 5 {
            days.push(Day { title: day_title(a.lang, d), href: format!("/timetable?{keep}day={d}"), lessons: today });
        }
    }
    let children = state.store.children(me).await.map_err(|e| a.fail(e))?;
    let children: Vec<(String, String, bool)> =
        children.into_iter().map(|(c, _)| (format!("/timetable?person={}&week={monday}", c.id), c.display_name(), query.person == Some(c.id))).collect();
    let whose = match (&of, query.person.filter(|p| *p != me)) {
        (preau_timetable::views::Of::Class(g), _) => state.store.group(*g).await.ok().map(|g| g.name),
        (preau_timetable::views::Of::Room(_, r), _) => Some(format!("{} {r}", tr_room(a.lang))),
        (_, Some(p)) => state.store.person(p).await.ok().map(|p| p.display_name()),
        _ => None,
    };
    // The lessons were answered: a class's or room's adult may subscribe to it.
    let scoped_fields = match &of {
        preau_timetable::views::Of::Class(g) => {
            let s = state.store.group(*g).await.map_err(|e| a.fail(e))?.structure;
            state.timetable.adult_in(&a.principal, s).await.map_err(|e| a.fail(e))?.then(|| vec![("class".to_owned(), g.to_string())])
        }
        preau_timetable::views::Of::Room(s, r) => Some(vec![("structure".to_owned(), s.to_string()), ("room".to_owned(), r.clone())]),
        preau_timetable::views::Of::Person(_) => None,
    };
    let scoped = state.timetable.scoped_feeds(&a.principal).await.map_err(|e| a.fail(e))?.into_iter().map(|(s, l, at)| (s, l, fmt_time(at))).collect();
    let feed_made = state.timetable.calendar_link_made(&a.principal).await.map_err(|e| a.fail(e))?.map(fmt_time);
    let mut managed = vec![];
    for s in a.principal.memberships.iter().map(|(s, _)| *s).collect::<std::collections::BTreeSet<_>>() {
        if state.timetable.manages(&a.principal, s).await.map_err(|e| a.fail(e))? {
            let name = state.store.structure(s).await.map(|x| x.name).unwrap_or_default();
            managed.push((format!("/timetable/courses/{s}"), name));
        }
    }
    let tr = Tr(a.lang);
    let near = async |d: NaiveDate, step: i64| -> std::result::Result<NaiveDate, PageError> {
        let n = day_near(d, step);
        // A Saturday without lessons for this person is passed over like a Sunday.
        if n.weekday() == chrono::Weekday::Sat && state.timetable.lessons(&a.principal, &of, n, n).await.map_err(|e| a.fail(e))?.is_empty() {
            return Ok(day_near(n, step));
        }
        Ok(n)
    };
    let (title, prev, next) = match one_day {
        Some(d) => (
            format!("{} — {}", tr.t("timetable.title"), day_title(a.lang, d)),
            format!("/timetable?{keep}day={}", near(d, -1).await?),
            format!("/timetable?{keep}day={}", near(d, 1).await?),
        ),
        None => (
            format!("{} — {} {}", tr.t("timetable.title"), tr.t("timetable.week_of"), day_title(a.lang, monday)),
            format!("/timetable?{keep}week={}", monday - Days::new(7)),
            format!("/timetable?{keep}week={}", monday + Days::new(7)),
        ),
    };
    Ok(render(&WeekPage {
        title,
        tr,
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        whose,
        week_letter,
        days,
        prev,
        next,
        this_week: match one_day {
            Some(_) => format!("/timetable?{keep}day={}", today(&state)),
            None => format!("/timetable?{}", keep.trim_end_matches('&')),
        },
        week_of_day: one_day.map(|_| format!("/timetable?{keep}week={monday}")),
        children,
        feed_made,
        feed_url: q.get("feed").cloned(),
        feed_revoked: q.get("done").is_some_and(|d| d == "feed_revoked"),
        managed,
        scoped_fields,
        scoped,
    }))
}

async fn make_link(State(state): State<AppState>, a: Authed, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let url = make_link_for(&state, &a.principal).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/timetable?feed={}#calendar-feed", preau_core::text::url_escape(&url))).into_response())
}

/// The day before or after (`step` -1 or 1), Sundays skipped.
fn day_near(d: NaiveDate, step: i64) -> NaiveDate {
    let next = |d: NaiveDate| if step < 0 { d.pred_opt() } else { d.succ_opt() };
    let n = next(d).unwrap_or(d);
    if n.weekday() == chrono::Weekday::Sun { next(n).unwrap_or(n) } else { n }
}

fn tr_room(lang: Lang) -> String {
    lang.t("timetable.room_label")
}

async fn make_scoped_link(State(state): State<AppState>, a: Authed, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let body = super::api::ScopeBody {
        class: field(&f, "class").parse().ok(),
        structure: field(&f, "structure").parse().ok(),
        room: Some(field(&f, "room").to_owned()).filter(|r| !r.is_empty()),
    };
    let of = body.of().map_err(|e| a.fail(e))?;
    let (url, _) = super::api::make_scoped_link_for(&state, &a.principal, &of).await.map_err(|e| a.fail(e))?;
    let keep = match &of {
        preau_timetable::views::Of::Class(g) => format!("class={g}"),
        preau_timetable::views::Of::Room(s, r) => format!("structure={s}&room={}", preau_core::text::url_escape(r)),
        preau_timetable::views::Of::Person(p) => format!("person={p}"),
    };
    Ok(Redirect::to(&format!("/timetable?{keep}&feed={}#calendar-feed", preau_core::text::url_escape(&url))).into_response())
}

async fn revoke_scoped_link(State(state): State<AppState>, a: Authed, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    state.timetable.revoke_scoped_feed(&a.principal, field(&f, "scope")).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/timetable?done=feed_revoked#calendar-feed").into_response())
}

async fn revoke_link(State(state): State<AppState>, a: Authed, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.timetable.revoke_calendar_link(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/timetable?done=feed_revoked#calendar-feed").into_response())
}
