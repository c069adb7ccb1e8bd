//! CalDAV read access (RFC 4791) to one's own timetable at `/caldav/`, for calendar apps that
//! speak CalDAV rather than subscribing to the feed address. Signed in like WebDAV (HTTP Basic,
//! login and an application password). Read-only; the tree:
//!
//! ```text
//! /caldav/                          discovery: current-user-principal
//! /caldav/{person}/                 the principal and calendar home
//! /caldav/{person}/timetable/       the calendar: one event per lesson
//! /caldav/{person}/timetable/{uid}.ics
//! ```
//!
//! `PROPFIND` (depth 0 and 1), `REPORT` (`calendar-query` with a time range, `calendar-multiget`)
//! and `GET` are answered; anything that would write is refused. The lessons are the person's
//! as the week page shows them (the same domain view and rights), from a week ago to the end of
//! the school year unless a query asks for another range.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use preau_core::{Principal, Result};
use preau_timetable::Lesson;
use preau_timetable::views::Of;
use std::collections::HashMap;

const ROOT: &str = "/caldav/";
const CALENDAR: &str = "timetable";
/// The largest request body read (a REPORT names at most some hundred events).
const MAX_BODY: usize = 1 << 20;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    r
}

fn unauthorized() -> Response {
    let mut r = StatusCode::UNAUTHORIZED.into_response();
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Preau\", charset=\"UTF-8\""));
    r
}

/// One `<response>` of a multistatus: an href and its found properties.
fn response(href: &str, props: &str) -> String {
    format!("<d:response><d:href>{}</d:href><d:propstat><d:prop>{props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>", escape(href))
}

fn multistatus(responses: &[String]) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\">{}</d:multistatus>",
        responses.concat()
    );
    xml(StatusCode::MULTI_STATUS, body)
}

/// A lesson as one calendar object: its name in the collection, its text and its tag.
struct Event {
    name: String,
    ics: String,
    etag: String,
}

fn etag_of(text: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(text.as_bytes());
    format!("\"{}\"", d.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>())
}

fn events(lessons: &[Lesson], names: &HashMap<String, String>) -> Vec<Event> {
    lessons
        .iter()
        .map(|l| {
            // Stamped with the lesson's day, so that an unchanged lesson keeps its tag.
            let stamp = preau_core::local_time::paris_instant(l.date, 0);
            let ics = preau_timetable::ics::render("Emploi du temps", std::slice::from_ref(l), names, stamp);
            Event { name: format!("{}-{}.ics", l.course, l.date.format("%Y%m%d")), etag: etag_of(&ics), ics }
        })
        .collect()
}

/// What a request asks for.
struct Asked {
    me: String,
    /// The path under `/caldav/{me}/`: empty (home), `timetable/`, or `timetable/{name}`.
    rest: String,
}

fn asked(path: &str, me: &str) -> Option<Asked> {
    let under = path.strip_prefix(ROOT)?;
    if under.is_empty() {
        return Some(Asked { me: String::new(), rest: String::new() });
    }
    let (who, rest) = under.split_once('/').unwrap_or((under, ""));
    (who == me).then(|| Asked { me: who.to_owned(), rest: rest.to_owned() })
}

/// `/caldav/` and everything under it.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let Some(principal) = crate::documents::dav::signed_in(&state, req.headers()).await else {
        return unauthorized();
    };
    let Some(me) = principal.person_id().map(|p| p.to_string()) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let (method, depth) = (req.method().clone(), req.headers().get("depth").and_then(|d| d.to_str().ok()).unwrap_or("0").to_owned());
    let path = match req.uri().path() {
        "/caldav" => ROOT.to_owned(),
        p => p.to_owned(),
    };
    let Some(asked) = asked(&path, &me) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    match answer(&state, &principal, &method, &asked, &me, depth == "1", &body).await {
        Ok(r) => r,
        Err(preau_core::Error::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(preau_core::Error::Forbidden) => StatusCode::FORBIDDEN.into_response(),
        Err(e @ preau_core::Error::Invalid(_)) => (StatusCode::BAD_REQUEST, crate::error::message(&e, crate::i18n::Lang::En)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a CalDAV request failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn answer(state: &AppState, principal: &Principal, method: &Method, asked: &Asked, me: &str, depth1: bool, body: &str) -> Result<Response> {
    let home = format!("{ROOT}{me}/");
    let calendar = format!("{home}{CALENDAR}/");
    match method.as_str() {
        "OPTIONS" => {
            let mut r = StatusCode::OK.into_response();
            r.headers_mut().insert("dav", HeaderValue::from_static("1, calendar-access"));
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("OPTIONS, GET, HEAD, PROPFIND, REPORT"));
            Ok(r)
        }
        "PROPFIND" if asked.me.is_empty() => Ok(multistatus(&[response(
            ROOT,
            &format!("<d:resourcetype><d:collection/></d:resourcetype><d:current-user-principal><d:href>{home}</d:href></d:current-user-principal>"),
        )])),
        "PROPFIND" if asked.rest.is_empty() => {
            let mut out = vec![response(&home, &home_props(state, principal, &home).await?)];
            if depth1 {
                out.push(response(&calendar, &calendar_props(&[], &home)));
            }
            Ok(multistatus(&out))
        }
        "PROPFIND" | "REPORT" | "GET" | "HEAD" => {
            let events = lessons_as_events(state, principal, time_range(body)).await?;
            let name = asked.rest.strip_prefix(&format!("{CALENDAR}/")).ok_or(preau_core::Error::NotFound)?;
            match (method.as_str(), name) {
                ("PROPFIND", "") => {
                    let mut out = vec![response(&calendar, &calendar_props(&events, &home))];
                    if depth1 {
                        out.extend(events.iter().map(|e| response(&format!("{calendar}{}", e.name), &object_props(e, false))));
                    }
                    Ok(multistatus(&out))
                }
                ("REPORT", "") => {
                    let wanted = hrefs(body);
                    let with_data = body.contains("calendar-data");
                    let chosen = events.iter().filter(|e| wanted.is_empty() || wanted.iter().any(|h| h.ends_with(&format!("/{}", e.name))));
                    Ok(multistatus(&chosen.map(|e| response(&format!("{calendar}{}", e.name), &object_props(e, with_data))).collect::<Vec<_>>()))
                }
                (_, "") => Err(preau_core::Error::NotFound),
                (m, name) => {
                    let e = events.iter().find(|e| e.name == name).ok_or(preau_core::Error::NotFound)?;
                    if m == "PROPFIND" {
                        return Ok(multistatus(&[response(&format!("{calendar}{}", e.name), &object_props(e, false))]));
                    }
                    let mut r = (StatusCode::OK, if m == "HEAD" { String::new() } else { e.ics.clone() }).into_response();
                    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
                    if let Ok(v) = HeaderValue::from_str(&e.etag) {
                        r.headers_mut().insert(header::ETAG, v);
                    }
                    Ok(r)
                }
            }
        }
        _ => Ok(StatusCode::FORBIDDEN.into_response()),
    }
}

async fn home_props(state: &AppState, principal: &Principal, home: &str) -> Result<String> {
    let name = match principal.person_id() {
        Some(p) => preau_directory::DirectoryStore::person(&*state.store, p).await?.display_name(),
        None => String::new(),
    };
    Ok(format!(
        "<d:resourcetype><d:collection/><d:principal/></d:resourcetype><d:displayname>{}</d:displayname>\
         <d:current-user-principal><d:href>{home}</d:href></d:current-user-principal><d:principal-URL><d:href>{home}</d:href></d:principal-URL>\
         <c:calendar-home-set><d:href>{home}</d:href></c:calendar-home-set>",
        escape(&name)
    ))
}

fn calendar_props(events: &[Event], home: &str) -> String {
    let tag = etag_of(&events.iter().map(|e| e.etag.as_str()).collect::<String>());
    format!(
        "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Emploi du temps</d:displayname>\
         <c:supported-calendar-component-set><c:comp name=\"VEVENT\"/></c:supported-calendar-component-set>\
         <cs:getctag>{}</cs:getctag><d:getetag>{}</d:getetag><d:owner><d:href>{home}</d:href></d:owner>\
         <d:current-user-privilege-set><d:privilege><d:read/></d:privilege></d:current-user-privilege-set>",
        escape(&tag),
        escape(&tag)
    )
}

fn object_props(e: &Event, with_data: bool) -> String {
    let data = if with_data { format!("<c:calendar-data>{}</c:calendar-data>", escape(&e.ics)) } else { String::new() };
    format!(
        "<d:getetag>{}</d:getetag><d:getcontenttype>text/calendar; charset=utf-8; component=vevent</d:getcontenttype><d:resourcetype/>{data}",
        escape(&e.etag)
    )
}

/// The days a `calendar-query`'s time range covers (`start`/`end` in UTC, `YYYYMMDDTHHMMSSZ`).
fn time_range(body: &str) -> Option<(NaiveDate, NaiveDate)> {
    let at = body.find("time-range")?;
    let tag = &body[at..body[at..].find('>').map_or(body.len(), |e| at + e)];
    let attr = |name: &str| {
        let i = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let v = tag.get(i..i + 8)?;
        NaiveDate::parse_from_str(v, "%Y%m%d").ok()
    };
    Some((attr("start")?, attr("end")?))
}

/// The hrefs a `calendar-multiget` names.
fn hrefs(body: &str) -> Vec<String> {
    if !body.contains("calendar-multiget") {
        return vec![];
    }
    let mut out = vec![];
    let mut rest = body;
    while let Some(i) = rest.find("href>") {
        let after = &rest[i + 5..];
        let Some(end) = after.find('<') else { break };
        let href = after[..end].trim();
        if !href.is_empty() {
            out.push(href.to_owned());
        }
        rest = &after[end..];
    }
    out
}

/// The caller's lessons over the asked range (clipped to a school year and a little more), or
/// from a week ago to the end of the school year.
async fn lessons_as_events(state: &AppState, principal: &Principal, range: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<Event>> {
    let me = principal.person_id().ok_or(preau_core::Error::Forbidden)?;
    let today = super::today(state);
    let (from, to) = match range {
        Some((from, to)) => {
            let from = from.max(today - Days::new(370));
            (from, to.min(from + Days::new(preau_timetable::views::MAX_DAYS as u64)).max(from))
        }
        None => (today - Days::new(7), preau_timetable::calendar::year_period(today).1),
    };
    let lessons = state.timetable.lessons(principal, &Of::Person(me), from, to).await?;
    let names = state.timetable.names(&lessons).await?;
    Ok(events(&lessons, &names))
}

#[cfg(test)]
mod tests {
    use super::{hrefs, time_range};

    #[test]
    fn a_querys_time_range_and_a_multigets_hrefs_are_read() {
        let query = r#"<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20260921T000000Z" end="20260928T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#;
        let d = |s: &str| s.parse().expect("a date");
        assert_eq!(time_range(query), Some((d("2026-09-21"), d("2026-09-28"))));
        assert!(hrefs(query).is_empty());
        let multiget = "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:href>/caldav/p/timetable/a.ics</D:href><D:href>/caldav/p/timetable/b.ics</D:href></C:calendar-multiget>";
        assert_eq!(hrefs(multiget), vec!["/caldav/p/timetable/a.ics", "/caldav/p/timetable/b.ics"]);
        assert_eq!(time_range("<c:time-range start=\"nonsense\"/>"), None);
    }
}
