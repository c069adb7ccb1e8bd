//! The typed records of each AAF category, parsed from entries with the reasons a record is
//! rejected, and the table that derives a staff profile from a function code.

use super::parse::Entry;
use preau_core::{Profile, Uai};
use preau_directory::StructureKind;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct StructureRec {
    pub jointure: String,
    pub uai: Uai,
    pub name: String,
    pub kind: StructureKind,
    pub postal_code: String,
    pub city: String,
}

#[derive(Debug, Clone)]
pub struct LabelRec {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonKind {
    Pupil,
    Relative,
    Staff,
}

/// A person of the feed: pupil, relative or staff, with what the feed says of their places.
#[derive(Debug, Clone, Default)]
pub struct PersonRec {
    pub jointure: String,
    pub family_name: String,
    pub given_name: String,
    /// `YYYY-MM-DD`
    pub birth_date: Option<String>,
    pub email: Option<String>,
    /// (structure jointure, profile)
    pub profiles: Vec<(String, Profile)>,
    /// (structure jointure, class or group code, is a class)
    pub groups: Vec<(String, String, bool)>,
    /// Pupils: (relative jointure, is a legal guardian)
    pub relatives: Vec<(String, bool)>,
    /// Staff: (structure jointure, function code, label)
    pub functions: Vec<(String, String, String)>,
    /// Staff: (structure jointure, class or group, subject code, is a class)
    pub teachings: Vec<(String, String, String, bool)>,
    /// Staff: (structure jointure, class) where they are *professeur principal*
    pub principal_of: Vec<(String, String)>,
}

impl PersonRec {
    /// A digest of everything the feed says of this person: equal digests mean nothing to do.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update(s.as_bytes());
            h.update([0u8]);
        };
        put(&self.family_name);
        put(&self.given_name);
        put(self.birth_date.as_deref().unwrap_or(""));
        put(self.email.as_deref().unwrap_or(""));
        for (s, p) in &self.profiles {
            put(s);
            put(p.code());
        }
        for (s, g, c) in &self.groups {
            put(s);
            put(g);
            put(if *c { "c" } else { "g" });
        }
        for (r, l) in &self.relatives {
            put(r);
            put(if *l { "1" } else { "0" });
        }
        for (s, c, l) in &self.functions {
            put(s);
            put(c);
            put(l);
        }
        for (s, g, sub, c) in &self.teachings {
            put(s);
            put(g);
            put(sub);
            put(if *c { "c" } else { "g" });
        }
        for (s, c) in &self.principal_of {
            put(s);
            put(c);
        }
        use base64::Engine;
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.finalize())
    }
}

/// Why a record was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject(pub String);

fn reject(s: impl Into<String>) -> Reject {
    Reject(s.into())
}

/// `dd/MM/yyyy` → `yyyy-MM-dd`, checked against the calendar.
pub fn parse_date(s: &str) -> Option<String> {
    let mut it = s.trim().split('/');
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return None;
    }
    let iso = format!("{y}-{m}-{d}");
    preau_directory::people::valid_date(&iso).then_some(iso)
}

fn split(v: &str) -> Vec<&str> {
    v.split('$').map(str::trim).collect()
}

/// Known attributes per category; others are reported as warnings, never failures.
pub fn is_known(category: &str, attr: &str) -> bool {
    const COMMON: &[&str] = &[
        "ENTPersonJointure",
        "sn",
        "givenName",
        "ENTPersonAutresPrenoms",
        "ENTPersonDateNaissance",
        "personalTitle",
        "ENTPersonAdresse",
        "ENTPersonCodePostal",
        "ENTPersonVille",
        "ENTPersonPays",
        "homePhone",
        "mobile",
        "telephoneNumber",
        "mail",
        "ENTPersonStructRattach",
        "ENTPersonNomPatro",
        "ENTPersonLogin",
        "ENTPersonProfils",
        "ENTPersonSexe",
        "categoriePersonne",
        "ENTPersonFonctions",
        "ENTPersonCivilite",
        // AAF 1D names of the same things
        "ENTPersonNom",
        "ENTPersonPrenom",
        "ENTPersonMail",
        "ENTPersonTelPerso",
        "ENTPersonAdresseDiffusion",
        "ENTPersonStructRattachDate",
        "ENTPersonFonctionsDate",
    ];
    let specific: &[&str] = match category {
        "EtabEducNat" => &[
            "ENTStructureJointure",
            "ENTStructureUAI",
            "ENTStructureNomCourant",
            "ENTStructureTypeStruct",
            "ENTStructureCodePostal",
            "l",
            "street",
            "ENTStructureSIREN",
            "ENTStructureClasses",
            "ENTStructureGroupes",
            "ENTEtablissementContrat",
            "telephoneNumber",
            "postOfficeBox",
            "facsimileTelephoneNumber",
            "ENTServAcAcademie",
            "ENTStructureCodeTypeStruct",
            "ENTStructureAdresse",
            "ENTStructureVille",
            "ENTStructureTelephone",
            "ENTStructureFax",
            "ENTStructureEmail",
            "ENTStructureMailSI",
            "ENTStructureBoitePostale",
            "ENTServAcCodeAcademie",
            "ENTEcoleMinistereTutelle",
            "ENTEcoleCodeMinistereTutelle",
            "ENTEcoleSecteur",
            "ENTEcoleCirconscription",
            "ENTEcoleCommune",
            "ENTEcoleRPI",
        ],
        "MatiereEducNat" => &["ENTMatJointure", "ENTLibelleMatiere"],
        "MefEducNat" => &["ENTMefJointure", "ENTLibelleMef"],
        "Eleve" => &[
            "ENTEleveINE",
            "ENTEleveStructRattachId",
            "ENTEleveClasses",
            "ENTEleveGroupes",
            "ENTElevePersRelEleve",
            "ENTEleveCodeEnseignements",
            "ENTEleveEnseignements",
            "ENTEleveMEF",
            "ENTEleveLibelleMEF",
            "ENTEleveNivFormation",
            "ENTEleveFiliere",
            "ENTEleveRegime",
            "ENTEleveTransport",
            "ENTEleveBoursier",
            "ENTEleveMajeur",
            "ENTElevePere",
            "ENTEleveMere",
            "ENTEleveAutoriteParentale",
            "ENTEleveParents",
            "ENTEleveStatutEleve",
            "ENTPersonClasses",
            "ENTPersonGroupes",
            "ENTEleveNiveau",
            "ENTEleveCycle",
            "ENTEleveTypeClasse",
            "ENTEleveDateEntreeClasses",
            "ENTEleveDateSortieClasses",
            "ENTEleveDateEntreeStructRattach",
            "ENTEleveDateSortieStructRattach",
            "ENTEleveRestaurantScolaire",
            "ENTEleveGarderieMatin",
            "ENTEleveGarderieSoir",
            "ENTEleveEtudesSurveillees",
        ],
        "PersRelEleve" => &["ENTAuxPersRelEleveEleve", "ENTPersRelEleveEleve", "ENTPersRelEleveTelPro", "ENTPersRelEleveTelMobile"],
        "PersEducNat" => &[
            "ENTAuxEnsClasses",
            "ENTAuxEnsGroupes",
            "ENTAuxEnsClassesMatieres",
            "ENTAuxEnsGroupesMatieres",
            "ENTAuxEnsClassesPrincipal",
            "ENTAuxEnsMatiereEnseignEtab",
            "ENTAuxEnsMEF",
            "ENTPersonCategorieEnseignant",
            "PersEducNatPresenceDevantEleves",
            "ENTEnsClasses",
            "ENTEnsGroupes",
            "ENTPersonTitre",
            "ENTAuxEnsCategoDiscipline",
            "ENTEnsFonctionDir",
            "ENTEnsSpecialites",
            "ENTEnsFonctionDirDate",
            "ENTPersonCategorieEnseignantDate",
        ],
        _ => &[],
    };
    COMMON.contains(&attr) || specific.contains(&attr)
}

/// Derives a staff profile from a function code (the 4th field of `ENTPersonFonctions`).
/// Open-source ENTs disagree on a few codes, hence a table that can be extended.
#[derive(Debug, Clone)]
pub struct ProfileTable(pub Vec<(String, Profile)>);

impl Default for ProfileTable {
    fn default() -> Self {
        let t: &[(&str, Profile)] = &[
            ("ENS", Profile::Teacher),
            ("DIR", Profile::Direction),
            ("DOC", Profile::Documentalist),
            ("EDU", Profile::SchoolLife),
            ("AED", Profile::SchoolLife),
            ("CPE", Profile::SchoolLife),
            ("SUR", Profile::SchoolLife),
            ("ORI", Profile::SchoolLife),
            ("COL", Profile::LocalAuthority),
        ];
        ProfileTable(t.iter().map(|(c, p)| ((*c).to_owned(), *p)).collect())
    }
}

impl ProfileTable {
    pub fn profile_of(&self, code: &str) -> Profile {
        self.0.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|(_, p)| *p).unwrap_or(Profile::Staff)
    }
}

pub fn structure(e: &Entry) -> Result<StructureRec, Reject> {
    let jointure = e.first("ENTStructureJointure").unwrap_or(&e.id).to_owned();
    if jointure.is_empty() {
        return Err(reject("identifiant de structure manquant"));
    }
    let uai = Uai::parse(e.first("ENTStructureUAI").unwrap_or("")).map_err(|_| reject("UAI absent ou invalide"))?;
    // 1D names may hold a `$` between the kind and the name of the school.
    let name = e.first("ENTStructureNomCourant").ok_or_else(|| reject("nom de structure manquant"))?.replace('$', " - ");
    let t = e.first("ENTStructureTypeStruct").unwrap_or("").to_uppercase();
    let kind = if t.contains("AGRICOLE") {
        StructureKind::LyceeAgricole
    } else if t.contains("LYCEE") || t.contains("LP ") || t.starts_with("LP") {
        StructureKind::Lycee
    } else if t.contains("COLLEGE") {
        StructureKind::College
    } else if t.contains("ECOLE") {
        StructureKind::Ecole
    } else {
        StructureKind::Other
    };
    Ok(StructureRec {
        jointure,
        uai,
        name,
        kind,
        postal_code: e.first("ENTStructureCodePostal").unwrap_or("").to_owned(),
        city: e.first("l").or(e.first("ENTStructureVille")).unwrap_or("").to_owned(),
    })
}

pub fn label(e: &Entry, code_attr: &str, label_attr: &str) -> Result<LabelRec, Reject> {
    let code = e.first(code_attr).unwrap_or(&e.id).to_owned();
    if code.is_empty() {
        return Err(reject(format!("{code_attr} manquant")));
    }
    Ok(LabelRec { code, label: e.first(label_attr).unwrap_or("").to_owned() })
}

fn identity(e: &Entry) -> Result<PersonRec, Reject> {
    let jointure = e.first("ENTPersonJointure").unwrap_or(&e.id).to_owned();
    if jointure.is_empty() {
        return Err(reject("identifiant de personne manquant"));
    }
    // The 2nd degree names identity attributes as LDAP does (`sn`, `givenName`, `mail`); the 1st
    // degree (AAF 1D, from ONDE) as `ENTPerson*`.
    let family_name = e.first("sn").or(e.first("ENTPersonNom")).ok_or_else(|| reject("nom manquant (sn ou ENTPersonNom)"))?.to_owned();
    let given_name = e.first("givenName").or(e.first("ENTPersonPrenom")).ok_or_else(|| reject("prénom manquant (givenName ou ENTPersonPrenom)"))?.to_owned();
    let birth_date = match e.first("ENTPersonDateNaissance") {
        None => None,
        Some(d) => Some(parse_date(d).ok_or_else(|| reject(format!("date de naissance mal formée : {d}")))?),
    };
    let email = e.first("mail").or(e.first("ENTPersonMail")).filter(|m| m.contains('@')).map(str::to_owned);
    Ok(PersonRec { jointure, family_name, given_name, birth_date, email, ..Default::default() })
}

fn struct_and_code(v: &str) -> Option<(String, String)> {
    let f = split(v);
    (f.len() >= 2 && !f[0].is_empty() && !f[1].is_empty()).then(|| (f[0].to_owned(), f[1].to_owned()))
}

pub fn pupil(e: &Entry) -> Result<PersonRec, Reject> {
    let mut p = identity(e)?;
    let attach = e.first("ENTPersonStructRattach").ok_or_else(|| reject("structure de rattachement manquante"))?;
    p.profiles.push((attach.to_owned(), Profile::Pupil));
    for v in e.values("ENTEleveClasses") {
        if let Some((s, c)) = struct_and_code(v) {
            p.groups.push((s, c, true));
        }
    }
    for v in e.values("ENTEleveGroupes") {
        if let Some((s, g)) = struct_and_code(v) {
            p.groups.push((s, g, false));
        }
    }
    for v in e.values("ENTElevePersRelEleve") {
        let f = split(v);
        if f.len() >= 4 && !f[0].is_empty() {
            p.relatives.push((f[0].to_owned(), f[3] == "1"));
        }
    }
    // AAF 1D: `<struct>$…$…$<class id>$<class name>`; the name is what teachers and families
    // read, unique within a school.
    for (attr, class) in [("ENTPersonClasses", true), ("ENTPersonGroupes", false)] {
        for v in e.values(attr) {
            let f = split(v);
            let name = f.get(4).or(f.get(3)).copied().unwrap_or("");
            if f.len() >= 4 && !f[0].is_empty() && !name.is_empty() {
                p.groups.push((f[0].to_owned(), name.to_owned(), class));
            }
        }
    }
    // AAF 1D: `<relative id>$<relation>` for each person holding parental authority.
    for v in e.values("ENTEleveAutoriteParentale") {
        let f = split(v);
        if !f[0].is_empty() && !p.relatives.iter().any(|(r, _)| r == f[0]) {
            p.relatives.push((f[0].to_owned(), true));
        }
    }
    Ok(p)
}

pub fn relative(e: &Entry) -> Result<PersonRec, Reject> {
    identity(e)
}

pub fn staff(e: &Entry, table: &ProfileTable) -> Result<PersonRec, Reject> {
    let mut p = identity(e)?;
    let explicit_teacher = e.first("ENTPersonCategorieEnseignant").map(|v| v.eq_ignore_ascii_case("O") || v == "1" || v.eq_ignore_ascii_case("true"));
    let in_class = e.first("PersEducNatPresenceDevantEleves").map(|v| v.eq_ignore_ascii_case("O"));
    for v in e.values("ENTPersonFonctions") {
        let f = split(v);
        if f.len() >= 4 && !f[0].is_empty() {
            let none = |c: &str| c.is_empty() || c == "-";
            let code = if none(f[1]) { f[3] } else { f[1] };
            if none(code) {
                continue;
            }
            p.functions.push((f[0].to_owned(), code.to_owned(), f.get(4).copied().unwrap_or("").to_owned()));
        }
    }
    // AAF 1D: the schools a person directs (a *directeur d'école* often also teaches).
    for s in e.values("ENTEnsFonctionDir") {
        if !s.is_empty() && !p.functions.iter().any(|(fs, c, _)| fs == s && c == "DIR") {
            p.functions.push((s.to_owned(), "DIR".to_owned(), "DIRECTION".to_owned()));
        }
    }
    let teaches = explicit_teacher.or(in_class).unwrap_or_else(|| p.functions.iter().any(|(_, c, _)| c == "ENS" || c == "DOC"));
    let mut structures: Vec<String> = p.functions.iter().map(|(s, _, _)| s.clone()).collect();
    if let Some(s) = e.first("ENTPersonStructRattach") {
        structures.push(s.to_owned());
    }
    structures.sort();
    structures.dedup();
    if structures.is_empty() {
        return Err(reject("aucune structure (ni fonction ni rattachement)"));
    }
    for s in structures {
        let codes: Vec<&String> = p.functions.iter().filter(|(fs, _, _)| *fs == s).map(|(_, c, _)| c).collect();
        let mut profile = codes.iter().map(|c| table.profile_of(c)).find(|p| *p != Profile::Staff).unwrap_or(Profile::Staff);
        if teaches && (profile == Profile::Staff || profile == Profile::Teacher) && !codes.iter().any(|c| c.as_str() == "DOC") {
            profile = Profile::Teacher;
        }
        // A *directeur d'école* who also teaches is both.
        if profile != Profile::Direction && codes.iter().any(|c| table.profile_of(c) == Profile::Direction) {
            p.profiles.push((s.clone(), Profile::Direction));
        }
        p.profiles.push((s, profile));
    }
    for (attr, class) in [("ENTAuxEnsClassesMatieres", true), ("ENTAuxEnsGroupesMatieres", false)] {
        for v in e.values(attr) {
            let f = split(v);
            if f.len() >= 3 && !f[0].is_empty() && !f[1].is_empty() && !f[2].is_empty() {
                p.teachings.push((f[0].to_owned(), f[1].to_owned(), f[2].to_owned(), class));
            }
        }
    }
    for (attr, class) in [("ENTAuxEnsClasses", true), ("ENTAuxEnsGroupes", false)] {
        for v in e.values(attr) {
            if let Some((s, g)) = struct_and_code(v) {
                p.groups.push((s, g, class));
            }
        }
    }
    // Teaching a class or group makes one a member of it, even when the feed only says so
    // through the subjects attribute.
    for (s, g, _, class) in &p.teachings {
        if !p.groups.iter().any(|(gs, gc, gk)| gs == s && gc == g && gk == class) {
            p.groups.push((s.clone(), g.clone(), *class));
        }
    }
    for v in e.values("ENTAuxEnsClassesPrincipal") {
        if let Some((s, c)) = struct_and_code(v) {
            p.principal_of.push((s, c));
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aaf::parse::{Entry, Op};

    fn entry(attrs: &[(&str, &[&str])]) -> Entry {
        Entry {
            op: Op::Add,
            category: "PersEducNat".into(),
            id: "42".into(),
            attrs: attrs.iter().map(|(k, v)| ((*k).into(), v.iter().map(|s| (*s).into()).collect())).collect(),
        }
    }

    #[test]
    fn dates_are_french_and_checked() {
        assert_eq!(parse_date("29/02/2012").as_deref(), Some("2012-02-29"));
        assert_eq!(parse_date("31/02/2012"), None);
        assert_eq!(parse_date("2012-02-29"), None);
    }

    #[test]
    fn a_teacher_in_two_schools_gets_a_profile_in_each() {
        let e = entry(&[
            ("sn", &["Martin"]),
            ("givenName", &["Claire"]),
            ("ENTPersonFonctions", &["111$ENS$ENSEIGNEMENT$L0422$ANGLAIS", "222$ENS$ENSEIGNEMENT$L0422$ANGLAIS"]),
            ("ENTAuxEnsClassesMatieres", &["111$4B$030201"]),
            ("ENTAuxEnsClassesPrincipal", &["111$4B"]),
        ]);
        let p = staff(&e, &ProfileTable::default()).unwrap();
        assert_eq!(p.profiles, vec![("111".into(), Profile::Teacher), ("222".into(), Profile::Teacher)]);
        assert_eq!(p.teachings, vec![("111".into(), "4B".into(), "030201".into(), true)]);
        assert_eq!(p.principal_of, vec![("111".into(), "4B".into())]);
    }

    #[test]
    fn functions_map_to_profiles_and_an_explicit_category_wins() {
        let e = entry(&[("sn", &["Roux"]), ("givenName", &["Paul"]), ("ENTPersonFonctions", &["111$DIR$DIRECTION$$PRINCIPAL"])]);
        assert_eq!(staff(&e, &ProfileTable::default()).unwrap().profiles[0].1, Profile::Direction);
        let e = entry(&[
            ("sn", &["Roux"]),
            ("givenName", &["Paul"]),
            ("ENTPersonFonctions", &["111$ADF$ADMINISTRATION$$GESTION"]),
            ("ENTPersonCategorieEnseignant", &["O"]),
        ]);
        assert_eq!(staff(&e, &ProfileTable::default()).unwrap().profiles[0].1, Profile::Teacher);
        let e = entry(&[("sn", &["Roux"]), ("givenName", &["Paul"]), ("ENTPersonFonctions", &["111$ADF$ADMINISTRATION$$GESTION"])]);
        assert_eq!(staff(&e, &ProfileTable::default()).unwrap().profiles[0].1, Profile::Staff);
    }

    #[test]
    fn a_malformed_birth_date_rejects_the_record() {
        let e = entry(&[("sn", &["Roux"]), ("givenName", &["Paul"]), ("ENTPersonDateNaissance", &["1er mai"]), ("ENTPersonStructRattach", &["111"])]);
        assert!(pupil(&e).unwrap_err().0.contains("date de naissance"));
    }

    #[test]
    fn fingerprints_change_with_any_fact() {
        let e = entry(&[("sn", &["Roux"]), ("givenName", &["Paul"]), ("ENTPersonStructRattach", &["111"]), ("ENTEleveClasses", &["111$4B"])]);
        let a = pupil(&e).unwrap();
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.groups[0].1 = "4C".into();
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
