//! The directory store on SQLite and PostgreSQL.

use crate::rows::{self, int, parse, text};
use crate::{Store, db_err, structure_cols};
use preau_core::{AssignmentId, Error, GroupId, PersonId, Profile, Result, Scope, ServiceId, StructureId, TerritoryId};
use preau_directory::store::Snapshot;
use preau_directory::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

type Tx<'a> = Transaction<'a, Any>;

fn b(v: bool) -> i64 {
    i64::from(v)
}

pub(crate) async fn write_audit(tx: &mut Tx<'_>, a: &AuditEntry) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, territory_id, at, actor, action, target, structure_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(uuid_text())
        .bind(a.territory.to_string())
        .bind(a.at)
        .bind(a.actor.clone())
        .bind(a.action.clone())
        .bind(a.target.clone())
        .bind(a.structure.map(|s| s.to_string()))
        .bind(a.before.as_ref().map(|v| v.to_string()))
        .bind(a.after.as_ref().map(|v| v.to_string()))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Maps a unique violation to a conflict with a stable message code.
pub(crate) fn conflict_as(code: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| match db_err(e) {
        Error::Conflict(_) => Error::Conflict(code),
        other => other,
    }
}

fn uuid_text() -> String {
    preau_core::ServiceId::new().to_string()
}

async fn insert_structure_tx(tx: &mut Tx<'_>, s: &Structure) -> Result<()> {
    sqlx::query(concat!("INSERT INTO structures (", structure_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
        .bind(s.id.to_string())
        .bind(s.territory.to_string())
        .bind(s.uai.to_string())
        .bind(s.name.clone())
        .bind(s.kind.code())
        .bind(s.degree)
        .bind(s.academie.clone())
        .bind(s.address.clone())
        .bind(s.postal_code.clone())
        .bind(s.city.clone())
        .bind(s.phone.clone())
        .bind(s.email.clone())
        .bind(s.parent.map(|p| p.to_string()))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn insert_person_tx(tx: &mut Tx<'_>, p: &Person) -> Result<()> {
    sqlx::query("INSERT INTO people (id, territory_id, login, given_name, family_name, birth_date, email, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(p.id.to_string())
        .bind(p.territory.to_string())
        .bind(p.login.clone())
        .bind(p.given_name.clone())
        .bind(p.family_name.clone())
        .bind(p.birth_date.clone())
        .bind(p.email.clone())
        .bind(p.source.code())
        .execute(&mut **tx)
        .await
        .map_err(conflict_as("login.taken"))?;
    sqlx::query("INSERT INTO credentials (person_id) VALUES ($1)").bind(p.id.to_string()).execute(&mut **tx).await.map_err(db_err)?;
    Ok(())
}

async fn insert_membership_tx(tx: &mut Tx<'_>, m: &Membership) -> Result<()> {
    sqlx::query("INSERT INTO memberships (person_id, structure_id, profile) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(m.person.to_string())
        .bind(m.structure.to_string())
        .bind(m.profile.code())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn insert_group_tx(tx: &mut Tx<'_>, g: &Group) -> Result<()> {
    sqlx::query("INSERT INTO class_groups (id, structure_id, kind, code, name) VALUES ($1, $2, $3, $4, $5)")
        .bind(g.id.to_string())
        .bind(g.structure.to_string())
        .bind(g.kind.code())
        .bind(g.code.clone())
        .bind(g.name.clone())
        .execute(&mut **tx)
        .await
        .map_err(conflict_as("group.code_taken"))?;
    for s in &g.also_in {
        sqlx::query("INSERT INTO group_structures (group_id, structure_id) VALUES ($1, $2)")
            .bind(g.id.to_string())
            .bind(s.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn insert_service_tx(tx: &mut Tx<'_>, s: &Service) -> Result<()> {
    sqlx::query("INSERT INTO services (id, territory_id, code, name, kind, url, icon) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(s.id.to_string())
        .bind(s.territory.to_string())
        .bind(s.code.clone())
        .bind(s.name.clone())
        .bind(s.kind.code())
        .bind(s.url.clone())
        .bind(s.icon.clone())
        .execute(&mut **tx)
        .await
        .map_err(conflict_as("service.code_taken"))?;
    Ok(())
}

async fn insert_assignment_tx(tx: &mut Tx<'_>, territory: TerritoryId, a: &RoleAssignment) -> Result<()> {
    let (person, group) = match a.grantee {
        Grantee::Person(p) => (Some(p.to_string()), None),
        Grantee::Group(g) => (None, Some(g.to_string())),
    };
    let (kind, id) = match a.scope {
        Scope::Territory => ("territory", None),
        Scope::Structure(s) => ("structure", Some(s.to_string())),
        Scope::Group(g) => ("group", Some(g.to_string())),
    };
    sqlx::query("INSERT INTO role_assignments (id, territory_id, role, person_id, group_id, scope_kind, scope_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(a.id.to_string())
        .bind(territory.to_string())
        .bind(a.role.code())
        .bind(person)
        .bind(group)
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

impl Store {
    pub(crate) async fn begin(&self) -> Result<Tx<'_>> {
        self.pool.begin().await.map_err(db_err)
    }

    pub(crate) async fn commit(&self, tx: Tx<'_>) -> Result<()> {
        tx.commit().await.map_err(db_err)?;
        self.bump();
        Ok(())
    }

    async fn also_in(&self, group: &str) -> Result<Vec<StructureId>> {
        let rows =
            sqlx::query("SELECT structure_id FROM group_structures WHERE group_id = $1").bind(group.to_owned()).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(|r| parse(r, "structure_id")).collect()
    }

    async fn groups_from(&self, rows: Vec<AnyRow>) -> Result<Vec<Group>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let also = self.also_in(&text(r, "id")?).await?;
            out.push(rows::group(r, also)?);
        }
        Ok(out)
    }
}

impl DirectoryStore for Store {
    async fn insert_territory(&self, t: &Territory) -> Result<()> {
        sqlx::query("INSERT INTO territories (id, slug, name) VALUES ($1, $2, $3)")
            .bind(t.id.to_string())
            .bind(t.slug.clone())
            .bind(t.name.clone())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        self.bump();
        Ok(())
    }

    async fn territories(&self) -> Result<Vec<Territory>> {
        let rows = sqlx::query("SELECT id, slug, name FROM territories ORDER BY slug").fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(|r| Ok(Territory { id: parse(r, "id")?, slug: text(r, "slug")?, name: text(r, "name")? })).collect()
    }

    async fn territory(&self, id: TerritoryId) -> Result<Territory> {
        let r = sqlx::query("SELECT id, slug, name FROM territories WHERE id = $1").bind(id.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        Ok(Territory { id: parse(&r, "id")?, slug: text(&r, "slug")?, name: text(&r, "name")? })
    }

    async fn is_empty(&self) -> Result<bool> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM people").fetch_one(&self.pool).await.map_err(db_err)?;
        Ok(int(&r, "n")? == 0)
    }

    async fn load_snapshot(&self, territory: TerritoryId, s: &Snapshot) -> Result<()> {
        let mut tx = self.begin().await?;
        for st in &s.structures {
            insert_structure_tx(&mut tx, st).await?;
        }
        for sub in &s.subjects {
            sqlx::query("INSERT INTO subjects (territory_id, code, label) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(territory.to_string())
                .bind(sub.code.clone())
                .bind(sub.label.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for g in &s.groups {
            insert_group_tx(&mut tx, g).await?;
        }
        for p in &s.people {
            insert_person_tx(&mut tx, p).await?;
        }
        for m in &s.memberships {
            insert_membership_tx(&mut tx, m).await?;
        }
        for f in &s.functions {
            sqlx::query("INSERT INTO functions (person_id, structure_id, code, label) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(f.person.to_string())
                .bind(f.structure.to_string())
                .bind(f.code.clone())
                .bind(f.label.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for (g, p) in &s.group_members {
            sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(g.to_string())
                .bind(p.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for l in &s.parent_links {
            sqlx::query("INSERT INTO parent_links (parent_id, child_id, legal_guardian) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(l.parent.to_string())
                .bind(l.child.to_string())
                .bind(b(l.legal_guardian))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for t in &s.teachings {
            sqlx::query("INSERT INTO teachings (person_id, group_id, subject_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(t.teacher.to_string())
                .bind(t.group.to_string())
                .bind(t.subject_code.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for (g, p) in &s.principal_teachers {
            sqlx::query("INSERT INTO principal_teachers (group_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(g.to_string())
                .bind(p.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for sv in &s.services {
            insert_service_tx(&mut tx, sv).await?;
        }
        for (st, profile, sv, pos) in &s.bouquets {
            sqlx::query("INSERT INTO bouquet_entries (structure_id, profile, service_id, position) VALUES ($1, $2, $3, $4)")
                .bind(st.to_string())
                .bind(profile.code())
                .bind(sv.to_string())
                .bind(*pos)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for a in &s.role_assignments {
            insert_assignment_tx(&mut tx, territory, a).await?;
        }
        self.commit(tx).await
    }

    async fn insert_structure(&self, s: &Structure, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_structure_tx(&mut tx, s).await.map_err(|e| if let Error::Conflict(_) = e { Error::Conflict("uai.taken") } else { e })?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn update_structure(&self, s: &Structure, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE structures SET uai = $2, name = $3, kind = $4, degree = $5, academie = $6, address = $7, postal_code = $8, city = $9, phone = $10, email = $11, parent_id = $12 WHERE id = $1")
            .bind(s.id.to_string())
            .bind(s.uai.to_string())
            .bind(s.name.clone())
            .bind(s.kind.code())
            .bind(s.degree)
            .bind(s.academie.clone())
            .bind(s.address.clone())
            .bind(s.postal_code.clone())
            .bind(s.city.clone())
            .bind(s.phone.clone())
            .bind(s.email.clone())
            .bind(s.parent.map(|p| p.to_string()))
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("uai.taken"))?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn structure(&self, id: StructureId) -> Result<Structure> {
        let r = sqlx::query(concat!("SELECT ", structure_cols!(), " FROM structures WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        rows::structure(&r)
    }

    async fn structure_by_uai(&self, territory: TerritoryId, uai: &str) -> Result<Structure> {
        let r = sqlx::query(concat!("SELECT ", structure_cols!(), " FROM structures WHERE territory_id = $1 AND uai = $2"))
            .bind(territory.to_string())
            .bind(uai.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        rows::structure(&r)
    }

    async fn structures(&self, territory: TerritoryId) -> Result<Vec<Structure>> {
        let rs = sqlx::query(concat!("SELECT ", structure_cols!(), " FROM structures WHERE territory_id = $1 ORDER BY name"))
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::structure).collect()
    }

    async fn insert_person(&self, p: &Person, memberships: &[Membership], audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_person_tx(&mut tx, p).await?;
        for m in memberships {
            insert_membership_tx(&mut tx, m).await?;
        }
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn update_person(&self, p: &Person, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE people SET given_name = $2, family_name = $3, birth_date = $4, email = $5 WHERE id = $1")
            .bind(p.id.to_string())
            .bind(p.given_name.clone())
            .bind(p.family_name.clone())
            .bind(p.birth_date.clone())
            .bind(p.email.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn person(&self, id: PersonId) -> Result<Person> {
        let r = sqlx::query("SELECT * FROM people WHERE id = $1").bind(id.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        rows::person(&r)
    }

    async fn person_by_login(&self, territory: TerritoryId, login: &str) -> Result<Person> {
        let r = sqlx::query("SELECT * FROM people WHERE territory_id = $1 AND (login = $2 OR id = (SELECT person_id FROM login_aliases WHERE territory_id = $1 AND alias = $2))")
            .bind(territory.to_string())
            .bind(login.trim().to_lowercase())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        rows::person(&r)
    }

    async fn logins_like(&self, territory: TerritoryId, base: &str) -> Result<Vec<String>> {
        let pattern = format!("{}%", base.replace('%', "").replace('_', "\\_"));
        let rs = sqlx::query("SELECT login AS l FROM people WHERE territory_id = $1 AND login LIKE $2 ESCAPE '\\' UNION SELECT alias AS l FROM login_aliases WHERE territory_id = $1 AND alias LIKE $2 ESCAPE '\\'")
            .bind(territory.to_string())
            .bind(pattern)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let all: Vec<String> = rs.iter().map(|r| text(r, "l")).collect::<Result<_>>()?;
        Ok(all.into_iter().filter(|l| l == base || l.strip_prefix(base).is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))).collect())
    }

    async fn add_alias(&self, person: PersonId, territory: TerritoryId, alias: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO login_aliases (territory_id, alias, person_id) VALUES ($1, $2, $3)")
            .bind(territory.to_string())
            .bind(alias.to_owned())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("login.taken"))?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn aliases(&self, person: PersonId) -> Result<Vec<String>> {
        let rs = sqlx::query("SELECT alias FROM login_aliases WHERE person_id = $1 ORDER BY alias")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(|r| text(r, "alias")).collect()
    }

    async fn people_in(&self, structure: StructureId, profile: Option<Profile>, search: &str, limit: i64) -> Result<Vec<(Person, Profile)>> {
        let pattern = format!("%{}%", search.to_lowercase().replace('%', "").replace('_', "\\_"));
        let rs = sqlx::query("SELECT p.*, m.profile AS m_profile FROM people p JOIN memberships m ON m.person_id = p.id WHERE m.structure_id = $1 AND ($2 = '' OR m.profile = $2) AND (lower(p.family_name) LIKE $3 ESCAPE '\\' OR lower(p.given_name) LIKE $3 ESCAPE '\\' OR p.login LIKE $3 ESCAPE '\\') ORDER BY p.family_name, p.given_name LIMIT $4")
            .bind(structure.to_string())
            .bind(profile.map(|p| p.code()).unwrap_or(""))
            .bind(pattern)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(|r| Ok((rows::person(r)?, rows::profile(r, "m_profile")?))).collect()
    }

    async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>> {
        let rs = sqlx::query(
            "SELECT m.structure_id, m.profile FROM memberships m JOIN structures s ON s.id = m.structure_id WHERE m.person_id = $1 ORDER BY s.name, m.profile",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rs.iter().map(|r| Ok(Membership { person, structure: parse(r, "structure_id")?, profile: rows::profile(r, "profile")? })).collect()
    }

    async fn add_membership(&self, m: &Membership, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_membership_tx(&mut tx, m).await?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn remove_membership(&self, m: &Membership, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM memberships WHERE person_id = $1 AND structure_id = $2 AND profile = $3")
            .bind(m.person.to_string())
            .bind(m.structure.to_string())
            .bind(m.profile.code())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn functions(&self, person: PersonId) -> Result<Vec<Function>> {
        let rs = sqlx::query("SELECT structure_id, code, label FROM functions WHERE person_id = $1 ORDER BY code")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(|r| Ok(Function { person, structure: parse(r, "structure_id")?, code: text(r, "code")?, label: text(r, "label")? })).collect()
    }

    async fn add_function(&self, f: &Function, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO functions (person_id, structure_id, code, label) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(f.person.to_string())
            .bind(f.structure.to_string())
            .bind(f.code.clone())
            .bind(f.label.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn link_parent(&self, l: &ParentLink, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO parent_links (parent_id, child_id, legal_guardian) VALUES ($1, $2, $3) ON CONFLICT (parent_id, child_id) DO UPDATE SET legal_guardian = $3")
            .bind(l.parent.to_string())
            .bind(l.child.to_string())
            .bind(b(l.legal_guardian))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn children(&self, parent: PersonId) -> Result<Vec<(Person, bool)>> {
        let rs =
            sqlx::query("SELECT p.*, l.legal_guardian FROM people p JOIN parent_links l ON l.child_id = p.id WHERE l.parent_id = $1 ORDER BY p.given_name")
                .bind(parent.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rs.iter().map(|r| Ok((rows::person(r)?, int(r, "legal_guardian")? != 0))).collect()
    }

    async fn parents(&self, child: PersonId) -> Result<Vec<(Person, bool)>> {
        let rs =
            sqlx::query("SELECT p.*, l.legal_guardian FROM people p JOIN parent_links l ON l.parent_id = p.id WHERE l.child_id = $1 ORDER BY p.family_name")
                .bind(child.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rs.iter().map(|r| Ok((rows::person(r)?, int(r, "legal_guardian")? != 0))).collect()
    }

    async fn insert_group(&self, g: &Group, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_group_tx(&mut tx, g).await?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn group(&self, id: GroupId) -> Result<Group> {
        let r = sqlx::query("SELECT * FROM class_groups WHERE id = $1").bind(id.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        rows::group(&r, self.also_in(&id.to_string()).await?)
    }

    async fn groups_in(&self, structure: StructureId) -> Result<Vec<Group>> {
        let rs = sqlx::query(
            "SELECT * FROM class_groups WHERE structure_id = $1 OR id IN (SELECT group_id FROM group_structures WHERE structure_id = $1) ORDER BY kind, code",
        )
        .bind(structure.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        self.groups_from(rs).await
    }

    async fn groups_of(&self, person: PersonId) -> Result<Vec<Group>> {
        let rs = sqlx::query("SELECT g.* FROM class_groups g JOIN group_members m ON m.group_id = g.id WHERE m.person_id = $1 ORDER BY g.kind, g.code")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        self.groups_from(rs).await
    }

    async fn group_members(&self, group: GroupId) -> Result<Vec<Person>> {
        let rs = sqlx::query("SELECT p.* FROM people p JOIN group_members m ON m.person_id = p.id WHERE m.group_id = $1 ORDER BY p.family_name, p.given_name")
            .bind(group.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::person).collect()
    }

    async fn add_group_member(&self, group: GroupId, person: PersonId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(group.to_string())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn remove_group_member(&self, group: GroupId, person: PersonId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND person_id = $2")
            .bind(group.to_string())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn teachings_of(&self, teacher: PersonId) -> Result<Vec<(Teaching, String, String)>> {
        let rs = sqlx::query("SELECT t.group_id, t.subject_code, g.code AS group_code, COALESCE(s.label, t.subject_code) AS subject_label FROM teachings t JOIN class_groups g ON g.id = t.group_id JOIN structures st ON st.id = g.structure_id LEFT JOIN subjects s ON s.code = t.subject_code AND s.territory_id = st.territory_id WHERE t.person_id = $1 ORDER BY g.code, subject_label")
            .bind(teacher.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter()
            .map(|r| {
                Ok((
                    Teaching { teacher, group: parse(r, "group_id")?, subject_code: text(r, "subject_code")? },
                    text(r, "group_code")?,
                    text(r, "subject_label")?,
                ))
            })
            .collect()
    }

    async fn close_school_year(&self, territory: TerritoryId, year: &str, audit: &AuditEntry) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE class_groups SET archived_year = $2, code = code || '@' || $2 WHERE archived_year IS NULL AND kind IN ('class', 'teaching') AND structure_id IN (SELECT id FROM structures WHERE territory_id = $1)")
            .bind(territory.to_string())
            .bind(year.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        sqlx::query("UPDATE people SET feed_hash = NULL WHERE territory_id = $1 AND source = 'feed'")
            .bind(territory.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(n)
    }

    async fn insert_assignment(&self, territory: TerritoryId, a: &RoleAssignment, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_assignment_tx(&mut tx, territory, a).await?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn delete_assignment(&self, id: AssignmentId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM role_assignments WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn assignment(&self, id: AssignmentId) -> Result<RoleAssignment> {
        let r = sqlx::query("SELECT * FROM role_assignments WHERE id = $1").bind(id.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        rows::assignment(&r)
    }

    async fn assignments_of(&self, person: PersonId) -> Result<Vec<RoleAssignment>> {
        let rs = sqlx::query("SELECT * FROM role_assignments WHERE person_id = $1 OR group_id IN (SELECT group_id FROM group_members WHERE person_id = $1)")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::assignment).collect()
    }

    async fn assignments(&self, territory: TerritoryId) -> Result<Vec<RoleAssignment>> {
        let rs = sqlx::query("SELECT * FROM role_assignments WHERE territory_id = $1 ORDER BY role, id")
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::assignment).collect()
    }

    async fn insert_service(&self, s: &Service, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_service_tx(&mut tx, s).await?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn update_service(&self, s: &Service, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE services SET code = $2, name = $3, kind = $4, url = $5, icon = $6 WHERE id = $1")
            .bind(s.id.to_string())
            .bind(s.code.clone())
            .bind(s.name.clone())
            .bind(s.kind.code())
            .bind(s.url.clone())
            .bind(s.icon.clone())
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("service.code_taken"))?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn service(&self, id: ServiceId) -> Result<Service> {
        let r = sqlx::query("SELECT * FROM services WHERE id = $1").bind(id.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        rows::service(&r)
    }

    async fn services(&self, territory: TerritoryId) -> Result<Vec<Service>> {
        let rs = sqlx::query("SELECT * FROM services WHERE territory_id = $1 ORDER BY name")
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::service).collect()
    }

    async fn bouquet(&self, structure: StructureId, profile: Profile) -> Result<Vec<Service>> {
        let rs = sqlx::query(
            "SELECT s.* FROM services s JOIN bouquet_entries b ON b.service_id = s.id WHERE b.structure_id = $1 AND b.profile = $2 ORDER BY b.position",
        )
        .bind(structure.to_string())
        .bind(profile.code())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rs.iter().map(rows::service).collect()
    }

    async fn set_bouquet(&self, structure: StructureId, profile: Profile, services: &[ServiceId], audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM bouquet_entries WHERE structure_id = $1 AND profile = $2")
            .bind(structure.to_string())
            .bind(profile.code())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for (i, s) in services.iter().enumerate() {
            sqlx::query("INSERT INTO bouquet_entries (structure_id, profile, service_id, position) VALUES ($1, $2, $3, $4)")
                .bind(structure.to_string())
                .bind(profile.code())
                .bind(s.to_string())
                .bind(i as i64)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn favourites(&self, person: PersonId) -> Result<Vec<Service>> {
        let rs = sqlx::query("SELECT s.* FROM services s JOIN favourites f ON f.service_id = s.id WHERE f.person_id = $1 ORDER BY f.position")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(rows::service).collect()
    }

    async fn set_favourites(&self, person: PersonId, services: &[ServiceId]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM favourites WHERE person_id = $1").bind(person.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        for (i, s) in services.iter().enumerate() {
            sqlx::query("INSERT INTO favourites (person_id, service_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(person.to_string())
                .bind(s.to_string())
                .bind(i as i64)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        self.commit(tx).await
    }

    async fn append_audit(&self, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn audit_log(&self, territory: TerritoryId, structures: Option<&[StructureId]>, limit: i64) -> Result<Vec<AuditEntry>> {
        let mut all: Vec<AuditEntry> = vec![];
        match structures {
            None => {
                let rs = sqlx::query("SELECT * FROM audit_log WHERE territory_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
                    .bind(territory.to_string())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                all.extend(rs.iter().map(rows::audit).collect::<Result<Vec<_>>>()?);
            }
            Some(own) => {
                for s in own {
                    let rs = sqlx::query("SELECT * FROM audit_log WHERE territory_id = $1 AND structure_id = $2 ORDER BY at DESC, id DESC LIMIT $3")
                        .bind(territory.to_string())
                        .bind(s.to_string())
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    all.extend(rs.iter().map(rows::audit).collect::<Result<Vec<_>>>()?);
                }
                all.sort_by_key(|a| std::cmp::Reverse(a.at));
                all.truncate(limit as usize);
            }
        }
        Ok(all)
    }

    fn generation(&self) -> u64 {
        self.current_generation()
    }
}
