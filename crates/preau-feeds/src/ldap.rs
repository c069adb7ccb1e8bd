//! The LDAP source, for directories that are not the académie's (a local authority's agents, an
//! agricultural school's own directory): bind, search (paged), map each entry's attributes to
//! the French headers of the CSV import with a configurable mapping, then validate and apply
//! them exactly like a CSV file of one profile in one school — all or nothing, idempotent,
//! people absent from a later search detached.

use crate::csv_import::{CsvOptions, REQUIRED, Row, import_rows};
use crate::report::Report;
use crate::store::FeedStore;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use preau_core::{Error, FieldError, Principal, Result};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct LdapSource {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade a plain `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    /// Simple bind; anonymous when absent.
    pub bind_dn: Option<String>,
    pub password: Option<String>,
    pub base: String,
    pub filter: String,
    /// (Préau header, LDAP attribute), e.g. ("Identifiant", "employeeNumber"); completes and
    /// overrides [`default_mapping`].
    pub mapping: Vec<(String, String)>,
}

/// The usual `inetOrgPerson` attributes.
pub fn default_mapping() -> Vec<(String, String)> {
    [("Identifiant", "uid"), ("Nom", "sn"), ("Prénom", "givenName"), ("Courriel", "mail")].iter().map(|(h, a)| ((*h).to_owned(), (*a).to_owned())).collect()
}

fn mapping(src: &LdapSource) -> Vec<(String, String)> {
    let fold = preau_core::text::fold_name;
    let mut m = default_mapping();
    for (header, attr) in &src.mapping {
        m.retain(|(h, _)| fold(h) != fold(header));
        m.push((header.clone(), attr.clone()));
    }
    m
}

fn ldap_error(e: impl std::fmt::Display) -> Error {
    Error::Invalid(vec![FieldError::new("ldap", format!("annuaire LDAP : {e}"))])
}

/// Reads every entry of the search, its attributes mapped to Préau's headers. Multi-valued
/// attributes are joined with commas (a teacher's classes, a parent's children).
pub async fn fetch(src: &LdapSource) -> Result<Vec<Row>> {
    let map = mapping(src);
    for required in REQUIRED {
        if !map.iter().any(|(h, _)| preau_core::text::fold_name(h) == preau_core::text::fold_name(required)) {
            return Err(ldap_error(format!("aucun attribut pour « {required} »")));
        }
    }
    let settings = LdapConnSettings::new().set_starttls(src.starttls).set_conn_timeout(std::time::Duration::from_secs(10));
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &src.url).await.map_err(ldap_error)?;
    ldap3::drive!(conn);
    if let Some(dn) = &src.bind_dn {
        ldap.simple_bind(dn, src.password.as_deref().unwrap_or("")).await.and_then(|r| r.success()).map_err(ldap_error)?;
    }
    let attrs: Vec<&str> = map.iter().map(|(_, a)| a.as_str()).collect();
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(500))];
    let mut search = ldap.streaming_search_with(adapters, &src.base, Scope::Subtree, &src.filter, attrs).await.map_err(ldap_error)?;
    let mut rows = vec![];
    while let Some(entry) = search.next().await.map_err(ldap_error)? {
        let entry = SearchEntry::construct(entry);
        let values = |attr: &str| entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v.join(","));
        let fields: HashMap<String, String> = map.iter().filter_map(|(h, a)| values(a).map(|v| (preau_core::text::fold_name(h), v))).collect();
        rows.push(Row { label: entry.dn, fields });
    }
    search.finish().await.success().map_err(ldap_error)?;
    let _ = ldap.unbind().await;
    Ok(rows)
}

/// Imports the people of an LDAP search as one profile of one school (`opts`). A local
/// administrator of the school may.
pub async fn import_ldap<S: FeedStore>(store: &S, caller: &Principal, src: &LdapSource, opts: &CsvOptions, now: i64) -> Result<Report> {
    let rows = fetch(src).await?;
    let report = Report { dry_run: opts.dry_run, ..Default::default() };
    let name = format!("{} ({})", src.url, src.base);
    import_rows(store, caller, "LDAP", rows, &name, opts, report, now).await
}
