//! The storage port of communication, implemented by `preau-store`.

use crate::messages::{Copy, Entry, Folder, Message};
use crate::rules::{Rule, Standing, Target};
use preau_core::{MessageId, PersonId, Result, StructureId};
use preau_directory::{AuditEntry, DirectoryStore, Person};

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

    /// A new message with its deliveries (none for a draft), in one transaction.
    async fn insert_message(&self, m: &Message, deliveries: &[(PersonId, Copy)]) -> Result<()>;
    /// Removes a draft (its replacement is inserted by the caller).
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
}
