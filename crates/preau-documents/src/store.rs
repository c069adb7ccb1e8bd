//! The storage port of the documents service, implemented by `preau-store`. Spaces are passed
//! by their code (`Space::code`), nodes' contents found through their paths.

use crate::links::{Link, StoredLink};
use crate::model::{Node, Share, Version};
use crate::props::{Prop, PropChange};
use preau_communication::{CommunicationStore, Target};
use preau_core::{DocumentId, PersonId, Profile, Result, StructureId};

pub trait DocumentStore: CommunicationStore {
    /// A node, trashed or not.
    async fn node(&self, id: DocumentId) -> Result<Option<Node>>;
    /// These nodes (those that exist), in no particular order.
    async fn nodes(&self, ids: &[DocumentId]) -> Result<Vec<Node>>;
    /// The live (not trashed) nodes of a folder (`None`: the top of the space), by name.
    async fn folder_contents(&self, space: &str, parent: Option<DocumentId>) -> Result<Vec<Node>>;
    /// The live node of a folder with that name, whatever its case.
    async fn named(&self, space: &str, parent: Option<DocumentId>, name: &str) -> Result<Option<Node>>;
    /// The live nodes of a space, shallowest first.
    async fn space_nodes(&self, space: &str) -> Result<Vec<Node>>;
    /// The live nodes inside a folder, at any depth, shallowest first.
    async fn descendants(&self, folder: &Node) -> Result<Vec<Node>>;
    /// A new file or folder. A live node of the same name in the same folder: `Conflict`.
    async fn insert_node(&self, node: &Node) -> Result<()>;
    /// New nodes in one transaction (a copied folder with its contents, folders first).
    async fn insert_nodes(&self, nodes: &[Node]) -> Result<()>;
    /// Makes `node` (its new content, size, type, version) the current version, keeping the
    /// one it replaces as `previous`; only the newest `keep` previous versions stay. Returns
    /// the blobs of those dropped.
    async fn replace_content(&self, node: &Node, previous: &Version, keep: usize) -> Result<Vec<String>>;
    /// A file's previous versions, newest first.
    async fn versions(&self, id: DocumentId) -> Result<Vec<Version>>;
    async fn rename(&self, id: DocumentId, name: &str, at: i64) -> Result<()>;
    /// Moves a node and everything inside it: `moved` is the node as it is to be (space,
    /// structure, folder, path, name); the paths inside it follow its own.
    async fn move_node(&self, node: &Node, moved: &Node) -> Result<()>;
    /// Trashes a node and what is inside it (what is already in the trash stays as it was).
    async fn trash(&self, node: &Node, at: i64, by: PersonId) -> Result<()>;
    /// The nodes deleted as such (not with their folder) in these spaces or by `by`.
    async fn trashed(&self, spaces: &[String], by: PersonId) -> Result<Vec<Node>>;
    /// Takes a node and what was trashed with it out of the trash, into `parent` as `name`.
    async fn restore(&self, node: &Node, parent: Option<DocumentId>, to_path: &str, name: &str) -> Result<()>;
    /// Deletes a trashed node, what was trashed with it, their versions and shares; returns
    /// their blobs.
    async fn destroy(&self, node: &Node) -> Result<Vec<String>>;
    /// Deletes what was trashed before `before` (as [`Self::destroy`]); returns their blobs.
    async fn purge_trash(&self, before: i64) -> Result<Vec<String>>;
    /// Deletes every node (and its versions, properties, links) of the personal spaces whose
    /// person is gone, and the shares to people who are gone; returns the nodes' blobs.
    async fn purge_departed(&self) -> Result<Vec<String>>;
    /// Bytes kept in a space (current and previous versions, trash included).
    async fn space_usage(&self, space: &str) -> Result<i64>;
    /// Bytes kept in a structure's shared spaces.
    async fn structure_usage(&self, structure: StructureId) -> Result<i64>;
    /// Bytes of a node and what is inside it (current and previous versions).
    async fn subtree_bytes(&self, node: &Node) -> Result<i64>;

    /// A node's dead properties.
    async fn props(&self, node: DocumentId) -> Result<Vec<Prop>>;
    /// Applies changes to a node's properties, in order, in one transaction.
    async fn patch_props(&self, node: DocumentId, changes: &[PropChange]) -> Result<()>;

    async fn insert_link(&self, link: &StoredLink) -> Result<()>;
    /// A structure's own rule for public links: the profiles that may not make them there.
    async fn link_policy(&self, structure: StructureId) -> Result<Option<Vec<Profile>>>;
    /// Sets (or, with `None`, removes) a structure's own rule.
    async fn set_link_policy(&self, structure: StructureId, forbidden: Option<&[Profile]>, audit: &preau_directory::AuditEntry) -> Result<()>;
    async fn links_of(&self, node: DocumentId) -> Result<Vec<Link>>;
    async fn link_by_digest(&self, digest: &str) -> Result<Option<StoredLink>>;
    /// Deletes a node's link; whether there was one.
    async fn delete_link(&self, node: DocumentId, id: &str) -> Result<bool>;

    /// The shares of these nodes.
    async fn shares_on(&self, nodes: &[DocumentId]) -> Result<Vec<Share>>;
    /// The shares to any of these targets.
    async fn shares_to(&self, targets: &[Target]) -> Result<Vec<Share>>;
    /// Adds shares, or changes the level of the node's shares to those targets, in one
    /// transaction.
    async fn put_shares(&self, shares: &[Share]) -> Result<()>;
    /// Removes a share; whether there was one.
    async fn remove_share(&self, node: DocumentId, target: &Target) -> Result<bool>;
}
