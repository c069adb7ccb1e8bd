//! The AAF import: reads the files of an extract set in the order the categories depend on each
//! other, applies every record in one transaction, detaches the people a full extract no longer
//! contains, and reports. A dry run does all of it and rolls back.

use crate::aaf::parse::{AafReader, Entry, Op};
use crate::aaf::records::{self, PersonRec, ProfileTable};
use crate::aaf::{CATEGORIES, ExtractKind, category_of, extract_kind};
use crate::fixed_set::{FixedSet, digest};
use crate::report::{Outcome, Report};
use crate::store::{Change, FedPerson, FeedStore, FeedTx, LabelTable, PersonWrite, Places};
use preau_core::text::base_login;
use preau_core::{Error, PersonId, Principal, Profile, Result, StructureId};
use std::collections::{HashMap, HashSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Options {
    /// The académie whose identifiers this feed uses (`RENNES`): identifiers are namespaced
    /// with it so one territory can take several académies' feeds.
    pub academie: String,
    pub dry_run: bool,
    pub profiles: ProfileTable,
    /// Relatives who are not legal guardians are kept as contacts of their pupils (no profile,
    /// so no access to the portal); `false` leaves them out of the directory.
    pub contacts: bool,
}

impl Options {
    /// A full import of `academie` with the default function table, keeping contacts.
    pub fn new(academie: &str) -> Self {
        Options { academie: academie.to_owned(), dry_run: false, profiles: ProfileTable::default(), contacts: true }
    }
}

/// The extract files of a folder, sorted by category order then file name.
pub fn extract_files(dir: &Path) -> Result<Vec<(PathBuf, &'static str)>> {
    let mut files: Vec<(PathBuf, &'static str)> = std::fs::read_dir(dir)
        .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            category_of(&name).map(|c| (e.path(), c))
        })
        .collect();
    files.sort_by_key(|(p, c)| (CATEGORIES.iter().position(|x| x == c), p.clone()));
    Ok(files)
}

/// People applied per batch: their look-ups (are they known? is this relative a guardian?) are
/// one query for the batch instead of one per person.
const PEOPLE_BATCH: usize = 500;
/// The memory of the identifiers read and of the logins taken (fixed, whatever the feed):
/// sized for an académie of 3 million accounts.
const SEEN_MIB: usize = 8;
const LOGINS_MIB: usize = 4;
/// Namesakes whose next suffix is remembered.
const SUFFIX_HINTS: usize = 10_000;

/// A person record resolved to the territory, ready to be written.
pub(crate) struct ApplyPerson<'a> {
    pub(crate) category: &'static str,
    pub(crate) ext: &'a str,
    pub(crate) rec: &'a PersonRec,
    pub(crate) profiles: &'a [(StructureId, Profile)],
    pub(crate) places: &'a Places,
    /// The record's attributes as JSON, kept for later deltas.
    pub(crate) record: &'a str,
}

/// A person record read and checked, waiting to be applied with the rest of its batch.
struct PendingPerson {
    category: &'static str,
    file: String,
    id: String,
    rec: PersonRec,
    ext: String,
    record: String,
}

pub(crate) struct Importer<'o, T: FeedTx> {
    pub(crate) tx: T,
    pub(crate) opts: &'o Options,
    pub(crate) report: Report,
    /// The logins taken, loaded at the first new person (a delta that creates nobody never
    /// reads them). A false alarm only makes a free login look taken: the next suffix is used.
    logins: FixedSet,
    logins_loaded: bool,
    /// Where the suffixes of the most recent namesakes stand (a hint, forgotten past
    /// `SUFFIX_HINTS` names).
    suffixes: HashMap<u128, u32>,
    pub(crate) structures: HashMap<String, Option<StructureId>>,
    /// The identifiers read: a "perhaps" is confirmed with the pending people and the store
    /// before a record is rejected as a duplicate.
    seen: FixedSet,
    /// People read and not yet applied: they are looked up together.
    pending: Vec<PendingPerson>,
    /// Nobody of this académie was fed before: skip looking people up.
    first_import: bool,
    /// A delta extract: modifications and deletions apply, nobody absent is detached.
    delta: bool,
    now: i64,
}

impl<'o, T: FeedTx> Importer<'o, T> {
    pub(crate) fn new(tx: T, opts: &'o Options, dry_run: bool, now: i64) -> Self {
        Importer {
            tx,
            opts,
            report: Report { dry_run, ..Default::default() },
            logins: FixedSet::with_mib(LOGINS_MIB),
            logins_loaded: false,
            suffixes: HashMap::new(),
            structures: HashMap::new(),
            seen: FixedSet::with_mib(SEEN_MIB),
            pending: Vec::new(),
            first_import: false,
            delta: false,
            now,
        }
    }

    pub(crate) fn ns(&self, id: &str) -> String {
        format!("{}:{}", self.opts.academie, id)
    }

    /// `prenom.nom`, or the next free `prenom.nomN`; remembers where each name's suffixes are
    /// so that a thousand namesakes do not cost a thousand tries each.
    fn new_login(&mut self, rec: &PersonRec) -> String {
        let base = base_login(&rec.given_name, &rec.family_name);
        let mut login = base.clone();
        let mut d = digest(&login);
        if self.logins.may_contain(d) {
            if self.suffixes.len() >= SUFFIX_HINTS {
                self.suffixes.clear();
            }
            let n = self.suffixes.entry(d).or_insert(2);
            loop {
                login = format!("{base}{n}");
                *n += 1;
                d = digest(&login);
                if !self.logins.may_contain(d) {
                    break;
                }
            }
        }
        self.logins.insert(d);
        login
    }

    /// Whether a person of this identifier was read before in this import (the set said
    /// "perhaps"): among those waiting to be applied, or already given to the store.
    async fn read_before(&mut self, ext: &str) -> Result<bool> {
        if self.pending.iter().any(|p| p.ext == ext) {
            return Ok(true);
        }
        self.tx.written_in_this_import(ext, self.first_import).await
    }

    async fn structure(&mut self, jointure: &str) -> Result<Option<StructureId>> {
        if let Some(s) = self.structures.get(jointure) {
            return Ok(*s);
        }
        let ext = self.ns(jointure);
        let s = self.tx.structure_by_external(&ext).await?;
        self.structures.insert(jointure.to_owned(), s);
        Ok(s)
    }

    async fn entry(&mut self, category: &'static str, file: &str, e: Entry) -> Result<()> {
        for (name, _) in &e.attrs {
            if !records::is_known(category, name) {
                self.report.warn(format!("attribut inconnu {name} ({category}), ignoré"));
            }
        }
        let person = matches!(category, "Eleve" | "PersRelEleve" | "PersEducNat");
        let e = match (e.op, self.delta, person) {
            (Op::Add, _, _) => e,
            (Op::Modify | Op::Delete, false, _) => {
                self.report.reject(category, file, &e.id, "modifyRequest ou deleteRequest dans une extraction complète".into());
                return Ok(());
            }
            (_, true, false) => {
                self.report.reject(
                    category,
                    file,
                    &e.id,
                    "modification ou suppression d'une structure, matière ou MEF : non prise en charge par les deltas".into(),
                );
                return Ok(());
            }
            (Op::Delete, true, true) => {
                self.apply_pending().await?;
                return self.delete_entry(category, file, &e).await;
            }
            (Op::Modify, true, true) => match self.modified_after_pending(&e).await? {
                Some(merged) => merged,
                None => {
                    self.report.reject(category, file, &e.id, "modification d'une personne absente de l'annuaire".into());
                    return Ok(());
                }
            },
        };
        match category {
            "EtabEducNat" => self.structure_entry(file, &e).await,
            "MatiereEducNat" | "MefEducNat" => self.label_entry(category, file, &e).await,
            _ => self.person_entry(category, file, &e).await,
        }
    }

    async fn modified_after_pending(&mut self, e: &Entry) -> Result<Option<Entry>> {
        self.apply_pending().await?;
        self.modified(e).await
    }

    /// The stored record of a person with a delta's modifications applied (values replaced).
    async fn modified(&mut self, e: &Entry) -> Result<Option<Entry>> {
        let Some(json) = self.tx.fed_record(&self.ns(&e.id)).await? else { return Ok(None) };
        let mut attrs: Vec<(String, Vec<String>)> = serde_json::from_str(&json).map_err(Error::internal)?;
        for (name, values) in &e.attrs {
            match attrs.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone_from(values),
                None => attrs.push((name.clone(), values.clone())),
            }
        }
        Ok(Some(Entry { op: Op::Add, category: e.category.clone(), id: e.id.clone(), attrs }))
    }

    async fn delete_entry(&mut self, category: &str, file: &str, e: &Entry) -> Result<()> {
        let ext = self.ns(&e.id);
        if self.tx.detach(&ext, self.now).await? {
            self.report.count(category, Outcome::Detached);
        } else {
            self.report.reject(category, file, &e.id, "suppression d'une personne absente de l'annuaire".into());
        }
        Ok(())
    }

    async fn structure_entry(&mut self, file: &str, e: &Entry) -> Result<()> {
        match records::structure(e) {
            Err(r) => self.report.reject("EtabEducNat", file, &e.id, r.0),
            Ok(s) => {
                let ext = self.ns(&s.jointure);
                let (id, change) = self.tx.upsert_structure(&ext, &self.opts.academie, &s).await?;
                self.structures.insert(s.jointure.clone(), Some(id));
                self.report.count("EtabEducNat", outcome(change));
            }
        }
        Ok(())
    }

    async fn label_entry(&mut self, category: &str, file: &str, e: &Entry) -> Result<()> {
        let (table, code, label) = if category == "MatiereEducNat" {
            (LabelTable::Subject, "ENTMatJointure", "ENTLibelleMatiere")
        } else {
            (LabelTable::Mef, "ENTMefJointure", "ENTLibelleMef")
        };
        match records::label(e, code, label) {
            Err(r) => self.report.reject(category, file, &e.id, r.0),
            Ok(l) => {
                let change = self.tx.upsert_label(table, &l.code, &l.label).await?;
                self.report.count(category, outcome(change));
            }
        }
        Ok(())
    }

    async fn person_entry(&mut self, category: &'static str, file: &str, e: &Entry) -> Result<()> {
        let rec = match category {
            "Eleve" => records::pupil(e),
            "PersRelEleve" => records::relative(e),
            _ => records::staff(e, &self.opts.profiles),
        };
        let rec = match rec {
            Ok(r) => r,
            Err(r) => {
                self.report.reject(category, file, &e.id, r.0);
                return Ok(());
            }
        };
        let ext = self.ns(&rec.jointure);
        let d = digest(&ext);
        if self.seen.may_contain(d) && self.read_before(&ext).await? {
            self.report.reject(category, file, &e.id, format!("identifiant en double : {}", rec.jointure));
            return Ok(());
        }
        self.seen.insert(d);
        let record = serde_json::to_string(&e.attrs).map_err(Error::internal)?;
        self.pending.push(PendingPerson { category, file: file.to_owned(), id: e.id.clone(), rec, ext, record });
        if self.pending.len() >= PEOPLE_BATCH {
            self.apply_pending().await?;
        }
        Ok(())
    }

    /// Applies the people read so far, with one look-up for all of them.
    pub(crate) async fn apply_pending(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.pending);
        if batch.is_empty() {
            return Ok(());
        }
        let relatives: Vec<String> = batch.iter().filter(|p| p.category == "PersRelEleve").map(|p| p.ext.clone()).collect();
        let roles = self.tx.relative_roles(&relatives).await?;
        let mut known = if self.first_import { HashMap::new() } else { self.tx.fed_people(&batch.iter().map(|p| p.ext.clone()).collect::<Vec<_>>()).await? };
        for p in batch {
            let k = known.remove(&p.ext);
            self.apply_pending_person(p, &roles, k).await?;
        }
        Ok(())
    }

    async fn apply_pending_person(&mut self, p: PendingPerson, roles: &HashMap<String, bool>, known: Option<FedPerson>) -> Result<()> {
        let PendingPerson { category, file, id, mut rec, ext, record } = p;
        let category = if category == "PersRelEleve" {
            match roles.get(&ext) {
                Some(true) => category,
                Some(false) if self.opts.contacts => "PersRelEleve (contacts)",
                Some(false) => {
                    self.report.warn("contact sans autorité parentale, non conservé (configuration)".into());
                    return self.tx.mark_left_out(&ext).await;
                }
                None => {
                    self.report.warn("responsable lié à aucun élève du flux, ignoré".into());
                    return self.tx.mark_left_out(&ext).await;
                }
            }
        } else {
            category
        };
        let mut profiles = vec![];
        for (s, p) in &rec.profiles {
            match self.structure(s).await? {
                Some(id) => profiles.push((id, *p)),
                None => self.report.warn(format!("structure {s} absente du flux ({category})")),
            }
        }
        let relative = category.starts_with("PersRelEleve");
        if !relative && profiles.is_empty() {
            self.report.reject(category, &file, &id, "aucune structure connue".into());
            return self.tx.mark_left_out(&ext).await;
        }
        // Parents get their profile from their children's schools when links are resolved;
        // contacts get none.
        if relative {
            rec.profiles.clear();
        }
        let places = self.places(&rec).await?;
        self.apply_person(ApplyPerson { category, ext: &ext, rec: &rec, profiles: &profiles, places: &places, record: &record }, known).await
    }

    /// What the store knows of a fed person (nothing to ask on a first import).
    pub(crate) async fn known(&mut self, ext: &str) -> Result<Option<FedPerson>> {
        if self.first_import { Ok(None) } else { self.tx.fed_person(ext).await }
    }

    pub(crate) async fn places(&mut self, rec: &PersonRec) -> Result<Places> {
        let mut p = Places::default();
        for (s, code, class) in &rec.groups {
            if let Some(id) = self.structure(s).await? {
                p.groups.push((id, kind(*class), code.clone()));
            }
        }
        for (s, code, label) in &rec.functions {
            if let Some(id) = self.structure(s).await? {
                p.functions.push((id, code.clone(), label.clone()));
            }
        }
        for (s, g, subject, class) in &rec.teachings {
            if let Some(id) = self.structure(s).await? {
                p.teachings.push((id, kind(*class), g.clone(), subject.clone()));
            }
        }
        for (s, c) in &rec.principal_of {
            if let Some(id) = self.structure(s).await? {
                p.principal_of.push((id, c.clone()));
            }
        }
        p.relatives = rec.relatives.iter().map(|(r, legal)| (self.ns(r), *legal)).collect();
        Ok(p)
    }

    pub(crate) async fn apply_person(&mut self, p: ApplyPerson<'_>, known: Option<FedPerson>) -> Result<()> {
        let ApplyPerson { category, ext, rec, profiles, places, record } = p;
        let fingerprint = rec.fingerprint();
        // Who was seen matters only to detach those who were not: nobody, on a first import.
        if !self.first_import {
            self.tx.mark_seen(ext).await?;
        }
        match known {
            Some(p) if p.fingerprint.as_deref() == Some(fingerprint.as_str()) && !p.detached => {
                self.report.count(category, Outcome::Unchanged);
            }
            Some(p) => {
                let w = PersonWrite { id: p.id, external_id: ext, login: None, rec, fingerprint: &fingerprint, record, profiles, places };
                self.tx.update_person(&w).await?;
                self.tx.replace_links(&w).await?;
                self.report.count(category, if p.detached { Outcome::Restored } else { Outcome::Updated });
            }
            None => {
                if !self.logins_loaded {
                    let logins = &mut self.logins;
                    self.tx.taken_logins(&mut |l| logins.insert(digest(l))).await?;
                    self.logins_loaded = true;
                }
                let login = self.new_login(rec);
                let w = PersonWrite { id: PersonId::new(), external_id: ext, login: Some(&login), rec, fingerprint: &fingerprint, record, profiles, places };
                self.tx.insert_person(&w).await?;
                self.report.count(category, Outcome::Created);
            }
        }
        Ok(())
    }
}

fn kind(class: bool) -> &'static str {
    if class { "class" } else { "teaching" }
}

fn outcome(c: Change) -> Outcome {
    match c {
        Change::Created => Outcome::Created,
        Change::Updated => Outcome::Updated,
        Change::Unchanged => Outcome::Unchanged,
    }
}

/// Where a long import stands, for a progress bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// The file being read.
    pub file: String,
    pub entries: u64,
    pub bytes_read: u64,
    /// The size of all the files of the extract set.
    pub bytes_total: u64,
}

impl Progress {
    /// How far the import is, from 0 to 100.
    pub fn percent(&self) -> u8 {
        (self.bytes_read.min(self.bytes_total) * 100).checked_div(self.bytes_total).unwrap_or(0) as u8
    }
}

/// Imports a full AAF extract set from `dir`. Only territory administrators may.
/// `progress` is told at each file and every few thousand entries where the import stands.
pub async fn import_aaf<S: FeedStore>(
    store: &S,
    caller: &Principal,
    dir: &Path,
    opts: &Options,
    now: i64,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Report> {
    caller.require_territory(preau_core::Permission::ManageTerritory)?;
    let academie = opts.academie.trim().to_uppercase();
    if academie.is_empty() || !academie.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::invalid("academie", "academie.format"));
    }
    let opts = Options { academie, ..opts.clone() };
    let files = extract_files(dir)?;
    if files.is_empty() {
        return Err(Error::invalid("dir", "aaf.no_files"));
    }
    let kinds: HashSet<Option<ExtractKind>> =
        files.iter().map(|(p, _)| extract_kind(&p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())).collect();
    let delta = match kinds.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(ExtractKind::Full)] => false,
        [Some(ExtractKind::Delta)] => true,
        _ => return Err(Error::invalid("dir", "aaf.mixed")),
    };
    let mut tx = store.begin_feed(caller.territory).await?;
    let first_import = tx.namespace_is_empty(&format!("{}:", opts.academie)).await?;
    let mut imp = Importer::new(tx, &opts, opts.dry_run, now);
    imp.first_import = first_import && !delta;
    imp.delta = delta;
    let bytes_total = files.iter().filter_map(|(p, _)| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut at = Progress { bytes_total, ..Default::default() };
    let result: Result<()> = async {
        let mut previous = "";
        for (path, category) in &files {
            // A category may refer to the one before (relatives to pupils): write it out first.
            if previous != *category {
                imp.apply_pending().await?;
                imp.tx.flush().await?;
                previous = category;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            at.file.clone_from(&name);
            progress(&at);
            imp.report.files.push(name.clone());
            let file = std::fs::File::open(path).map_err(|e| Error::Internal(format!("{name}: {e}")))?;
            let mut reader = AafReader::new(BufReader::with_capacity(256 * 1024, file));
            let file_start = at.bytes_read;
            loop {
                let entry = reader.next_entry().map_err(|e| {
                    Error::Invalid(vec![preau_core::FieldError::new(name.clone(), format!("XML mal formé à l'octet {} : {}", e.position, e.message))])
                })?;
                let Some(entry) = entry else { break };
                at.entries += 1;
                if at.entries.is_multiple_of(2_000) {
                    at.bytes_read = file_start + reader.position();
                    progress(&at);
                }
                imp.entry(category, &name, entry).await?;
            }
            at.bytes_read = file_start + reader.position();
        }
        at.bytes_read = at.bytes_total;
        progress(&at);
        imp.apply_pending().await?;
        let dangling = imp.tx.resolve_parent_links(!imp.delta).await?;
        if dangling > 0 {
            imp.report.warnings.insert("lien vers un responsable absent du flux".into(), dangling);
        }
        if !imp.delta && !imp.first_import {
            let detached = imp.tx.detach_unseen(&format!("{}:", opts.academie), now).await?;
            imp.report.add("Personnes", Outcome::Detached, detached);
        }
        Ok(())
    }
    .await;
    let Importer { tx, report, .. } = imp;
    match result {
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
        Ok(()) if opts.dry_run => {
            tx.rollback().await?;
            Ok(report)
        }
        Ok(()) => {
            tx.commit().await?;
            let mut report = report;
            // Only new people can make a new pair.
            let created = report.counts.values().any(|c| c.contains_key(&Outcome::Created));
            let pairs = if created { crate::duplicates::probable_duplicates(store, caller).await?.len() as u64 } else { 0 };
            if pairs > 0 {
                report.warnings.insert("doublon probable (compte créé à la main et compte de l'annuaire) à examiner dans la console".into(), pairs);
            }
            Ok(report)
        }
    }
}
