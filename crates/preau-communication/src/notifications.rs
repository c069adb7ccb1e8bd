//! One notification feed per person. Every service publishes events into it (a new message
//! today; news, acknowledgements, homework and grades later). What each person gets beyond the
//! feed is their choice per kind of event: live on their open pages, and by e-mail at once, in a
//! daily digest (17:00) or a weekly one (Monday 17:00), or not at all.
//!
//! **Quiet hours.** Each person — or, by default, their structure — sets hours of the day and
//! whole days when nothing is pushed or e-mailed to them (Préau's default: 20:00 to 07:00, and
//! Sundays, Paris time). What arrives meanwhile is in the feed at once, and its e-mail waits for
//! the next allowed moment. Senders are never blocked: only deliveries are deferred.
//!
//! E-mails say who wrote and about what, with a link, never the content itself.

use crate::messages::{Fanout, Recipient};
use crate::outbox::Publication;
use crate::{Communication, CommunicationStore};
use preau_core::local_time::{next_paris_minute, paris_clock};
use preau_core::{Error, PersonId, Principal, Result, StructureId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The kinds of event, each with its own preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Message,
    News,
    /// A message of the *carnet de liaison* waits for the guardian's acknowledgement.
    Acknowledgement,
    /// Something was reported to the structure's moderators.
    Report,
    /// A file or folder was shared with them.
    Document,
    /// A lesson of theirs was cancelled, moved, or is given by someone else or elsewhere.
    Timetable,
    /// Homework: new homework for a pupil (told to them and their parents), a copy returned.
    Homework,
}

impl Kind {
    /// A message's kind: an acknowledgement asked of the carnet, or a plain message.
    pub fn of_message(acknowledge: bool) -> Kind {
        if acknowledge { Kind::Acknowledgement } else { Kind::Message }
    }

    pub const ALL: [Kind; 7] = [Kind::Message, Kind::News, Kind::Acknowledgement, Kind::Report, Kind::Document, Kind::Timetable, Kind::Homework];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::News => "news",
            Kind::Acknowledgement => "acknowledgement",
            Kind::Report => "report",
            Kind::Document => "document",
            Kind::Timetable => "timetable",
            Kind::Homework => "homework",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// When an event is e-mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Email {
    Off,
    Now,
    Daily,
    Weekly,
}

impl Email {
    pub const ALL: [Email; 4] = [Email::Off, Email::Now, Email::Daily, Email::Weekly];

    pub fn code(self) -> &'static str {
        match self {
            Email::Off => "off",
            Email::Now => "now",
            Email::Daily => "daily",
            Email::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Email> {
        Email::ALL.into_iter().find(|e| e.code() == s)
    }
}

/// A person's choice for one kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub kind: Kind,
    pub live: bool,
    pub email: Email,
}

impl Preference {
    /// Live on open pages, and a daily digest rather than one e-mail per event.
    pub fn default_for(kind: Kind) -> Preference {
        Preference { kind, live: true, email: Email::Daily }
    }
}

/// Hours of the day (`start` to `end`, minutes, Paris time; wrapping past midnight when
/// `start > end`; none when equal) and whole days (bit 0 = Monday) when nothing is pushed or
/// e-mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
    pub days_off: u8,
}

/// The minute of the day digests go out (Paris time), and the day of the weekly one (Monday).
pub const DIGEST_MINUTE: u32 = 17 * 60;

impl QuietHours {
    /// 20:00 to 07:00, and Sundays.
    pub const DEFAULT: QuietHours = QuietHours { start: 20 * 60, end: 7 * 60, days_off: 1 << 6 };

    pub fn is_quiet(&self, utc: i64) -> bool {
        let (day, minute) = paris_clock(utc);
        let in_hours = match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => minute >= self.start && minute < self.end,
            std::cmp::Ordering::Greater => minute >= self.start || minute < self.end,
            std::cmp::Ordering::Equal => false,
        };
        in_hours || self.days_off & (1 << day) != 0
    }

    /// The first moment at or after `utc` that is not quiet (within the coming week; a person
    /// who is quiet all the time gets their e-mails a week later).
    pub fn next_allowed(&self, utc: i64) -> i64 {
        let mut t = utc;
        for _ in 0..32 {
            if !self.is_quiet(t) {
                return t;
            }
            let (day, _) = paris_clock(t);
            t = if self.days_off & (1 << day) != 0 { next_paris_minute(t + 60, 0) } else { next_paris_minute(t, self.end) };
        }
        utc + 7 * 86_400
    }

    fn validate(&self) -> Result<()> {
        if self.start >= 1_440 || self.end >= 1_440 || self.days_off >= 1 << 7 {
            return Err(Error::invalid("quiet_hours", "notification.quiet_hours"));
        }
        Ok(())
    }
}

/// An event in a person's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: String,
    pub person: PersonId,
    pub kind: Kind,
    /// When it happened (or happens: a scheduled message's delivery).
    pub at: i64,
    /// "Claire Martin : Sortie au musée".
    pub title: String,
    /// Where it leads, a path of Préau.
    pub link: String,
    pub read: bool,
}

impl Notification {
    /// A message's notification for one recipient, as their delivery row keeps it.
    pub fn of_message(id: preau_core::MessageId, person: PersonId, acknowledge: bool, at: i64, sender_name: &str, subject: &str, read: bool) -> Notification {
        Notification {
            id: id.to_string(),
            person,
            kind: Kind::of_message(acknowledge),
            at,
            title: message_title(sender_name, subject),
            link: message_link(id),
            read,
        }
    }
}

/// The title of a message's notification: "Claire Martin : Sortie au musée".
pub fn message_title(sender_name: &str, subject: &str) -> String {
    format!("{sender_name} : {subject}")
}

/// Where a message's notification leads.
pub fn message_link(id: preau_core::MessageId) -> String {
    format!("/messages/{id}")
}

/// How one person is told of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// Nothing left to push live: pushed already, not wanted live, or pushed no more (due
    /// during quiet hours: the feed has it).
    pub handled: bool,
    pub email: Email,
    /// For `Email::Now`: the next allowed moment.
    pub mail_due: Option<i64>,
}

impl Notice {
    /// Whether no digest is to take it (not digested by choice counts as done).
    pub fn digested(&self) -> bool {
        !matches!(self.email, Email::Daily | Email::Weekly)
    }
}

/// One row to write: the event for a person, whether they want it live, and how they are told.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub notification: Notification,
    pub live: bool,
    pub notice: Notice,
}

/// A mail to send: the address and the notifications it tells of.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub person: PersonId,
    pub address: String,
    pub notifications: Vec<Notification>,
}

/// Where live events go: the open pages of a person (implemented by the web crate).
pub trait LivePush: Send + Sync {
    fn push(&self, n: &Notification);

    /// The same event to several people (one publication): by default one push each.
    fn push_all(&self, people: &[PersonId], n: &Notification) {
        for p in people {
            self.push(&Notification { person: *p, ..n.clone() });
        }
    }
}

/// A person's settings as their page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub preferences: Vec<Preference>,
    /// Their own quiet hours, if they set some.
    pub quiet_hours: Option<QuietHours>,
    /// What applies to them (theirs, their school's or Préau's default).
    pub effective: QuietHours,
}

impl<S: CommunicationStore> Communication<S> {
    /// Puts an event in the feeds of `people`, e-mails queued or deferred per their settings;
    /// pushes it live now to those whose pages are open, unless it is for later or they are in
    /// their quiet hours.
    pub async fn notify(&self, people: &[PersonId], kind: Kind, at: i64, title: &str, link: &str, live: &dyn LivePush) -> Result<()> {
        let p = Publication { message: None, people: people.to_vec(), kind, at, title: title.to_owned(), link: link.to_owned() };
        self.notify_batch(std::slice::from_ref(&p), live).await
    }

    /// [`Self::notify`] for several publications at once: one read of the preferences (per kind)
    /// and quiet hours; the messages' deliveries, the live pushes, then the feeds.
    pub async fn notify_batch(&self, publications: &[Publication], live: &dyn LivePush) -> Result<()> {
        let now = self.clock.now();
        let mut everyone: Vec<PersonId> = publications.iter().flat_map(|p| p.people.iter().copied()).collect();
        everyone.sort();
        everyone.dedup();
        if everyone.is_empty() {
            return Ok(());
        }
        let quiet = self.store.quiet_hours_for(&everyone).await?;
        let mut prefs = HashMap::new();
        for kind in Kind::ALL {
            let people: Vec<PersonId> = publications.iter().filter(|p| p.kind == kind).flat_map(|p| p.people.iter().copied()).collect();
            if !people.is_empty() {
                prefs.insert(kind, self.store.preferences_for(&people, kind).await?);
            }
        }
        let (mut rows, mut pushes, mut messages) = (vec![], vec![], vec![]);
        for p in publications {
            let mut now_live = vec![];
            let mut notices = Vec::with_capacity(p.people.len());
            for person in &p.people {
                let pref = prefs.get(&p.kind).and_then(|m| m.get(person)).copied().unwrap_or(Preference::default_for(p.kind));
                let qh = quiet.get(person).copied().unwrap_or(QuietHours::DEFAULT);
                if pref.live && p.at <= now && !qh.is_quiet(now) {
                    now_live.push(*person);
                }
                let mail_due = (pref.email == Email::Now).then(|| qh.next_allowed(p.at.max(now)));
                notices.push((pref.live, Notice { handled: !pref.live || p.at <= now, email: pref.email, mail_due }));
            }
            let Some(first) = p.people.first() else { continue };
            let event =
                |id: String, person: PersonId| Notification { id, person, kind: p.kind, at: p.at, title: p.title.clone(), link: p.link.clone(), read: false };
            match &p.message {
                // A message's notifications are kept in its deliveries (`people` lists its
                // recipients in the same order).
                Some((id, list)) => {
                    let recipients = list.iter().zip(&notices).map(|((person, copy), (_, notice))| Recipient { person: *person, copy: *copy, notice: *notice });
                    messages.push(Fanout { message: *id, at: p.at, recipients: recipients.collect() });
                    pushes.push((now_live, event(id.to_string(), *first)));
                }
                None => {
                    for (person, (live, notice)) in p.people.iter().zip(notices) {
                        let notification = event(preau_core::MessageId::new().to_string(), *person);
                        rows.push(Outgoing { notification, live, notice });
                    }
                    if let Some(last) = rows.last() {
                        pushes.push((now_live, last.notification.clone()));
                    }
                }
            }
        }
        // The inboxes first, then the open pages (which may reload them), then the feeds.
        self.store.deliver(&messages).await?;
        for (people, n) in pushes {
            live.push_all(&people, &n);
        }
        self.store.insert_notifications(&rows).await
    }

    /// Withdraws the notifications of something not published after all (scheduled homework
    /// deleted or rescheduled): those whose link ends with `link_suffix`, not shown yet.
    pub async fn withdraw(&self, link_suffix: &str) -> Result<u64> {
        self.store.withdraw_notifications(link_suffix, self.clock.now()).await
    }

    /// Pushes live what became due since (scheduled messages), to those not in quiet hours.
    pub async fn push_due(&self, live: &dyn LivePush) -> Result<usize> {
        let now = self.clock.now();
        let due = self.store.unpushed(now).await?;
        let people: Vec<PersonId> = due.iter().map(|n| n.person).collect();
        let quiet = self.store.quiet_hours_for(&people).await?;
        let mut pushed = 0;
        for n in &due {
            if !quiet.get(&n.person).copied().unwrap_or(QuietHours::DEFAULT).is_quiet(now) {
                live.push(n);
                pushed += 1;
            }
        }
        self.store.mark_pushed(&due).await?;
        Ok(pushed)
    }

    /// The caller's feed, newest first.
    pub async fn feed(&self, caller: &Principal, limit: i64) -> Result<Vec<Notification>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.feed(me, self.clock.now(), limit.clamp(1, 200)).await
    }

    /// Marks the caller's feed read.
    pub async fn mark_feed_read(&self, caller: &Principal) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.mark_feed_read(me, self.clock.now()).await
    }

    pub async fn settings(&self, caller: &Principal) -> Result<Settings> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut preferences = vec![];
        for kind in Kind::ALL {
            let stored = self.store.preferences_for(&[me], kind).await?;
            preferences.push(stored.get(&me).copied().unwrap_or(Preference::default_for(kind)));
        }
        let own = self.store.own_quiet_hours(me).await?;
        let effective = self.store.quiet_hours_for(&[me]).await?.get(&me).copied().unwrap_or(QuietHours::DEFAULT);
        Ok(Settings { preferences, quiet_hours: own, effective })
    }

    /// Sets the caller's preferences and quiet hours (`None`: their school's, or the default).
    pub async fn set_settings(&self, caller: &Principal, preferences: &[Preference], quiet: Option<QuietHours>) -> Result<Settings> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        if let Some(q) = quiet {
            q.validate()?;
        }
        self.store.set_preferences(me, preferences, quiet).await?;
        self.settings(caller).await
    }

    /// A structure's default quiet hours, for the people who set none (its admins).
    pub async fn set_structure_quiet_hours(&self, caller: &Principal, structure: StructureId, quiet: Option<QuietHours>) -> Result<()> {
        self.administered(caller, structure).await?;
        if let Some(q) = quiet {
            q.validate()?;
        }
        self.store.set_structure_quiet_hours(structure, quiet).await
    }

    /// Sends the e-mails that are due, one per person; returns how many were sent.
    pub async fn send_due_mails(&self, mailer: &dyn preau_identity::mail::Mailer, base_url: &str) -> Result<usize> {
        let now = self.clock.now();
        let mut sent = 0;
        for m in self.store.due_mails(now).await? {
            let subject = match m.notifications.as_slice() {
                [one] => format!("Préau : {}", one.title),
                many => format!("Préau : {} nouveautés", many.len()),
            };
            let body = mail_body(&m.notifications, base_url);
            mailer.send(preau_identity::mail::Mail { to: m.address.clone(), subject, body }).await?;
            self.store.mails_sent(&m.notifications).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Sends the digests that are due: everything of a digested kind that happened before the
    /// last digest time and was not in a digest yet, to each person outside their quiet hours.
    pub async fn send_digests(&self, mailer: &dyn preau_identity::mail::Mailer, base_url: &str) -> Result<usize> {
        let now = self.clock.now();
        // The most recent 17:00 in Paris, and the most recent Monday 17:00.
        let daily = next_paris_minute(now - 86_340, DIGEST_MINUTE);
        let daily = if daily > now { daily - 86_400 } else { daily };
        let (day, _) = paris_clock(daily);
        let weekly = daily - i64::from(day) * 86_400;
        let mut sent = 0;
        for (email, until, label) in [(Email::Daily, daily, "du jour"), (Email::Weekly, weekly, "de la semaine")] {
            for m in self.store.digest_mails(email, until).await? {
                let qh = self.store.quiet_hours_for(&[m.person]).await?.get(&m.person).copied().unwrap_or(QuietHours::DEFAULT);
                if qh.is_quiet(now) {
                    continue;
                }
                let subject = format!("Préau : votre résumé {label} ({} nouveautés)", m.notifications.len());
                mailer.send(preau_identity::mail::Mail { to: m.address.clone(), subject, body: mail_body(&m.notifications, base_url) }).await?;
                self.store.digested(&m.notifications).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}

fn mail_body(ns: &[Notification], base_url: &str) -> String {
    let mut body = String::from("Bonjour,\n\nDu nouveau dans votre espace numérique de travail :\n\n");
    for n in ns {
        body.push_str(&format!("- {}\n  {}{}\n", n.title, base_url, n.link));
    }
    body.push_str("\nVous recevez ce courriel selon vos préférences de notification, modifiables dans Préau, page « Notifications ».\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, min, 0)).map(|t| t.and_utc().timestamp()).unwrap_or(0)
    }

    #[test]
    fn quiet_evenings_and_sundays_defer_to_the_next_allowed_moment() {
        let q = QuietHours::DEFAULT;
        // Thursday 26 November 2026, 21:30 UTC = 22:30 Paris: quiet until Friday 07:00 Paris (06:00 UTC).
        assert!(q.is_quiet(at(2026, 11, 26, 21, 30)));
        assert_eq!(q.next_allowed(at(2026, 11, 26, 21, 30)), at(2026, 11, 27, 6, 0));
        // Friday 10:00 Paris: allowed at once.
        assert_eq!(q.next_allowed(at(2026, 11, 27, 9, 0)), at(2026, 11, 27, 9, 0));
        // Saturday 21:00 Paris: the night, then Sunday all day, then Monday 07:00.
        assert_eq!(q.next_allowed(at(2026, 11, 28, 20, 0)), at(2026, 11, 30, 6, 0));
        // No quiet hours at all.
        let none = QuietHours { start: 0, end: 0, days_off: 0 };
        assert!(!none.is_quiet(at(2026, 11, 29, 3, 0)));
    }
}
