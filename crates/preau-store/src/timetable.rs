//! The timetable's storage: courses with their groups and teachers in link tables (read back
//! aggregated as JSON arrays, one row per course), lesson changes keyed by course and day,
//! calendar feed digests.

use crate::directory::write_audit;
use crate::rows::{id_list, int, opt, opt_int, opt_parse, parse, text};
use crate::{Store, db_err};
use chrono::NaiveDate;
use preau_core::{CopyId, CourseId, EntryId, Error, GroupId, HomeworkId, PersonId, Result, StructureId};
use preau_directory::AuditEntry;
use preau_timetable::cahier::handin::{Copy, Returned};
use preau_timetable::cahier::{Due, Entry, Homework, Visa};
use preau_timetable::store::CourseDiff;
use preau_timetable::{Change, Course, TimetableStore, Weeks};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

type Tx<'a> = Transaction<'a, Any>;

fn course(r: &AnyRow) -> Result<Course> {
    Ok(Course {
        id: parse(r, "id")?,
        structure: parse(r, "structure_id")?,
        subject: text(r, "subject")?,
        teachers: id_list(r, "teachers")?,
        groups: id_list(r, "groups_of")?,
        room: text(r, "room")?,
        weekday: u8::try_from(int(r, "weekday")?).map_err(Error::internal)?,
        start: u16::try_from(int(r, "start_minute")?).map_err(Error::internal)?,
        end: u16::try_from(int(r, "end_minute")?).map_err(Error::internal)?,
        weeks: Weeks::parse(&text(r, "weeks")?).ok_or_else(|| Error::Internal("bad weeks".into()))?,
        from: parse(r, "valid_from")?,
        to: parse(r, "valid_to")?,
        source: text(r, "source")?,
        key: text(r, "source_key")?,
    })
}

fn change(r: &AnyRow) -> Result<Change> {
    let moved_to = match (opt(r, "moved_date")?, opt_int(r, "moved_start")?, opt_int(r, "moved_end")?) {
        (Some(d), Some(s), Some(e)) => {
            Some((d.parse().map_err(Error::internal)?, u16::try_from(s).map_err(Error::internal)?, u16::try_from(e).map_err(Error::internal)?))
        }
        _ => None,
    };
    Ok(Change {
        course: parse(r, "course_id")?,
        date: parse(r, "lesson_date")?,
        cancelled: int(r, "cancelled")? != 0,
        moved_to,
        replacement: opt_parse(r, "replacement")?,
        room: opt(r, "room")?,
        note: text(r, "note")?,
        at: int(r, "at")?,
        by: parse(r, "by_person")?,
    })
}

impl Store {
    /// `SELECT` of courses with their teachers and groups, followed by `rest` (a `WHERE`).
    fn course_query(&self, rest: &str) -> String {
        format!(
            "SELECT c.*, (SELECT {} FROM tt_course_teachers t WHERE t.course_id = c.id) AS teachers, (SELECT {} FROM tt_course_groups g WHERE g.course_id = c.id) AS groups_of FROM tt_courses c {rest}",
            self.dialect.json_agg("t.person_id"),
            self.dialect.json_agg("g.group_id"),
        )
    }

    async fn courses_where(&self, rest: &str, binds: &[String]) -> Result<Vec<Course>> {
        let sql = self.course_query(rest);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b.clone());
        }
        q.fetch_all(&self.pool).await.map_err(db_err)?.iter().map(course).collect()
    }
}

/// A course's row as parameters `$1`…`$12`, in the order of the columns of [`INSERT_COURSE`].
fn bind_course<'q>(sql: &'q str, c: &Course) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    sqlx::query(AssertSqlSafe(sql))
        .bind(c.id.to_string())
        .bind(c.structure.to_string())
        .bind(c.subject.clone())
        .bind(c.room.clone())
        .bind(i64::from(c.weekday))
        .bind(i64::from(c.start))
        .bind(i64::from(c.end))
        .bind(c.weeks.code())
        .bind(c.from.to_string())
        .bind(c.to.to_string())
        .bind(c.source.clone())
        .bind(c.key.clone())
}

const INSERT_COURSE: &str = "INSERT INTO tt_courses (id, structure_id, subject, room, weekday, start_minute, end_minute, weeks, valid_from, valid_to, source, source_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

async fn insert_course_tx(tx: &mut Tx<'_>, c: &Course) -> Result<()> {
    bind_course(INSERT_COURSE, c).execute(&mut **tx).await.map_err(crate::directory::conflict_as("timetable.duplicate"))?;
    links_tx(tx, c).await
}

const UPDATE_COURSE: &str = "UPDATE tt_courses SET structure_id = $2, subject = $3, room = $4, weekday = $5, start_minute = $6, end_minute = $7, weeks = $8, valid_from = $9, valid_to = $10, source = $11, source_key = $12 WHERE id = $1";

/// Rewrites a course and its links in place (its lessons' changes stay).
async fn update_course_tx(tx: &mut Tx<'_>, c: &Course) -> Result<()> {
    bind_course(UPDATE_COURSE, c).execute(&mut **tx).await.map_err(db_err)?;
    for table in ["tt_course_groups", "tt_course_teachers"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE course_id = $1"))).bind(c.id.to_string()).execute(&mut **tx).await.map_err(db_err)?;
    }
    links_tx(tx, c).await
}

async fn links_tx(tx: &mut Tx<'_>, c: &Course) -> Result<()> {
    for g in &c.groups {
        sqlx::query("INSERT INTO tt_course_groups (group_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(g.to_string())
            .bind(c.id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    for t in &c.teachers {
        sqlx::query("INSERT INTO tt_course_teachers (person_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(t.to_string())
            .bind(c.id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

async fn delete_course_tx(tx: &mut Tx<'_>, id: CourseId) -> Result<()> {
    for table in ["tt_changes", "tt_course_groups", "tt_course_teachers"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE course_id = $1"))).bind(id.to_string()).execute(&mut **tx).await.map_err(db_err)?;
    }
    sqlx::query("DELETE FROM tt_courses WHERE id = $1").bind(id.to_string()).execute(&mut **tx).await.map_err(db_err)?;
    Ok(())
}

impl TimetableStore for Store {
    async fn course(&self, id: CourseId) -> Result<Option<Course>> {
        Ok(self.courses_where("WHERE c.id = $1", &[id.to_string()]).await?.pop())
    }

    async fn structure_courses(&self, structure: StructureId) -> Result<Vec<Course>> {
        self.courses_where("WHERE c.structure_id = $1", &[structure.to_string()]).await
    }

    async fn insert_course(&self, course: &Course, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        insert_course_tx(&mut tx, course).await?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_course(&self, id: CourseId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        delete_course_tx(&mut tx, id).await?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn apply_courses(&self, diff: &CourseDiff, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for id in &diff.removed {
            delete_course_tx(&mut tx, *id).await?;
        }
        for c in &diff.added {
            insert_course_tx(&mut tx, c).await?;
        }
        for c in &diff.updated {
            update_course_tx(&mut tx, c).await?;
        }
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn structure_changes(&self, structure: StructureId) -> Result<Vec<Change>> {
        let rs = sqlx::query("SELECT ch.* FROM tt_changes ch JOIN tt_courses c ON c.id = ch.course_id WHERE c.structure_id = $1")
            .bind(structure.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(change).collect()
    }

    async fn put_change(&self, c: &Change, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("DELETE FROM tt_changes WHERE course_id = $1 AND lesson_date = $2")
            .bind(c.course.to_string())
            .bind(c.date.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO tt_changes (course_id, lesson_date, cancelled, moved_date, moved_start, moved_end, replacement, room, note, at, by_person) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(c.course.to_string())
            .bind(c.date.to_string())
            .bind(i64::from(c.cancelled))
            .bind(c.moved_to.map(|m| m.0.to_string()))
            .bind(c.moved_to.map(|m| i64::from(m.1)))
            .bind(c.moved_to.map(|m| i64::from(m.2)))
            .bind(c.replacement.map(|p| p.to_string()))
            .bind(c.room.clone())
            .bind(c.note.clone())
            .bind(c.at)
            .bind(c.by.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_change(&self, course: CourseId, date: NaiveDate, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = sqlx::query("DELETE FROM tt_changes WHERE course_id = $1 AND lesson_date = $2")
            .bind(course.to_string())
            .bind(date.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn slot_grid(&self, structure: StructureId) -> Result<Option<Vec<preau_timetable::slots::Slot>>> {
        self.structure_json("tt_slot_grids", "slots", structure).await
    }

    async fn set_slot_grid(&self, structure: StructureId, grid: &[preau_timetable::slots::Slot], audit: &AuditEntry) -> Result<()> {
        self.put_structure_json("tt_slot_grids", "slots", structure, Some(grid), audit).await
    }

    async fn local_calendar(&self, structure: StructureId) -> Result<Option<preau_timetable::calendar::LocalCalendar>> {
        self.structure_json("tt_calendars", "calendar", structure).await
    }

    async fn set_local_calendar(&self, structure: StructureId, calendar: &preau_timetable::calendar::LocalCalendar, audit: &AuditEntry) -> Result<()> {
        self.put_structure_json("tt_calendars", "calendar", structure, Some(calendar), audit).await
    }

    async fn import_source(&self, structure: StructureId) -> Result<Option<preau_timetable::source::ImportSource>> {
        self.tt_source(structure).await
    }

    async fn put_import_source(&self, source: &preau_timetable::source::ImportSource, audit: &AuditEntry) -> Result<()> {
        self.tt_source_put(source, audit).await
    }

    async fn delete_import_source(&self, structure: StructureId, audit: &AuditEntry) -> Result<bool> {
        self.tt_source_delete(structure, audit).await
    }

    async fn record_import_run(
        &self,
        structure: StructureId,
        url: &str,
        at: i64,
        report: Option<&preau_timetable::import::ImportReport>,
        error: Option<&str>,
    ) -> Result<()> {
        self.tt_source_run(structure, url, at, report, error).await
    }

    async fn import_sources(&self) -> Result<Vec<preau_timetable::source::ImportSource>> {
        self.tt_sources().await
    }

    async fn set_calendar_link(&self, person: PersonId, digest: &str, at: i64) -> Result<()> {
        sqlx::query("INSERT INTO calendar_links (person_id, digest, created_at) VALUES ($1, $2, $3) ON CONFLICT (person_id) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at")
            .bind(person.to_string())
            .bind(digest.to_owned())
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_calendar_link(&self, person: PersonId) -> Result<bool> {
        let r = sqlx::query("DELETE FROM calendar_links WHERE person_id = $1").bind(person.to_string()).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn calendar_link(&self, digest: &str) -> Result<Option<PersonId>> {
        let r =
            sqlx::query("SELECT person_id FROM calendar_links WHERE digest = $1").bind(digest.to_owned()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.map(|r| parse(&r, "person_id")).transpose()
    }

    async fn calendar_link_of(&self, person: PersonId) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT created_at FROM calendar_links WHERE person_id = $1")
            .bind(person.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.map(|r| int(&r, "created_at")).transpose()
    }

    async fn set_scoped_feed(&self, person: PersonId, scope: &str, digest: &str, at: i64) -> Result<()> {
        sqlx::query("INSERT INTO calendar_feeds (person_id, scope, digest, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, scope) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at")
            .bind(person.to_string())
            .bind(scope.to_owned())
            .bind(digest.to_owned())
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_scoped_feed(&self, person: PersonId, scope: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM calendar_feeds WHERE person_id = $1 AND scope = $2")
            .bind(person.to_string())
            .bind(scope.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn scoped_feed(&self, digest: &str) -> Result<Option<(PersonId, String)>> {
        let r = sqlx::query("SELECT person_id, scope FROM calendar_feeds WHERE digest = $1")
            .bind(digest.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.map(|r| Ok((parse(&r, "person_id")?, text(&r, "scope")?))).transpose()
    }

    async fn scoped_feeds_of(&self, person: PersonId) -> Result<Vec<(String, i64)>> {
        let rs = sqlx::query("SELECT scope, created_at FROM calendar_feeds WHERE person_id = $1 ORDER BY created_at")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(|r| Ok((text(r, "scope")?, int(r, "created_at")?))).collect()
    }

    async fn entry_of(&self, course: CourseId, date: NaiveDate) -> Result<Option<Entry>> {
        self.cahier_entry_of(course, date).await
    }

    async fn entry(&self, id: EntryId) -> Result<Option<Entry>> {
        self.cahier_entry(id).await
    }

    async fn put_entry(&self, entry: &Entry) -> Result<()> {
        self.cahier_put_entry(entry).await
    }

    async fn delete_entry(&self, id: EntryId) -> Result<bool> {
        self.cahier_delete_entry(id).await
    }

    async fn group_entries(&self, group: GroupId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>> {
        self.cahier_group_entries(group, from, to).await
    }

    async fn homework(&self, id: HomeworkId) -> Result<Option<Homework>> {
        self.cahier_homework(id).await
    }

    async fn put_homework(&self, h: &Homework) -> Result<()> {
        self.cahier_put_homework(h).await
    }

    async fn delete_homework(&self, id: HomeworkId) -> Result<bool> {
        self.cahier_delete_homework(id).await
    }

    async fn lesson_homework(&self, course: CourseId, set_on: NaiveDate) -> Result<Vec<Homework>> {
        self.cahier_lesson_homework(course, set_on).await
    }

    async fn homework_due(&self, pupil: PersonId, groups: &[GroupId], from: NaiveDate, to: NaiveDate) -> Result<Vec<Due>> {
        self.cahier_homework_due(pupil, groups, from, to).await
    }

    async fn done_of(&self, pupil: PersonId) -> Result<Vec<(HomeworkId, i64)>> {
        self.cahier_done_of(pupil).await
    }

    async fn set_done(&self, homework: HomeworkId, pupil: PersonId, at: Option<i64>) -> Result<()> {
        self.cahier_set_done(homework, pupil, at).await
    }

    async fn visas(&self, group: GroupId) -> Result<Vec<Visa>> {
        self.cahier_visas(group).await
    }

    async fn insert_visa(&self, visa: &Visa, audit: &AuditEntry) -> Result<()> {
        self.cahier_insert_visa(visa, audit).await
    }

    async fn delete_visa(&self, group: GroupId, teacher: PersonId, until: NaiveDate, audit: &AuditEntry) -> Result<bool> {
        self.cahier_delete_visa(group, teacher, until, audit).await
    }

    async fn copies(&self, homework: HomeworkId) -> Result<Vec<Copy>> {
        self.cahier_copies(homework).await
    }

    async fn copy(&self, id: CopyId) -> Result<Option<Copy>> {
        self.cahier_copy(id).await
    }

    async fn copy_of(&self, homework: HomeworkId, pupil: PersonId) -> Result<Option<Copy>> {
        self.cahier_copy_of(homework, pupil).await
    }

    async fn put_copy(&self, copy: &Copy) -> Result<Option<String>> {
        self.cahier_put_copy(copy).await
    }

    async fn return_copy(&self, id: CopyId, returned: &Returned) -> Result<()> {
        self.cahier_return_copy(id, returned).await
    }
}
