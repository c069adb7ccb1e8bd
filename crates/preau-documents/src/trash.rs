//! The trash: a deleted node (with what is inside it) waits there for
//! [`crate::Policy::trash_days`], restorable by whoever deleted it or manages its space, then a
//! job purges it. What is in the trash still counts towards the quota until it is purged or
//! deleted for good.

use crate::model::{Level, Node};
use crate::tree::taken;
use crate::{DocumentStore, Documents};
use preau_core::{DocumentId, Error, Principal, Result};

const DAY: i64 = 86_400;

impl<S: DocumentStore> Documents<S> {
    /// Moves a node to the trash.
    /// Returns the node as it was (its space and folder, to go back to).
    pub async fn delete(&self, caller: &Principal, id: DocumentId) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Contribute).await?;
        if !self.may_take(&held, v.person).await? {
            return Err(Error::Forbidden);
        }
        self.store.trash(&held.node, self.clock.now(), v.person).await?;
        Ok(held.node)
    }

    /// What the caller may restore: what they deleted, and what was deleted in the spaces
    /// they manage.
    pub async fn trash(&self, caller: &Principal) -> Result<Vec<Node>> {
        let v = self.viewer(caller).await?;
        let mut managed = vec![];
        for entry in self.spaces(caller).await? {
            if entry.level == Level::Manage {
                managed.push(entry.space.code());
            }
        }
        let mut nodes = vec![];
        for n in self.store.trashed(&managed, v.person).await? {
            // What they deleted where they may no longer add (a class left, archived) is gone for them.
            if managed.contains(&n.space.code()) || self.level_on(caller, &v, &n).await? >= Some(Level::Contribute) {
                nodes.push(n);
            }
        }
        nodes.sort_by_key(|n| std::cmp::Reverse(n.trashed_at));
        Ok(nodes)
    }

    /// A node deleted as such, that the caller may restore or delete for good.
    async fn trashed_node(&self, caller: &Principal, id: DocumentId) -> Result<Node> {
        let v = self.viewer(caller).await?;
        let node = self.store.node(id).await?.filter(|n| n.trash_root == Some(n.id)).ok_or(Error::NotFound)?;
        // Whoever deleted it, as long as they may still add there; or whoever manages the space.
        let may = if self.space_level(caller, &v, &node.space).await? == Some(Level::Manage) {
            true
        } else {
            node.trashed_by == Some(v.person) && self.level_on(caller, &v, &node).await? >= Some(Level::Contribute)
        };
        if !may {
            return Err(Error::NotFound);
        }
        Ok(node)
    }

    /// Takes a node out of the trash, back into its folder (at the top of its space when the
    /// folder is gone), renamed "name (2)" when the name was taken meanwhile.
    pub async fn restore(&self, caller: &Principal, id: DocumentId) -> Result<Node> {
        let node = self.trashed_node(caller, id).await?;
        let parent = match node.parent {
            Some(p) => self.store.node(p).await?.filter(|f| f.trashed_at.is_none() && f.space == node.space),
            None => None,
        };
        let mut name = node.name.clone();
        let mut n = 2;
        while self.named(&node.space, parent.as_ref().map(|p| p.id), &name).await?.is_some() {
            name = numbered(&node.name, n);
            n += 1;
        }
        let path = Node::child_path(parent.as_ref(), node.id);
        let parent_id = parent.map(|p| p.id);
        self.store.restore(&node, parent_id, &path, &name).await.map_err(taken)?;
        Ok(Node { parent: parent_id, path, name, trashed_at: None, trashed_by: None, trash_root: None, ..node })
    }

    /// Deletes a trashed node for good; returns the blobs to delete.
    pub async fn destroy(&self, caller: &Principal, id: DocumentId) -> Result<Vec<String>> {
        let node = self.trashed_node(caller, id).await?;
        self.store.destroy(&node).await
    }

    /// Deletes for good what has been in the trash longer than the policy keeps it; returns
    /// the blobs to delete.
    pub async fn purge_trash(&self) -> Result<Vec<String>> {
        self.store.purge_trash(self.clock.now() - self.policy().trash_days * DAY).await
    }

    /// Deletes the personal spaces of people who no longer exist (deleted after their retention
    /// delay, or by an administrator), the shares made to them and the homework copies they
    /// handed in; returns the blobs to delete. Their files in shared spaces stay: they belong
    /// to those spaces.
    pub async fn purge_departed(&self) -> Result<Vec<String>> {
        self.store.purge_departed().await
    }
}

/// "rapport.pdf" as its `n`th copy: "rapport (2).pdf".
pub fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn a_restored_name_keeps_its_extension() {
        assert_eq!(numbered("rapport.pdf", 2), "rapport (2).pdf");
        assert_eq!(numbered("Photos", 3), "Photos (3)");
        assert_eq!(numbered(".profil", 2), ".profil (2)");
    }
}
