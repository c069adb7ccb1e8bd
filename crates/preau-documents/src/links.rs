//! Public links: whoever manages a file or folder gives an address that opens it without an
//! account (a folder: its files one by one, or as one archive),
//! until a date (at most [`MAX_DAYS`] ahead), optionally behind a password. The policy forbids
//! them to some profiles (pupils by default): someone who has only forbidden profiles cannot
//! make one. The link's token is kept as a digest by the web layer, its password as a hash;
//! a link stops with its date, its revocation, or its file leaving (trash, deletion).

use crate::access::Viewer;
use crate::model::{Level, Node};
use crate::{DocumentStore, Documents};
use preau_core::{DocumentId, Error, PersonId, Principal, Profile, Result, StructureId};
use serde::Serialize;

/// The longest a link may live.
pub const MAX_DAYS: i64 = 90;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: String,
    pub node: DocumentId,
    pub created_by: PersonId,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whether it asks for a password.
    pub protected: bool,
}

/// A link as stored: with the digest of its token and the hash of its password.
#[derive(Debug, Clone)]
pub struct StoredLink {
    pub link: Link,
    pub digest: String,
    pub password_hash: Option<String>,
}

impl<S: DocumentStore> Documents<S> {
    /// Makes a link to a file the caller manages, valid `days` days; `digest` is the digest of
    /// the token the web layer gives out; `hash_password` gives the hash of its password if
    /// any, called only once the link is allowed (hashing is costly).
    pub async fn create_link(
        &self,
        caller: &Principal,
        id: DocumentId,
        days: i64,
        digest: String,
        hash_password: impl AsyncFnOnce() -> Result<Option<String>>,
    ) -> Result<Link> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Manage).await?;
        if !self.viewer_may_make_links(&v).await? {
            return Err(Error::Forbidden);
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(Error::invalid("days", "document.link_days"));
        }
        let password_hash = hash_password().await?;
        let now = self.clock.now();
        let link = Link {
            id: preau_core::ServiceId::new().to_string(),
            node: id,
            created_by: v.person,
            created_at: now,
            expires_at: now + days * DAY,
            protected: password_hash.is_some(),
        };
        self.store.insert_link(&StoredLink { link: link.clone(), digest, password_hash }).await?;
        Ok(link)
    }

    /// Whether the policy lets the caller make public links: in one of their structures, they
    /// have a profile that structure's rule (its own, or else the territory's) does not forbid.
    pub async fn may_make_links(&self, caller: &Principal) -> Result<bool> {
        self.viewer_may_make_links(&self.viewer(caller).await?).await
    }

    /// [`Self::may_make_links`] for a viewer already read: each structure's rule read once.
    async fn viewer_may_make_links(&self, v: &Viewer) -> Result<bool> {
        let territory = self.policy().no_public_links;
        let mut rules: Vec<(StructureId, Option<Vec<Profile>>)> = vec![];
        for (structure, profile) in &v.standing.profiles {
            if !rules.iter().any(|(s, _)| s == structure) {
                rules.push((*structure, self.store.link_policy(*structure).await?));
            }
            let own = rules.iter().find(|(s, _)| s == structure).and_then(|(_, r)| r.as_ref());
            if !own.unwrap_or(&territory).contains(profile) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A structure's rule for public links, for those who administer it: the profiles that may
    /// not make them, and whether it is the structure's own (else the territory's).
    pub async fn link_policy(&self, caller: &Principal, structure: StructureId) -> Result<(Vec<Profile>, bool)> {
        if !self.administers(caller, structure).await? {
            return Err(Error::Forbidden);
        }
        Ok(match self.store.link_policy(structure).await? {
            Some(own) => (own, true),
            None => (self.policy().no_public_links, false),
        })
    }

    /// Sets a structure's own rule for public links (`None`: the territory's again). Audited.
    pub async fn set_link_policy(&self, caller: &Principal, structure: StructureId, forbidden: Option<Vec<Profile>>) -> Result<()> {
        if !self.administers(caller, structure).await? {
            return Err(Error::Forbidden);
        }
        let mut forbidden = forbidden;
        if let Some(list) = forbidden.as_mut() {
            list.sort_by_key(|p| p.code());
            list.dedup();
        }
        // The structure's own rule before and after (`null`: the territory's).
        let codes = |l: &[Profile]| l.iter().map(|p| p.code()).collect::<Vec<_>>();
        let before = self.store.link_policy(structure).await?.as_deref().map(codes);
        let after = forbidden.as_deref().map(codes);
        let entry = preau_directory::audit::entry(
            self.clock.now(),
            caller,
            "documents.link_policy",
            format!("structure:{structure}"),
            Some(structure),
            Some(&before),
            Some(&after),
        );
        self.store.set_link_policy(structure, forbidden.as_deref(), &entry).await
    }

    /// A file's live links, for its manager.
    pub async fn links(&self, caller: &Principal, id: DocumentId) -> Result<Vec<Link>> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Manage).await?;
        let now = self.clock.now();
        Ok(self.store.links_of(id).await?.into_iter().filter(|l| l.expires_at > now).collect())
    }

    pub async fn revoke_link(&self, caller: &Principal, id: DocumentId, link: &str) -> Result<()> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Manage).await?;
        if !self.store.delete_link(id, link).await? {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The file or folder a link's token digest opens, with the link (its password is the
    /// web layer's to check), if the link is live and its node too.
    pub async fn open_link(&self, digest: &str) -> Result<(StoredLink, Node)> {
        let link = self.store.link_by_digest(digest).await?.filter(|l| l.link.expires_at > self.clock.now()).ok_or(Error::NotFound)?;
        let node = self.store.node(link.link.node).await?.filter(|n| n.trashed_at.is_none()).ok_or(Error::NotFound)?;
        Ok((link, node))
    }

    /// The files a folder's link opens, with their paths below it.
    pub async fn link_files(&self, folder: &Node) -> Result<Vec<(String, Node)>> {
        Ok(crate::files::with_paths(self.store.descendants(folder).await?).into_iter().filter(|(_, n)| !n.folder).collect())
    }

    /// A file inside the folder a link opens (none outside it).
    pub async fn link_file(&self, folder: &Node, id: DocumentId) -> Result<Node> {
        self.store
            .node(id)
            .await?
            .filter(|n| n.trashed_at.is_none() && !n.folder && n.space == folder.space && n.path.starts_with(&folder.path))
            .ok_or(Error::NotFound)
    }
}
