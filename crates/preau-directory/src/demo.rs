//! The demo territory: a believable fictional territory generated from a fixed seed — a lycée,
//! two collèges and four écoles with valid UAIs, French class codes, subjects with national
//! codes, teachers with their classes × subjects, a *professeur principal* per class, parents
//! linked to children (two guardians for most, separated families, a parent with children in two
//! schools), heads, CPEs, documentalists, a local-authority agent and an inspector.

use crate::model::*;
use crate::store::Snapshot;
use preau_core::text::base_login;
use preau_core::{AssignmentId, GroupId, PersonId, Profile, Role, Scope, ServiceId, StructureId, TerritoryId, Uai};
use std::collections::HashMap;

/// A small deterministic generator (SplitMix64): the same seed gives the same territory.
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Self {
        Seeded(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A v4-shaped UUID drawn from the seed, so ids are stable across runs too.
    fn uuid(&mut self) -> uuid::Uuid {
        let (a, b) = (self.next_u64(), self.next_u64());
        uuid::Builder::from_random_bytes({
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&a.to_le_bytes());
            bytes[8..].copy_from_slice(&b.to_le_bytes());
            bytes
        })
        .into_uuid()
    }
}

/// Given names used by the demo and by the synthetic feeds.
pub const GIVEN: &[&str] = &[
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Emma",
    "Gabriel",
    "Inès",
    "Raphaël",
    "Jade",
    "Arthur",
    "Louise",
    "Jules",
    "Alice",
    "Adam",
    "Lina",
    "Maël",
    "Rose",
    "Nathan",
    "Anna",
    "Ethan",
    "Mila",
    "Noé",
    "Zoé",
    "Sacha",
    "Ambre",
    "Tom",
    "Juliette",
    "Théo",
    "Camille",
    "Nolan",
    "Manon",
    "Yanis",
    "Éloïse",
    "Aylan",
    "Lou",
    "Mathis",
    "Sarah",
    "Timéo",
    "Clémence",
    "Rayan",
    "Margaux",
    "Kenzo",
    "Océane",
    "Amir",
    "Agathe",
    "Baptiste",
    "Maëlys",
    "Samuel",
    "Héloïse",
    "Noah",
    "Capucine",
    "Élias",
    "Romane",
    "Côme",
    "Salomé",
    "Malo",
    "Yasmine",
    "Axel",
    "Apolline",
    "Ibrahim",
];
/// Family names used by the demo and by the synthetic feeds.
pub const FAMILY: &[&str] = &[
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Le Gall",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Nguyen",
    "Diallo",
    "Benali",
    "Kervella",
    "Le Bihan",
    "Da Silva",
    "Ferreira",
    "Haddad",
    "Traoré",
    "N'Diaye",
    "Ollivier",
    "Tanguy",
];

/// National subject codes (BCN *matières*) used by the demo.
pub const SUBJECTS: &[(&str, &str)] = &[
    ("020700", "FRANCAIS"),
    ("061300", "MATHEMATIQUES"),
    ("030201", "ANGLAIS LV1"),
    ("030602", "ESPAGNOL LV2"),
    ("040600", "HISTOIRE-GEOGRAPHIE"),
    ("062700", "PHYSIQUE-CHIMIE"),
    ("064000", "SCIENCES DE LA VIE ET DE LA TERRE"),
    ("100100", "EDUCATION PHYSIQUE ET SPORTIVE"),
    ("080100", "ARTS PLASTIQUES"),
    ("090100", "EDUCATION MUSICALE"),
    ("070100", "TECHNOLOGIE"),
    ("043300", "SCIENCES ECONOMIQUES ET SOCIALES"),
    ("013000", "PHILOSOPHIE"),
    ("001000", "POLYVALENT (1ER DEGRE)"),
];

/// A login printed by `preau demo`, ready to use.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub label: &'static str,
    pub person: PersonId,
    pub login: String,
    pub password: String,
    /// The second factor's key (base32) of an administrator, set when the demo is seeded.
    pub totp_secret: Option<String>,
}

pub struct Demo {
    pub territory: Territory,
    pub snapshot: Snapshot,
    pub logins: Vec<DemoLogin>,
    pub charter: &'static str,
}

pub const CHARTER: &str = "Charte d'utilisation de l'ENT (version de démonstration)\n\n1. L'ENT est réservé aux usages scolaires et éducatifs.\n2. Chacun garde son mot de passe secret et ne se connecte qu'avec son propre compte.\n3. On respecte les autres : pas de propos injurieux, discriminatoires ou diffamatoires.\n4. On respecte le droit d'auteur et le droit à l'image.\n5. Les données personnelles sont traitées selon le RGPD ; le chef d'établissement en est responsable.\n";

struct Builder {
    rng: Seeded,
    territory: TerritoryId,
    s: Snapshot,
    logins: HashMap<String, u32>,
}

struct SchoolSpec {
    name: &'static str,
    kind: StructureKind,
    city: &'static str,
    postal: &'static str,
    classes: Vec<String>,
    per_class: usize,
    teachers: usize,
}

impl Builder {
    fn person(&mut self, given: &str, family: &str, source: Source) -> Person {
        let base = base_login(given, family);
        let n = self.logins.entry(base.clone()).or_insert(0);
        *n += 1;
        let login = if *n == 1 { base } else { format!("{base}{n}") };
        let p = Person {
            id: PersonId(self.rng.uuid()),
            territory: self.territory,
            login,
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            birth_date: None,
            email: None,
            source,
        };
        self.s.people.push(p.clone());
        p
    }

    fn random_person(&mut self) -> Person {
        let g = *self.rng.pick(GIVEN);
        let f = *self.rng.pick(FAMILY);
        self.person(g, f, Source::Demo)
    }

    fn member(&mut self, person: PersonId, structure: StructureId, profile: Profile) {
        self.s.memberships.push(Membership { person, structure, profile });
    }

    fn function(&mut self, person: PersonId, structure: StructureId, code: &str, label: &str) {
        self.s.functions.push(Function { person, structure, code: code.into(), label: label.into() });
    }

    fn structure(&mut self, spec: &SchoolSpec, digits: u32) -> Structure {
        let s = Structure {
            id: StructureId(self.rng.uuid()),
            territory: self.territory,
            uai: Uai::from_digits(digits),
            name: spec.name.into(),
            kind: spec.kind,
            degree: spec.kind.default_degree(),
            academie: "RENNES".into(),
            address: format!("{} rue des Écoles", 1 + self.rng.below(80)),
            postal_code: spec.postal.into(),
            city: spec.city.into(),
            phone: format!("02 99 {:02} {:02} {:02}", self.rng.below(100), self.rng.below(100), self.rng.below(100)),
            email: format!("ce.{}@ac-demo.fr", Uai::from_digits(digits).as_str().to_lowercase()),
            parent: None,
        };
        self.s.structures.push(s.clone());
        s
    }

    fn group(&mut self, structure: StructureId, kind: GroupKind, code: &str) -> GroupId {
        let id = GroupId(self.rng.uuid());
        self.s.groups.push(Group { id, structure, kind, code: code.into(), name: code.into(), also_in: vec![], archived_year: None });
        id
    }
}

fn lycee_classes() -> Vec<String> {
    let mut v: Vec<String> = (1..=12).map(|i| format!("2NDE{i}")).collect();
    v.extend((1..=11).map(|i| format!("1G{i}")));
    v.extend((1..=11).map(|i| format!("TG{i}")));
    v
}

fn college_classes() -> Vec<String> {
    ["6", "5", "4", "3"].iter().flat_map(|lvl| ["A", "B", "C", "D", "E"].iter().map(move |c| format!("{lvl}{c}"))).collect()
}

fn ecole_classes() -> Vec<String> {
    ["CP-A", "CE1-A", "CE2-A", "CM1-A", "CM2-A", "CP-B"].iter().map(|s| (*s).to_owned()).collect()
}

fn specs() -> Vec<SchoolSpec> {
    let ecole = |name, city, postal| SchoolSpec { name, kind: StructureKind::Ecole, city, postal, classes: ecole_classes(), per_class: 25, teachers: 7 };
    vec![
        SchoolSpec {
            name: "Lycée Anne-de-Bretagne",
            kind: StructureKind::Lycee,
            city: "Val-de-Préau",
            postal: "35400",
            classes: lycee_classes(),
            per_class: 35,
            teachers: 90,
        },
        SchoolSpec {
            name: "Collège Jules-Verne",
            kind: StructureKind::College,
            city: "Val-de-Préau",
            postal: "35400",
            classes: college_classes(),
            per_class: 30,
            teachers: 40,
        },
        SchoolSpec {
            name: "Collège Simone-Veil",
            kind: StructureKind::College,
            city: "Saint-Aubin-des-Landes",
            postal: "35410",
            classes: college_classes(),
            per_class: 30,
            teachers: 40,
        },
        ecole("École élémentaire Les Tilleuls", "Val-de-Préau", "35400"),
        ecole("École Jacques-Prévert", "Val-de-Préau", "35400"),
        ecole("École du Bourg", "Saint-Aubin-des-Landes", "35410"),
        ecole("École Marie-Curie", "La Chapelle-sur-Rance", "35420"),
    ]
}

fn subjects_for(kind: StructureKind, class: &str) -> Vec<&'static str> {
    match kind {
        StructureKind::Ecole => vec!["001000"],
        StructureKind::College => vec!["020700", "061300", "030201", "040600", "064000", "100100", "070100", "080100", "090100", "062700"],
        _ if class.starts_with("2NDE") => vec!["020700", "061300", "030201", "030602", "040600", "062700", "064000", "100100", "043300"],
        _ => vec!["020700", "061300", "030201", "030602", "040600", "062700", "100100", "013000"],
    }
}

/// Pupils of a structure, by class, for linking siblings across schools.
type Pupils = Vec<(PersonId, String)>;

fn populate(b: &mut Builder, spec: &SchoolSpec, st: &Structure) -> Pupils {
    let mut pupils = vec![];
    let teachers: Vec<PersonId> = (0..spec.teachers)
        .map(|_| {
            let t = b.random_person();
            b.member(t.id, st.id, Profile::Teacher);
            b.function(t.id, st.id, "ENS", "ENSEIGNEMENT");
            t.id
        })
        .collect();
    for (next_teacher, code) in spec.classes.iter().enumerate() {
        let g = b.group(st.id, GroupKind::Class, code);
        for _ in 0..spec.per_class {
            let p = b.random_person();
            b.member(p.id, st.id, Profile::Pupil);
            b.s.group_members.push((g, p.id));
            pupils.push((p.id, code.clone()));
        }
        let subjects = subjects_for(spec.kind, code);
        for (i, subject) in subjects.iter().enumerate() {
            let t = teachers[(next_teacher + i) % teachers.len()];
            b.s.teachings.push(Teaching { teacher: t, group: g, subject_code: (*subject).into() });
            b.s.group_members.push((g, t));
        }
        b.s.principal_teachers.push((g, teachers[next_teacher % teachers.len()]));
    }
    let staff: &[(Profile, &str, &str)] = match spec.kind {
        StructureKind::Ecole => &[(Profile::Direction, "DIR", "DIRECTION")],
        _ => &[
            (Profile::Direction, "DIR", "DIRECTION"),
            (Profile::SchoolLife, "EDU", "CONSEILLER PRINCIPAL D'EDUCATION"),
            (Profile::Documentalist, "DOC", "DOCUMENTATION"),
            (Profile::Staff, "ADF", "ADMINISTRATION"),
        ],
    };
    for (profile, code, label) in staff {
        let p = b.random_person();
        b.member(p.id, st.id, *profile);
        b.function(p.id, st.id, code, label);
    }
    pupils
}

/// Gives most pupils two legal guardians sharing a household, some one guardian, some separated
/// parents with different names, and some a non-guardian contact. Siblings share parents.
fn add_parents(b: &mut Builder, pupils: &[(PersonId, StructureId)]) {
    let mut i = 0;
    while i < pupils.len() {
        let family = (*b.rng.pick(FAMILY)).to_owned();
        let siblings = if b.rng.chance(20) && i + 1 < pupils.len() { 2 } else { 1 };
        let roll = b.rng.below(100);
        let mut parents = vec![];
        let g1 = *b.rng.pick(GIVEN);
        parents.push((b.person(g1, &family, Source::Demo), true));
        if roll < 85 {
            let g2 = *b.rng.pick(GIVEN);
            let other_family = if roll < 10 { (*b.rng.pick(FAMILY)).to_owned() } else { family.clone() };
            parents.push((b.person(g2, &other_family, Source::Demo), true));
        }
        if roll >= 95 {
            let g3 = *b.rng.pick(GIVEN);
            parents.push((b.person(g3, &family, Source::Demo), false));
        }
        for (child, structure) in &pupils[i..(i + siblings).min(pupils.len())] {
            for (p, legal) in &parents {
                b.s.parent_links.push(ParentLink { parent: p.id, child: *child, legal_guardian: *legal });
                b.member(p.id, *structure, Profile::Parent);
            }
        }
        i += siblings;
    }
}

fn services(b: &mut Builder) -> Vec<Service> {
    let list: &[(&str, &str, ServiceKind, &str, &str)] = &[
        ("compte", "Mon compte", ServiceKind::Internal, "/account", "account"),
        ("pronote", "Pronote (vie scolaire)", ServiceKind::Link, "https://pronote.example.org/", "chart"),
        ("moodle", "Moodle", ServiceKind::Link, "https://moodle.example.org/", "school"),
        ("gar", "Manuels et ressources (GAR)", ServiceKind::Link, "https://gar.example.org/", "book"),
        ("cantine", "Cantine et menus", ServiceKind::Link, "https://cantine.example.org/", "calendar"),
        ("cdi", "CDI – portail documentaire", ServiceKind::Link, "https://cdi.example.org/", "folder"),
        ("orientation", "Orientation (Onisep)", ServiceKind::Link, "https://orientation.example.org/", "globe"),
    ];
    let out: Vec<Service> = list
        .iter()
        .map(|(code, name, kind, url, icon)| Service {
            id: ServiceId(b.rng.uuid()),
            territory: b.territory,
            code: (*code).into(),
            name: (*name).into(),
            kind: *kind,
            url: (*url).into(),
            icon: (*icon).into(),
        })
        .collect();
    b.s.services.extend(out.clone());
    out
}

fn bouquets(b: &mut Builder, services: &[Service]) {
    let by = |code: &str| services.iter().find(|s| s.code == code).map(|s| s.id);
    for st in b.s.structures.clone() {
        for profile in Profile::ALL {
            let codes: &[&str] = match (st.kind, profile) {
                (StructureKind::Ecole, Profile::Pupil) => &["gar", "cantine"],
                (StructureKind::Ecole, _) => &["compte", "gar", "cantine"],
                (_, Profile::Pupil) => &["pronote", "moodle", "gar", "cdi", "orientation", "cantine"],
                (_, Profile::Parent) => &["pronote", "cantine", "orientation", "compte"],
                (_, Profile::Teacher | Profile::Documentalist) => &["pronote", "moodle", "gar", "cdi", "compte"],
                _ => &["compte", "pronote", "cantine"],
            };
            for (i, code) in codes.iter().enumerate() {
                if let Some(id) = by(code) {
                    b.s.bouquets.push((st.id, profile, id, i as i64));
                }
            }
        }
    }
}

/// Generates the demo territory from `seed`.
pub fn generate(seed: u64) -> Demo {
    let mut rng = Seeded::new(seed);
    let territory = Territory { id: TerritoryId(rng.uuid()), slug: "val-de-preau".into(), name: "ENT du Val-de-Préau (démonstration)".into() };
    let mut b = Builder { rng, territory: territory.id, s: Snapshot::default(), logins: HashMap::new() };
    b.s.subjects = SUBJECTS.iter().map(|(c, l)| Subject { code: (*c).into(), label: (*l).into() }).collect();
    let mut structures = vec![];
    let mut all_pupils: Vec<(PersonId, StructureId)> = vec![];
    for (i, spec) in specs().iter().enumerate() {
        let st = b.structure(spec, 350_010 + 37 * i as u32);
        let pupils = populate(&mut b, spec, &st);
        all_pupils.extend(pupils.iter().map(|(p, _)| (*p, st.id)));
        structures.push(st);
    }
    // Shuffle pupils so that siblings can land in different schools.
    for i in (1..all_pupils.len()).rev() {
        let j = b.rng.below(i + 1);
        all_pupils.swap(i, j);
    }
    add_parents(&mut b, &all_pupils);
    let svc = services(&mut b);
    bouquets(&mut b, &svc);
    let logins = ready_logins(&mut b, &structures);
    Demo { territory, snapshot: b.s, logins, charter: CHARTER }
}

/// The accounts printed with a password: one per profile, plus the administrators.
fn ready_logins(b: &mut Builder, st: &[Structure]) -> Vec<DemoLogin> {
    let (lycee, college, ecole) = (st[0].id, st[1].id, st[3].id);
    let mut out = vec![];
    let mut add = |b: &mut Builder, label, given, family, roles: &[(Profile, StructureId)], password: &str| {
        let p = b.person(given, family, Source::Demo);
        for (profile, s) in roles {
            b.member(p.id, *s, *profile);
        }
        out.push(DemoLogin { label, person: p.id, login: p.login.clone(), password: password.into(), totp_secret: None });
        p.id
    };
    let teacher =
        add(b, "enseignant (lycée et collège)", "Claire", "Demo-Enseignante", &[(Profile::Teacher, lycee), (Profile::Teacher, college)], "demo-enseignant");
    b.function(teacher, lycee, "ENS", "ENSEIGNEMENT");
    b.function(teacher, college, "ENS", "ENSEIGNEMENT");
    if let Some(g) = b.s.groups.iter().find(|g| g.structure == lycee && g.code == "2NDE3").map(|g| g.id) {
        b.s.teachings.push(Teaching { teacher, group: g, subject_code: "030201".into() });
        b.s.group_members.push((g, teacher));
    }
    if let Some(g) = b.s.groups.iter().find(|g| g.structure == college && g.code == "4B").map(|g| g.id) {
        b.s.teachings.push(Teaching { teacher, group: g, subject_code: "030201".into() });
        b.s.group_members.push((g, teacher));
    }
    let pupil = add(b, "élève (collège)", "Lucie", "Demo-Eleve", &[(Profile::Pupil, college)], "demo-eleve");
    let sibling = add(b, "élève (lycée)", "Paul", "Demo-Eleve", &[(Profile::Pupil, lycee)], "demo-eleve");
    for (child, code, s) in [(pupil, "4B", college), (sibling, "2NDE3", lycee)] {
        if let Some(g) = b.s.groups.iter().find(|g| g.structure == s && g.code == code).map(|g| g.id) {
            b.s.group_members.push((g, child));
        }
    }
    let parent =
        add(b, "parent (enfants au collège et au lycée)", "Marc", "Demo-Eleve", &[(Profile::Parent, college), (Profile::Parent, lycee)], "demo-parent");
    for child in [pupil, sibling] {
        b.s.parent_links.push(ParentLink { parent, child, legal_guardian: true });
    }
    add(b, "direction (collège)", "Hélène", "Demo-Principale", &[(Profile::Direction, college)], "demo-direction");
    add(b, "CPE (collège)", "Karim", "Demo-Cpe", &[(Profile::SchoolLife, college)], "demo-cpe");
    add(b, "documentaliste (lycée)", "Sophie", "Demo-Documentaliste", &[(Profile::Documentalist, lycee)], "demo-doc");
    add(b, "agent de la collectivité", "Yves", "Demo-Collectivite", &[(Profile::LocalAuthority, ecole)], "demo-collectivite");
    add(b, "inspecteur (académie)", "Nadia", "Demo-Inspectrice", &[(Profile::Academy, ecole)], "demo-inspection");
    let local = add(b, "administrateur local (collège)", "Alain", "Demo-Admin-Local", &[(Profile::Staff, college)], "demo-admin-local");
    b.s.role_assignments.push(RoleAssignment {
        id: AssignmentId(b.rng.uuid()),
        role: Role::LocalAdmin,
        grantee: Grantee::Person(local),
        scope: Scope::Structure(college),
    });
    let admin = add(b, "administrateur du territoire", "Agnès", "Demo-Admin", &[], "demo-admin");
    b.s.role_assignments.push(RoleAssignment {
        id: AssignmentId(b.rng.uuid()),
        role: Role::TerritoryAdmin,
        grantee: Grantee::Person(admin),
        scope: Scope::Territory,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_the_same_for_the_same_seed() {
        let (a, b) = (generate(7), generate(7));
        assert_eq!(a.snapshot.people.len(), b.snapshot.people.len());
        assert_eq!(a.logins[0].login, b.logins[0].login);
        assert_eq!(a.snapshot.people[100].id, b.snapshot.people[100].id);
    }

    #[test]
    fn the_demo_has_the_promised_shape() {
        let d = generate(2026);
        let s = &d.snapshot;
        let pupils_of = |k: StructureKind| {
            let ids: Vec<StructureId> = s.structures.iter().filter(|x| x.kind == k).map(|x| x.id).collect();
            s.memberships.iter().filter(|m| m.profile == Profile::Pupil && ids.contains(&m.structure)).count()
        };
        assert!((1100..=1300).contains(&pupils_of(StructureKind::Lycee)));
        assert!((1100..=1300).contains(&pupils_of(StructureKind::College)));
        assert!((550..=650).contains(&pupils_of(StructureKind::Ecole)));
        let logins: std::collections::HashSet<&str> = s.people.iter().map(|p| p.login.as_str()).collect();
        assert_eq!(logins.len(), s.people.len(), "logins are unique");
        assert!(s.structures.iter().all(|x| Uai::parse(x.uai.as_str()).is_ok()));
        let classes = s.groups.iter().filter(|g| g.kind == GroupKind::Class).count();
        assert_eq!(s.principal_teachers.len(), classes, "one professeur principal per class");
        let separated = s.parent_links.iter().filter(|l| !l.legal_guardian).count();
        assert!(separated > 0, "some contacts are not legal guardians");
    }
}
