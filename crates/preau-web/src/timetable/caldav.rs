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

/// A `<response>` for an href that names nothing.
fn missing(href: &str) -> String {
    format!("<d:response><d:href>{}</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>", escape(href))
}

fn multistatus(responses: &[String]) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\">{}</d:multistatus>",
        responses.concat()
    );
    xml(StatusCode::MULTI_STATUS, body)
}

/// A lesson as one calendar object: its name in the collection, its text, its tag, and its
/// times (UTC seconds) for time-range filters.
struct Event {
    name: String,
    ics: String,
    etag: String,
    start: i64,
    end: i64,
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
            let ics = preau_timetable::ics::render_object(l, names, stamp);
            Event {
                name: format!("{}-{}.ics", l.course, l.date.format("%Y%m%d")),
                etag: etag_of(&ics),
                ics,
                start: preau_core::local_time::paris_instant(l.day, u32::from(l.start)),
                end: preau_core::local_time::paris_instant(l.day, u32::from(l.end)),
            }
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
    // No Depth means infinity (RFC 4918), answered as 1: the tree is two levels deep.
    let (method, depth) = (req.method().clone(), req.headers().get("depth").and_then(|d| d.to_str().ok()).unwrap_or("infinity").to_owned());
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
    match answer(&state, &principal, &method, &asked, &me, depth != "0", &body).await {
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
                let events = lessons_as_events(state, principal, None).await?;
                out.push(response(&calendar, &calendar_props(&events, &home)));
            }
            Ok(multistatus(&out))
        }
        "PROPFIND" | "REPORT" | "GET" | "HEAD" => {
            let name = match asked.rest.as_str() {
                CALENDAR => "",
                rest => rest.strip_prefix(&format!("{CALENDAR}/")).ok_or(preau_core::Error::NotFound)?,
            };
            let href_of = |e: &Event| format!("{calendar}{}", e.name);
            match (method.as_str(), name) {
                ("PROPFIND", "") => {
                    let events = lessons_as_events(state, principal, None).await?;
                    let mut out = vec![response(&calendar, &calendar_props(&events, &home))];
                    if depth1 {
                        out.extend(events.iter().map(|e| response(&href_of(e), &object_props(e, false))));
                    }
                    Ok(multistatus(&out))
                }
                ("REPORT", "") if body.contains("calendar-multiget") => {
                    let with_data = body.contains("calendar-data");
                    let mut out = vec![];
                    // The lessons around each date named, read once for all the objects of it.
                    let mut around: HashMap<NaiveDate, Vec<Lesson>> = HashMap::new();
                    for href in hrefs(body) {
                        let found = match member_of(&href, &calendar).and_then(object_key) {
                            Some((course, date)) => {
                                let lessons = match around.entry(date) {
                                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                                    std::collections::hash_map::Entry::Vacant(e) => e.insert(lessons_around(state, principal, date).await?),
                                };
                                event_in(state, lessons, course, date).await?
                            }
                            None => None,
                        };
                        // Each answer names its object as the client did (RFC 4791, 7.9).
                        out.push(match found {
                            Some(e) => response(&href, &object_props(&e, with_data)),
                            None => missing(&href),
                        });
                    }
                    Ok(multistatus(&out))
                }
                ("REPORT", "") if body.contains("calendar-query") => {
                    let with_data = body.contains("calendar-data");
                    let range = time_range(body);
                    let days = range.map(|(from, to)| (day_of(from - 86_400), day_of(to)));
                    let events = lessons_as_events(state, principal, days).await?;
                    let chosen = events.iter().filter(|e| range.is_none_or(|(from, to)| e.start < to && e.end > from));
                    Ok(multistatus(&chosen.map(|e| response(&href_of(e), &object_props(e, with_data))).collect::<Vec<_>>()))
                }
                ("REPORT", "") => Ok(xml(
                    StatusCode::FORBIDDEN,
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><d:error xmlns:d=\"DAV:\"><d:supported-report/></d:error>".to_owned(),
                )),
                (_, "") => Err(preau_core::Error::NotFound),
                (m, name) => {
                    let e = event_named(state, principal, name).await?.ok_or(preau_core::Error::NotFound)?;
                    if m == "PROPFIND" || m == "REPORT" {
                        return Ok(multistatus(&[response(&href_of(&e), &object_props(&e, m == "REPORT"))]));
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
         <d:current-user-privilege-set><d:privilege><d:read/></d:privilege></d:current-user-privilege-set>\
         <d:supported-report-set><d:supported-report><d:report><c:calendar-query/></d:report></d:supported-report>\
         <d:supported-report><d:report><c:calendar-multiget/></d:report></d:supported-report></d:supported-report-set>",
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

/// A `calendar-query`'s time range, in UTC seconds (`start`/`end` as `YYYYMMDDTHHMMSSZ`); an
/// open end is a year away from the other.
fn time_range(body: &str) -> Option<(i64, i64)> {
    let at = body.find("time-range")?;
    let tag = &body[at..body[at..].find('>').map_or(body.len(), |e| at + e)];
    let attr = |name: &str| {
        let i = [format!("{name}=\""), format!("{name}='")].iter().find_map(|p| tag.find(p.as_str()).map(|i| i + p.len()))?;
        let v = tag.get(i..i + 16)?;
        chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc().timestamp())
    };
    const YEAR: i64 = 366 * 86_400;
    match (attr("start"), attr("end")) {
        (Some(from), Some(to)) => Some((from, to)),
        (Some(from), None) => Some((from, from + YEAR)),
        (None, Some(to)) => Some((to - YEAR, to)),
        (None, None) => None,
    }
}

/// The Paris day of a UTC instant.
fn day_of(at: i64) -> NaiveDate {
    preau_core::local_time::paris_date(at)
}

/// The hrefs a `calendar-multiget` names (`<href>`, `<D:href xmlns:D="DAV:">`…).
fn hrefs(body: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = body;
    while let Some(i) = rest.find("href") {
        let before = &rest[..i];
        let after = &rest[i + 4..];
        rest = after;
        let prefixed = before
            .rsplit_once('<')
            .is_some_and(|(_, p)| p.strip_suffix(':').is_some_and(|pre| !pre.is_empty() && pre.chars().all(|c| c.is_ascii_alphanumeric())));
        let opens = before.ends_with('<') || prefixed;
        if !opens || !after.starts_with(['>', ' ']) {
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let text = &after[gt + 1..];
        let Some(end) = text.find('<') else { break };
        let href = text[..end].trim().replace("&amp;", "&");
        if !href.is_empty() {
            out.push(href);
        }
        rest = &text[end..];
    }
    out
}

/// The name of the object an href names in `calendar` (a path, or a URL whose path is one),
/// if it names one there.
fn member_of<'h>(href: &'h str, calendar: &str) -> Option<&'h str> {
    let path = match href.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => href,
    };
    path.strip_prefix(calendar).filter(|name| !name.is_empty() && !name.contains('/'))
}

/// The object of one lesson, by its name (`{course}-{YYYYMMDD}.ics`), if it is one of the
/// caller's lessons.
async fn event_named(state: &AppState, principal: &Principal, name: &str) -> Result<Option<Event>> {
    let Some((course, date)) = object_key(name) else { return Ok(None) };
    let lessons = lessons_around(state, principal, date).await?;
    event_in(state, &lessons, course, date).await
}

/// The course and date in an object's name, if the name is one of a lesson
/// (`{course}-{YYYYMMDD}.ics`).
fn object_key(name: &str) -> Option<(preau_core::CourseId, NaiveDate)> {
    let (course, day) = name.strip_suffix(".ics")?.rsplit_once('-')?;
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    let course = course.parse::<preau_core::CourseId>().ok()?;
    preau_timetable::views::plausible(&date).then_some((course, date))
}

/// The caller's lessons a week around `date`: a moved lesson keeps its date in its name.
async fn lessons_around(state: &AppState, principal: &Principal, date: NaiveDate) -> Result<Vec<Lesson>> {
    let me = principal.person_id().ok_or(preau_core::Error::Forbidden)?;
    state.timetable.lessons(principal, &Of::Person(me), date - Days::new(7), date + Days::new(7)).await
}

/// The object of `course` on `date` among `lessons`.
async fn event_in(state: &AppState, lessons: &[Lesson], course: preau_core::CourseId, date: NaiveDate) -> Result<Option<Event>> {
    let lessons: Vec<Lesson> = lessons.iter().filter(|l| l.date == date && l.course == course).cloned().collect();
    let names = state.timetable.names(&lessons).await?;
    Ok(events(&lessons, &names).into_iter().next())
}

/// The caller's lessons over the asked range (clipped to a school year and a little more), or
/// from a week ago to the end of the school year.
async fn lessons_as_events(state: &AppState, principal: &Principal, range: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<Event>> {
    let me = principal.person_id().ok_or(preau_core::Error::Forbidden)?;
    let today = super::today(state);
    let (from, to) = match range {
        Some((from, to)) => {
            let from = from.max(today - Days::new(370));
            let to = to.min(from + Days::new(preau_timetable::views::MAX_DAYS as u64));
            if to < from || !preau_timetable::views::plausible(&to) {
                return Ok(vec![]);
            }
            (from, to)
        }
        None => (today - Days::new(7), preau_timetable::calendar::year_period(today).1),
    };
    let lessons = state.timetable.lessons(principal, &Of::Person(me), from, to).await?;
    let names = state.timetable.names(&lessons).await?;
    Ok(events(&lessons, &names))
}

#[cfg(test)]
mod tests {
    use super::{hrefs, member_of, time_range};

    #[test]
    fn a_multigets_href_names_an_object_of_the_calendar_only() {
        let calendar = "/caldav/p/timetable/";
        assert_eq!(member_of("/caldav/p/timetable/a.ics", calendar), Some("a.ics"));
        assert_eq!(member_of("https://ent.example/caldav/p/timetable/a.ics", calendar), Some("a.ics"));
        assert_eq!(member_of("/caldav/q/timetable/a.ics", calendar), None, "another person's calendar");
        assert_eq!(member_of("/caldav/p/timetable/x/a.ics", calendar), None);
        assert_eq!(member_of("/caldav/p/timetable/", calendar), None);
        assert_eq!(member_of("https://ent.example", calendar), None);
    }

    #[test]
    fn a_querys_time_range_and_a_multigets_hrefs_are_read() {
        let query = r#"<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20260921T000000Z" end="20260928T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#;
        assert_eq!(time_range(query), Some((1_789_948_800, 1_790_553_600)));
        assert_eq!(time_range("<c:time-range start='20260921T000000Z'/>"), Some((1_789_948_800, 1_789_948_800 + 366 * 86_400)), "an open end");
        assert_eq!(time_range("<c:time-range start=\"nonsense\"/>"), None);
        let multiget = "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/></D:prop><D:href>/caldav/p/timetable/a.ics</D:href><href xmlns=\"DAV:\">/caldav/p/timetable/b.ics</href></C:calendar-multiget>";
        assert_eq!(hrefs(multiget), vec!["/caldav/p/timetable/a.ics", "/caldav/p/timetable/b.ics"]);
        assert!(hrefs("<d:prop><d:getetag/></d:prop>").is_empty());
    }
}
