//! Who may do what with a node. A person's level on a node is the best of the level their
//! space gives them and of the shares of the node and of its folders that reach them:
//!
//! - their personal space: manage; nobody else's, but through shares;
//! - a class or teaching group: its teachers manage, its pupils read (parents, not at all);
//!   a functional or manual group: its members contribute;
//! - a structure: the direction manages, the other adults contribute, pupils read;
//! - a local admin (who manages the structure's groups) manages the structure's shared spaces.
//!
//! An archived class's space is read-only. A node someone may not read does not exist for them
//! (`NotFound`); one they may read but not change is `Forbidden`.

use crate::model::{Level, Node, Space};
use crate::{DocumentStore, Documents};
use preau_communication::{Standing, Target};
use preau_core::{DocumentId, Error, Permission, PersonId, Principal, Profile, Result, StructureId};
use preau_directory::Group;

const ADULTS: [Profile; 4] = [Profile::Teacher, Profile::SchoolLife, Profile::Documentalist, Profile::Staff];

/// The caller as the documents service sees them.
pub struct Viewer {
    pub person: PersonId,
    pub standing: Standing,
}

/// Where in a space: its top, or a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub space: Space,
    pub folder: Option<DocumentId>,
}

/// A live node and the caller's level on it.
pub struct Held {
    pub node: Node,
    pub level: Level,
}

impl Held {
    /// Whether the caller may rename, move or delete it: they manage it, or they contribute and
    /// it is theirs.
    pub fn changeable_by(&self, me: PersonId) -> bool {
        self.level == Level::Manage || (self.level == Level::Contribute && self.node.owner == me)
    }
}

impl<S: DocumentStore> Documents<S> {
    /// Whether the caller may move or delete a node with everything inside it: they manage it,
    /// or they contribute and it and all it holds are theirs (a contributor's folder may hold
    /// others' files, which are not theirs to take away).
    pub(crate) async fn may_take(&self, held: &Held, me: PersonId) -> Result<bool> {
        if !held.changeable_by(me) {
            return Ok(false);
        }
        if held.level == Level::Manage || !held.node.folder {
            return Ok(true);
        }
        Ok(self.store.descendants(&held.node).await?.iter().all(|n| n.owner == me))
    }

    pub async fn viewer(&self, caller: &Principal) -> Result<Viewer> {
        let person = caller.person_id().ok_or(Error::Forbidden)?;
        let (standing, _) = self.communication.reach_of(person).await?;
        Ok(Viewer { person, standing })
    }

    /// The structure a shared space counts towards.
    pub(crate) async fn space_home(&self, space: &Space) -> Result<Option<StructureId>> {
        Ok(match *space {
            Space::Personal { .. } => None,
            Space::Group { group } => Some(self.store.group(group).await?.structure),
            Space::Structure { structure } => Some(structure),
        })
    }

    /// Whether the caller manages the groups of a structure of their territory.
    pub(crate) async fn administers(&self, caller: &Principal, structure: StructureId) -> Result<bool> {
        preau_directory::store::can_in_territory(&*self.store, caller, Permission::ManageGroups, structure).await
    }

    /// The level a space gives the caller by itself.
    pub async fn space_level(&self, caller: &Principal, v: &Viewer, space: &Space) -> Result<Option<Level>> {
        let s = &v.standing;
        let level = match *space {
            Space::Personal { person } => (person == v.person).then_some(Level::Manage),
            Space::Group { group } => {
                let g = self.store.group(group).await?;
                group_level(v, &g, self.administers(caller, g.structure).await?)
            }
            Space::Structure { structure } => {
                if self.administers(caller, structure).await? || s.profiles.contains(&(structure, Profile::Direction)) {
                    Some(Level::Manage)
                } else if ADULTS.iter().any(|p| s.profiles.contains(&(structure, *p))) {
                    Some(Level::Contribute)
                } else {
                    s.profiles.contains(&(structure, Profile::Pupil)).then_some(Level::Read)
                }
            }
        };
        Ok(level)
    }

    /// The caller's level on a node: its space's, raised by the shares of it and its folders.
    pub async fn level_on(&self, caller: &Principal, v: &Viewer, node: &Node) -> Result<Option<Level>> {
        let mut level = self.space_level(caller, v, &node.space).await?;
        if level == Some(Level::Manage) {
            return Ok(level);
        }
        let mut ids = node.ancestors();
        ids.push(node.id);
        for share in self.store.shares_on(&ids).await? {
            if share.target.contains(&v.standing) {
                level = level.max(Some(share.level));
            }
        }
        Ok(level)
    }

    /// A live node the caller holds at `need` or better.
    pub async fn held(&self, caller: &Principal, v: &Viewer, id: DocumentId, need: Level) -> Result<Held> {
        let node = self.store.node(id).await?.filter(|n| n.trashed_at.is_none()).ok_or(Error::NotFound)?;
        let level = self.level_on(caller, v, &node).await?.ok_or(Error::NotFound)?;
        if level < need {
            return Err(Error::Forbidden);
        }
        Ok(Held { node, level })
    }

    /// The caller's level at a place, with the folder (which must be a live folder of that
    /// space).
    pub async fn level_at(&self, caller: &Principal, v: &Viewer, place: &Place) -> Result<(Option<Level>, Option<Node>)> {
        match place.folder {
            None => Ok((self.space_level(caller, v, &place.space).await?, None)),
            Some(id) => {
                let node = self.store.node(id).await?.filter(|n| n.trashed_at.is_none() && n.folder && n.space == place.space).ok_or(Error::NotFound)?;
                Ok((self.level_on(caller, v, &node).await?, Some(node)))
            }
        }
    }

    /// A place the caller may add to, with its folder.
    pub(crate) async fn writable(&self, caller: &Principal, v: &Viewer, place: &Place) -> Result<Option<Node>> {
        match self.level_at(caller, v, place).await? {
            (None, _) => Err(Error::NotFound),
            (Some(l), _) if l < Level::Contribute => Err(Error::Forbidden),
            (Some(_), folder) => Ok(folder),
        }
    }
}

/// The level a class's or group's space gives someone by itself (see the module's table);
/// `administers`: they manage the groups of its structure.
pub(crate) fn group_level(v: &Viewer, g: &Group, administers: bool) -> Option<Level> {
    let s = &v.standing;
    let best = if administers || s.profiles.contains(&(g.structure, Profile::Direction)) {
        Some(Level::Manage)
    } else {
        let in_class = s.classes.iter().filter(|(_, id, _)| *id == g.id).map(|(_, _, p)| match p {
            Profile::Teacher => Some(Level::Manage),
            Profile::Pupil => Some(Level::Read),
            _ => None,
        });
        let member = s.groups.iter().any(|(_, id)| *id == g.id).then_some(Level::Contribute);
        in_class.chain([member]).flatten().max()
    };
    // An archived class is kept for history, read-only.
    if g.archived_year.is_some() { best.map(|_| Level::Read) } else { best }
}

/// Every target that reaches someone of this standing (to find what is shared with them).
pub fn targets_reaching(s: &Standing) -> Vec<Target> {
    let mut t = vec![Target::Person { person: s.person }];
    t.extend(s.profiles.iter().map(|(structure, profile)| Target::Structure { structure: *structure, profile: *profile }));
    t.extend(s.classes.iter().map(|(_, group, profile)| Target::Class { group: *group, profile: *profile }));
    t.extend(s.groups.iter().map(|(_, group)| Target::Group { group: *group }));
    t.sort();
    t.dedup();
    t
}
