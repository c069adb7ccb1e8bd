//! The communication rules: who may write to whom, per structure.
//!
//! A rule says that one audience of a structure may write to another: everyone with a profile
//! (`ENS` → `TUT`), those with a profile in the same class or teaching group (`class:TUT` →
//! `class:ENS`: parents reach their children's teachers), or the members of a group
//! (`group:…` → `group:…`, the same group on both sides letting members reach each other).
//! A parent and their own children may always write to each other. Nothing reaches across
//! structures except through a person's own standing in both.
//!
//! Until a local admin changes them, a structure has the default rules ([`default_rules`]).
//! What a person may reach is computed once as a list of [`Target`]s ([`reach`]); "may A write
//! to B" is then whether one of A's targets contains B, from B's [`Standing`] alone.

use crate::{Communication, CommunicationStore};
use preau_core::{Error, GroupId, Permission, PersonId, Principal, Profile, Result, StructureId};
use preau_directory::{GroupKind, audit};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// Whom one side of a rule speaks of, within a structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// Everyone with this profile in the structure.
    Profile(Profile),
    /// Those with this profile in a class or teaching group the other side is in too.
    Class(Profile),
    /// The members of a group of the structure.
    Group(GroupId),
}

impl Audience {
    /// `ENS`, `class:TUT`, `group:<id>`.
    pub fn code(&self) -> String {
        match self {
            Audience::Profile(p) => p.code().to_owned(),
            Audience::Class(p) => format!("class:{}", p.code()),
            Audience::Group(g) => format!("group:{g}"),
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        if let Some(p) = s.strip_prefix("class:") {
            return p.parse().ok().filter(|p| CLASS_PROFILES.contains(p)).map(Audience::Class);
        }
        if let Some(g) = s.strip_prefix("group:") {
            return g.parse().ok().map(Audience::Group);
        }
        s.parse().ok().filter(|p| PROFILES.contains(p)).map(Audience::Profile)
    }
}

impl Serialize for Audience {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Audience::parse(&s).ok_or_else(|| serde::de::Error::custom("unknown audience"))
    }
}

/// One side may write to the other (one direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    pub from: Audience,
    pub to: Audience,
}

/// The profiles a structure's rules speak of.
pub const PROFILES: [Profile; 8] =
    [Profile::Pupil, Profile::Parent, Profile::Teacher, Profile::Direction, Profile::SchoolLife, Profile::Documentalist, Profile::Staff, Profile::Guest];
/// The profiles one has in a class or teaching group: its pupils, their parents, its teachers.
pub const CLASS_PROFILES: [Profile; 3] = [Profile::Pupil, Profile::Parent, Profile::Teacher];
/// The adults who run the school (they ask for acknowledgements and write news).
pub const STAFF: [Profile; 5] = [Profile::Teacher, Profile::Direction, Profile::SchoolLife, Profile::Documentalist, Profile::Staff];

/// The rules of a structure nobody has changed: staff and teachers reach everyone in it; pupils
/// reach their classes' teachers, school life, the direction and the documentalists (not their
/// classmates); parents reach their children's teachers, school life (the CPE) and the direction.
pub fn default_rules() -> Vec<Rule> {
    let mut rules = vec![];
    for from in STAFF {
        for to in PROFILES {
            rules.push(Rule { from: Audience::Profile(from), to: Audience::Profile(to) });
        }
    }
    rules.push(Rule { from: Audience::Class(Profile::Pupil), to: Audience::Class(Profile::Teacher) });
    for to in [Profile::SchoolLife, Profile::Direction, Profile::Documentalist] {
        rules.push(Rule { from: Audience::Profile(Profile::Pupil), to: Audience::Profile(to) });
    }
    rules.push(Rule { from: Audience::Class(Profile::Parent), to: Audience::Class(Profile::Teacher) });
    for to in [Profile::SchoolLife, Profile::Direction] {
        rules.push(Rule { from: Audience::Profile(Profile::Parent), to: Audience::Profile(to) });
    }
    rules.sort();
    rules
}

/// What the directory says of a person, as far as communication goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub person: PersonId,
    /// Their profiles, per structure.
    pub profiles: Vec<(StructureId, Profile)>,
    /// The classes and teaching groups they are in, with their profile there: a pupil's own, a
    /// teacher's (those they teach, or are principal teacher of), a parent's (their children's).
    pub classes: Vec<(StructureId, GroupId, Profile)>,
    /// The functional and manual groups they are members of, with the group's structure.
    pub groups: Vec<(StructureId, GroupId)>,
    pub children: Vec<PersonId>,
    pub parents: Vec<PersonId>,
}

impl Standing {
    /// The structures where they stand at all.
    pub fn structures(&self) -> BTreeSet<StructureId> {
        let mut s: BTreeSet<StructureId> = self.profiles.iter().map(|(s, _)| *s).collect();
        s.extend(self.classes.iter().map(|(s, _, _)| *s));
        s.extend(self.groups.iter().map(|(s, _)| *s));
        s
    }

    /// Whether they are on the writing side of an audience of structure `s`.
    fn is_in(&self, a: Audience, s: StructureId) -> bool {
        match a {
            Audience::Profile(p) => self.profiles.contains(&(s, p)),
            Audience::Class(p) => self.classes.iter().any(|(cs, _, cp)| *cs == s && *cp == p),
            Audience::Group(g) => self.groups.contains(&(s, g)),
        }
    }
}

/// Someone, or a set of people, one may write to: what a recipient picker offers, and what a
/// message is addressed to (expanded into people when it is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// Everyone with a profile in a structure.
    Structure { structure: StructureId, profile: Profile },
    /// Those with a profile in a class or teaching group: its pupils, their parents, its teachers.
    Class { group: GroupId, profile: Profile },
    /// The members of a group.
    Group { group: GroupId },
    /// One person.
    Person { person: PersonId },
}

impl Target {
    /// `person:<id>`, `class:<group>:<profile>`, `structure:<id>:<profile>`, `group:<id>` (forms).
    pub fn code(&self) -> String {
        match self {
            Target::Structure { structure, profile } => format!("structure:{structure}:{}", profile.code()),
            Target::Class { group, profile } => format!("class:{group}:{}", profile.code()),
            Target::Group { group } => format!("group:{group}"),
            Target::Person { person } => format!("person:{person}"),
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        let mut parts = s.splitn(3, ':');
        let (kind, id, profile) = (parts.next()?, parts.next()?, parts.next());
        let profile = || profile.and_then(|p| p.parse::<Profile>().ok());
        Some(match kind {
            "structure" => Target::Structure { structure: id.parse().ok()?, profile: profile()? },
            "class" => Target::Class { group: id.parse().ok()?, profile: profile()? },
            "group" => Target::Group { group: id.parse().ok()? },
            "person" => Target::Person { person: id.parse().ok()? },
            _ => return None,
        })
    }

    /// Whether the person of this standing is among the target.
    pub fn contains(&self, b: &Standing) -> bool {
        match *self {
            Target::Structure { structure, profile } => b.profiles.contains(&(structure, profile)),
            Target::Class { group, profile } => b.classes.iter().any(|(_, g, p)| *g == group && *p == profile),
            Target::Group { group } => b.groups.iter().any(|(_, g)| *g == group),
            Target::Person { person } => b.person == person,
        }
    }
}

/// Everyone `a` may write to, as targets (sorted, without repeats), given each structure's rules.
pub fn reach(a: &Standing, rules_of: &dyn Fn(StructureId) -> Vec<Rule>) -> Vec<Target> {
    let mut targets: BTreeSet<Target> = a.children.iter().chain(&a.parents).map(|p| Target::Person { person: *p }).collect();
    for s in a.structures() {
        for rule in rules_of(s) {
            if !a.is_in(rule.from, s) {
                continue;
            }
            match (rule.from, rule.to) {
                // Same class: the classes where `a` has the writing profile.
                (Audience::Class(from), Audience::Class(to)) => {
                    for (cs, g, p) in &a.classes {
                        if *cs == s && *p == from {
                            targets.insert(Target::Class { group: *g, profile: to });
                        }
                    }
                }
                (_, Audience::Class(to) | Audience::Profile(to)) => {
                    targets.insert(Target::Structure { structure: s, profile: to });
                }
                (_, Audience::Group(g)) => {
                    targets.insert(Target::Group { group: g });
                }
            }
        }
    }
    targets.into_iter().collect()
}

/// Whether `a` may write to `b`.
pub fn may_write(a: &Standing, b: &Standing, rules_of: &dyn Fn(StructureId) -> Vec<Rule>) -> bool {
    a.person != b.person && reach(a, rules_of).iter().any(|t| t.contains(b))
}

/// A structure's rules as its admins see them.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSet {
    pub structure: StructureId,
    /// Whether they are the defaults (nobody changed them).
    pub defaults: bool,
    pub rules: Vec<Rule>,
}

impl<S: CommunicationStore> Communication<S> {
    /// The rules of a structure the caller administers.
    pub async fn rule_set(&self, caller: &Principal, structure: StructureId) -> Result<RuleSet> {
        self.administered(caller, structure).await?;
        let stored = self.store.rules(structure).await?;
        Ok(RuleSet { structure, defaults: stored.is_none(), rules: stored.unwrap_or_else(default_rules) })
    }

    /// Replaces a structure's rules. A group rule must name a group of that structure.
    pub async fn set_rules(&self, caller: &Principal, structure: StructureId, rules: &[Rule]) -> Result<RuleSet> {
        self.administered(caller, structure).await?;
        let groups: BTreeSet<GroupId> = self.store.groups_in(structure).await?.into_iter().map(|g| g.id).collect();
        let foreign = rules.iter().flat_map(|r| [r.from, r.to]).any(|a| matches!(a, Audience::Group(g) if !groups.contains(&g)));
        if foreign {
            return Err(Error::invalid("rules", "communication.foreign_group"));
        }
        if rules.len() > 1_000 {
            return Err(Error::invalid("rules", "communication.too_many"));
        }
        let mut rules = rules.to_vec();
        rules.sort();
        rules.dedup();
        let before = self.rule_set(caller, structure).await?;
        let audit =
            audit::entry(self.clock.now(), caller, "communication.rules", format!("structure:{structure}"), Some(structure), Some(&before.rules), Some(&rules));
        self.store.set_rules(structure, Some(&rules), &audit).await?;
        Ok(RuleSet { structure, defaults: false, rules })
    }

    /// Goes back to the default rules.
    pub async fn reset_rules(&self, caller: &Principal, structure: StructureId) -> Result<RuleSet> {
        let before = self.rule_set(caller, structure).await?;
        let audit = audit::entry::<_, ()>(
            self.clock.now(),
            caller,
            "communication.rules.reset",
            format!("structure:{structure}"),
            Some(structure),
            Some(&before.rules),
            None,
        );
        self.store.set_rules(structure, None, &audit).await?;
        Ok(RuleSet { structure, defaults: true, rules: default_rules() })
    }

    /// The caller administers the communication of this structure of their territory.
    pub(crate) async fn administered(&self, caller: &Principal, structure: StructureId) -> Result<()> {
        caller.require_in(Permission::ManageCommunication, structure)?;
        if self.store.structure(structure).await?.territory != caller.territory {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// A person's standing and everything they may write to (kept until the directory changes).
    pub async fn reach_of(&self, person: PersonId) -> Result<(Standing, Vec<Target>)> {
        let generation = self.store.generation();
        if let Some(hit) = self.caches.reach.get(&person, generation) {
            return Ok((hit.0.clone(), hit.1.clone()));
        }
        let standing = self.store.standing(person).await?;
        let mut rules: HashMap<StructureId, Vec<Rule>> = HashMap::new();
        for s in standing.structures() {
            rules.insert(s, self.store.rules(s).await?.unwrap_or_else(default_rules));
        }
        let targets = reach(&standing, &|s| rules.get(&s).cloned().unwrap_or_default());
        self.caches.reach.put(person, generation, std::sync::Arc::new((standing.clone(), targets.clone())));
        Ok((standing, targets))
    }

    /// What the directory says of a person (kept with their reach until the directory changes).
    pub(crate) async fn standing_of(&self, person: PersonId) -> Result<Standing> {
        Ok(self.reach_of(person).await?.0)
    }

    /// A structure's live classes and teaching groups with their names (kept until the
    /// directory changes).
    pub async fn classes_of(&self, structure: StructureId) -> Result<std::sync::Arc<Vec<(GroupId, String)>>> {
        let generation = self.store.generation();
        if let Some(hit) = self.caches.classes.get(&structure, generation) {
            return Ok(hit);
        }
        let list: Vec<(GroupId, String)> = self
            .store
            .groups_in(structure)
            .await?
            .into_iter()
            .filter(|g| g.archived_year.is_none() && matches!(g.kind, GroupKind::Class | GroupKind::Teaching))
            .map(|g| (g.id, g.name))
            .collect();
        let list = std::sync::Arc::new(list);
        self.caches.classes.put(structure, generation, list.clone());
        Ok(list)
    }

    /// The targets among `targets` the caller may write to (a reply to all keeps only those).
    pub async fn within_reach(&self, caller: &Principal, targets: &[Target]) -> Result<Vec<Target>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (_, reach) = self.reach_of(me).await?;
        let mut out = vec![];
        for t in targets {
            if self.allowed(me, &reach, t).await? {
                out.push(*t);
            }
        }
        Ok(out)
    }

    /// Whether the caller may write to `to`: the one question every picker and every send asks.
    pub async fn may_write_to(&self, caller: &Principal, to: PersonId) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        if me == to {
            return Ok(false);
        }
        let (_, targets) = self.reach_of(me).await?;
        let theirs = self.standing_of(to).await?;
        Ok(targets.iter().any(|t| t.contains(&theirs)))
    }
}

/// At most this many audiences are offered at once (a search narrows them).
const MAX_AUDIENCES: usize = 60;

/// What a recipient picker offers: the audiences (named) and the people matching a search.
#[derive(Debug, Clone, Serialize)]
pub struct Picker {
    pub audiences: Vec<Named>,
    pub people: Vec<Named>,
}

/// A target with the name of what it is made of.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub target: Target,
    pub name: String,
}

impl<S: CommunicationStore> Communication<S> {
    /// Everything the caller may write to that matches `search`: audiences whose name contains
    /// it, and people whose given or family name starts with it (at most `limit`).
    pub async fn picker(&self, caller: &Principal, search: &str, limit: i64) -> Result<Picker> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let search: String = search.trim().chars().take(60).collect();
        let (_, reach) = self.reach_of(me).await?;
        let groups: Vec<Target> = reach.iter().filter(|t| !matches!(t, Target::Person { .. })).copied().collect();
        let names = self.store.target_names(&groups).await?;
        let mut named: Vec<(Target, String)> = groups.into_iter().zip(names).collect();
        // Where a whole profile of a structure is within reach, so is its share of each class.
        for t in &reach {
            if let Target::Structure { structure, profile } = *t
                && CLASS_PROFILES.contains(&profile)
            {
                for (g, name) in self.classes_of(structure).await?.iter() {
                    named.push((Target::Class { group: *g, profile }, name.clone()));
                }
            }
        }
        named.sort_by_key(|a| a.0);
        named.dedup_by(|a, b| a.0 == b.0);
        let wanted = search.to_lowercase();
        let audiences = named
            .into_iter()
            .filter(|(_, n)| wanted.is_empty() || n.to_lowercase().contains(&wanted))
            .take(MAX_AUDIENCES)
            .map(|(target, name)| Named { target, name })
            .collect();
        let limit = limit.clamp(1, 100) as usize;
        // Whole profiles of a structure are searched in memory; smaller sets in the database.
        let mut found: Vec<(String, String, PersonId)> = vec![];
        let mut elsewhere = vec![];
        for t in &reach {
            match *t {
                Target::Structure { structure, profile } => {
                    for p in self.people_of_structure(structure).await?.iter() {
                        if p.profile == profile && (p.family_lower.starts_with(&wanted) || p.given_lower.starts_with(&wanted)) {
                            found.push((p.family.clone(), p.given.clone(), p.id));
                        }
                    }
                }
                other => elsewhere.push(other),
            }
        }
        for p in self.store.people_of(&elsewhere, &search, limit as i64 + 1).await? {
            found.push((p.family_name, p.given_name, p.id));
        }
        found.sort();
        found.dedup_by(|a, b| a.2 == b.2);
        let people = found
            .into_iter()
            .filter(|(_, _, id)| *id != me)
            .take(limit)
            .map(|(family, given, id)| Named { target: Target::Person { person: id }, name: format!("{given} {family}") })
            .collect();
        Ok(Picker { audiences, people })
    }

    /// A structure's people, for the picker (kept until the directory changes).
    async fn people_of_structure(&self, structure: StructureId) -> Result<std::sync::Arc<Vec<crate::cache::Listed>>> {
        let generation = self.store.generation();
        if let Some(hit) = self.caches.people.get(&structure, generation) {
            return Ok(hit);
        }
        // One reading at a time: searches arriving together after a directory change wait for
        // the first one's reading instead of each making their own.
        let _reading = self.caches.people_refill.lock().await;
        if let Some(hit) = self.caches.people.get(&structure, generation) {
            return Ok(hit);
        }
        let list: Vec<crate::cache::Listed> = self
            .store
            .people_in(structure, None, "", 1_000_000)
            .await?
            .into_iter()
            .map(|(p, profile)| crate::cache::Listed {
                id: p.id,
                profile,
                given_lower: p.given_name.to_lowercase(),
                family_lower: p.family_name.to_lowercase(),
                given: p.given_name,
                family: p.family_name,
            })
            .collect();
        let list = std::sync::Arc::new(list);
        self.caches.people.put(structure, generation, list.clone());
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (StructureId, StructureId, GroupId, GroupId) {
        (StructureId::new(), StructureId::new(), GroupId::new(), GroupId::new())
    }

    fn person(profiles: &[(StructureId, Profile)], classes: &[(StructureId, GroupId, Profile)]) -> Standing {
        Standing { person: PersonId::new(), profiles: profiles.to_vec(), classes: classes.to_vec(), ..Standing::default() }
    }

    fn defaults(_: StructureId) -> Vec<Rule> {
        default_rules()
    }

    #[test]
    fn a_pupil_reaches_the_teachers_of_their_class_but_not_classmates_nor_another_schools_pupils() {
        let (school, other, c5a, c5b) = ids();
        let anne = person(&[(school, Profile::Pupil)], &[(school, c5a, Profile::Pupil)]);
        let bob = person(&[(school, Profile::Pupil)], &[(school, c5a, Profile::Pupil)]);
        let teacher_5a = person(&[(school, Profile::Teacher)], &[(school, c5a, Profile::Teacher)]);
        let teacher_5b = person(&[(school, Profile::Teacher)], &[(school, c5b, Profile::Teacher)]);
        let cpe = person(&[(school, Profile::SchoolLife)], &[]);
        let elsewhere = person(&[(other, Profile::Pupil)], &[]);
        assert!(may_write(&anne, &teacher_5a, &defaults));
        assert!(!may_write(&anne, &teacher_5b, &defaults), "not a teacher of her class");
        assert!(may_write(&anne, &cpe, &defaults));
        assert!(!may_write(&anne, &bob, &defaults), "classmates only if the school allows it");
        assert!(!may_write(&anne, &elsewhere, &defaults));
        // The school allows classmates to write to each other.
        let mut with_classmates = default_rules();
        with_classmates.push(Rule { from: Audience::Class(Profile::Pupil), to: Audience::Class(Profile::Pupil) });
        assert!(may_write(&anne, &bob, &|_| with_classmates.clone()));
        // Nobody reaches another school's pupils, not even its staff.
        assert!(!may_write(&teacher_5a, &elsewhere, &defaults));
        assert!(may_write(&teacher_5a, &bob, &defaults), "staff and teachers reach everyone in their school");
    }

    #[test]
    fn a_parent_reaches_their_children_their_teachers_school_life_and_direction_but_not_other_parents() {
        let (school, _, c5a, c5b) = ids();
        let child = person(&[(school, Profile::Pupil)], &[(school, c5a, Profile::Pupil)]);
        let mut parent = person(&[(school, Profile::Parent)], &[(school, c5a, Profile::Parent)]);
        parent.children = vec![child.person];
        let other_parent = person(&[(school, Profile::Parent)], &[(school, c5a, Profile::Parent)]);
        let teacher_5a = person(&[(school, Profile::Teacher)], &[(school, c5a, Profile::Teacher)]);
        let teacher_5b = person(&[(school, Profile::Teacher)], &[(school, c5b, Profile::Teacher)]);
        let head = person(&[(school, Profile::Direction)], &[]);
        let other_child = person(&[(school, Profile::Pupil)], &[(school, c5a, Profile::Pupil)]);
        assert!(may_write(&parent, &child, &defaults));
        assert!(may_write(&parent, &teacher_5a, &defaults));
        assert!(may_write(&parent, &head, &defaults));
        assert!(!may_write(&parent, &teacher_5b, &defaults));
        assert!(!may_write(&parent, &other_parent, &defaults), "another child's parent");
        assert!(!may_write(&parent, &other_child, &defaults), "another child");
    }

    #[test]
    fn group_rules_reach_members_only_and_audiences_read_back() {
        let (school, _, club, _) = ids();
        let mut a = person(&[(school, Profile::Pupil)], &[]);
        a.groups = vec![(school, club)];
        let mut b = person(&[(school, Profile::Pupil)], &[]);
        b.groups = vec![(school, club)];
        let c = person(&[(school, Profile::Pupil)], &[]);
        let rules = vec![Rule { from: Audience::Group(club), to: Audience::Group(club) }];
        assert!(may_write(&a, &b, &|_| rules.clone()));
        assert!(!may_write(&a, &c, &|_| rules.clone()));
        for a in [Audience::Profile(Profile::Teacher), Audience::Class(Profile::Parent), Audience::Group(club)] {
            assert_eq!(Audience::parse(&a.code()), Some(a));
        }
        assert_eq!(Audience::parse("class:DIR"), None, "a class has pupils, parents and teachers only");
        assert_eq!(Audience::parse("nobody"), None);
        for t in [
            Target::Class { group: club, profile: Profile::Parent },
            Target::Structure { structure: school, profile: Profile::Teacher },
            Target::Group { group: club },
            Target::Person { person: a.person },
        ] {
            assert_eq!(Target::parse(&t.code()), Some(t));
        }
        assert_eq!(Target::parse("class:nothing:ELV"), None);
    }
}
