//! Messaging: messages addressed to people, classes, groups and profiles of a structure, as the
//! communication rules allow; the audiences are expanded into people when the message is sent,
//! and both the addressing and the expansion are recorded. Replies and threads, drafts,
//! scheduled sending, "no-reply" broadcasts by the direction, the trash, and recall of a sent
//! message from those who have not read it yet.
//!
//! A recipient may always answer whoever wrote to them (unless the message said no reply); every
//! other recipient must be within the sender's reach. Blind copies are shown to the sender only.

use crate::attachments::Attached;
use crate::outbox::Publication;
use crate::rules::Target;
use crate::{Communication, CommunicationStore};
use preau_core::error::Validator;
use preau_core::{AttachmentId, Error, MessageId, PersonId, Principal, Profile, Result, TerritoryId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// At most this many people receive one message (a whole collège with its parents).
pub const MAX_RECIPIENTS: usize = 10_000;
/// At most this many addressees are picked one by one.
const MAX_ADDRESSEES: usize = 200;
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 100_000;
/// How far ahead a message may be scheduled.
const MAX_SCHEDULE_SECS: i64 = 366 * 24 * 3600;

/// How a recipient is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Copy {
    To,
    Cc,
    Bcc,
}

impl Copy {
    pub fn code(self) -> &'static str {
        match self {
            Copy::To => "to",
            Copy::Cc => "cc",
            Copy::Bcc => "bcc",
        }
    }

    pub fn parse(s: &str) -> Option<Copy> {
        [Copy::To, Copy::Cc, Copy::Bcc].into_iter().find(|c| c.code() == s)
    }
}

/// An addressee as the sender chose it, with the name of what it is (the class, the person…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressee {
    pub copy: Copy,
    pub target: Target,
    pub name: String,
}

/// Where a message sits for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    Inbox,
    Sent,
    Drafts,
    Trash,
}

impl Folder {
    pub const ALL: [Folder; 4] = [Folder::Inbox, Folder::Sent, Folder::Drafts, Folder::Trash];

    pub fn code(self) -> &'static str {
        match self {
            Folder::Inbox => "inbox",
            Folder::Sent => "sent",
            Folder::Drafts => "drafts",
            Folder::Trash => "trash",
        }
    }

    pub fn parse(s: &str) -> Option<Folder> {
        Folder::ALL.into_iter().find(|f| f.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: MessageId,
    pub territory: TerritoryId,
    pub sender: PersonId,
    pub sender_name: String,
    /// The first message of the thread (itself when it starts one).
    pub thread: MessageId,
    /// The message it answers.
    pub parent: Option<MessageId>,
    pub subject: String,
    /// Plain text.
    pub body: String,
    pub addressees: Vec<Addressee>,
    pub created_at: i64,
    /// When it was sent; `None` for a draft.
    pub sent_at: Option<i64>,
    /// When recipients see it: `sent_at`, or later when scheduled.
    pub deliver_at: Option<i64>,
    /// A broadcast nobody may answer.
    pub no_reply: bool,
    /// *Carnet de liaison*: its recipients are asked to acknowledge it.
    pub acknowledge: bool,
    pub recalled_at: Option<i64>,
    /// Hidden by a moderator: its text is no longer shown to anyone.
    pub hidden_at: Option<i64>,
    /// How many people it was delivered to.
    pub recipients: i64,
    /// Its files (downloaded through [`Communication::attachment`]).
    pub attachments: Vec<Attached>,
}

impl Message {
    /// The message as someone other than its sender sees it: blind copies removed.
    pub fn for_recipient(mut self) -> Message {
        self.addressees.retain(|a| a.copy != Copy::Bcc);
        self
    }

    /// Its text and files removed when a moderator hid it.
    pub fn masked(mut self) -> Message {
        if self.hidden_at.is_some() {
            self.body.clear();
            self.attachments.clear();
        }
        self
    }
}

/// A message in one person's folder.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub message: Message,
    pub folder: Folder,
    /// When they read it (always set for what they sent).
    pub read_at: Option<i64>,
}

/// What a sender writes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageInput {
    #[serde(default)]
    pub to: Vec<Target>,
    #[serde(default)]
    pub cc: Vec<Target>,
    #[serde(default)]
    pub bcc: Vec<Target>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// Send later (seconds since the epoch).
    #[serde(default)]
    pub send_at: Option<i64>,
    /// A broadcast nobody may answer (direction only).
    #[serde(default)]
    pub no_reply: bool,
    /// The message this one answers.
    #[serde(default)]
    pub reply_to: Option<MessageId>,
    /// Keep as a draft instead of sending.
    #[serde(default)]
    pub draft: bool,
    /// The draft this replaces (sent or saved again).
    #[serde(default)]
    pub draft_id: Option<MessageId>,
    /// *Carnet de liaison*: ask the recipients to acknowledge it (the school's adults only).
    #[serde(default)]
    pub acknowledge: bool,
    /// Uploads of the sender's to attach (see [`crate::attachments`]).
    #[serde(default)]
    pub attachments: Vec<AttachmentId>,
}

/// One recipient of a message asking for acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    pub person: PersonId,
    pub name: String,
    pub read_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

/// What a sender may ask of a message: a broadcast nobody may answer (the direction), an
/// acknowledgement from each recipient (the school's adults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SendingOptions {
    pub no_reply: bool,
    pub acknowledge: bool,
}

/// A stored message's deliveries to write: to whom, how addressed, seen from when. Each
/// delivery row also keeps the message's notification for its recipient (how they are told):
/// one row per recipient, not two.
#[derive(Debug, Clone)]
pub struct Fanout {
    pub message: MessageId,
    pub at: i64,
    pub recipients: Vec<Recipient>,
}

/// One recipient of a [`Fanout`].
#[derive(Debug, Clone, Copy)]
pub struct Recipient {
    pub person: PersonId,
    pub copy: Copy,
    pub notice: crate::notifications::Notice,
}

/// What a recall did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recalled {
    /// Taken back from inboxes where it was unread.
    pub taken_back: u64,
    /// Already read: they keep it.
    pub already_read: u64,
}

impl<S: CommunicationStore> Communication<S> {
    /// Sends a message (or keeps it as a draft): checks every addressee against the sender's
    /// reach, expands the audiences into people and records both.
    pub async fn send(&self, caller: &Principal, input: &MessageInput) -> Result<Message> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let now = self.clock.now();
        validate(input, now)?;
        let parent = match input.reply_to {
            Some(id) => Some(self.answerable(me, id).await?),
            None => None,
        };
        let addressed: Vec<(Copy, Target)> =
            [(Copy::To, &input.to), (Copy::Cc, &input.cc), (Copy::Bcc, &input.bcc)].into_iter().flat_map(|(c, ts)| ts.iter().map(move |t| (c, *t))).collect();
        self.check_reach(me, &addressed, parent.as_ref().map(|p| p.sender)).await?;
        let options = self.sending_options(caller).await?;
        if (input.no_reply && !options.no_reply) || (input.acknowledge && !options.acknowledge) {
            return Err(Error::Forbidden);
        }
        let attachments = self.attachable(me, &input.attachments, input.draft_id).await?;
        // The sender's name with the addressees' (last).
        let mut names = self.names_of(&addressed.iter().map(|(_, t)| *t).chain([Target::Person { person: me }]).collect::<Vec<_>>()).await?;
        let sender_name = names.pop().ok_or(Error::NotFound)?;
        let addressees: Vec<Addressee> = addressed.iter().zip(names).map(|((copy, target), name)| Addressee { copy: *copy, target: *target, name }).collect();
        let deliveries = if input.draft { vec![] } else { self.deliveries(me, &addressed).await? };
        let id = MessageId::new();
        let sent_at = (!input.draft).then_some(now);
        let m = Message {
            id,
            territory: caller.territory,
            sender: me,
            sender_name,
            thread: parent.as_ref().map(|p| p.thread).unwrap_or(id),
            parent: parent.as_ref().map(|p| p.id),
            subject: input.subject.trim().to_owned(),
            body: input.body.clone(),
            addressees,
            created_at: now,
            sent_at,
            deliver_at: sent_at.map(|s| input.send_at.unwrap_or(s).max(s)),
            no_reply: input.no_reply,
            acknowledge: input.acknowledge,
            recalled_at: None,
            hidden_at: None,
            recipients: deliveries.len() as i64,
            attachments,
        };
        if let Some(draft) = input.draft_id {
            self.own_draft(me, draft).await?;
        }
        // The draft it replaces goes in the same transaction: a failed send keeps it.
        self.store.insert_message(&m, &deliveries, input.draft_id).await?;
        // Stored with its recipients: the outbox delivers it to them after the answer.
        if m.deliver_at.is_some() && !deliveries.is_empty() {
            self.outbox.publish(Publication::of_message(&m, deliveries)).await;
        }
        Ok(m)
    }

    /// What the caller may ask of a message beyond sending it (what the compose form offers).
    pub async fn sending_options(&self, caller: &Principal) -> Result<SendingOptions> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (standing, _) = self.reach_of(me).await?;
        let has = |f: &dyn Fn(&Profile) -> bool| standing.profiles.iter().any(|(_, p)| f(p));
        Ok(SendingOptions { no_reply: has(&|p| *p == Profile::Direction), acknowledge: has(&|p| crate::rules::STAFF.contains(p)) })
    }

    /// The names of what a compose form holds, for those the caller may write to (or the sender
    /// of the message they answer); anything else is dropped, never named.
    pub async fn describe(&self, caller: &Principal, chosen: &[(Copy, Target)], answering: Option<MessageId>) -> Result<Vec<(Copy, Target, String)>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let answered = match answering {
            Some(id) => Some(self.answerable(me, id).await?.sender),
            None => None,
        };
        let (_, reach) = self.reach_of(me).await?;
        let mut kept = vec![];
        for (c, t) in chosen {
            if matches!(t, Target::Person { person } if Some(*person) == answered) || self.allowed(me, &reach, t).await? {
                kept.push((*c, *t));
            }
        }
        let names = self.names_of(&kept.iter().map(|(_, t)| *t).collect::<Vec<_>>()).await?;
        Ok(kept.into_iter().zip(names).map(|((c, t), n)| (c, t, n)).collect())
    }

    /// A message `me` received and may see now (delivered, its time come), with when they read
    /// it and where they filed it; anything else does not exist for them.
    pub(crate) async fn delivered(&self, me: PersonId, id: MessageId) -> Result<(Message, Option<i64>, Folder)> {
        let m = self.store.message(id).await?;
        let (read_at, folder) = self.store.delivery(id, me).await?.ok_or(Error::NotFound)?;
        if m.deliver_at.is_none_or(|t| t > self.clock.now()) {
            return Err(Error::NotFound);
        }
        Ok((m, read_at, folder))
    }

    /// The message `id` if `me` sent it, or received it and may answer it.
    async fn answerable(&self, me: PersonId, id: MessageId) -> Result<Message> {
        let m = self.store.message(id).await?;
        if m.sender == me {
            return Ok(m);
        }
        let (m, _, _) = self.delivered(me, id).await?;
        if m.no_reply {
            return Err(Error::Conflict("message.no_reply_refused"));
        }
        Ok(m)
    }

    /// Every addressee must be within `me`'s reach; the sender of the answered message always is.
    async fn check_reach(&self, me: PersonId, addressed: &[(Copy, Target)], answering: Option<PersonId>) -> Result<()> {
        let (_, reach) = self.reach_of(me).await?;
        for (_, t) in addressed {
            let answered = matches!(t, Target::Person { person } if Some(*person) == answering);
            if !answered && !self.allowed(me, &reach, t).await? {
                return Err(Error::invalid("to", "message.out_of_reach"));
            }
        }
        Ok(())
    }

    /// Whether `me`, who reaches `reach`, may write to `t`.
    pub(crate) async fn allowed(&self, me: PersonId, reach: &[Target], t: &Target) -> Result<bool> {
        match *t {
            Target::Person { person } if person == me => Ok(false),
            Target::Person { person } => {
                let theirs = self.standing_of(person).await?;
                Ok(reach.iter().any(|r| r.contains(&theirs)))
            }
            _ => self.covers(reach, t).await,
        }
    }

    /// Whether an audience is within reach: one of the targets, or a class's share of a profile
    /// the sender reaches in the whole structure (a teacher writing to the pupils of 4B).
    pub(crate) async fn covers(&self, reach: &[Target], t: &Target) -> Result<bool> {
        if reach.contains(t) {
            return Ok(true);
        }
        let Target::Class { group, profile } = *t else { return Ok(false) };
        for r in reach {
            if let Target::Structure { structure, profile: p } = *r
                && p == profile
                && self.classes_of(structure).await?.iter().any(|(g, _)| *g == group)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Who receives it: each person once, with the most visible way they were addressed; never the sender.
    async fn deliveries(&self, me: PersonId, addressed: &[(Copy, Target)]) -> Result<Vec<(PersonId, Copy)>> {
        let mut who: HashMap<PersonId, Copy> = HashMap::new();
        for copy in [Copy::To, Copy::Cc, Copy::Bcc] {
            let targets = addressed.iter().filter(|(c, _)| *c == copy).map(|(_, t)| *t);
            for t in targets {
                for p in self.expansion(&t).await?.iter() {
                    who.entry(*p).or_insert(copy);
                }
            }
        }
        who.remove(&me);
        if who.len() > MAX_RECIPIENTS {
            return Err(Error::invalid("to", "message.too_many_recipients"));
        }
        let mut list: Vec<(PersonId, Copy)> = who.into_iter().collect();
        list.sort();
        Ok(list)
    }

    /// Everyone within a target, kept until the directory changes.
    pub(crate) async fn expansion(&self, t: &Target) -> Result<Arc<Vec<PersonId>>> {
        if let Target::Person { person } = *t {
            // Already checked within reach (or the sender answered): no query, no cache entry.
            return Ok(Arc::new(vec![person]));
        }
        let generation = self.store.generation();
        if let Some(hit) = self.caches.expansions.get(t, generation) {
            return Ok(hit);
        }
        let people = Arc::new(self.store.expand(std::slice::from_ref(t)).await?);
        self.caches.expansions.put(*t, generation, people.clone());
        Ok(people)
    }

    /// What each target is called, kept until the directory changes.
    pub async fn names_of(&self, targets: &[Target]) -> Result<Vec<String>> {
        let generation = self.store.generation();
        let mut known: HashMap<Target, Arc<String>> = targets.iter().filter_map(|t| Some((*t, self.caches.names.get(t, generation)?))).collect();
        let missing: Vec<Target> = targets.iter().filter(|t| !known.contains_key(t)).copied().collect();
        if !missing.is_empty() {
            for (t, name) in missing.iter().zip(self.store.target_names(&missing).await?) {
                let name = Arc::new(name);
                self.caches.names.put(*t, generation, name.clone());
                known.insert(*t, name);
            }
        }
        targets.iter().map(|t| known.get(t).map(|n| n.to_string()).ok_or(Error::NotFound)).collect()
    }

    async fn own_draft(&self, me: PersonId, id: MessageId) -> Result<Message> {
        let m = self.store.message(id).await?;
        if m.sender != me || m.sent_at.is_some() {
            return Err(Error::NotFound);
        }
        Ok(m)
    }

    /// A folder of the caller's, newest first.
    pub async fn folder(&self, caller: &Principal, folder: Folder, search: &str) -> Result<Vec<Entry>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let search: String = search.trim().chars().take(100).collect();
        let entries = self.store.folder(me, folder, &search, self.clock.now(), 100).await?;
        Ok(entries.into_iter().map(|e| visible_to(me, e)).collect())
    }

    /// Opens a message the caller sent or received (marking it read) with its thread.
    pub async fn open(&self, caller: &Principal, id: MessageId) -> Result<(Entry, Vec<Entry>)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let now = self.clock.now();
        let m = self.store.message(id).await?;
        let entry = if m.sender == me {
            let folder = if m.sent_at.is_none() { Folder::Drafts } else { Folder::Sent };
            Entry { read_at: m.sent_at.or(Some(m.created_at)), message: m.masked(), folder }
        } else {
            let (m, read_at, folder) = self.delivered(me, id).await?;
            if read_at.is_none() {
                self.store.mark_read(id, me, now).await?;
            }
            Entry { message: m.for_recipient().masked(), folder, read_at: read_at.or(Some(now)) }
        };
        let thread = self.store.thread(entry.message.thread, me, now).await?.into_iter().map(|e| visible_to(me, e)).collect();
        Ok((entry, thread))
    }

    /// Moves a message to the trash, or back; `forever` deletes it from the caller's folders.
    pub async fn file(&self, caller: &Principal, id: MessageId, to: Option<Folder>) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let m = self.store.message(id).await?;
        if matches!(to, Some(Folder::Inbox | Folder::Sent | Folder::Drafts)) {
            // Back from the trash to where it came from.
            return if m.sender == me { self.store.move_sent(id, Some(Folder::Sent)).await } else { self.received(id, me, Some(Folder::Inbox)).await };
        }
        if m.sender == me {
            if m.sent_at.is_none() && to.is_none() {
                return self.store.delete_draft(id).await;
            }
            return self.store.move_sent(id, to).await;
        }
        self.received(id, me, to).await
    }

    async fn received(&self, id: MessageId, me: PersonId, to: Option<Folder>) -> Result<()> {
        self.delivered(me, id).await?;
        self.store.move_received(id, me, to).await
    }

    /// Takes a sent message back from the inboxes where it is still unread.
    pub async fn recall(&self, caller: &Principal, id: MessageId) -> Result<Recalled> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let m = self.store.message(id).await?;
        if m.sender != me {
            return Err(if self.store.delivery(id, me).await?.is_some() { Error::Forbidden } else { Error::NotFound });
        }
        if m.sent_at.is_none() {
            return Err(Error::Conflict("message.not_sent"));
        }
        // Its notifications written first, so that those taken back lose theirs too.
        self.outbox.settle().await;
        let (taken_back, already_read) = self.store.recall(id, self.clock.now()).await?;
        Ok(Recalled { taken_back, already_read })
    }

    /// *Carnet de liaison*: the caller acknowledges a message they received.
    pub async fn acknowledge(&self, caller: &Principal, id: MessageId) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (m, _, _) = self.delivered(me, id).await?;
        if !m.acknowledge {
            return Err(Error::Conflict("message.no_acknowledgement"));
        }
        self.store.acknowledge(id, me, self.clock.now()).await
    }

    /// *Carnet de liaison*: when the caller acknowledged a message they received.
    pub async fn my_acknowledgement(&self, caller: &Principal, id: MessageId) -> Result<Option<i64>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.acknowledged(id, me).await
    }

    /// *Carnet de liaison*: who has and has not acknowledged a message (its sender only).
    pub async fn acknowledgements(&self, caller: &Principal, id: MessageId) -> Result<Vec<Acknowledgement>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let m = self.store.message(id).await?;
        if m.sender != me {
            return Err(if self.store.delivery(id, me).await?.is_some() { Error::Forbidden } else { Error::NotFound });
        }
        self.store.acknowledgements(id).await
    }

    /// *Carnet de liaison*: reminds those who have not acknowledged yet; returns how many.
    pub async fn remind(&self, caller: &Principal, id: MessageId) -> Result<usize> {
        let list = self.acknowledgements(caller, id).await?;
        let m = self.store.message(id).await?;
        if !m.acknowledge {
            return Err(Error::Conflict("message.no_acknowledgement"));
        }
        let waiting: Vec<PersonId> = list.iter().filter(|a| a.acknowledged_at.is_none()).map(|a| a.person).collect();
        let title = format!("Rappel — {} : {}", m.sender_name, m.subject);
        let link = crate::notifications::message_link(id);
        self.notify(&waiting, crate::notifications::Kind::Acknowledgement, self.clock.now(), &title, &link, &*self.live).await?;
        Ok(waiting.len())
    }

    /// How many messages wait unread in the caller's inbox.
    pub async fn unread(&self, caller: &Principal) -> Result<i64> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.unread(me, self.clock.now()).await
    }
}

/// Blind copies are for the sender's eyes only; hidden text for nobody's.
fn visible_to(me: PersonId, e: Entry) -> Entry {
    let message = if e.message.sender == me { e.message.masked() } else { e.message.for_recipient().masked() };
    Entry { message, ..e }
}

fn validate(input: &MessageInput, now: i64) -> Result<()> {
    let mut v = Validator::new();
    let count = input.to.len() + input.cc.len() + input.bcc.len();
    v.check(input.draft || count > 0, "to", "message.no_recipient");
    v.check(count <= MAX_ADDRESSEES, "to", "message.too_many_recipients");
    v.check(input.draft || !input.subject.trim().is_empty(), "subject", "field.required");
    v.check(input.subject.chars().count() <= MAX_SUBJECT, "subject", "field.too_long");
    v.check(input.body.len() <= MAX_BODY, "body", "field.too_long");
    v.check(input.send_at.is_none_or(|t| t <= now + MAX_SCHEDULE_SECS), "send_at", "message.too_far");
    v.finish()
}
