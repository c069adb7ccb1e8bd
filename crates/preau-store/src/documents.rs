//! The documents service's storage: nodes (files and folders) with their paths, previous
//! versions, shares. A folder's contents are found by the prefix of their paths; usage sums
//! the sizes of current and previous versions.

use crate::rows::{ids_json, int, opt, opt_int, opt_parse, parse, text};
use crate::{Store, db_err};
use preau_communication::Target;
use preau_core::{DocumentId, Error, PersonId, Profile, Result, StructureId};
use preau_documents::links::{Link, StoredLink};
use preau_documents::props::{Prop, PropChange};
use preau_documents::{Level, Node, Share, Space, Version};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

/// The key that makes names unique in a folder whatever their case (`name_key` column).
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn node(r: &AnyRow) -> Result<Node> {
    let parent = text(r, "parent_id")?;
    Ok(Node {
        id: parse(r, "id")?,
        space: Space::parse(&text(r, "space")?).ok_or_else(|| Error::Internal("bad space".into()))?,
        structure: opt_parse(r, "structure_id")?,
        parent: if parent.is_empty() { None } else { Some(parent.parse()?) },
        path: text(r, "path")?,
        name: text(r, "name")?,
        folder: int(r, "folder")? != 0,
        size: int(r, "size")?,
        content_type: text(r, "content_type")?,
        blob: opt(r, "blob")?,
        version: int(r, "version")?,
        owner: parse(r, "owner_id")?,
        created_at: int(r, "created_at")?,
        modified_at: int(r, "modified_at")?,
        trashed_at: opt_int(r, "trashed_at")?,
        trashed_by: opt_parse(r, "trashed_by")?,
        trash_root: opt_parse(r, "trash_root")?,
    })
}

fn share(r: &AnyRow) -> Result<Share> {
    Ok(Share {
        node: parse(r, "node_id")?,
        target: Target::parse(&text(r, "target")?).ok_or_else(|| Error::Internal("bad share target".into()))?,
        level: Level::parse(&text(r, "level")?).ok_or_else(|| Error::Internal("bad share level".into()))?,
        granted_by: parse(r, "granted_by")?,
        granted_at: int(r, "granted_at")?,
    })
}

fn parent_key(parent: Option<DocumentId>) -> String {
    parent.map(|p| p.to_string()).unwrap_or_default()
}

/// `LIKE` pattern of a node and everything inside it (ids hold no wildcard).
fn under(node: &Node) -> String {
    format!("{}%", node.path)
}

pub(crate) async fn get(s: &Store, id: DocumentId) -> Result<Option<Node>> {
    let r = sqlx::query("SELECT * FROM doc_nodes WHERE id = $1").bind(id.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?;
    r.as_ref().map(node).transpose()
}

pub(crate) async fn many(s: &Store, ids: &[DocumentId]) -> Result<Vec<Node>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!("SELECT * FROM doc_nodes WHERE id IN ({})", s.dialect.json_strings(1));
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(ids_json(ids)?).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(node).collect()
}

pub(crate) async fn contents(s: &Store, space: &str, parent: Option<DocumentId>) -> Result<Vec<Node>> {
    let rs = sqlx::query("SELECT * FROM doc_nodes WHERE space = $1 AND parent_id = $2 AND trashed_at IS NULL ORDER BY name")
        .bind(space.to_owned())
        .bind(parent_key(parent))
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(node).collect()
}

pub(crate) async fn named(s: &Store, space: &str, parent: Option<DocumentId>, name: &str) -> Result<Option<Node>> {
    let r = sqlx::query("SELECT * FROM doc_nodes WHERE space = $1 AND parent_id = $2 AND name_key = $3 AND trashed_at IS NULL")
        .bind(space.to_owned())
        .bind(parent_key(parent))
        .bind(name_key(name))
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    r.as_ref().map(node).transpose()
}

pub(crate) async fn space_nodes(s: &Store, space: &str) -> Result<Vec<Node>> {
    let rs = sqlx::query("SELECT * FROM doc_nodes WHERE space = $1 AND trashed_at IS NULL ORDER BY LENGTH(path), name")
        .bind(space.to_owned())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(node).collect()
}

pub(crate) async fn descendants(s: &Store, folder: &Node) -> Result<Vec<Node>> {
    let rs = sqlx::query("SELECT * FROM doc_nodes WHERE space = $1 AND path LIKE $2 AND id <> $3 AND trashed_at IS NULL ORDER BY LENGTH(path), name")
        .bind(folder.space.code())
        .bind(under(folder))
        .bind(folder.id.to_string())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(node).collect()
}

pub(crate) async fn insert(s: &Store, n: &Node) -> Result<()> {
    let mut c = s.pool.acquire().await.map_err(db_err)?;
    insert_on(&mut c, n).await
}

pub(crate) async fn insert_many(s: &Store, nodes: &[Node]) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    for n in nodes {
        insert_on(&mut tx, n).await?;
    }
    tx.commit().await.map_err(db_err)
}

async fn insert_on(c: &mut sqlx::AnyConnection, n: &Node) -> Result<()> {
    sqlx::query("INSERT INTO doc_nodes (id, space, structure_id, parent_id, path, name, folder, size, content_type, blob, version, owner_id, created_at, modified_at, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
        .bind(n.id.to_string())
        .bind(n.space.code())
        .bind(n.structure.map(|s| s.to_string()))
        .bind(parent_key(n.parent))
        .bind(n.path.clone())
        .bind(n.name.clone())
        .bind(n.folder as i64)
        .bind(n.size)
        .bind(n.content_type.clone())
        .bind(n.blob.clone())
        .bind(n.version)
        .bind(n.owner.to_string())
        .bind(n.created_at)
        .bind(n.modified_at)
        .bind(name_key(&n.name))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn props(s: &Store, node: DocumentId) -> Result<Vec<Prop>> {
    let rs =
        sqlx::query("SELECT * FROM doc_props WHERE node_id = $1 ORDER BY namespace, name").bind(node.to_string()).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(|r| Ok(Prop { namespace: text(r, "namespace")?, name: text(r, "name")?, xml: text(r, "xml")? })).collect()
}

pub(crate) async fn patch_props(s: &Store, node: DocumentId, changes: &[PropChange]) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    for c in changes {
        match c {
            PropChange::Remove { namespace, name } => {
                sqlx::query("DELETE FROM doc_props WHERE node_id = $1 AND namespace = $2 AND name = $3")
                    .bind(node.to_string())
                    .bind(namespace.clone())
                    .bind(name.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            PropChange::Set(p) => {
                sqlx::query("INSERT INTO doc_props (node_id, namespace, name, xml) VALUES ($1, $2, $3, $4) ON CONFLICT (node_id, namespace, name) DO UPDATE SET xml = excluded.xml")
                    .bind(node.to_string())
                    .bind(p.namespace.clone())
                    .bind(p.name.clone())
                    .bind(p.xml.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
        }
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn replace_content(s: &Store, n: &Node, previous: &Version, keep: usize) -> Result<Vec<String>> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query("INSERT INTO doc_versions (node_id, version, blob, size, content_type, created_at, author_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(previous.node.to_string())
        .bind(previous.version)
        .bind(previous.blob.clone())
        .bind(previous.size)
        .bind(previous.content_type.clone())
        .bind(previous.created_at)
        .bind(previous.author.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE doc_nodes SET blob = $1, size = $2, content_type = $3, version = $4, modified_at = $5 WHERE id = $6")
        .bind(n.blob.clone())
        .bind(n.size)
        .bind(n.content_type.clone())
        .bind(n.version)
        .bind(n.modified_at)
        .bind(n.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let rs = sqlx::query("SELECT version, blob FROM doc_versions WHERE node_id = $1 ORDER BY version DESC")
        .bind(n.id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
    let mut dropped = vec![];
    if let Some(first_dropped) = rs.get(keep) {
        let cutoff = int(first_dropped, "version")?;
        for r in &rs[keep..] {
            dropped.push(text(r, "blob")?);
        }
        sqlx::query("DELETE FROM doc_versions WHERE node_id = $1 AND version <= $2")
            .bind(n.id.to_string())
            .bind(cutoff)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(dropped)
}

pub(crate) async fn versions(s: &Store, id: DocumentId) -> Result<Vec<Version>> {
    let rs =
        sqlx::query("SELECT * FROM doc_versions WHERE node_id = $1 ORDER BY version DESC").bind(id.to_string()).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter()
        .map(|r| {
            Ok(Version {
                node: parse(r, "node_id")?,
                version: int(r, "version")?,
                blob: text(r, "blob")?,
                size: int(r, "size")?,
                content_type: text(r, "content_type")?,
                created_at: int(r, "created_at")?,
                author: parse(r, "author_id")?,
            })
        })
        .collect()
}

pub(crate) async fn rename(s: &Store, id: DocumentId, name: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE doc_nodes SET name = $1, modified_at = $2, name_key = $4 WHERE id = $3")
        .bind(name.to_owned())
        .bind(at)
        .bind(id.to_string())
        .bind(name_key(name))
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Rewrites the paths starting with `node`'s (itself included) to start with `to_path`.
const REPATH: &str = "path = $1 || SUBSTR(path, CAST($2 AS INTEGER))";

pub(crate) async fn move_node(s: &Store, n: &Node, to: &Node) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    // The node's own folder and name first: changing the space of a node still named in its old
    // folder could collide with a node of that name in the new space's top, for an instant.
    sqlx::query("UPDATE doc_nodes SET parent_id = $1, name = $2, modified_at = $3, name_key = $5 WHERE id = $4")
        .bind(parent_key(to.parent))
        .bind(to.name.clone())
        .bind(to.modified_at)
        .bind(n.id.to_string())
        .bind(name_key(&to.name))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let sql = format!("UPDATE doc_nodes SET {REPATH}, space = $3, structure_id = $4 WHERE space = $5 AND path LIKE $6");
    sqlx::query(AssertSqlSafe(sql))
        .bind(to.path.clone())
        .bind(n.path.len() as i64 + 1)
        .bind(to.space.code())
        .bind(to.structure.map(|s| s.to_string()))
        .bind(n.space.code())
        .bind(under(n))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn trash(s: &Store, n: &Node, at: i64, by: PersonId) -> Result<()> {
    sqlx::query("UPDATE doc_nodes SET trashed_at = $1, trashed_by = $2, trash_root = $3 WHERE space = $4 AND path LIKE $5 AND trashed_at IS NULL")
        .bind(at)
        .bind(by.to_string())
        .bind(n.id.to_string())
        .bind(n.space.code())
        .bind(under(n))
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn trashed(s: &Store, spaces: &[String], by: PersonId) -> Result<Vec<Node>> {
    let sql = format!("SELECT * FROM doc_nodes WHERE trash_root = id AND (trashed_by = $1 OR space IN ({}))", s.dialect.json_strings(2));
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(by.to_string()).bind(ids_json(spaces)?).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(node).collect()
}

pub(crate) async fn restore(s: &Store, n: &Node, parent: Option<DocumentId>, to_path: &str, name: &str) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query(
        "UPDATE doc_nodes SET parent_id = $1, name = $2, path = $3, trashed_at = NULL, trashed_by = NULL, trash_root = NULL, name_key = $5 WHERE id = $4",
    )
    .bind(parent_key(parent))
    .bind(name.to_owned())
    .bind(to_path.to_owned())
    .bind(n.id.to_string())
    .bind(name_key(name))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let sql = format!("UPDATE doc_nodes SET {REPATH}, trashed_at = NULL, trashed_by = NULL, trash_root = NULL WHERE trash_root = $3");
    sqlx::query(AssertSqlSafe(sql)).bind(to_path.to_owned()).bind(n.path.len() as i64 + 1).bind(n.id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

/// Deletes the nodes trashed with the roots `roots_sql` selects (binding `$1`), returning
/// their blobs and their previous versions'.
async fn delete_trashed(s: &Store, roots_sql: &str, bind: String) -> Result<Vec<String>> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    let blobs_sql = format!(
        "SELECT blob FROM doc_nodes WHERE blob IS NOT NULL AND trash_root IN ({roots_sql}) UNION ALL SELECT v.blob FROM doc_versions v JOIN doc_nodes n ON n.id = v.node_id WHERE n.trash_root IN ({roots_sql})"
    );
    let rs = sqlx::query(AssertSqlSafe(blobs_sql)).bind(bind.clone()).fetch_all(&mut *tx).await.map_err(db_err)?;
    let blobs = rs.iter().map(|r| text(r, "blob")).collect::<Result<Vec<_>>>()?;
    let ids_sql = format!("SELECT id FROM doc_nodes WHERE trash_root IN ({roots_sql})");
    let ids: Vec<String> =
        sqlx::query(AssertSqlSafe(ids_sql)).bind(bind).fetch_all(&mut *tx).await.map_err(db_err)?.iter().map(|r| text(r, "id")).collect::<Result<_>>()?;
    let json = ids_json(&ids)?;
    for table in ["doc_versions", "doc_shares", "doc_props", "doc_links"] {
        let sql = format!("DELETE FROM {table} WHERE node_id IN ({})", s.dialect.json_strings(1));
        sqlx::query(AssertSqlSafe(sql)).bind(json.clone()).execute(&mut *tx).await.map_err(db_err)?;
    }
    let sql = format!("DELETE FROM doc_nodes WHERE id IN ({})", s.dialect.json_strings(1));
    sqlx::query(AssertSqlSafe(sql)).bind(json).execute(&mut *tx).await.map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(blobs)
}

pub(crate) async fn destroy(s: &Store, n: &Node) -> Result<Vec<String>> {
    delete_trashed(s, "SELECT CAST($1 AS TEXT)", n.id.to_string()).await
}

pub(crate) async fn purge_trash(s: &Store, before: i64) -> Result<Vec<String>> {
    // The cutoff travels as text so that one statement shape serves both calls.
    delete_trashed(s, "SELECT id FROM doc_nodes WHERE trash_root = id AND trashed_at < CAST($1 AS BIGINT)", before.to_string()).await
}

pub(crate) async fn purge_departed(s: &Store) -> Result<Vec<String>> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    let gone = "SELECT n.id FROM doc_nodes n WHERE n.space LIKE 'person:%' AND NOT EXISTS (SELECT 1 FROM people p WHERE n.space = 'person:' || p.id)";
    let sql = format!("SELECT blob FROM doc_nodes WHERE blob IS NOT NULL AND id IN ({gone}) UNION ALL SELECT blob FROM doc_versions WHERE node_id IN ({gone})");
    let mut blobs = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await.map_err(db_err)?.iter().map(|r| text(r, "blob")).collect::<Result<Vec<_>>>()?;
    // The copies they handed in (and their corrected files) go with them.
    let copies = "SELECT blob FROM cdt_copies WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = cdt_copies.pupil_id) UNION ALL SELECT corrected_blob AS blob FROM cdt_copies WHERE corrected_blob IS NOT NULL AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = cdt_copies.pupil_id)";
    for r in sqlx::query(copies).fetch_all(&mut *tx).await.map_err(db_err)? {
        blobs.push(text(&r, "blob")?);
    }
    sqlx::query("DELETE FROM cdt_copies WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = cdt_copies.pupil_id)").execute(&mut *tx).await.map_err(db_err)?;
    for table in ["doc_versions", "doc_shares", "doc_props", "doc_links"] {
        let sql = format!("DELETE FROM {table} WHERE node_id IN ({gone})");
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db_err)?;
    }
    sqlx::query(AssertSqlSafe(format!("DELETE FROM doc_nodes WHERE id IN ({gone})"))).execute(&mut *tx).await.map_err(db_err)?;
    sqlx::query("DELETE FROM doc_shares WHERE target LIKE 'person:%' AND NOT EXISTS (SELECT 1 FROM people p WHERE doc_shares.target = 'person:' || p.id)")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(blobs)
}

/// Bytes of current and previous versions of the nodes `filter` (on `n.`, binding `$1`, `$2`…
/// to `binds`) selects.
async fn bytes(s: &Store, filter: &str, binds: &[String]) -> Result<i64> {
    let sql = format!(
        "SELECT CAST((SELECT COALESCE(SUM(n.size), 0) FROM doc_nodes n WHERE {filter}) + (SELECT COALESCE(SUM(v.size), 0) FROM doc_versions v JOIN doc_nodes n ON n.id = v.node_id WHERE {filter}) AS BIGINT) AS total"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b.clone());
    }
    let r = q.fetch_one(&s.pool).await.map_err(db_err)?;
    int(&r, "total")
}

pub(crate) async fn space_usage(s: &Store, space: &str) -> Result<i64> {
    bytes(s, "n.space = $1", &[space.to_owned()]).await
}

pub(crate) async fn structure_usage(s: &Store, structure: StructureId) -> Result<i64> {
    bytes(s, "n.structure_id = $1", &[structure.to_string()]).await
}

/// A node and what is inside it: within its space (indexed), by the prefix of their paths.
pub(crate) async fn subtree_bytes(s: &Store, n: &Node) -> Result<i64> {
    bytes(s, "n.space = $1 AND n.path LIKE $2", &[n.space.code(), under(n)]).await
}

fn link(r: &AnyRow) -> Result<StoredLink> {
    let password_hash = opt(r, "password_hash")?;
    Ok(StoredLink {
        link: Link {
            id: text(r, "id")?,
            node: parse(r, "node_id")?,
            created_by: parse(r, "created_by")?,
            created_at: int(r, "created_at")?,
            expires_at: int(r, "expires_at")?,
            protected: password_hash.is_some(),
        },
        digest: text(r, "digest")?,
        password_hash,
    })
}

pub(crate) async fn insert_link(s: &Store, l: &StoredLink) -> Result<()> {
    sqlx::query("INSERT INTO doc_links (id, node_id, digest, password_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(l.link.id.clone())
        .bind(l.link.node.to_string())
        .bind(l.digest.clone())
        .bind(l.password_hash.clone())
        .bind(l.link.created_by.to_string())
        .bind(l.link.created_at)
        .bind(l.link.expires_at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn links_of(s: &Store, node: DocumentId) -> Result<Vec<Link>> {
    let rs = sqlx::query("SELECT * FROM doc_links WHERE node_id = $1 ORDER BY created_at").bind(node.to_string()).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(|r| link(r).map(|l| l.link)).collect()
}

pub(crate) async fn link_by_digest(s: &Store, digest: &str) -> Result<Option<StoredLink>> {
    let r = sqlx::query("SELECT * FROM doc_links WHERE digest = $1").bind(digest.to_owned()).fetch_optional(&s.pool).await.map_err(db_err)?;
    r.as_ref().map(link).transpose()
}

pub(crate) async fn delete_link(s: &Store, node: DocumentId, id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM doc_links WHERE node_id = $1 AND id = $2")
        .bind(node.to_string())
        .bind(id.to_owned())
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() > 0)
}

pub(crate) async fn shares_on(s: &Store, ids: &[DocumentId]) -> Result<Vec<Share>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!("SELECT * FROM doc_shares WHERE node_id IN ({}) ORDER BY granted_at", s.dialect.json_strings(1));
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(ids_json(ids)?).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(share).collect()
}

pub(crate) async fn shares_to(s: &Store, targets: &[Target]) -> Result<Vec<Share>> {
    let codes: Vec<String> = targets.iter().map(Target::code).collect();
    let sql = format!("SELECT * FROM doc_shares WHERE target IN ({})", s.dialect.json_strings(1));
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(ids_json(&codes)?).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(share).collect()
}

pub(crate) async fn put_shares(s: &Store, shares: &[Share]) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    for sh in shares {
        sqlx::query("INSERT INTO doc_shares (node_id, target, level, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id, target) DO UPDATE SET level = excluded.level, granted_by = excluded.granted_by, granted_at = excluded.granted_at")
            .bind(sh.node.to_string())
            .bind(sh.target.code())
            .bind(sh.level.code())
            .bind(sh.granted_by.to_string())
            .bind(sh.granted_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn remove_share(s: &Store, node: DocumentId, target: &Target) -> Result<bool> {
    let r = sqlx::query("DELETE FROM doc_shares WHERE node_id = $1 AND target = $2")
        .bind(node.to_string())
        .bind(target.code())
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() > 0)
}

impl preau_documents::DocumentStore for Store {
    async fn node(&self, id: DocumentId) -> Result<Option<Node>> {
        get(self, id).await
    }
    async fn nodes(&self, ids: &[DocumentId]) -> Result<Vec<Node>> {
        many(self, ids).await
    }
    async fn folder_contents(&self, space: &str, parent: Option<DocumentId>) -> Result<Vec<Node>> {
        contents(self, space, parent).await
    }
    async fn named(&self, space: &str, parent: Option<DocumentId>, name: &str) -> Result<Option<Node>> {
        named(self, space, parent, name).await
    }
    async fn space_nodes(&self, space: &str) -> Result<Vec<Node>> {
        space_nodes(self, space).await
    }
    async fn descendants(&self, folder: &Node) -> Result<Vec<Node>> {
        descendants(self, folder).await
    }
    async fn insert_node(&self, node: &Node) -> Result<()> {
        insert(self, node).await
    }
    async fn insert_nodes(&self, nodes: &[Node]) -> Result<()> {
        insert_many(self, nodes).await
    }
    async fn props(&self, node: DocumentId) -> Result<Vec<Prop>> {
        props(self, node).await
    }
    async fn patch_props(&self, node: DocumentId, changes: &[PropChange]) -> Result<()> {
        patch_props(self, node, changes).await
    }
    async fn replace_content(&self, node: &Node, previous: &Version, keep: usize) -> Result<Vec<String>> {
        replace_content(self, node, previous, keep).await
    }
    async fn versions(&self, id: DocumentId) -> Result<Vec<Version>> {
        versions(self, id).await
    }
    async fn rename(&self, id: DocumentId, name: &str, at: i64) -> Result<()> {
        rename(self, id, name, at).await
    }
    async fn move_node(&self, node: &Node, moved: &Node) -> Result<()> {
        move_node(self, node, moved).await
    }
    async fn trash(&self, node: &Node, at: i64, by: PersonId) -> Result<()> {
        trash(self, node, at, by).await
    }
    async fn trashed(&self, spaces: &[String], by: PersonId) -> Result<Vec<Node>> {
        trashed(self, spaces, by).await
    }
    async fn restore(&self, node: &Node, parent: Option<DocumentId>, to_path: &str, name: &str) -> Result<()> {
        restore(self, node, parent, to_path, name).await
    }
    async fn destroy(&self, node: &Node) -> Result<Vec<String>> {
        destroy(self, node).await
    }
    async fn purge_trash(&self, before: i64) -> Result<Vec<String>> {
        purge_trash(self, before).await
    }
    async fn purge_departed(&self) -> Result<Vec<String>> {
        purge_departed(self).await
    }
    async fn space_usage(&self, space: &str) -> Result<i64> {
        space_usage(self, space).await
    }
    async fn structure_usage(&self, structure: StructureId) -> Result<i64> {
        structure_usage(self, structure).await
    }
    async fn subtree_bytes(&self, node: &Node) -> Result<i64> {
        subtree_bytes(self, node).await
    }
    async fn insert_link(&self, l: &StoredLink) -> Result<()> {
        insert_link(self, l).await
    }

    async fn link_policy(&self, structure: StructureId) -> Result<Option<Vec<Profile>>> {
        let codes: Option<Vec<String>> = self.structure_json("doc_link_policies", "forbidden", structure).await?;
        Ok(codes.map(|codes| codes.iter().filter_map(|c| c.parse().ok()).collect()))
    }

    async fn set_link_policy(&self, structure: StructureId, forbidden: Option<&[Profile]>, audit: &preau_directory::AuditEntry) -> Result<()> {
        let codes = forbidden.map(|list| list.iter().map(|p| p.code()).collect::<Vec<_>>());
        self.put_structure_json("doc_link_policies", "forbidden", structure, codes.as_ref(), audit).await
    }
    async fn links_of(&self, node: DocumentId) -> Result<Vec<Link>> {
        links_of(self, node).await
    }
    async fn link_by_digest(&self, digest: &str) -> Result<Option<StoredLink>> {
        link_by_digest(self, digest).await
    }
    async fn delete_link(&self, node: DocumentId, id: &str) -> Result<bool> {
        delete_link(self, node, id).await
    }
    async fn shares_on(&self, nodes: &[DocumentId]) -> Result<Vec<Share>> {
        shares_on(self, nodes).await
    }
    async fn shares_to(&self, targets: &[Target]) -> Result<Vec<Share>> {
        shares_to(self, targets).await
    }
    async fn put_shares(&self, shares: &[Share]) -> Result<()> {
        put_shares(self, shares).await
    }
    async fn remove_share(&self, node: DocumentId, target: &Target) -> Result<bool> {
        remove_share(self, node, target).await
    }
}
