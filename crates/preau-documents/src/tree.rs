//! Spaces and folders: which spaces someone has, a folder's contents, new folders, renaming
//! and moving. Names are unique in a folder whatever their case.

use crate::access::{Place, Viewer};
use crate::model::{Level, Node, Space};
use crate::{DocumentStore, Documents};
use preau_communication::attachments::clean_name;
use preau_core::{DocumentId, Error, Principal, Result, StructureId};
use serde::Serialize;

/// A space someone may open.
#[derive(Debug, Clone, Serialize)]
pub struct SpaceEntry {
    pub space: Space,
    /// The class, group or structure's name (empty for one's own space).
    pub name: String,
    pub level: Level,
}

/// A folder's contents as the caller sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub space: Space,
    pub folder: Option<DocumentId>,
    pub level: Level,
    /// The folders from the first the caller may open down to this one, with their names.
    pub trail: Vec<(DocumentId, String)>,
    /// Folders first, then files, by name.
    pub items: Vec<Node>,
}

/// A node's name as typed: cleaned of folders and tricks; refused when nothing is left.
pub fn valid_name(raw: &str) -> Result<String> {
    if raw.trim().trim_matches(['.', '/', '\\']).trim().is_empty() {
        return Err(Error::invalid("name", "document.name_required"));
    }
    Ok(clean_name(raw))
}

impl<S: DocumentStore> Documents<S> {
    /// The caller's own space, then the shared spaces of their classes, groups and structures.
    pub async fn spaces(&self, caller: &Principal) -> Result<Vec<SpaceEntry>> {
        let v = self.viewer(caller).await?;
        let mut out = vec![SpaceEntry { space: Space::Personal { person: v.person }, name: String::new(), level: Level::Manage }];
        let mut groups: Vec<_> = v.standing.classes.iter().map(|(_, g, _)| *g).chain(v.standing.groups.iter().map(|(_, g)| *g)).collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            // One read of the group gives both its level and its name.
            let g = self.store.group(group).await?;
            if let Some(level) = crate::access::group_level(&v, &g, self.administers(caller, g.structure).await?) {
                out.push(SpaceEntry { space: Space::Group { group }, name: g.name, level });
            }
        }
        for structure in v.standing.structures() {
            let space = Space::Structure { structure };
            if let Some(level) = self.space_level(caller, &v, &space).await? {
                out.push(SpaceEntry { space, name: self.store.structure(structure).await?.name, level });
            }
        }
        Ok(out)
    }

    /// What a folder (or the top of a space) holds.
    pub async fn list(&self, caller: &Principal, place: Place) -> Result<Listing> {
        let v = self.viewer(caller).await?;
        let (level, folder) = self.level_at(caller, &v, &place).await?;
        let level = level.ok_or(Error::NotFound)?;
        let trail = match &folder {
            Some(f) => self.trail(caller, &v, f).await?,
            None => vec![],
        };
        let mut items = self.store.folder_contents(&place.space.code(), place.folder).await?;
        items.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
        Ok(Listing { space: place.space, folder: place.folder, level, trail, items })
    }

    /// A folder's folders from the first the caller may open, then itself.
    async fn trail(&self, caller: &Principal, v: &Viewer, folder: &Node) -> Result<Vec<(DocumentId, String)>> {
        let ids = folder.ancestors();
        let mut above = self.store.nodes(&ids).await?;
        above.sort_by_key(|n| n.path.len());
        above.push(folder.clone());
        let mut trail = vec![];
        for n in above {
            if !trail.is_empty() || self.level_on(caller, v, &n).await?.is_some() {
                trail.push((n.id, n.name));
            }
        }
        Ok(trail)
    }

    /// A live node of that name in the folder, whatever its case.
    pub(crate) async fn named(&self, space: &Space, folder: Option<DocumentId>, name: &str) -> Result<Option<Node>> {
        self.store.named(&space.code(), folder, name).await
    }

    /// The node of that exact name at a place the caller may open (`None`: there is none).
    pub async fn lookup(&self, caller: &Principal, place: Place, name: &str) -> Result<Option<Node>> {
        let v = self.viewer(caller).await?;
        if self.level_at(caller, &v, &place).await?.0.is_none() {
            return Err(Error::NotFound);
        }
        Ok(self.named(&place.space, place.folder, name).await?.filter(|n| n.name == name))
    }

    /// A new folder.
    pub async fn create_folder(&self, caller: &Principal, place: Place, name: &str) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let name = valid_name(name)?;
        let parent = self.writable(caller, &v, &place).await?;
        if self.named(&place.space, place.folder, &name).await?.is_some() {
            return Err(Error::invalid("name", "document.name_taken"));
        }
        let structure = self.space_home(&place.space).await?;
        let node = Node { folder: true, ..Node::created(place.space, structure, parent.as_ref(), name, v.person, self.clock.now()) };
        self.store.insert_node(&node).await.map_err(taken)?;
        Ok(node)
    }

    pub async fn rename(&self, caller: &Principal, id: DocumentId, name: &str) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Contribute).await?;
        if !held.changeable_by(v.person) {
            return Err(Error::Forbidden);
        }
        let name = valid_name(name)?;
        if self.named(&held.node.space, held.node.parent, &name).await?.is_some_and(|n| n.id != id) {
            return Err(Error::invalid("name", "document.name_taken"));
        }
        self.store.rename(id, &name, self.clock.now()).await.map_err(taken)?;
        Ok(Node { name, ..held.node })
    }

    /// Moves a node (with what is inside it) into another folder or space, where the caller
    /// may add; never into itself. Moving to another space needs room there.
    pub async fn move_to(&self, caller: &Principal, id: DocumentId, to: Place) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Contribute).await?;
        if !self.may_take(&held, v.person).await? {
            return Err(Error::Forbidden);
        }
        let parent = self.writable(caller, &v, &to).await?;
        let node = held.node;
        if parent.as_ref().is_some_and(|p| p.path.starts_with(&node.path)) {
            return Err(Error::invalid("folder", "document.move_into_itself"));
        }
        if self.named(&to.space, to.folder, &node.name).await?.is_some_and(|n| n.id != id) {
            return Err(Error::invalid("name", "document.name_taken"));
        }
        let structure = self.space_home(&to.space).await?;
        // Bytes count towards a personal space, or towards the structure of a shared one.
        let bucket = |space: &Space, structure: Option<StructureId>| match space {
            Space::Personal { person } => (Some(*person), None),
            _ => (None, structure),
        };
        if bucket(&to.space, structure) != bucket(&node.space, node.structure) {
            let bytes = self.store.subtree_bytes(&node).await?;
            if bytes > self.room(&to.space, structure).await? {
                return Err(Error::invalid("file", "document.over_quota"));
            }
        }
        let moved = Node {
            space: to.space,
            structure,
            parent: to.folder,
            path: Node::child_path(parent.as_ref(), node.id),
            modified_at: self.clock.now(),
            ..node.clone()
        };
        self.store.move_node(&node, &moved).await.map_err(taken)?;
        Ok(moved)
    }

    /// Bytes a space may still take: its own quota (a personal space) or its structure's.
    pub(crate) async fn room(&self, space: &Space, structure: Option<StructureId>) -> Result<i64> {
        let left = match (space, structure) {
            (Space::Personal { person }, _) => {
                let standing = self.communication.reach_of(*person).await?.0;
                self.policy().quota_of(standing.profiles.iter().map(|(_, p)| *p)) - self.store.space_usage(&space.code()).await?
            }
            (_, Some(s)) => self.policy().structure_quota - self.store.structure_usage(s).await?,
            (_, None) => 0,
        };
        Ok(left.max(0))
    }
}

/// A name taken meanwhile (the store's unique index) reads as the same error as one seen taken.
pub(crate) fn taken(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::invalid("name", "document.name_taken"),
        other => other,
    }
}
