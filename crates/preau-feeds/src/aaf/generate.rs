//! A generator of synthetic but realistic AAF feeds of any size, split into files of at most
//! 10,000 entries as the académies do: schools, subjects, MEFs, pupils with classes, groups and
//! their relatives (two legal guardians for most, some contacts), and staff with functions,
//! classes × subjects and a *professeur principal* per class.

use crate::aaf::records::parse_date;
use preau_core::Uai;
use preau_directory::demo::{FAMILY, GIVEN, SUBJECTS, Seeded};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const PER_FILE: usize = 10_000;
struct FileSet {
    dir: PathBuf,
    prefix: String,
    date: String,
    category: &'static str,
    index: usize,
    in_file: usize,
    out: Option<BufWriter<std::fs::File>>,
    files: Vec<PathBuf>,
    delta: bool,
}

impl FileSet {
    fn new(dir: &Path, prefix: &str, date: &str, category: &'static str) -> Self {
        FileSet {
            dir: dir.to_owned(),
            prefix: prefix.to_owned(),
            date: date.to_owned(),
            category,
            index: 0,
            in_file: 0,
            out: None,
            files: vec![],
            delta: false,
        }
    }

    fn write(&mut self, entry: &str) -> std::io::Result<()> {
        if self.out.is_none() || self.in_file >= PER_FILE {
            self.finish()?;
            let kind = if self.delta { "Delta" } else { "Complet" };
            let path = self.dir.join(format!("{}_{kind}_{}_{}_{:04}.xml", self.prefix, self.date, self.category, self.index));
            self.index += 1;
            self.in_file = 0;
            let mut w = BufWriter::new(std::fs::File::create(&path)?);
            w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR>\n")?;
            self.files.push(path);
            self.out = Some(w);
        }
        self.in_file += 1;
        if let Some(w) = self.out.as_mut() {
            w.write_all(entry.as_bytes())?;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(mut w) = self.out.take() {
            w.write_all(b"</ficAlimMENESR>\n")?;
            w.flush()?;
        }
        Ok(())
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}

/// One `addRequest` of a category with its attributes.
pub fn entry(op_category: &str, category_value: &str, id: &str, attrs: &[(&str, Vec<String>)]) -> String {
    let mut s = format!(
        "<addRequest><operationalAttributes><attr name=\"{op_category}\"><value>{category_value}</value></attr></operationalAttributes><identifier><id>{id}</id></identifier><attributes>"
    );
    for (name, values) in attrs {
        s.push_str(&format!("<attr name=\"{name}\">"));
        for v in values {
            if v.is_empty() {
                s.push_str("<value/>");
            } else {
                s.push_str(&format!("<value>{}</value>", xml_escape(v)));
            }
        }
        s.push_str("</attr>");
    }
    s.push_str("</attributes></addRequest>\n");
    s
}

fn one(v: impl Into<String>) -> Vec<String> {
    vec![v.into()]
}

/// What a generated feed holds.
#[derive(Debug, Default)]
pub struct Generated {
    pub files: Vec<PathBuf>,
    pub structures: usize,
    pub pupils: usize,
    pub relatives: usize,
    pub staff: usize,
}

/// Writes a delta against the full extract `write_feed(_, accounts, seed)` would write: one pupil
/// in `every` changes class (a `modifyRequest` replacing `ENTEleveClasses`).
pub fn write_delta(dir: &Path, accounts: usize, every: usize) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let pupils_total = accounts * 32 / 100;
    let schools = pupils_total.div_ceil(600).max(1);
    let mut set = FileSet::new(dir, "ENT2026", "20260915", "Eleve");
    set.delta = true;
    let mut n = 0;
    for p in (0..pupils_total).step_by(every.max(1)) {
        let school = 10_000 + p % schools;
        let id = 1_000_000 + p;
        set.write(&format!(
            "<modifyRequest><operationalAttributes><attr name=\"categoriePersonne\"><value>Eleve</value></attr></operationalAttributes><identifier><id>{id}</id></identifier><modifications><modification name=\"ENTEleveClasses\" operation=\"replace\"><value>{school}$3Z</value></modification></modifications></modifyRequest>\n"
        ))?;
        n += 1;
    }
    set.finish()?;
    Ok(n)
}

/// Writes a full extract of about `accounts` people into `dir`, in collèges of 600 pupils.
pub fn write_feed(dir: &Path, accounts: usize, seed: u64) -> std::io::Result<Generated> {
    write_feed_sized(dir, accounts, seed, 600)
}

/// The names of a school's classes: 20 for 600 pupils, about one per 30 pupils above, spread
/// over the four levels (6A…6E, 5A…, 4A…, 3A… for 20).
fn class_names(per_school: usize) -> Vec<String> {
    let n = (per_school / 30).max(20);
    let per_level = n.div_ceil(4);
    (0..n).map(|i| format!("{}{}", ["6", "5", "4", "3"][(i / per_level).min(3)], (b'A' + (i % per_level) as u8) as char)).collect()
}

/// Writes a full extract of about `accounts` people into `dir`, in schools of about
/// `per_school` pupils.
pub fn write_feed_sized(dir: &Path, accounts: usize, seed: u64, per_school: usize) -> std::io::Result<Generated> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Seeded::new(seed);
    let (prefix, date) = ("ENT2026", "20260901");
    let pupils_total = accounts * 32 / 100;
    let staff_total = (accounts * 8 / 100).max(1);
    let schools = pupils_total.div_ceil(per_school.max(1)).max(1);
    let mut g = Generated { structures: schools, ..Default::default() };
    let mut etab = FileSet::new(dir, prefix, date, "EtabEducNat");
    for s in 0..schools {
        let uai = Uai::from_digits(290_000 + s as u32);
        etab.write(&entry(
            "categorieStructure",
            "EtabEducNat",
            &format!("{}", 10_000 + s),
            &[
                ("ENTStructureJointure", one(format!("{}", 10_000 + s))),
                ("ENTStructureUAI", one(uai.to_string())),
                ("ENTStructureNomCourant", one(format!("COLLEGE GENERE {s}"))),
                ("ENTStructureTypeStruct", one("COLLEGE")),
                ("ENTStructureCodePostal", one("29000")),
            ],
        ))?;
    }
    etab.finish()?;
    let mut mat = FileSet::new(dir, prefix, date, "MatiereEducNat");
    for (code, label) in SUBJECTS {
        mat.write(&entry("categorieMatiere", "MatEducNat", code, &[("ENTMatJointure", one(*code)), ("ENTLibelleMatiere", one(*label))]))?;
    }
    mat.finish()?;
    let mut mef = FileSet::new(dir, prefix, date, "MefEducNat");
    for (code, label) in [("10010012110", "6EME"), ("10110001110", "5EME"), ("10210001110", "4EME"), ("10310019110", "3EME")] {
        mef.write(&entry("categorieMef", "MefEducNat", code, &[("ENTMefJointure", one(code)), ("ENTLibelleMef", one(label))]))?;
    }
    mef.finish()?;
    let classes = class_names(per_school);
    let mut eleves = FileSet::new(dir, prefix, date, "Eleve");
    let mut next_relative = 5_000_000usize;
    let mut relatives: Vec<(usize, String)> = vec![];
    for p in 0..pupils_total {
        let school = 10_000 + p % schools;
        let class = &classes[(p / schools) % classes.len()];
        let family = *rng.pick(FAMILY);
        let mut links = vec![];
        let guardians = if rng.chance(85) { 2 } else { 1 };
        for k in 0..guardians {
            let id = next_relative;
            next_relative += 1;
            relatives.push((id, family.to_owned()));
            links.push(format!("{id}${}$1$1$0$1", if k == 0 { 10 } else { 20 }));
        }
        if rng.chance(5) {
            let id = next_relative;
            next_relative += 1;
            relatives.push((id, family.to_owned()));
            links.push(format!("{id}$50$0$0$1$0"));
        }
        let birth = format!("{:02}/{:02}/{}", 1 + rng.below(28), 1 + rng.below(12), 2011 + rng.below(4));
        debug_assert!(parse_date(&birth).is_some());
        eleves.write(&entry(
            "categoriePersonne",
            "Eleve",
            &format!("{}", 1_000_000 + p),
            &[
                ("ENTPersonJointure", one(format!("{}", 1_000_000 + p))),
                ("sn", one(family)),
                ("givenName", one(*rng.pick(GIVEN))),
                ("ENTPersonDateNaissance", one(birth)),
                ("ENTPersonStructRattach", one(format!("{school}"))),
                ("ENTEleveClasses", one(format!("{school}${class}"))),
                ("ENTEleveGroupes", one(format!("{school}${}-ANG", &class[..1]))),
                ("ENTElevePersRelEleve", links),
                ("ENTPersonAutresPrenoms", one("")),
            ],
        ))?;
    }
    g.pupils = pupils_total;
    g.files.extend(std::mem::take(&mut eleves.files));
    eleves.finish()?;
    let mut rel = FileSet::new(dir, prefix, date, "PersRelEleve");
    for (id, family) in &relatives {
        rel.write(&entry(
            "categoriePersonne",
            "PersRelEleve",
            &id.to_string(),
            &[
                ("ENTPersonJointure", one(id.to_string())),
                ("sn", one(family.clone())),
                ("givenName", one(*rng.pick(GIVEN))),
                ("mail", one(format!("parent{id}@example.org"))),
            ],
        ))?;
    }
    g.relatives = relatives.len();
    rel.finish()?;
    let mut staff = FileSet::new(dir, prefix, date, "PersEducNat");
    for t in 0..staff_total {
        let school = 10_000 + t % schools;
        let (subject, _) = SUBJECTS[t % (SUBJECTS.len() - 1)];
        let class = &classes[(t / schools) % classes.len()];
        let fonction = if t % 25 == 0 { format!("{school}$DIR$DIRECTION$$PRINCIPAL") } else { format!("{school}$ENS$ENSEIGNEMENT$L0422${subject}") };
        let mut attrs = vec![
            ("ENTPersonJointure", one(format!("{}", 9_000_000 + t))),
            ("sn", one(*rng.pick(FAMILY))),
            ("givenName", one(*rng.pick(GIVEN))),
            ("mail", one(format!("prof{t}@ac-demo.fr"))),
            ("ENTPersonFonctions", one(fonction)),
        ];
        if t % 25 != 0 {
            attrs.push(("ENTAuxEnsClasses", one(format!("{school}${class}"))));
            attrs.push(("ENTAuxEnsClassesMatieres", one(format!("{school}${class}${subject}"))));
            if t % 3 == 0 {
                attrs.push(("ENTAuxEnsClassesPrincipal", one(format!("{school}${class}"))));
            }
        }
        staff.write(&entry("categoriePersonne", "PersEducNat", &format!("{}", 9_000_000 + t), &attrs))?;
    }
    g.staff = staff_total;
    staff.finish()?;
    for set in [etab, mat, mef, rel, staff] {
        g.files.extend(set.files);
    }
    Ok(g)
}
