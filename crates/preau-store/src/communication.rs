//! Communication's storage, part one: the rules of each structure, a person's standing read from
//! the directory, and the people within targets (the recipient picker and the expansion of a
//! message's audiences). The SQL that expands a target and the standing that the rules test
//! read the same rows: a pupil of a class is a member with the pupil profile in its structure, a
//! teacher of a class teaches it, is its principal teacher or a member with the teacher profile,
//! a parent of a class is a legal guardian of one of its pupils.

use crate::rows::{self, text};
use crate::{Store, db_err};
use preau_communication::attachments::Upload;
use preau_communication::messages::{Copy, Entry, Fanout, Folder, Message};
use preau_communication::news::News;
use preau_communication::notifications::{Email, Kind, Notification, Outgoing, PendingMail, Preference, QuietHours};
use preau_communication::rules::{Audience, Rule, Standing, Target};
use preau_core::{AttachmentId, Error, GroupId, MessageId, NewsId, PersonId, Profile, Result, StructureId};
use preau_directory::{AuditEntry, Person};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// Live classes and teaching groups (not archived).
const CLASSES: &str = "g.kind IN ('class', 'teaching') AND g.archived_year IS NULL";

pub(crate) async fn rules(s: &Store, structure: StructureId) -> Result<Option<Vec<Rule>>> {
    let set = sqlx::query("SELECT structure_id FROM communication_rule_sets WHERE structure_id = $1")
        .bind(structure.to_string())
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    if set.is_none() {
        return Ok(None);
    }
    let rs = sqlx::query("SELECT from_audience, to_audience FROM communication_rules WHERE structure_id = $1")
        .bind(structure.to_string())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(rs.len());
    for r in &rs {
        let side = |col: &str| text(r, col).and_then(|a| Audience::parse(&a).ok_or_else(|| Error::Internal(format!("bad audience in {col}"))));
        out.push(Rule { from: side("from_audience")?, to: side("to_audience")? });
    }
    out.sort();
    Ok(Some(out))
}

pub(crate) async fn set_rules(s: &Store, structure: StructureId, rules: Option<&[Rule]>, at: i64, audit: &AuditEntry) -> Result<()> {
    let mut tx = s.begin().await?;
    let id = structure.to_string();
    sqlx::query("DELETE FROM communication_rules WHERE structure_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
    sqlx::query("DELETE FROM communication_rule_sets WHERE structure_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
    if let Some(rules) = rules {
        sqlx::query("INSERT INTO communication_rule_sets (structure_id, changed_at) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for r in rules {
            sqlx::query("INSERT INTO communication_rules (structure_id, from_audience, to_audience) VALUES ($1, $2, $3)")
                .bind(id.clone())
                .bind(r.from.code())
                .bind(r.to.code())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
    }
    crate::directory::write_audit(&mut tx, audit).await?;
    s.commit(tx).await
}

async fn pairs(s: &Store, sql: &'static str, person: PersonId) -> Result<Vec<(String, String)>> {
    let rs = sqlx::query(sql).bind(person.to_string()).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(|r| Ok((text(r, "a")?, text(r, "b")?))).collect()
}

pub(crate) async fn standing(s: &Store, person: PersonId) -> Result<Standing> {
    let p = |v: &str| v.parse::<StructureId>();
    let g = |v: &str| v.parse::<GroupId>();
    let mut st = Standing { person, ..Standing::default() };
    for (sid, profile) in pairs(s, "SELECT structure_id AS a, profile AS b FROM memberships WHERE person_id = $1", person).await? {
        st.profiles.push((p(&sid)?, profile.parse()?));
    }
    // Members of classes, with their profile in the class's structure (pupils; teachers added by hand).
    let member = "SELECT g.structure_id || ' ' || g.id AS a, m.profile AS b FROM group_members gm JOIN class_groups g ON g.id = gm.group_id JOIN memberships m ON m.person_id = gm.person_id AND m.structure_id = g.structure_id AND m.profile IN ('ELV', 'ENS') WHERE gm.person_id = $1 AND g.kind IN ('class', 'teaching') AND g.archived_year IS NULL";
    let taught = "SELECT g.structure_id || ' ' || g.id AS a, 'ENS' AS b FROM teachings t JOIN class_groups g ON g.id = t.group_id WHERE t.person_id = $1 AND g.kind IN ('class', 'teaching') AND g.archived_year IS NULL UNION SELECT g.structure_id || ' ' || g.id AS a, 'ENS' AS b FROM principal_teachers t JOIN class_groups g ON g.id = t.group_id WHERE t.person_id = $1 AND g.archived_year IS NULL";
    let children = "SELECT g.structure_id || ' ' || g.id AS a, 'TUT' AS b FROM parent_links pl JOIN group_members gm ON gm.person_id = pl.child_id JOIN class_groups g ON g.id = gm.group_id JOIN memberships m ON m.person_id = gm.person_id AND m.structure_id = g.structure_id AND m.profile = 'ELV' WHERE pl.parent_id = $1 AND pl.legal_guardian = 1 AND g.kind IN ('class', 'teaching') AND g.archived_year IS NULL";
    for sql in [member, taught, children] {
        for (ids, profile) in pairs(s, sql, person).await? {
            let (sid, gid) = ids.split_once(' ').ok_or_else(|| Error::Internal("bad class pair".into()))?;
            let entry = (p(sid)?, g(gid)?, profile.parse::<Profile>()?);
            if !st.classes.contains(&entry) {
                st.classes.push(entry);
            }
        }
    }
    let groups = "SELECT g.structure_id AS a, g.id AS b FROM group_members gm JOIN class_groups g ON g.id = gm.group_id WHERE gm.person_id = $1 AND g.kind IN ('functional', 'manual') AND g.archived_year IS NULL";
    for (sid, gid) in pairs(s, groups, person).await? {
        st.groups.push((p(&sid)?, g(&gid)?));
    }
    for (a, b) in
        pairs(s, "SELECT parent_id AS a, child_id AS b FROM parent_links WHERE (parent_id = $1 OR child_id = $1) AND legal_guardian = 1", person).await?
    {
        let (parent, child): (PersonId, PersonId) = (a.parse()?, b.parse()?);
        if parent == person {
            st.children.push(child);
        } else {
            st.parents.push(parent);
        }
    }
    Ok(st)
}

/// The ids of the people within one target, as SQL with its parameters (numbered from `n`).
fn target_sql(t: &Target, n: usize) -> (String, Vec<String>) {
    let pupils = |x: usize| {
        format!(
            "SELECT gm.person_id FROM group_members gm JOIN class_groups g ON g.id = gm.group_id JOIN memberships m ON m.person_id = gm.person_id AND m.structure_id = g.structure_id AND m.profile = 'ELV' WHERE gm.group_id = ${x} AND {CLASSES}"
        )
    };
    match *t {
        Target::Structure { structure, profile } => (
            format!("SELECT person_id FROM memberships WHERE structure_id = ${n} AND profile = ${}", n + 1),
            vec![structure.to_string(), profile.code().to_owned()],
        ),
        Target::Class { group, profile: Profile::Pupil } => (pupils(n), vec![group.to_string()]),
        Target::Class { group, profile: Profile::Parent } => {
            (format!("SELECT pl.parent_id FROM parent_links pl WHERE pl.legal_guardian = 1 AND pl.child_id IN ({})", pupils(n)), vec![group.to_string()])
        }
        Target::Class { group, profile: Profile::Teacher } => (
            format!(
                "SELECT t.person_id FROM teachings t JOIN class_groups g ON g.id = t.group_id WHERE t.group_id = ${n} AND {CLASSES} UNION SELECT t.person_id FROM principal_teachers t JOIN class_groups g ON g.id = t.group_id WHERE t.group_id = ${n} AND g.archived_year IS NULL UNION SELECT gm.person_id FROM group_members gm JOIN class_groups g ON g.id = gm.group_id JOIN memberships m ON m.person_id = gm.person_id AND m.structure_id = g.structure_id AND m.profile = 'ENS' WHERE gm.group_id = ${n} AND {CLASSES}"
            ),
            vec![group.to_string()],
        ),
        // Nobody else has a profile in a class.
        Target::Class { .. } => ("SELECT id FROM people WHERE 1 = 0".to_owned(), vec![]),
        Target::Group { group } => (
            format!("SELECT gm.person_id FROM group_members gm JOIN class_groups g ON g.id = gm.group_id WHERE gm.group_id = ${n} AND g.archived_year IS NULL"),
            vec![group.to_string()],
        ),
        Target::Person { person } => (format!("SELECT id FROM people WHERE id = ${n}"), vec![person.to_string()]),
    }
}

/// The union of the targets' people, and its parameters.
fn union(targets: &[Target]) -> (String, Vec<String>) {
    let mut parts = vec![];
    let mut binds = vec![];
    for t in targets {
        let (sql, b) = target_sql(t, binds.len() + 1);
        parts.push(sql);
        binds.extend(b);
    }
    (parts.join(" UNION "), binds)
}

pub(crate) async fn people_of(s: &Store, targets: &[Target], search: &str, limit: i64) -> Result<Vec<Person>> {
    if targets.is_empty() {
        return Ok(vec![]);
    }
    let (within, mut binds) = union(targets);
    let pattern = format!("{}%", search.trim().to_lowercase().replace(['\\', '%'], "").replace('_', "\\_"));
    let k = binds.len() + 1;
    binds.push(pattern);
    let sql = format!(
        "SELECT p.* FROM people p WHERE p.id IN ({within}) AND (lower(p.family_name) LIKE ${k} ESCAPE '\\' OR lower(p.given_name) LIKE ${k} ESCAPE '\\') ORDER BY p.family_name, p.given_name, p.id LIMIT {}",
        limit.clamp(1, 500)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rs = q.fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(rows::person).collect()
}

pub(crate) async fn expand(s: &Store, targets: &[Target]) -> Result<Vec<PersonId>> {
    if targets.is_empty() {
        return Ok(vec![]);
    }
    let (within, binds) = union(targets);
    let mut q = sqlx::query(AssertSqlSafe(within));
    for b in binds {
        q = q.bind(b);
    }
    let rs = q.fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(|r| sqlx::Row::try_get::<String, _>(r, 0).map_err(db_err)?.parse()).collect()
}

/// The names of rows of one table by id, in a few statements whatever the count.
async fn names_by_id(s: &Store, sql_head: &str, ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    let mut ids: Vec<&String> = ids.iter().collect();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let mut q = sqlx::query(AssertSqlSafe(format!("{sql_head} IN ({list})")));
        for id in chunk {
            q = q.bind((*id).clone());
        }
        for r in q.fetch_all(&s.pool).await.map_err(db_err)? {
            out.insert(text(&r, "id")?, text(&r, "name")?);
        }
    }
    Ok(out)
}

pub(crate) async fn target_names(s: &Store, targets: &[Target]) -> Result<Vec<String>> {
    let (mut structures, mut groups, mut people) = (vec![], vec![], vec![]);
    for t in targets {
        match t {
            Target::Structure { structure, .. } => structures.push(structure.to_string()),
            Target::Class { group, .. } | Target::Group { group } => groups.push(group.to_string()),
            Target::Person { person } => people.push(person.to_string()),
        }
    }
    let structures = names_by_id(s, "SELECT id, name FROM structures WHERE id", &structures).await?;
    let groups = names_by_id(s, "SELECT id, name FROM class_groups WHERE id", &groups).await?;
    let people = names_by_id(s, "SELECT id, given_name || ' ' || family_name AS name FROM people WHERE id", &people).await?;
    targets
        .iter()
        .map(|t| {
            let found = match t {
                Target::Structure { structure, .. } => structures.get(&structure.to_string()),
                Target::Class { group, .. } | Target::Group { group } => groups.get(&group.to_string()),
                Target::Person { person } => people.get(&person.to_string()),
            };
            found.cloned().ok_or(Error::NotFound)
        })
        .collect()
}

impl preau_communication::CommunicationStore for Store {
    async fn rules(&self, structure: StructureId) -> Result<Option<Vec<Rule>>> {
        rules(self, structure).await
    }
    async fn set_rules(&self, structure: StructureId, rules: Option<&[Rule]>, audit: &AuditEntry) -> Result<()> {
        set_rules(self, structure, rules, audit.at, audit).await
    }
    async fn standing(&self, person: PersonId) -> Result<Standing> {
        standing(self, person).await
    }
    async fn people_of(&self, targets: &[Target], search: &str, limit: i64) -> Result<Vec<Person>> {
        people_of(self, targets, search, limit).await
    }
    async fn expand(&self, targets: &[Target]) -> Result<Vec<PersonId>> {
        expand(self, targets).await
    }
    async fn target_names(&self, targets: &[Target]) -> Result<Vec<String>> {
        target_names(self, targets).await
    }
    async fn insert_message(&self, m: &Message, deliveries: &[(PersonId, Copy)], replaces: Option<MessageId>) -> Result<()> {
        crate::messages::insert(self, m, deliveries, replaces).await
    }
    async fn delete_draft(&self, id: MessageId) -> Result<()> {
        crate::messages::delete_draft(self, id).await
    }
    async fn message(&self, id: MessageId) -> Result<Message> {
        crate::messages::get(self, id).await
    }
    async fn delivery(&self, id: MessageId, person: PersonId) -> Result<Option<(Option<i64>, Folder)>> {
        crate::messages::delivery(self, id, person).await
    }
    async fn mark_read(&self, id: MessageId, person: PersonId, at: i64) -> Result<()> {
        crate::messages::mark_read(self, id, person, at).await
    }
    async fn folder(&self, person: PersonId, folder: Folder, search: &str, now: i64, limit: i64) -> Result<Vec<Entry>> {
        crate::messages::folder(self, person, folder, search, now, limit).await
    }
    async fn thread(&self, thread: MessageId, person: PersonId, now: i64) -> Result<Vec<Entry>> {
        crate::messages::thread(self, thread, person, now).await
    }
    async fn move_received(&self, id: MessageId, person: PersonId, to: Option<Folder>) -> Result<()> {
        crate::messages::move_received(self, id, person, to).await
    }
    async fn move_sent(&self, id: MessageId, to: Option<Folder>) -> Result<()> {
        crate::messages::move_sent(self, id, to).await
    }
    async fn recall(&self, id: MessageId, at: i64) -> Result<(u64, u64)> {
        crate::messages::recall(self, id, at).await
    }
    async fn unread(&self, person: PersonId, now: i64) -> Result<i64> {
        crate::messages::unread(self, person, now).await
    }
    async fn preferences_for(&self, people: &[PersonId], kind: Kind) -> Result<HashMap<PersonId, Preference>> {
        crate::notifications::preferences_for(self, people, kind).await
    }
    async fn quiet_hours_for(&self, people: &[PersonId]) -> Result<HashMap<PersonId, QuietHours>> {
        crate::notifications::quiet_hours_for(self, people).await
    }
    async fn own_quiet_hours(&self, person: PersonId) -> Result<Option<QuietHours>> {
        crate::notifications::own_quiet_hours(self, &person.to_string()).await
    }
    async fn set_preferences(&self, person: PersonId, preferences: &[Preference], quiet: Option<QuietHours>) -> Result<()> {
        crate::notifications::set_preferences(self, person, preferences, quiet).await
    }
    async fn set_structure_quiet_hours(&self, structure: StructureId, quiet: Option<QuietHours>) -> Result<()> {
        crate::notifications::set_structure_quiet_hours(self, structure, quiet).await
    }
    async fn deliver(&self, messages: &[Fanout]) -> Result<()> {
        crate::messages::deliver(self, messages).await
    }
    async fn insert_notifications(&self, rows: &[Outgoing]) -> Result<()> {
        crate::notifications::insert(self, rows).await
    }
    async fn insert_upload(&self, u: &Upload) -> Result<()> {
        crate::attachments::insert(self, u).await
    }
    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        crate::attachments::get(self, id).await
    }
    async fn pending_upload_bytes(&self, owner: PersonId) -> Result<i64> {
        crate::attachments::pending_bytes(self, owner).await
    }
    async fn purge_uploads(&self, before: i64) -> Result<Vec<AttachmentId>> {
        crate::attachments::purge(self, before).await
    }
    async fn unnotified_messages(&self) -> Result<Vec<(Message, Vec<(PersonId, Copy)>)>> {
        crate::messages::unnotified(self).await
    }
    async fn unpushed(&self, now: i64) -> Result<Vec<Notification>> {
        crate::notifications::unpushed(self, now).await
    }
    async fn mark_pushed(&self, notifications: &[Notification]) -> Result<()> {
        crate::notifications::mark_pushed(self, notifications).await
    }
    async fn feed(&self, person: PersonId, now: i64, limit: i64) -> Result<Vec<Notification>> {
        crate::notifications::feed(self, person, now, limit).await
    }
    async fn withdraw_notifications(&self, link_suffix: &str, now: i64) -> Result<u64> {
        crate::notifications::withdraw(self, link_suffix, now).await
    }

    async fn mark_feed_read(&self, person: PersonId, now: i64) -> Result<()> {
        crate::notifications::mark_feed_read(self, person, now).await
    }
    async fn due_mails(&self, now: i64) -> Result<Vec<PendingMail>> {
        crate::notifications::due_mails(self, now).await
    }
    async fn mails_sent(&self, notifications: &[Notification]) -> Result<()> {
        crate::notifications::mails_sent(self, notifications).await
    }
    async fn digest_mails(&self, email: Email, until: i64) -> Result<Vec<PendingMail>> {
        crate::notifications::digest_mails(self, email, until).await
    }
    async fn digested(&self, notifications: &[Notification]) -> Result<()> {
        crate::notifications::digested(self, notifications).await
    }
    async fn save_news(&self, n: &News) -> Result<()> {
        crate::news::save(self, n).await
    }
    async fn news(&self, id: NewsId) -> Result<News> {
        crate::news::get(self, id).await
    }
    async fn news_of(&self, structures: &[StructureId], limit: i64) -> Result<Vec<News>> {
        crate::news::of(self, structures, limit).await
    }
    async fn acknowledge(&self, id: MessageId, person: PersonId, at: i64) -> Result<()> {
        crate::messages::acknowledge(self, id, person, at).await
    }
    async fn acknowledgements(&self, id: MessageId) -> Result<Vec<preau_communication::messages::Acknowledgement>> {
        crate::messages::acknowledgements(self, id).await
    }
    async fn acknowledged(&self, id: MessageId, person: PersonId) -> Result<Option<i64>> {
        crate::messages::acknowledged(self, id, person).await
    }
    async fn insert_report(&self, r: &preau_communication::moderation::Report) -> Result<()> {
        crate::moderation::insert(self, r).await
    }
    async fn report(&self, id: MessageId) -> Result<preau_communication::moderation::Report> {
        crate::moderation::get(self, id).await
    }
    async fn open_reports(
        &self,
        territory: preau_core::TerritoryId,
        structures: Option<&[StructureId]>,
    ) -> Result<Vec<preau_communication::moderation::Report>> {
        crate::moderation::open(self, territory, structures).await
    }
    async fn decide_report(&self, r: &preau_communication::moderation::Report, hidden_at: Option<i64>, audit: &AuditEntry) -> Result<()> {
        crate::moderation::decide(self, r, hidden_at, audit).await
    }
}
