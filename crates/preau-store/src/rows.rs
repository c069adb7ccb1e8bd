//! Reading rows into domain records.

use crate::db_err;
use preau_core::{Error, Profile, Result, Uai};
use preau_directory::*;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub fn text(r: &AnyRow, col: &str) -> Result<String> {
    r.try_get::<String, _>(col).map_err(db_err)
}

pub fn opt(r: &AnyRow, col: &str) -> Result<Option<String>> {
    r.try_get::<Option<String>, _>(col).map_err(db_err)
}

pub fn int(r: &AnyRow, col: &str) -> Result<i64> {
    r.try_get::<i64, _>(col).map_err(db_err)
}

pub fn opt_int(r: &AnyRow, col: &str) -> Result<Option<i64>> {
    r.try_get::<Option<i64>, _>(col).map_err(db_err)
}

pub fn parse<T: FromStr>(r: &AnyRow, col: &str) -> Result<T> {
    text(r, col)?.parse::<T>().map_err(|_| Error::Internal(format!("bad value in column {col}")))
}

/// A value as JSON text: a list bound as one parameter, a record kept in one column.
pub fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(Error::internal)
}

/// Ids as one JSON parameter (an array of strings), for `Dialect::json_strings`.
pub fn ids_json<T: ToString>(ids: &[T]) -> Result<String> {
    to_json(&ids.iter().map(ToString::to_string).collect::<Vec<_>>())
}

/// A value read back from JSON text.
pub fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(Error::internal)
}

/// Ids aggregated as a JSON array in a column (none: `NULL` on PostgreSQL).
pub fn id_list<T: FromStr>(r: &AnyRow, col: &str) -> Result<Vec<T>> {
    let list: Vec<String> = from_json(&opt(r, col)?.unwrap_or_else(|| "[]".into()))?;
    list.iter().map(|s| s.parse().map_err(|_| Error::Internal(format!("bad id in {col}")))).collect()
}

pub fn opt_parse<T: FromStr>(r: &AnyRow, col: &str) -> Result<Option<T>> {
    match opt(r, col)? {
        None => Ok(None),
        Some(s) => s.parse::<T>().map(Some).map_err(|_| Error::Internal(format!("bad value in column {col}"))),
    }
}

pub fn profile(r: &AnyRow, col: &str) -> Result<Profile> {
    parse(r, col)
}

#[macro_export]
macro_rules! structure_cols {
    () => {
        "id, territory_id, uai, name, kind, degree, academie, address, postal_code, city, phone, email, parent_id"
    };
}

pub fn structure(r: &AnyRow) -> Result<Structure> {
    Ok(Structure {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        uai: Uai::parse(&text(r, "uai")?)?,
        name: text(r, "name")?,
        kind: parse(r, "kind")?,
        degree: int(r, "degree")?,
        academie: text(r, "academie")?,
        address: text(r, "address")?,
        postal_code: text(r, "postal_code")?,
        city: text(r, "city")?,
        phone: text(r, "phone")?,
        email: text(r, "email")?,
        parent: opt_parse(r, "parent_id")?,
    })
}

pub fn person(r: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        login: text(r, "login")?,
        given_name: text(r, "given_name")?,
        family_name: text(r, "family_name")?,
        birth_date: opt(r, "birth_date")?,
        email: opt(r, "email")?,
        source: Source::parse(&text(r, "source")?),
    })
}

pub fn group(r: &AnyRow, also_in: Vec<preau_core::StructureId>) -> Result<Group> {
    Ok(Group {
        id: parse(r, "id")?,
        structure: parse(r, "structure_id")?,
        kind: parse(r, "kind")?,
        code: text(r, "code")?,
        name: text(r, "name")?,
        also_in,
        archived_year: opt(r, "archived_year")?,
    })
}

pub fn service(r: &AnyRow) -> Result<Service> {
    Ok(Service {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        code: text(r, "code")?,
        name: text(r, "name")?,
        kind: if text(r, "kind")? == "internal" { ServiceKind::Internal } else { ServiceKind::Link },
        url: text(r, "url")?,
        icon: text(r, "icon")?,
    })
}

pub fn assignment(r: &AnyRow) -> Result<RoleAssignment> {
    let grantee = match opt_parse(r, "person_id")? {
        Some(p) => Grantee::Person(p),
        None => Grantee::Group(parse(r, "group_id")?),
    };
    let scope = match text(r, "scope_kind")?.as_str() {
        "territory" => preau_core::Scope::Territory,
        "structure" => preau_core::Scope::Structure(parse(r, "scope_id")?),
        _ => preau_core::Scope::Group(parse(r, "scope_id")?),
    };
    Ok(RoleAssignment { id: parse(r, "id")?, role: parse(r, "role")?, grantee, scope })
}

pub fn audit(r: &AnyRow) -> Result<AuditEntry> {
    let json = |c: &str| -> Result<Option<serde_json::Value>> { Ok(opt(r, c)?.and_then(|s| serde_json::from_str(&s).ok())) };
    Ok(AuditEntry {
        at: int(r, "at")?,
        territory: parse(r, "territory_id")?,
        actor: text(r, "actor")?,
        action: text(r, "action")?,
        target: text(r, "target")?,
        structure: opt_parse(r, "structure_id")?,
        before: json("before_json")?,
        after: json("after_json")?,
    })
}
