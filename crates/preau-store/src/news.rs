//! Communication's storage, part four: news items.

use crate::rows::{int, opt, opt_int, parse, text};
use crate::{Store, db_err};
use preau_communication::news::{News, NewsState};
use preau_core::{Error, NewsId, Profile, Result, StructureId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

fn news(r: &AnyRow) -> Result<News> {
    Ok(News {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        structure: parse(r, "structure_id")?,
        group: opt(r, "group_id")?.map(|g| g.parse()).transpose()?,
        profiles: text(r, "profiles")?.split(',').filter(|p| !p.is_empty()).map(|p| p.parse::<Profile>()).collect::<Result<_>>()?,
        title: text(r, "title")?,
        body: text(r, "body")?,
        author: parse(r, "author_id")?,
        author_name: text(r, "author_name")?,
        state: NewsState::parse(&text(r, "state")?).ok_or_else(|| Error::Internal("bad news state".into()))?,
        created_at: int(r, "created_at")?,
        published_at: opt_int(r, "published_at")?,
        published_by: opt(r, "published_by")?,
        expires_at: opt_int(r, "expires_at")?,
        public: int(r, "public")? != 0,
        hidden_at: opt_int(r, "hidden_at")?,
    })
}

pub(crate) async fn save(s: &Store, n: &News) -> Result<()> {
    let profiles: Vec<&str> = n.profiles.iter().map(|p| p.code()).collect();
    sqlx::query("INSERT INTO news (id, territory_id, structure_id, group_id, profiles, title, body, author_id, author_name, state, created_at, published_at, published_by, expires_at, public, hidden_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, profiles = excluded.profiles, title = excluded.title, body = excluded.body, state = excluded.state, published_at = excluded.published_at, published_by = excluded.published_by, expires_at = excluded.expires_at, public = excluded.public, hidden_at = excluded.hidden_at")
        .bind(n.id.to_string())
        .bind(n.territory.to_string())
        .bind(n.structure.to_string())
        .bind(n.group.map(|g| g.to_string()))
        .bind(profiles.join(","))
        .bind(n.title.clone())
        .bind(n.body.clone())
        .bind(n.author.to_string())
        .bind(n.author_name.clone())
        .bind(n.state.code())
        .bind(n.created_at)
        .bind(n.published_at)
        .bind(n.published_by.clone())
        .bind(n.expires_at)
        .bind(i64::from(n.public))
        .bind(n.hidden_at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get(s: &Store, id: NewsId) -> Result<News> {
    let r = sqlx::query("SELECT * FROM news WHERE id = $1").bind(id.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?.ok_or(Error::NotFound)?;
    news(&r)
}

pub(crate) async fn of(s: &Store, structures: &[StructureId], limit: i64) -> Result<Vec<News>> {
    if structures.is_empty() {
        return Ok(vec![]);
    }
    let list = (1..=structures.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql =
        format!("SELECT * FROM news WHERE structure_id IN ({list}) ORDER BY COALESCE(published_at, created_at) DESC, id DESC LIMIT {}", limit.clamp(1, 1000));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for st in structures {
        q = q.bind(st.to_string());
    }
    q.fetch_all(&s.pool).await.map_err(db_err)?.iter().map(news).collect()
}
