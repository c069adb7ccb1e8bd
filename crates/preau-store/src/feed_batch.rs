//! How a feed writes: rows batched in memory and written a few hundred at a time in multi-row
//! statements, by a background task that owns the import's transaction while the importer
//! prepares the next batch.

use crate::{Dialect, db_err};
use preau_core::Result;
use sqlx::{Any, Transaction};

pub(crate) type Tx = Transaction<'static, Any>;

/// The import's transaction: idle, or writing a batch in a background task while the importer
/// reads and prepares the next one (so that parsing and writing overlap on two cores).
pub(crate) enum Conn {
    Idle(Tx),
    Busy(tokio::task::JoinHandle<Result<Tx>>),
    /// A background write failed or panicked: the transaction is gone, rolled back.
    Lost,
}

/// A value bound in a multi-row insert.
pub(crate) enum Val {
    S(String),
    N(Option<String>),
    I(i64),
}

/// Rows of new people and their links, written a few hundred at a time in multi-row inserts:
/// one statement instead of one per row is what makes a first import fast.
#[derive(Default)]
pub(crate) struct Batch {
    /// People whose fed links are replaced: their old links are deleted before the new ones
    /// of the batch are inserted.
    pub(crate) cleared: Vec<String>,
    pub(crate) groups: Vec<Vec<Val>>,
    pub(crate) people: Vec<Vec<Val>>,
    pub(crate) memberships: Vec<Vec<Val>>,
    pub(crate) group_members: Vec<Vec<Val>>,
    pub(crate) functions: Vec<Vec<Val>>,
    pub(crate) teachings: Vec<Vec<Val>>,
    pub(crate) principals: Vec<Vec<Val>>,
    pub(crate) pending: Vec<Vec<Val>>,
    pub(crate) seen: Vec<Vec<Val>>,
    pub(crate) left_out: Vec<Vec<Val>>,
}

/// Rows per flush of the batch.
pub(crate) const BATCH_PEOPLE: usize = 500;
/// Bound parameters per statement (SQLite allows 32,766, PostgreSQL 65,535).
pub(crate) const MAX_PARAMS: usize = 30_000;

/// Identifiers looked up per statement by the batched look-ups (bound as one JSON list, so a
/// feed of any size prepares one statement per look-up; see [`chunk_sizes`] for why that
/// matters).
pub(crate) const LOOKUP_CHUNK: usize = 512;

/// Rows per multi-row insert at most (a power of two, see [`chunk_sizes`]).
const MAX_ROWS: usize = 256;

/// How many rows each statement of a multi-row insert of `n` rows takes: as many of `max` as
/// fit, then the powers of two the rest is made of. Each connection keeps every statement it
/// prepared, up to a hundred: with one statement text per row count, a long import keeps
/// large statements of every size it met, and its memory grows with the feed. Cut this way,
/// a feed of any size prepares the same dozen statements per table.
pub(crate) fn chunk_sizes(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let max = power_of_two_at_most(max);
    let rest = n % max;
    std::iter::repeat_n(max, n / max).chain((0..usize::BITS).rev().map(|bit| 1usize << bit).filter(move |size| rest & size != 0))
}

/// The largest power of two not above `n` (1 for 0).
fn power_of_two_at_most(n: usize) -> usize {
    if n <= 1 { 1 } else { 1 << (usize::BITS - 1 - n.leading_zeros()) }
}

/// Inserts rows in as few statements as the parameter limit allows. SQLite gets anonymous `?`
/// placeholders: it looks named ones (`$n`) up in a list, which makes binding a large
/// statement quadratic.
pub(crate) async fn insert_many(tx: &mut Transaction<'static, Any>, dialect: Dialect, head: &str, tail: &str, rows: Vec<Vec<Val>>) -> Result<()> {
    let Some(width) = rows.first().map(Vec::len) else { return Ok(()) };
    let per = (MAX_PARAMS / width.max(1)).clamp(1, MAX_ROWS);
    let mut rows = rows.into_iter();
    for size in chunk_sizes(rows.len(), per) {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(size).collect();
        let mut sql = String::with_capacity(head.len() + chunk.len() * width * 5);
        match dialect {
            // A failed row fails the statement without undoing the rows before it, which the
            // rolled-back import undoes anyway: SQLite then keeps no statement journal.
            Dialect::Sqlite => sql.push_str(&head.replacen("INSERT INTO", "INSERT OR FAIL INTO", 1)),
            Dialect::Postgres => sql.push_str(head),
        }
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { " (" } else { ", (" });
            for c in 0..width {
                n += 1;
                if c > 0 {
                    sql.push_str(", ");
                }
                match dialect {
                    Dialect::Sqlite => sql.push('?'),
                    Dialect::Postgres => sql.push_str(&format!("${n}")),
                }
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Val::S(s) => q.bind(s),
                    Val::N(s) => q.bind(s),
                    Val::I(i) => q.bind(i),
                };
            }
        }
        q.execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) fn lost() -> preau_core::Error {
    preau_core::Error::Internal("the import's transaction was lost in a failed background write".into())
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        self.cleared.is_empty()
            && self.groups.is_empty()
            && self.people.is_empty()
            && self.memberships.is_empty()
            && self.group_members.is_empty()
            && self.functions.is_empty()
            && self.teachings.is_empty()
            && self.principals.is_empty()
            && self.pending.is_empty()
            && self.seen.is_empty()
            && self.left_out.is_empty()
    }

    /// Rows waiting, to decide when to write them.
    pub(crate) fn len(&self) -> usize {
        self.people.len() + self.cleared.len() + (self.seen.len() + self.left_out.len()) / 4
    }
}

/// Deletes the fed links of the people whose links the batch replaces (not those in the classes
/// of a closed year, kept for history; parents keep the profile their children give).
pub(crate) async fn clear_links(tx: &mut Tx, dialect: Dialect, people: &[String]) -> Result<()> {
    const DELETES: [&str; 6] = [
        "DELETE FROM memberships WHERE fed = 1 AND profile <> 'TUT' AND person_id IN",
        "DELETE FROM group_members WHERE fed = 1 AND NOT EXISTS (SELECT 1 FROM class_groups g WHERE g.id = group_members.group_id AND g.archived_year IS NOT NULL) AND person_id IN",
        "DELETE FROM functions WHERE fed = 1 AND person_id IN",
        "DELETE FROM teachings WHERE fed = 1 AND NOT EXISTS (SELECT 1 FROM class_groups g WHERE g.id = teachings.group_id AND g.archived_year IS NOT NULL) AND person_id IN",
        "DELETE FROM principal_teachers WHERE fed = 1 AND NOT EXISTS (SELECT 1 FROM class_groups g WHERE g.id = principal_teachers.group_id AND g.archived_year IS NOT NULL) AND person_id IN",
        "DELETE FROM parent_links WHERE fed = 1 AND child_id IN",
    ];
    for chunk in people.chunks(LOOKUP_CHUNK) {
        // Their parents' profiles are recomputed at the end: a parent whose child left a school
        // must not keep the parent profile there.
        let (list, ids) = (dialect.json_strings(1), crate::rows::ids_json(chunk)?);
        let sql = format!("INSERT INTO feed_parents (id) SELECT parent_id FROM parent_links WHERE fed = 1 AND child_id IN ({list}) ON CONFLICT DO NOTHING");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids.clone()).execute(&mut **tx).await.map_err(db_err)?;
        for head in DELETES {
            let sql = format!("{head} ({list})");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids.clone()).execute(&mut **tx).await.map_err(db_err)?;
        }
    }
    Ok(())
}

/// Writes a batch: old links of the people it replaces go first, then new groups and people so
/// that links find them, then the links.
pub(crate) async fn write_batch(tx: &mut Tx, d: Dialect, b: Batch) -> Result<()> {
    clear_links(tx, d, &b.cleared).await?;
    insert_many(tx, d, "INSERT INTO class_groups (id, structure_id, kind, code, name) VALUES", "", b.groups).await?;
    insert_many(
        tx,
        d,
        "INSERT INTO people (id, territory_id, login, given_name, family_name, birth_date, email, source, external_id, feed_hash, feed_record) VALUES",
        "",
        b.people,
    )
    .await?;
    insert_many(tx, d, "INSERT INTO memberships (person_id, structure_id, profile, fed) VALUES", "ON CONFLICT DO NOTHING", b.memberships).await?;
    insert_many(tx, d, "INSERT INTO group_members (group_id, person_id, fed) VALUES", "ON CONFLICT DO NOTHING", b.group_members).await?;
    insert_many(tx, d, "INSERT INTO functions (person_id, structure_id, code, label, fed) VALUES", "ON CONFLICT DO NOTHING", b.functions).await?;
    insert_many(tx, d, "INSERT INTO teachings (person_id, group_id, subject_code, fed) VALUES", "ON CONFLICT DO NOTHING", b.teachings).await?;
    insert_many(tx, d, "INSERT INTO principal_teachers (group_id, person_id, fed) VALUES", "ON CONFLICT DO NOTHING", b.principals).await?;
    insert_many(tx, d, "INSERT INTO feed_pending (child_id, parent_ext, legal) VALUES", "", b.pending).await?;
    insert_many(tx, d, "INSERT INTO feed_seen (ext) VALUES", "ON CONFLICT DO NOTHING", b.seen).await?;
    insert_many(tx, d, "INSERT INTO feed_left_out (ext) VALUES", "ON CONFLICT DO NOTHING", b.left_out).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_into_full_chunks_then_the_powers_of_two_of_the_rest() {
        assert_eq!(chunk_sizes(500, 256).collect::<Vec<_>>(), [256, 128, 64, 32, 16, 4]);
        assert_eq!(chunk_sizes(1_000, 300).collect::<Vec<_>>(), [256, 256, 256, 128, 64, 32, 8]);
        assert_eq!(chunk_sizes(3, 1).collect::<Vec<_>>(), [1, 1, 1]);
        assert_eq!(chunk_sizes(0, 256).count(), 0);
        for n in 0..2_000 {
            let sizes: Vec<usize> = chunk_sizes(n, 256).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= 256));
        }
    }
}
