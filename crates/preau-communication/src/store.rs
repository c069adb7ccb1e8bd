//! The storage port of communication, implemented by `preau-store`.

use crate::attachments::Upload;
use crate::messages::{Acknowledgement, Copy, Entry, Fanout, Folder, Message};
use crate::moderation::Report;
use crate::news::News;
use crate::notifications::{Email, Kind, Notification, Outgoing, PendingMail, Preference, QuietHours};
use crate::rules::{Rule, Standing, Target};
use preau_core::{AttachmentId, MessageId, NewsId, PersonId, Result, StructureId, TerritoryId};
use preau_directory::{AuditEntry, DirectoryStore, Person};
use std::collections::HashMap;

pub trait CommunicationStore: DirectoryStore {
    /// A structure's rules, or `None` while they are the defaults.
    async fn rules(&self, structure: StructureId) -> Result<Option<Vec<Rule>>>;
    /// Replaces them (`None`: back to the defaults), with the audit entry, in one transaction.
    async fn set_rules(&self, structure: StructureId, rules: Option<&[Rule]>, audit: &AuditEntry) -> Result<()>;
    /// What the directory says of a person, for the rules.
    async fn standing(&self, person: PersonId) -> Result<Standing>;
    /// People within the targets whose given or family name starts with `search` (any case),
    /// ordered by name, at most `limit`.
    async fn people_of(&self, targets: &[Target], search: &str, limit: i64) -> Result<Vec<Person>>;
    /// Everyone within the targets, once each.
    async fn expand(&self, targets: &[Target]) -> Result<Vec<PersonId>>;
    /// The name of what each target is made of (the class, group, structure or person).
    async fn target_names(&self, targets: &[Target]) -> Result<Vec<String>>;

    /// A new message with the recipients its audiences expanded into (none for a draft), whose
    /// deliveries [`Self::deliver`] writes; its attachments are attached to it. In the same
    /// transaction, the draft it `replaces` is deleted.
    async fn insert_message(&self, m: &Message, recipients: &[(PersonId, Copy)], replaces: Option<MessageId>) -> Result<()>;
    /// Records an upload.
    async fn insert_upload(&self, u: &Upload) -> Result<()>;
    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>>;
    /// The bytes of a person's uploads not attached to any message.
    async fn pending_upload_bytes(&self, owner: PersonId) -> Result<i64>;
    /// Forgets the uploads unattached since before `before`; returns their ids.
    async fn purge_uploads(&self, before: i64) -> Result<Vec<AttachmentId>>;
    /// Removes a draft, its attachments going back to unattached uploads (its replacement is
    /// inserted by the caller).
    async fn delete_draft(&self, id: MessageId) -> Result<()>;
    async fn message(&self, id: MessageId) -> Result<Message>;
    /// A person's copy of a message they received: when they read it, and where it is.
    async fn delivery(&self, id: MessageId, person: PersonId) -> Result<Option<(Option<i64>, Folder)>>;
    async fn mark_read(&self, id: MessageId, person: PersonId, at: i64) -> Result<()>;
    /// A folder, newest first, whose subject or text contains `search`, delivered by `now`.
    async fn folder(&self, person: PersonId, folder: Folder, search: &str, now: i64, limit: i64) -> Result<Vec<Entry>>;
    /// The messages of a thread that `person` sent or received, oldest first.
    async fn thread(&self, thread: MessageId, person: PersonId, now: i64) -> Result<Vec<Entry>>;
    /// Moves a received copy (`None`: deletes it for good).
    async fn move_received(&self, id: MessageId, person: PersonId, to: Option<Folder>) -> Result<()>;
    /// Moves the sender's copy (`None`: deletes it for good from their folders).
    async fn move_sent(&self, id: MessageId, to: Option<Folder>) -> Result<()>;
    /// Takes a sent message back from everyone who has not read it: (taken back, already read).
    async fn recall(&self, id: MessageId, at: i64) -> Result<(u64, u64)>;
    /// Messages delivered by `now`, in the inbox, not read.
    async fn unread(&self, person: PersonId, now: i64) -> Result<i64>;

    /// The stored preferences of these people for a kind (absent: the default).
    async fn preferences_for(&self, people: &[PersonId], kind: Kind) -> Result<HashMap<PersonId, Preference>>;
    /// The quiet hours that apply to each of these people: their own, else their structure's.
    async fn quiet_hours_for(&self, people: &[PersonId]) -> Result<HashMap<PersonId, QuietHours>>;
    async fn own_quiet_hours(&self, person: PersonId) -> Result<Option<QuietHours>>;
    /// Replaces a person's preferences and quiet hours (`None`: they set none).
    async fn set_preferences(&self, person: PersonId, preferences: &[Preference], quiet: Option<QuietHours>) -> Result<()>;
    async fn set_structure_quiet_hours(&self, structure: StructureId, quiet: Option<QuietHours>) -> Result<()>;
    /// Writes the deliveries of messages (id, when they see it, recipients, how each is told
    /// of it: the message's notification lives in its delivery), leaving those already written
    /// as they are; in the same transaction, the messages' fan-out is marked done.
    async fn deliver(&self, messages: &[Fanout]) -> Result<()>;
    /// Writes notifications (other than messages', which their deliveries keep).
    async fn insert_notifications(&self, rows: &[Outgoing]) -> Result<()>;
    /// Sent messages whose deliveries were not written (a server stopped meanwhile), with their
    /// recipients.
    async fn unnotified_messages(&self) -> Result<Vec<(Message, Vec<(PersonId, Copy)>)>>;
    /// Live notifications due by `now` not pushed yet.
    async fn unpushed(&self, now: i64) -> Result<Vec<Notification>>;
    async fn mark_pushed(&self, notifications: &[Notification]) -> Result<()>;
    /// The caller's feed, newest first: their notifications and those their deliveries keep.
    async fn feed(&self, person: PersonId, now: i64, limit: i64) -> Result<Vec<Notification>>;
    async fn mark_feed_read(&self, person: PersonId, now: i64) -> Result<()>;
    /// Deletes the notifications whose link ends with `link_suffix` that are not shown yet
    /// (dated after `now`); how many.
    async fn withdraw_notifications(&self, link_suffix: &str, now: i64) -> Result<u64>;
    /// Immediate e-mails due by `now`, grouped per person with an address.
    async fn due_mails(&self, now: i64) -> Result<Vec<PendingMail>>;
    /// These notifications' immediate e-mails went out (those read but not sent stay due).
    async fn mails_sent(&self, notifications: &[Notification]) -> Result<()>;
    /// What a digest of this frequency holds, per person with an address: not digested yet,
    /// happened before `until`.
    async fn digest_mails(&self, email: Email, until: i64) -> Result<Vec<PendingMail>>;
    async fn digested(&self, notifications: &[Notification]) -> Result<()>;

    /// Writes a news item (new or changed).
    async fn save_news(&self, n: &News) -> Result<()>;
    async fn news(&self, id: NewsId) -> Result<News>;
    /// The news of these structures, newest first (published by date, then the others).
    async fn news_of(&self, structures: &[StructureId], limit: i64) -> Result<Vec<News>>;
    /// The recipient acknowledges a message (and has read it).
    async fn acknowledge(&self, id: MessageId, person: PersonId, at: i64) -> Result<()>;
    /// Every recipient of a message, by name, with when they read and acknowledged it.
    async fn acknowledgements(&self, id: MessageId) -> Result<Vec<Acknowledgement>>;
    /// When this recipient acknowledged the message, if they did.
    async fn acknowledged(&self, id: MessageId, person: PersonId) -> Result<Option<i64>>;
    async fn insert_report(&self, r: &Report) -> Result<()>;
    async fn report(&self, id: MessageId) -> Result<Report>;
    /// Open reports of the territory, of these structures (`None`: all).
    async fn open_reports(&self, territory: TerritoryId, structures: Option<&[StructureId]>) -> Result<Vec<Report>>;
    /// Records a decision with its audit entry, hiding the content at `hidden_at` if given.
    async fn decide_report(&self, r: &Report, hidden_at: Option<i64>, audit: &AuditEntry) -> Result<()>;
}
