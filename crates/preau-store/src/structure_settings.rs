//! A structure's setting kept as one JSON value in a table of its own (the timetable's slot
//! grid and own calendar, the documents' rule for public links): `table` has `structure_id` as
//! its key and `column` for the value; no row means the default.

use crate::directory::write_audit;
use crate::rows::{from_json, text};
use crate::{Store, db_err};
use preau_core::{Result, StructureId};
use preau_directory::AuditEntry;
use sqlx::AssertSqlSafe;

impl Store {
    /// The structure's value, if it has its own.
    pub(crate) async fn structure_json<T: serde::de::DeserializeOwned>(&self, table: &str, column: &str, structure: StructureId) -> Result<Option<T>> {
        let q = format!("SELECT {column} FROM {table} WHERE structure_id = $1");
        let r = sqlx::query(AssertSqlSafe(q)).bind(structure.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.map(|r| from_json(&text(&r, column)?)).transpose()
    }

    /// Sets the structure's value (`None`: back to the default), with its audit entry.
    pub(crate) async fn put_structure_json<T: serde::Serialize + ?Sized>(
        &self,
        table: &str,
        column: &str,
        structure: StructureId,
        value: Option<&T>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let q = match value {
            Some(_) => {
                format!("INSERT INTO {table} (structure_id, {column}) VALUES ($1, $2) ON CONFLICT (structure_id) DO UPDATE SET {column} = excluded.{column}")
            }
            None => format!("DELETE FROM {table} WHERE structure_id = $1"),
        };
        let mut query = sqlx::query(AssertSqlSafe(q)).bind(structure.to_string());
        if let Some(v) = value {
            query = query.bind(crate::rows::to_json(v)?);
        }
        query.execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }
}
