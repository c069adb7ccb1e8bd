//! The notifications page: my feed (marked read when I look at it), what I receive live and by
//! e-mail for each kind of event, and my quiet hours. Also the structure's default quiet hours
//! on the console page of its communication rules.

use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::{fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_communication::notifications::{Email, Kind, Preference, QuietHours, Settings};

pub fn routes() -> Router<AppState> {
    Router::new().route("/notifications", get(page)).route("/notifications/settings", post(save)).route("/events", get(super::live::events))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    /// (title, link, date, unread)
    feed: Vec<(String, String, String, bool)>,
    /// (kind code, live, email code)
    preferences: Vec<(&'static str, bool, &'static str)>,
    emails: [&'static str; 4],
    own_quiet: bool,
    start: String,
    end: String,
    /// (bit, day label key, off)
    days: Vec<(u8, String, bool)>,
    notice: Option<String>,
    error: Option<String>,
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

async fn render_page(state: &AppState, a: &Authed, notice: Option<String>, error: Option<String>) -> Result<Response, PageError> {
    let feed = state.communication.feed(&a.principal, 50).await.map_err(|e| a.fail(e))?;
    state.communication.mark_feed_read(&a.principal).await.map_err(|e| a.fail(e))?;
    let Settings { preferences, quiet_hours, effective } = state.communication.settings(&a.principal).await.map_err(|e| a.fail(e))?;
    let shown = quiet_hours.unwrap_or(effective);
    Ok(render(&NotificationsPage {
        tr: Tr(a.lang),
        user: Some(super::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        feed: feed.into_iter().map(|n| (n.title, n.link, fmt_time(n.at), !n.read)).collect(),
        preferences: preferences.iter().map(|p| (p.kind.code(), p.live, p.email.code())).collect(),
        emails: ["off", "now", "daily", "weekly"],
        own_quiet: quiet_hours.is_some(),
        start: hhmm(shown.start),
        end: hhmm(shown.end),
        days: (0..7).map(|d| (d, format!("day.{d}"), shown.days_off & (1 << d) != 0)).collect(),
        notice,
        error,
    }))
}

async fn page(State(state): State<AppState>, a: Authed) -> Result<Response, PageError> {
    render_page(&state, &a, None, None).await
}

/// The settings as posted: `live_<kind>`, `email_<kind>`, `quiet` (own|default), `start`,
/// `end`, `day` (repeated).
fn settings_of(pairs: &[(String, String)]) -> Result<(Vec<Preference>, Option<QuietHours>), preau_core::Error> {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    // A choice the page cannot read (a stale or altered form) is refused, not replaced.
    let unreadable = |field: &str| preau_core::Error::invalid(field, "form.invalid");
    let preferences = Kind::ALL
        .iter()
        .map(|k| {
            let email = match get(&format!("email_{}", k.code())) {
                None => Email::Daily,
                Some(mode) => Email::parse(mode).ok_or_else(|| unreadable("email"))?,
            };
            Ok(Preference { kind: *k, live: get(&format!("live_{}", k.code())).is_some(), email })
        })
        .collect::<Result<Vec<_>, preau_core::Error>>()?;
    let quiet = if get("quiet") == Some("own") {
        let (Some(start), Some(end)) = (get("start").and_then(minutes), get("end").and_then(minutes)) else {
            return Err(preau_core::Error::invalid("start", "notification.quiet_hours"));
        };
        let mut days_off = 0u8;
        for day in crate::pages::ticked::<u8>(pairs, "day", "form.invalid")? {
            if day >= 7 {
                return Err(unreadable("day"));
            }
            days_off |= 1 << day;
        }
        Some(QuietHours { start, end, days_off })
    } else {
        None
    };
    Ok((preferences, quiet))
}

async fn save(State(state): State<AppState>, a: Authed, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    a.check_csrf(pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or(""))?;
    let result = match settings_of(&pairs) {
        Ok((prefs, quiet)) => state.communication.set_settings(&a.principal, &prefs, quiet).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => render_page(&state, &a, Some(a.lang.t("notification.saved")), None).await,
        Err(e @ preau_core::Error::Invalid(_)) => render_page(&state, &a, None, Some(message(&e, a.lang))).await,
        Err(e) => Err(a.fail(e)),
    }
}
