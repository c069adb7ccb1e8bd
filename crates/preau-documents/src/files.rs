//! Files: uploads (new files, or a new version over one of the same name), downloads of the
//! current or a previous version, and how much room is left.
//!
//! An upload is planned before its bytes are read — rights, name, room left, so an upload over
//! quota is refused up front when its size is announced — then streamed by the web layer to
//! the blob storage within [`UploadPlan::room`], then recorded. A file's type is read from its
//! first bytes, never taken from the client.

use crate::access::Place;
use crate::model::{Level, Node, Space, Version};
use crate::tree::{taken, valid_name};
use crate::{DocumentStore, Documents};
use preau_communication::attachments::sniff;
use preau_core::{DocumentId, Error, PersonId, Principal, Result, StructureId};
use serde::Serialize;

/// What an upload may do, decided before its bytes arrive.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    place: Place,
    name: String,
    /// The file it will replace (keeping it as a previous version).
    replaces: Option<Node>,
    /// The most bytes it may have: the largest file, or the room left.
    room: i64,
    /// The largest file the policy takes, when the plan was made.
    largest: i64,
    path_parent: Option<Node>,
    structure: Option<StructureId>,
    uploader: PersonId,
}

impl UploadPlan {
    pub fn room(&self) -> i64 {
        self.room
    }

    /// The file's name, cleaned.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it will be a new version of a file already there.
    pub fn replaces_a_file(&self) -> bool {
        self.replaces.is_some()
    }

    /// The refusal of bytes past [`Self::room`]: too large a file, or no room left.
    pub fn refusal(&self) -> Error {
        refusal(self.room, self.largest)
    }
}

/// How much a space holds and may hold.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    pub used: i64,
    pub quota: i64,
}

/// A node as its page shows it: the caller's level, and what they may do with it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeView {
    pub node: Node,
    pub level: Level,
    /// They may rename it.
    pub may_rename: bool,
    /// They may move or delete it, with all it holds.
    pub may_take: bool,
}

impl<S: DocumentStore> Documents<S> {
    /// Checks an upload of `name` to `place`, of `announced` bytes when the client said so.
    pub async fn plan_upload(&self, caller: &Principal, place: Place, name: &str, announced: Option<i64>) -> Result<UploadPlan> {
        let v = self.viewer(caller).await?;
        let parent = self.writable(caller, &v, &place).await?;
        let name = valid_name(name)?;
        let replaces = match self.named(&place.space, place.folder, &name).await? {
            Some(n) if n.folder => return Err(Error::invalid("name", "document.name_taken")),
            Some(n) => {
                let held = self.held(caller, &v, n.id, Level::Contribute).await?;
                if !held.changeable_by(v.person) {
                    return Err(Error::Forbidden);
                }
                Some(held.node)
            }
            None => None,
        };
        let structure = self.space_home(&place.space).await?;
        let largest = self.policy().max_file_bytes;
        let room = self.room(&place.space, structure).await?.min(largest);
        if announced.is_some_and(|n| n > room) {
            return Err(refusal(room, largest));
        }
        Ok(UploadPlan { place, name, replaces, room, largest, path_parent: parent, structure, uploader: v.person })
    }

    /// Records an upload streamed to `blob` (`size` bytes starting with `head`). Refused when
    /// the space filled up meanwhile: the caller then deletes the blob. Returns the file and the
    /// blobs of versions no longer kept (the caller's to delete).
    pub async fn finish_upload(&self, plan: UploadPlan, blob: String, size: i64, head: &[u8]) -> Result<(Node, Vec<String>)> {
        // The space may have filled up while the bytes came.
        let room = self.room(&plan.place.space, plan.structure).await?.min(plan.largest);
        if size > room {
            return Err(refusal(room, plan.largest));
        }
        let now = self.clock.now();
        let content_type = sniff(head).to_owned();
        match plan.replaces {
            Some(old) => {
                let previous = Version {
                    node: old.id,
                    version: old.version,
                    blob: old.blob.clone().unwrap_or_default(),
                    size: old.size,
                    content_type: old.content_type.clone(),
                    created_at: old.modified_at,
                    author: old.owner,
                };
                let node = Node { blob: Some(blob), size, content_type, version: old.version + 1, modified_at: now, ..old };
                let dropped = self.store.replace_content(&node, &previous, self.policy().versions_kept).await?;
                Ok((node, dropped))
            }
            None => {
                let made = Node::created(plan.place.space, plan.structure, plan.path_parent.as_ref(), plan.name, plan.uploader, now);
                let node = Node { size, content_type, blob: Some(blob), ..made };
                self.store.insert_node(&node).await.map_err(taken)?;
                Ok((node, vec![]))
            }
        }
    }

    /// A file the caller may read, to download.
    pub async fn file(&self, caller: &Principal, id: DocumentId) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Read).await?;
        if held.node.folder {
            return Err(Error::NotFound);
        }
        Ok(held.node)
    }

    /// A node the caller may read, with their level on it.
    pub async fn node(&self, caller: &Principal, id: DocumentId) -> Result<NodeView> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Read).await?;
        let may_take = self.may_take(&held, v.person).await?;
        Ok(NodeView { may_rename: held.changeable_by(v.person), may_take, level: held.level, node: held.node })
    }

    /// A folder the caller may read and everything inside it, each with its path below the
    /// folder (`Séquence 3/fiche.pdf`), folders before their contents: to download as one
    /// archive.
    pub async fn archive(&self, caller: &Principal, id: DocumentId) -> Result<(Node, Vec<(String, Node)>)> {
        let v = self.viewer(caller).await?;
        let folder = self.held(caller, &v, id, Level::Read).await?.node;
        if !folder.folder {
            return Err(Error::NotFound);
        }
        let inside = with_paths(self.store.descendants(&folder).await?);
        Ok((folder, inside))
    }

    /// The files of the caller's own space with their paths (`Séquence 3/fiche.pdf`), by path:
    /// to attach one to a message. At most 500.
    pub async fn my_files(&self, caller: &Principal) -> Result<Vec<(String, Node)>> {
        let v = self.viewer(caller).await?;
        let nodes = self.store.space_nodes(&Space::Personal { person: v.person }.code()).await?;
        let mut files: Vec<(String, Node)> = with_paths(nodes).into_iter().filter(|(_, n)| !n.folder).collect();
        files.sort_by_key(|a| a.0.to_lowercase());
        files.truncate(500);
        Ok(files)
    }

    /// The folders of a space the caller may add to, with their paths, where `moving` (and
    /// what is inside it) could go: for the "move to" choice of a node's page.
    pub async fn destinations(&self, caller: &Principal, id: DocumentId) -> Result<Vec<(String, Node)>> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Contribute).await?;
        if !self.may_take(&held, v.person).await? {
            return Err(Error::Forbidden);
        }
        let moving = &held.node;
        let mut out = vec![];
        for (path, n) in with_paths(self.store.space_nodes(&moving.space.code()).await?) {
            if n.folder && !n.path.starts_with(&moving.path) && self.level_on(caller, &v, &n).await?.is_some_and(|l| l >= Level::Contribute) {
                out.push((path, n));
            }
        }
        out.sort_by_key(|a| a.0.to_lowercase());
        out.truncate(500);
        Ok(out)
    }

    /// A file's previous versions, newest first.
    pub async fn versions(&self, caller: &Principal, id: DocumentId) -> Result<Vec<Version>> {
        self.file(caller, id).await?;
        self.store.versions(id).await
    }

    /// A previous version, to download, with the file it belongs to.
    pub async fn version(&self, caller: &Principal, id: DocumentId, version: i64) -> Result<(Node, Version)> {
        let node = self.file(caller, id).await?;
        let v = self.store.versions(id).await?.into_iter().find(|v| v.version == version).ok_or(Error::NotFound)?;
        Ok((node, v))
    }

    /// How much the caller's own space holds and may hold.
    pub async fn my_usage(&self, caller: &Principal) -> Result<Usage> {
        let v = self.viewer(caller).await?;
        let space = Space::Personal { person: v.person };
        let quota = self.policy().quota_of(v.standing.profiles.iter().map(|(_, p)| *p));
        Ok(Usage { used: self.store.space_usage(&space.code()).await?, quota })
    }

    /// How much a structure's shared spaces hold, for those who manage its space.
    pub async fn structure_usage(&self, caller: &Principal, structure: StructureId) -> Result<Usage> {
        let v = self.viewer(caller).await?;
        if self.space_level(caller, &v, &Space::Structure { structure }).await? != Some(Level::Manage) {
            return Err(Error::Forbidden);
        }
        Ok(Usage { used: self.store.structure_usage(structure).await?, quota: self.policy().structure_quota })
    }
}

/// Nodes with their paths below the first of them whose folder is not among them (shallowest
/// first in, so each folder's path is known before its contents').
pub(crate) fn with_paths(nodes: Vec<Node>) -> Vec<(String, Node)> {
    let mut paths: std::collections::HashMap<DocumentId, String> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        let path = match n.parent.and_then(|p| paths.get(&p)) {
            Some(above) => format!("{above}/{}", n.name),
            None => n.name.clone(),
        };
        paths.insert(n.id, path.clone());
        out.push((path, n));
    }
    out
}

/// The refusal of an upload that does not fit in `room` bytes, where the largest file is `largest`.
fn refusal(room: i64, largest: i64) -> Error {
    if room >= largest { Error::invalid("file", "document.too_large") } else { Error::invalid("file", "document.over_quota") }
}
