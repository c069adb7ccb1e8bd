//! Shares: the manager of a node shares it with people, classes, groups or a structure's
//! profiles at a level; its contents inherit the share. Only targets within the caller's
//! communication rules may be picked; those reached are told through their notification
//! feed. The manager sees and revokes the shares; a revoked share is gone at once.

use crate::access::targets_reaching;
use crate::model::{Level, Node, Share};
use crate::{DocumentStore, Documents};
use preau_communication::Target;
use preau_communication::notifications::Kind;
use preau_core::{DocumentId, Error, Principal, Result};
use serde::Serialize;

/// A share with the name of what it reaches.
#[derive(Debug, Clone, Serialize)]
pub struct NamedShare {
    #[serde(flatten)]
    pub share: Share,
    pub name: String,
}

/// Something shared with the caller, and their level on it.
#[derive(Debug, Clone, Serialize)]
pub struct SharedWithMe {
    pub node: Node,
    pub level: Level,
}

impl<S: DocumentStore> Documents<S> {
    /// Shares a node with targets at a level (changing the level of an existing share).
    pub async fn share(&self, caller: &Principal, id: DocumentId, targets: &[Target], level: Level) -> Result<Vec<NamedShare>> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Manage).await?;
        if targets.is_empty() {
            return Err(Error::invalid("targets", "document.share_nobody"));
        }
        if self.communication.within_reach(caller, targets).await?.len() != targets.len() {
            return Err(Error::invalid("targets", "document.share_out_of_reach"));
        }
        let now = self.clock.now();
        let shares: Vec<Share> = targets.iter().map(|t| Share { node: id, target: *t, level, granted_by: v.person, granted_at: now }).collect();
        self.store.put_shares(&shares).await?;
        let mut people = self.store.expand(targets).await?;
        people.retain(|p| *p != v.person);
        let me = self.store.person(v.person).await?;
        let title = format!("{} : {}", me.display_name(), held.node.name);
        self.communication.notify(&people, Kind::Document, now, &title, &format!("/documents/nodes/{id}"), &*self.communication.live).await?;
        self.named_shares(id).await
    }

    /// A node's own shares (not those of its folders), for its manager.
    pub async fn shares(&self, caller: &Principal, id: DocumentId) -> Result<Vec<NamedShare>> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Manage).await?;
        self.named_shares(id).await
    }

    async fn named_shares(&self, id: DocumentId) -> Result<Vec<NamedShare>> {
        let shares = self.store.shares_on(&[id]).await?;
        let targets: Vec<Target> = shares.iter().map(|s| s.target).collect();
        let names = self.store.target_names(&targets).await?;
        Ok(shares.into_iter().zip(names).map(|(share, name)| NamedShare { share, name }).collect())
    }

    /// Revokes a node's share to a target.
    pub async fn revoke(&self, caller: &Principal, id: DocumentId, target: &Target) -> Result<()> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Manage).await?;
        if !self.store.remove_share(id, target).await? {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// What others shared with the caller (outside their own space), newest first.
    pub async fn shared_with_me(&self, caller: &Principal) -> Result<Vec<SharedWithMe>> {
        let v = self.viewer(caller).await?;
        let mut shares = self.store.shares_to(&targets_reaching(&v.standing)).await?;
        shares.sort_by_key(|s| std::cmp::Reverse(s.granted_at));
        let ids: Vec<DocumentId> = shares.iter().map(|s| s.node).collect();
        let nodes = self.store.nodes(&ids).await?;
        let mut out: Vec<SharedWithMe> = vec![];
        for s in &shares {
            let Some(node) = nodes.iter().find(|n| n.id == s.node && n.trashed_at.is_none()) else { continue };
            if node.owner == v.person || out.iter().any(|o| o.node.id == node.id) {
                continue;
            }
            if let Some(level) = self.level_on(caller, &v, node).await? {
                out.push(SharedWithMe { node: node.clone(), level });
            }
        }
        Ok(out)
    }
}
