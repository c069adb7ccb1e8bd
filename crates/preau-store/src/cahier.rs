//! The cahier de textes' storage: entries and homework with their groups in link rows keyed
//! by group and day (read back aggregated as JSON arrays), the pupils' ticks, the visas.

use crate::directory::write_audit;
use crate::rows::{id_list, ids_json, int, opt_int, parse, text};
use crate::{Store, db_err};
use chrono::NaiveDate;
use preau_core::{CopyId, CourseId, EntryId, Error, GroupId, HomeworkId, PersonId, Result};
use preau_directory::AuditEntry;
use preau_timetable::cahier::handin::{Copy, Returned, StoredFile};
use preau_timetable::cahier::{Due, Entry, Homework, Visa};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

type Tx<'a> = Transaction<'a, Any>;

fn entry(r: &AnyRow) -> Result<Entry> {
    Ok(Entry {
        id: parse(r, "id")?,
        structure: parse(r, "structure_id")?,
        course: parse(r, "course_id")?,
        date: parse(r, "lesson_date")?,
        subject: text(r, "subject")?,
        groups: id_list(r, "groups_of")?,
        teacher: parse(r, "teacher_id")?,
        title: text(r, "title")?,
        content: text(r, "content")?,
        attachments: id_list(r, "attachments")?,
        publish_at: int(r, "publish_at")?,
        created: int(r, "created_at")?,
        updated: int(r, "updated_at")?,
    })
}

fn homework(r: &AnyRow) -> Result<Homework> {
    Ok(Homework {
        id: parse(r, "id")?,
        structure: parse(r, "structure_id")?,
        course: parse(r, "course_id")?,
        set_on: parse(r, "set_on")?,
        subject: text(r, "subject")?,
        groups: id_list(r, "groups_of")?,
        teacher: parse(r, "teacher_id")?,
        due: parse(r, "due_date")?,
        instructions: text(r, "instructions")?,
        minutes: u16::try_from(int(r, "minutes")?).map_err(Error::internal)?,
        attachments: id_list(r, "attachments")?,
        hand_in: int(r, "hand_in")? != 0,
        deadline: opt_int(r, "deadline")?,
        publish_at: int(r, "publish_at")?,
        created: int(r, "created_at")?,
        updated: int(r, "updated_at")?,
    })
}

fn copy(r: &AnyRow) -> Result<Copy> {
    let corrected = match crate::rows::opt(r, "corrected_blob")? {
        Some(blob) => Some(StoredFile {
            name: crate::rows::opt(r, "corrected_name")?.unwrap_or_default(),
            blob,
            size: opt_int(r, "corrected_size")?.unwrap_or(0),
            content_type: crate::rows::opt(r, "corrected_type")?.unwrap_or_default(),
        }),
        None => None,
    };
    let returned = match opt_int(r, "returned_at")? {
        Some(at) => Some(Returned {
            at,
            by: crate::rows::opt_parse(r, "returned_by")?.ok_or_else(|| Error::Internal("returned_by".into()))?,
            comment: crate::rows::opt(r, "comment")?.unwrap_or_default(),
            corrected,
        }),
        None => None,
    };
    Ok(Copy {
        id: parse(r, "id")?,
        homework: parse(r, "homework_id")?,
        pupil: parse(r, "pupil_id")?,
        file: StoredFile { name: text(r, "name")?, blob: text(r, "blob")?, size: int(r, "size")?, content_type: text(r, "content_type")? },
        submitted: int(r, "submitted_at")?,
        late: int(r, "late")? != 0,
        returned,
    })
}

fn visa(r: &AnyRow) -> Result<Visa> {
    Ok(Visa {
        structure: parse(r, "structure_id")?,
        group: parse(r, "group_id")?,
        teacher: parse(r, "teacher_id")?,
        until: parse(r, "until_date")?,
        note: text(r, "note")?,
        at: int(r, "at")?,
        by: parse(r, "by_person")?,
    })
}

async fn replace_links(tx: &mut Tx<'_>, table: &str, id_col: &str, day_col: &str, id: String, day: NaiveDate, groups: &[GroupId]) -> Result<()> {
    sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE {id_col} = $1"))).bind(id.clone()).execute(&mut **tx).await.map_err(db_err)?;
    for g in groups {
        sqlx::query(AssertSqlSafe(format!("INSERT INTO {table} (group_id, {day_col}, {id_col}) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")))
            .bind(g.to_string())
            .bind(day.to_string())
            .bind(id.clone())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

impl Store {
    fn entry_query(&self, rest: &str) -> String {
        format!(
            "SELECT e.*, (SELECT {} FROM cdt_entry_groups g WHERE g.entry_id = e.id) AS groups_of FROM cdt_entries e {rest}",
            self.dialect.json_agg("g.group_id")
        )
    }

    fn homework_query(&self, rest: &str) -> String {
        format!(
            "SELECT h.*, (SELECT {} FROM cdt_homework_groups g WHERE g.homework_id = h.id) AS groups_of FROM cdt_homework h {rest}",
            self.dialect.json_agg("g.group_id")
        )
    }

    pub(crate) async fn cahier_entry_of(&self, course: CourseId, date: NaiveDate) -> Result<Option<Entry>> {
        let sql = self.entry_query("WHERE e.course_id = $1 AND e.lesson_date = $2");
        let r = sqlx::query(AssertSqlSafe(sql)).bind(course.to_string()).bind(date.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(entry).transpose()
    }

    pub(crate) async fn cahier_entry(&self, id: EntryId) -> Result<Option<Entry>> {
        let sql = self.entry_query("WHERE e.id = $1");
        let r = sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(entry).transpose()
    }

    pub(crate) async fn cahier_put_entry(&self, e: &Entry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cdt_entries WHERE id = $1 OR (course_id = $2 AND lesson_date = $3)")
            .bind(e.id.to_string())
            .bind(e.course.to_string())
            .bind(e.date.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO cdt_entries (id, structure_id, course_id, lesson_date, subject, teacher_id, title, content, attachments, publish_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(e.id.to_string())
            .bind(e.structure.to_string())
            .bind(e.course.to_string())
            .bind(e.date.to_string())
            .bind(e.subject.clone())
            .bind(e.teacher.to_string())
            .bind(e.title.clone())
            .bind(e.content.clone())
            .bind(ids_json(&e.attachments)?)
            .bind(e.publish_at)
            .bind(e.created)
            .bind(e.updated)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        replace_links(&mut tx, "cdt_entry_groups", "entry_id", "lesson_date", e.id.to_string(), e.date, &e.groups).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn cahier_delete_entry(&self, id: EntryId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cdt_entry_groups WHERE entry_id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        let r = sqlx::query("DELETE FROM cdt_entries WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    pub(crate) async fn cahier_group_entries(&self, group: GroupId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>> {
        let sql = self.entry_query("WHERE e.id IN (SELECT entry_id FROM cdt_entry_groups WHERE group_id = $1 AND lesson_date BETWEEN $2 AND $3)");
        let rs =
            sqlx::query(AssertSqlSafe(sql)).bind(group.to_string()).bind(from.to_string()).bind(to.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(entry).collect()
    }

    pub(crate) async fn cahier_homework(&self, id: HomeworkId) -> Result<Option<Homework>> {
        let sql = self.homework_query("WHERE h.id = $1");
        let r = sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(homework).transpose()
    }

    pub(crate) async fn cahier_put_homework(&self, h: &Homework) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cdt_homework WHERE id = $1").bind(h.id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("INSERT INTO cdt_homework (id, structure_id, course_id, set_on, subject, teacher_id, due_date, instructions, minutes, attachments, hand_in, publish_at, created_at, updated_at, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
            .bind(h.id.to_string())
            .bind(h.structure.to_string())
            .bind(h.course.to_string())
            .bind(h.set_on.to_string())
            .bind(h.subject.clone())
            .bind(h.teacher.to_string())
            .bind(h.due.to_string())
            .bind(h.instructions.clone())
            .bind(i64::from(h.minutes))
            .bind(ids_json(&h.attachments)?)
            .bind(i64::from(h.hand_in))
            .bind(h.publish_at)
            .bind(h.created)
            .bind(h.updated)
            .bind(h.deadline)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        replace_links(&mut tx, "cdt_homework_groups", "homework_id", "due_date", h.id.to_string(), h.due, &h.groups).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn cahier_delete_homework(&self, id: HomeworkId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        for table in ["cdt_homework_groups", "cdt_done"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE homework_id = $1"))).bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        }
        let r = sqlx::query("DELETE FROM cdt_homework WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    pub(crate) async fn cahier_lesson_homework(&self, course: CourseId, set_on: NaiveDate) -> Result<Vec<Homework>> {
        let sql = self.homework_query("WHERE h.course_id = $1 AND h.set_on = $2 ORDER BY h.created_at");
        let rs = sqlx::query(AssertSqlSafe(sql)).bind(course.to_string()).bind(set_on.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(homework).collect()
    }

    pub(crate) async fn cahier_homework_due(&self, pupil: PersonId, groups: &[GroupId], from: NaiveDate, to: NaiveDate) -> Result<Vec<Due>> {
        let sql = format!(
            "SELECT h.*, (SELECT {} FROM cdt_homework_groups g WHERE g.homework_id = h.id) AS groups_of, d.at AS done_at FROM cdt_homework h LEFT JOIN cdt_done d ON d.homework_id = h.id AND d.pupil_id = $1 WHERE h.id IN (SELECT homework_id FROM cdt_homework_groups WHERE group_id IN ({}) AND due_date BETWEEN $3 AND $4)",
            self.dialect.json_agg("g.group_id"),
            self.dialect.json_strings(2)
        );
        let rs = sqlx::query(AssertSqlSafe(sql))
            .bind(pupil.to_string())
            .bind(ids_json(groups)?)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(|r| Ok(Due { homework: homework(r)?, done: opt_int(r, "done_at")? })).collect()
    }

    pub(crate) async fn cahier_done_of(&self, pupil: PersonId) -> Result<Vec<(HomeworkId, i64)>> {
        let rs = sqlx::query("SELECT homework_id, at FROM cdt_done WHERE pupil_id = $1").bind(pupil.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(|r| Ok((parse(r, "homework_id")?, int(r, "at")?))).collect()
    }

    pub(crate) async fn cahier_set_done(&self, homework: HomeworkId, pupil: PersonId, at: Option<i64>) -> Result<()> {
        let q = match at {
            Some(at) => sqlx::query("INSERT INTO cdt_done (pupil_id, homework_id, at) VALUES ($1, $2, $3) ON CONFLICT (pupil_id, homework_id) DO NOTHING")
                .bind(pupil.to_string())
                .bind(homework.to_string())
                .bind(at),
            None => sqlx::query("DELETE FROM cdt_done WHERE pupil_id = $1 AND homework_id = $2").bind(pupil.to_string()).bind(homework.to_string()),
        };
        q.execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn cahier_visas(&self, group: GroupId) -> Result<Vec<Visa>> {
        let rs = sqlx::query("SELECT * FROM cdt_visas WHERE group_id = $1 ORDER BY at").bind(group.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(visa).collect()
    }

    pub(crate) async fn cahier_delete_visa(&self, group: GroupId, teacher: PersonId, until: NaiveDate, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("DELETE FROM cdt_visas WHERE group_id = $1 AND teacher_id = $2 AND until_date = $3")
            .bind(group.to_string())
            .bind(teacher.to_string())
            .bind(until.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    pub(crate) async fn cahier_insert_visa(&self, v: &Visa, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO cdt_visas (group_id, teacher_id, until_date, structure_id, note, at, by_person) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(v.group.to_string())
            .bind(v.teacher.to_string())
            .bind(v.until.to_string())
            .bind(v.structure.to_string())
            .bind(v.note.clone())
            .bind(v.at)
            .bind(v.by.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn cahier_copies(&self, homework: HomeworkId) -> Result<Vec<Copy>> {
        let rs = sqlx::query("SELECT * FROM cdt_copies WHERE homework_id = $1").bind(homework.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(copy).collect()
    }

    pub(crate) async fn cahier_copy(&self, id: CopyId) -> Result<Option<Copy>> {
        let r = sqlx::query("SELECT * FROM cdt_copies WHERE id = $1").bind(id.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(copy).transpose()
    }

    pub(crate) async fn cahier_copy_of(&self, homework: HomeworkId, pupil: PersonId) -> Result<Option<Copy>> {
        let r = sqlx::query("SELECT * FROM cdt_copies WHERE homework_id = $1 AND pupil_id = $2")
            .bind(homework.to_string())
            .bind(pupil.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.as_ref().map(copy).transpose()
    }

    pub(crate) async fn cahier_put_copy(&self, c: &Copy) -> Result<Option<String>> {
        let mut tx = self.begin_write().await?;
        let before = sqlx::query("SELECT blob, returned_at FROM cdt_copies WHERE homework_id = $1 AND pupil_id = $2")
            .bind(c.homework.to_string())
            .bind(c.pupil.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let replaced = match before {
            Some(r) if opt_int(&r, "returned_at")?.is_some() => return Err(Error::Conflict("handin.returned")),
            Some(r) => Some(text(&r, "blob")?),
            None => None,
        };
        sqlx::query("DELETE FROM cdt_copies WHERE homework_id = $1 AND pupil_id = $2")
            .bind(c.homework.to_string())
            .bind(c.pupil.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO cdt_copies (id, homework_id, pupil_id, name, blob, size, content_type, submitted_at, late) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(c.id.to_string())
            .bind(c.homework.to_string())
            .bind(c.pupil.to_string())
            .bind(c.file.name.clone())
            .bind(c.file.blob.clone())
            .bind(c.file.size)
            .bind(c.file.content_type.clone())
            .bind(c.submitted)
            .bind(i64::from(c.late))
            .execute(&mut *tx)
            .await
            .map_err(crate::directory::conflict_as("handin.busy"))?;
        tx.commit().await.map_err(db_err)?;
        Ok(replaced)
    }

    pub(crate) async fn cahier_return_copy(&self, id: CopyId, r: &Returned) -> Result<()> {
        let f = r.corrected.as_ref();
        let done = sqlx::query("UPDATE cdt_copies SET returned_at = $2, returned_by = $3, comment = $4, corrected_name = $5, corrected_blob = $6, corrected_size = $7, corrected_type = $8 WHERE id = $1 AND returned_at IS NULL")
            .bind(id.to_string())
            .bind(r.at)
            .bind(r.by.to_string())
            .bind(r.comment.clone())
            .bind(f.map(|f| f.name.clone()))
            .bind(f.map(|f| f.blob.clone()))
            .bind(f.map(|f| f.size))
            .bind(f.map(|f| f.content_type.clone()))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::Conflict("handin.returned"));
        }
        Ok(())
    }
}
