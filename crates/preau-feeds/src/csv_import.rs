//! CSV imports, for schools without an académie feed (private schools, agricultural lycées):
//! one `;`-separated file per profile and school, UTF-8 (with or without BOM) or Latin-1, with
//! French headers that can be mapped from other names. Every line is validated first; if any is
//! wrong, the report lists each line and why, and nothing is written. Otherwise the file is
//! applied like a full feed of that profile in that school: in one transaction, idempotent,
//! people absent from a later file detached.

use crate::aaf::records::{PersonRec, parse_date};
use crate::import::{ApplyPerson, Importer, Options};
use crate::report::{Outcome, Report};
use crate::store::{FeedStore, FeedTx};
use preau_core::{Error, Permission, Principal, Profile, Result, Uai};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvProfile {
    Pupils,
    Parents,
    Teachers,
    Staff,
    Guests,
}

impl CsvProfile {
    pub fn parse(s: &str) -> Option<CsvProfile> {
        Some(match s.to_lowercase().as_str() {
            "eleves" | "élèves" | "pupils" => CsvProfile::Pupils,
            "parents" => CsvProfile::Parents,
            "enseignants" | "teachers" => CsvProfile::Teachers,
            "personnels" | "staff" => CsvProfile::Staff,
            "invites" | "invités" | "guests" => CsvProfile::Guests,
            _ => return None,
        })
    }

    pub fn profile(self) -> Profile {
        match self {
            CsvProfile::Pupils => Profile::Pupil,
            CsvProfile::Parents => Profile::Parent,
            CsvProfile::Teachers => Profile::Teacher,
            CsvProfile::Staff => Profile::Staff,
            CsvProfile::Guests => Profile::Guest,
        }
    }

    /// The report's category for this profile from a kind of source (`CSV` or `LDAP`).
    fn category(self, kind: &str) -> &'static str {
        let ldap = kind == "LDAP";
        match self {
            CsvProfile::Pupils if ldap => "Élèves (LDAP)",
            CsvProfile::Pupils => "Élèves (CSV)",
            CsvProfile::Parents if ldap => "Parents (LDAP)",
            CsvProfile::Parents => "Parents (CSV)",
            CsvProfile::Teachers if ldap => "Enseignants (LDAP)",
            CsvProfile::Teachers => "Enseignants (CSV)",
            CsvProfile::Staff if ldap => "Personnels (LDAP)",
            CsvProfile::Staff => "Personnels (CSV)",
            CsvProfile::Guests if ldap => "Invités (LDAP)",
            CsvProfile::Guests => "Invités (CSV)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub uai: String,
    pub profile: CsvProfile,
    pub dry_run: bool,
    /// (header in the file, header Préau expects), e.g. ("Nom de famille", "Nom").
    pub mapping: Vec<(String, String)>,
}

/// Decodes a file: UTF-8 (a BOM is dropped) or, failing that, Latin-1/Windows-1252.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn norm(h: &str) -> String {
    preau_core::text::fold_name(h)
}

/// One line's record and the identifiers of its children (for parents).
struct Line {
    rec: PersonRec,
    children: Vec<String>,
}

fn line(get: &dyn Fn(&str) -> Option<String>, profile: CsvProfile) -> std::result::Result<Line, Vec<String>> {
    let mut errors = vec![];
    let need = |name: &str, errors: &mut Vec<String>| match get(name) {
        Some(v) => v,
        None => {
            errors.push(format!("colonne « {name} » vide"));
            String::new()
        }
    };
    let family_name = need("Nom", &mut errors);
    let given_name = need("Prénom", &mut errors);
    let jointure = need("Identifiant", &mut errors);
    let birth_date = match get("Date de naissance") {
        None => None,
        Some(d) => match parse_date(&d) {
            Some(iso) => Some(iso),
            None => {
                errors.push(format!("date de naissance mal formée : {d} (attendu JJ/MM/AAAA)"));
                None
            }
        },
    };
    let email = get("Courriel");
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        errors.push("courriel invalide".into());
    }
    let mut rec = PersonRec { jointure, family_name, given_name, birth_date, email, ..Default::default() };
    rec.profiles.push(("csv".into(), profile.profile()));
    let list =
        |v: Option<String>| v.map(|s| s.split([',', '|']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>()).unwrap_or_default();
    match profile {
        CsvProfile::Pupils => {
            if let Some(c) = get("Classe") {
                rec.groups.push(("csv".into(), c.to_uppercase(), true));
            }
        }
        CsvProfile::Teachers => {
            let subjects = list(get("Matière enseignée"));
            for class in list(get("Classes")) {
                rec.groups.push(("csv".into(), class.to_uppercase(), true));
                for s in &subjects {
                    rec.teachings.push(("csv".into(), class.to_uppercase(), s.clone(), true));
                }
            }
        }
        _ => {}
    }
    let children = list(get("Identifiants enfants"));
    if profile == CsvProfile::Parents && children.is_empty() {
        errors.push("colonne « Identifiants enfants » vide".into());
    }
    if errors.is_empty() { Ok(Line { rec, children }) } else { Err(errors) }
}

/// One record of a source, its fields named by the French headers (normalised): a line of a
/// CSV file, or an LDAP entry with its attributes mapped to those headers.
pub struct Row {
    /// How the report names the record: `ligne 12`, or an entry's DN.
    pub label: String,
    pub fields: std::collections::HashMap<String, String>,
}

impl Row {
    fn get(&self, name: &str) -> Option<String> {
        self.fields.get(&norm(name)).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
    }
}

/// The headers every source must give.
pub const REQUIRED: [&str; 3] = ["Nom", "Prénom", "Identifiant"];

/// Validates every row; the report lists each wrong one.
fn validate(rows: Vec<Row>, profile: CsvProfile, category: &str, file: &str, report: &mut Report) -> Vec<Line> {
    let mut lines = vec![];
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        match line(&|name: &str| row.get(name), profile) {
            Ok(l) if !seen.insert(l.rec.jointure.clone()) => report.reject(category, file, &row.label, format!("identifiant en double : {}", l.rec.jointure)),
            Ok(l) => lines.push(l),
            Err(errors) => report.reject(category, file, &row.label, errors.join(" ; ")),
        }
    }
    lines
}

/// Reads the rows of a CSV file, its headers mapped to Préau's.
fn read_rows(text: &str, opts: &CsvOptions, file: &str, report: &mut Report) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Invalid(vec![preau_core::FieldError::new(file, format!("en-tête illisible : {e}"))]))?
        .iter()
        .map(|h| {
            let mapped = opts.mapping.iter().find(|(from, _)| norm(from) == norm(h)).map(|(_, to)| to.as_str()).unwrap_or(h);
            norm(mapped)
        })
        .collect();
    for required in REQUIRED {
        if !headers.contains(&norm(required)) {
            return Err(Error::Invalid(vec![preau_core::FieldError::new(file, format!("colonne obligatoire absente : {required}"))]));
        }
    }
    let mut rows = vec![];
    for (i, row) in reader.records().enumerate() {
        let label = format!("ligne {}", i + 2);
        match row {
            Ok(r) => rows.push(Row { label, fields: headers.iter().cloned().zip(r.iter().map(str::to_owned)).collect() }),
            Err(e) => report.reject(opts.profile.category("CSV"), file, &label, format!("ligne illisible : {e}")),
        }
    }
    Ok(rows)
}

/// The namespace of a school's people of one profile from one kind of source (`CSV`, `LDAP`).
fn namespace(kind: &str, uai: &Uai, profile: CsvProfile) -> String {
    format!("{kind}-{}-{}", uai, profile.profile().code())
}

/// Imports a CSV file of one profile into one school. A local administrator of the school may.
pub async fn import_csv<S: FeedStore>(store: &S, caller: &Principal, bytes: &[u8], file: &str, opts: &CsvOptions, now: i64) -> Result<Report> {
    let mut report = Report { dry_run: opts.dry_run, ..Default::default() };
    let rows = read_rows(&decode(bytes), opts, file, &mut report)?;
    import_rows(store, caller, "CSV", rows, file, opts, report, now).await
}

/// Applies the rows of one source (`kind`: `CSV`, `LDAP`) of one profile to one school, after
/// validating all of them: one wrong row and nothing is written.
#[expect(clippy::too_many_arguments, reason = "one entry point shared by the CSV and LDAP sources")]
pub(crate) async fn import_rows<S: FeedStore>(
    store: &S,
    caller: &Principal,
    kind: &str,
    rows: Vec<Row>,
    file: &str,
    opts: &CsvOptions,
    mut report: Report,
    now: i64,
) -> Result<Report> {
    let uai = Uai::parse(&opts.uai)?;
    let mut tx = store.begin_feed(caller.territory).await?;
    let Some(structure) = tx.structure_by_uai(uai.as_str()).await? else {
        tx.rollback().await?;
        return Err(Error::NotFound);
    };
    if let Err(e) = caller.require_in(Permission::ManagePeople, structure) {
        tx.rollback().await?;
        return Err(e);
    }
    report.files.push(file.to_owned());
    let category = opts.profile.category(kind);
    let lines = validate(rows, opts.profile, category, file, &mut report);
    if report.rejected_total > 0 {
        // Nothing is written while any line is wrong: fix the file and import it again.
        tx.rollback().await?;
        report.dry_run = true;
        return Ok(report);
    }
    let feed_opts = Options { dry_run: opts.dry_run, ..Options::new(&namespace(kind, &uai, opts.profile)) };
    let mut imp = Importer::new(tx, &feed_opts, opts.dry_run, now);
    imp.structures.insert("csv".into(), Some(structure));
    imp.report = report;
    let pupils_ns = namespace(kind, &uai, CsvProfile::Pupils);
    let result: Result<()> = async {
        for l in &lines {
            let ext = imp.ns(&l.rec.jointure);
            let places = imp.places(&l.rec).await?;
            let record = "[]";
            let profiles = if opts.profile == CsvProfile::Parents { vec![] } else { vec![(structure, opts.profile.profile())] };
            let known = imp.known(&ext).await?;
            imp.apply_person(ApplyPerson { category, ext: &ext, rec: &l.rec, profiles: &profiles, places: &places, record }, known).await?;
            for child in &l.children {
                if !imp.tx.link_child(&format!("{pupils_ns}:{child}"), &ext).await? {
                    return Err(Error::Invalid(vec![preau_core::FieldError::new(file, format!("enfant inconnu : {child} (importez d'abord les élèves)"))]));
                }
            }
        }
        imp.tx.resolve_parent_links(false).await?;
        let detached = imp.tx.detach_unseen(&format!("{}:", feed_opts.academie), now).await?;
        imp.report.add(category, Outcome::Detached, detached);
        Ok(())
    }
    .await;
    let report = std::mem::take(&mut imp.report);
    match result {
        Err(e) => {
            imp.tx.rollback().await?;
            Err(e)
        }
        Ok(()) if opts.dry_run => {
            imp.tx.rollback().await?;
            Ok(report)
        }
        Ok(()) => {
            imp.tx.commit().await?;
            Ok(report)
        }
    }
}
