//! What the documents service keeps: spaces, their files and folders (nodes), the previous
//! versions of a file, and shares.

use preau_communication::Target;
use preau_core::{DocumentId, GroupId, PersonId, StructureId};
use serde::{Deserialize, Serialize};

/// Where a node lives: a person's own space, or the shared space of a class or group, or of a
/// whole structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Space {
    Personal {
        person: PersonId,
    },
    /// A class, teaching group, or functional or manual group.
    Group {
        group: GroupId,
    },
    Structure {
        structure: StructureId,
    },
}

impl Space {
    /// `person:<id>`, `group:<id>`, `structure:<id>`: how it is stored and written in URLs.
    pub fn code(&self) -> String {
        match self {
            Space::Personal { person } => format!("person:{person}"),
            Space::Group { group } => format!("group:{group}"),
            Space::Structure { structure } => format!("structure:{structure}"),
        }
    }

    pub fn parse(s: &str) -> Option<Space> {
        let (kind, id) = s.split_once(':')?;
        Some(match kind {
            "person" => Space::Personal { person: id.parse().ok()? },
            "group" => Space::Group { group: id.parse().ok()? },
            "structure" => Space::Structure { structure: id.parse().ok()? },
            _ => return None,
        })
    }
}

/// What someone may do with a node. Each level includes those before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// See, open and download.
    Read,
    /// Also add files and folders, and change or delete what one added oneself.
    Contribute,
    /// Also change, move and delete anything, and share.
    Manage,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Read, Level::Contribute, Level::Manage];

    pub fn code(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Contribute => "contribute",
            Level::Manage => "manage",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == s)
    }
}

/// A file or folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: DocumentId,
    pub space: Space,
    /// The structure whose overall quota a shared space counts towards (none for a personal
    /// space).
    #[serde(skip)]
    pub structure: Option<StructureId>,
    /// Its folder; `None` at the top of its space.
    pub parent: Option<DocumentId>,
    /// The ids of its folders from the top, then its own: `/a/b/id/`. A folder's contents are
    /// the nodes whose path starts with its own.
    #[serde(skip)]
    pub path: String,
    pub name: String,
    pub folder: bool,
    /// Bytes of the current version (0 for a folder).
    pub size: i64,
    pub content_type: String,
    /// Where the current version's bytes are kept (none for a folder).
    #[serde(skip)]
    pub blob: Option<String>,
    /// 1 for the first upload, then one more for each upload over it.
    pub version: i64,
    /// Who created it (their own to change with the contribute level).
    pub owner: PersonId,
    pub created_at: i64,
    pub modified_at: i64,
    pub trashed_at: Option<i64>,
    #[serde(skip)]
    pub trashed_by: Option<PersonId>,
    /// The node whose deletion trashed this one (itself, or a folder above).
    #[serde(skip)]
    pub trash_root: Option<DocumentId>,
}

impl Node {
    /// The ids of its folders, from the top.
    pub fn ancestors(&self) -> Vec<DocumentId> {
        let mut ids: Vec<DocumentId> = self.path.split('/').filter_map(|s| s.parse().ok()).collect();
        ids.pop();
        ids
    }

    /// A new live node, a file until told otherwise, in `folder` (or at the top of `space`),
    /// made by `owner` at `now`.
    pub fn created(space: Space, structure: Option<StructureId>, folder: Option<&Node>, name: String, owner: PersonId, now: i64) -> Node {
        let id = DocumentId::new();
        Node {
            id,
            space,
            structure,
            parent: folder.map(|f| f.id),
            path: Node::child_path(folder, id),
            name,
            folder: false,
            size: 0,
            content_type: String::new(),
            blob: None,
            version: 1,
            owner,
            created_at: now,
            modified_at: now,
            trashed_at: None,
            trashed_by: None,
            trash_root: None,
        }
    }

    /// The path of a node named `id` inside this folder (or at the top when `folder` is none).
    pub fn child_path(folder: Option<&Node>, id: DocumentId) -> String {
        format!("{}{id}/", folder.map(|f| f.path.as_str()).unwrap_or("/"))
    }
}

/// A previous version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub node: DocumentId,
    pub version: i64,
    #[serde(skip)]
    pub blob: String,
    pub size: i64,
    pub content_type: String,
    pub created_at: i64,
    pub author: PersonId,
}

/// A node shared with a target at a level (the node's contents inherit it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub node: DocumentId,
    pub target: Target,
    pub level: Level,
    pub granted_by: PersonId,
    pub granted_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_and_levels_read_back_what_they_write() {
        let s = Space::Group { group: GroupId::new() };
        assert_eq!(Space::parse(&s.code()), Some(s));
        assert_eq!(Space::parse("person:nope"), None);
        assert_eq!(Level::parse("contribute"), Some(Level::Contribute));
        assert!(Level::Read < Level::Contribute && Level::Contribute < Level::Manage);
    }

    #[test]
    fn a_path_names_the_folders_above() {
        let (a, b, c) = (DocumentId::new(), DocumentId::new(), DocumentId::new());
        let n = Node {
            id: c,
            space: Space::Personal { person: PersonId::new() },
            structure: None,
            parent: Some(b),
            path: format!("/{a}/{b}/{c}/"),
            name: "x".into(),
            folder: false,
            size: 0,
            content_type: String::new(),
            blob: None,
            version: 1,
            owner: PersonId::new(),
            created_at: 0,
            modified_at: 0,
            trashed_at: None,
            trashed_by: None,
            trash_root: None,
        };
        assert_eq!(n.ancestors(), vec![a, b]);
    }
}
