//! The school calendar page (`/timetable/calendar/{structure}`): the school's adults read the
//! year under way and the next (first and last days, holidays, the school's own days off);
//! its timetable managers choose another zone than the académie's, add or remove the school's
//! own days off, and enter whole years of their own (Corse, overseas, a year not built in).
//! One form posts an `action`; every rule is the domain's (`Timetable::set_school_calendar`).
//! The JSON API is `GET`/`PUT /api/v1/structures/{id}/calendar` (in `api.rs`).

use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{field, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Days, NaiveDate};
use preau_core::{Error, Result, StructureId};
use preau_directory::DirectoryStore;
use preau_timetable::calendar::{Holiday, LocalCalendar, SchoolCalendar, Zone};

type PageResult = std::result::Result<Response, PageError>;
type Pairs = Vec<(String, String)>;

pub fn routes() -> Router<AppState> {
    Router::new().route("/timetable/calendar/{structure}", get(show).post(change))
}

/// A period as shown: its label, first and last day without lessons.
struct Period {
    label: String,
    first: String,
    last: String,
    /// The value that removes it (a day off's first day, an own year's start).
    key: String,
}

fn period(h: &Holiday) -> Period {
    let last = h.back.pred_opt().unwrap_or(h.back);
    Period { label: h.label.clone(), first: h.first.format("%d/%m/%Y").to_string(), last: last.format("%d/%m/%Y").to_string(), key: h.first.to_string() }
}

/// A school year as shown.
struct Year {
    title: String,
    own: bool,
    key: String,
    holidays: Vec<Period>,
}

#[derive(Template)]
#[template(path = "timetable_calendar.html")]
struct CalendarPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    school: String,
    action: String,
    manages: bool,
    academie_zone: Option<String>,
    zone: String,
    years: Vec<Year>,
    days_off: Vec<Period>,
    saved: bool,
    error: Option<String>,
}

async fn page(state: &AppState, a: &Authed, s: StructureId, saved: bool, error: Option<String>) -> PageResult {
    let view = state.timetable.school_calendar(&a.principal, s).await.map_err(|e| a.fail(e))?;
    let own: Vec<NaiveDate> = view.local.years.iter().map(|y| y.start).collect();
    let years = view
        .years
        .iter()
        .map(|y| Year {
            title: format!("{} – {}", y.start.format("%d/%m/%Y"), y.end.format("%d/%m/%Y")),
            own: own.contains(&y.start),
            key: y.start.to_string(),
            holidays: y.holidays.iter().filter(|h| !view.local.days_off.contains(h)).map(period).collect(),
        })
        .collect();
    Ok(render(&CalendarPage {
        user: Some(crate::communication::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        school: state.store.structure(s).await.map_err(|e| a.fail(e))?.name,
        action: format!("/timetable/calendar/{s}"),
        manages: state.timetable.manages(&a.principal, s).await.map_err(|e| a.fail(e))?,
        academie_zone: view.academie_zone.map(|z| format!("{z:?}")),
        zone: view.local.zone.map(|z| format!("{z:?}")).unwrap_or_default(),
        years,
        days_off: view.local.days_off.iter().map(period).collect(),
        saved,
        error,
        tr: Tr(a.lang),
    }))
}

async fn show(State(state): State<AppState>, a: Authed, Path(s): Path<StructureId>, Query(q): Query<std::collections::HashMap<String, String>>) -> PageResult {
    page(&state, &a, s, q.contains_key("saved"), None).await
}

fn day(f: &Pairs, name: &str, code: &str) -> Result<NaiveDate> {
    field(f, name).parse().map_err(|_| Error::invalid(name, code))
}

/// `Toussaint;17/10/2026;02/11/2026` per line: a holiday's label, its first day without
/// lessons and the day lessons start again.
fn holidays(text: &str) -> Result<Vec<Holiday>> {
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%d/%m/%Y").or_else(|_| s.trim().parse());
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split(';').collect();
            match parts.as_slice() {
                [label, first, back] => match (date(first), date(back)) {
                    (Ok(first), Ok(back)) => Ok(Holiday { label: label.trim().to_owned(), first, back }),
                    _ => Err(Error::invalid("holidays", "timetable.calendar_holiday")),
                },
                _ => Err(Error::invalid("holidays", "timetable.calendar_holiday")),
            }
        })
        .collect()
}

/// The calendar as changed by one action of the form.
fn changed(mut local: LocalCalendar, f: &Pairs) -> Result<LocalCalendar> {
    match field(f, "action") {
        "zone" => {
            local.zone = match field(f, "zone") {
                "A" => Some(Zone::A),
                "B" => Some(Zone::B),
                "C" => Some(Zone::C),
                _ => None,
            }
        }
        "add_day_off" => {
            let (first, last) = (day(f, "first", "timetable.calendar_day_off")?, day(f, "last", "timetable.calendar_day_off")?);
            let back = last.checked_add_days(Days::new(1)).ok_or_else(|| Error::invalid("last", "timetable.calendar_day_off"))?;
            local.days_off.push(Holiday { label: field(f, "label").to_owned(), first, back });
        }
        "remove_day_off" => {
            let at = local.days_off.iter().position(|h| h.first.to_string() == field(f, "key")).ok_or(Error::NotFound)?;
            local.days_off.remove(at);
        }
        "set_year" => {
            let (start, end) = (day(f, "start", "timetable.calendar_year_invalid")?, day(f, "end", "timetable.calendar_year_invalid")?);
            let year = SchoolCalendar { start, end, holidays: holidays(field(f, "holidays"))? };
            local.years.retain(|y| preau_timetable::calendar::school_year(y.start) != preau_timetable::calendar::school_year(start));
            local.years.push(year);
        }
        "remove_year" => {
            let at = local.years.iter().position(|y| y.start.to_string() == field(f, "key")).ok_or(Error::NotFound)?;
            local.years.remove(at);
        }
        _ => return Err(Error::invalid("action", "error.invalid")),
    }
    Ok(local)
}

async fn change(State(state): State<AppState>, a: Authed, Path(s): Path<StructureId>, Form(f): Form<Pairs>) -> PageResult {
    a.check_csrf(field(&f, "csrf"))?;
    let current = state.timetable.school_calendar(&a.principal, s).await.map_err(|e| a.fail(e))?.local;
    let r = async { state.timetable.set_school_calendar(&a.principal, s, changed(current, &f)?).await }.await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/timetable/calendar/{s}?saved=1")).into_response()),
        Err(e @ Error::Invalid(_)) => page(&state, &a, s, false, Some(message(&e, a.lang))).await,
        Err(e) => Err(a.fail(e)),
    }
}
