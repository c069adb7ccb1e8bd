//! Copies: a file, or a folder with everything inside it, into a folder the caller may add to.
//! The copy is the caller's, starts at version 1 (previous versions and shares stay with the
//! original) and needs room for its bytes. Planned here, its bytes duplicated by the web layer,
//! then recorded in one transaction.

use crate::access::Place;
use crate::model::{Level, Node};
use crate::tree::{taken, valid_name};
use crate::{DocumentStore, Documents};
use preau_core::{DocumentId, Error, Principal, Result};
use std::collections::HashMap;

/// What a copy will write: each node copied with its copy (whose blob is still to be made).
#[derive(Debug, Clone)]
pub struct CopyPlan {
    pairs: Vec<(Node, Node)>,
}

impl CopyPlan {
    /// What is copied, in the order [`Documents::finish_copy`] wants the copies' blobs.
    pub fn sources(&self) -> impl Iterator<Item = &Node> {
        self.pairs.iter().map(|(source, _)| source)
    }
}

impl<S: DocumentStore> Documents<S> {
    /// Plans a copy of a node into `to`, named `name` (its own name when none).
    pub async fn plan_copy(&self, caller: &Principal, id: DocumentId, to: Place, name: Option<&str>) -> Result<CopyPlan> {
        let v = self.viewer(caller).await?;
        let source = self.held(caller, &v, id, Level::Read).await?.node;
        let parent = self.writable(caller, &v, &to).await?;
        let name = match name {
            Some(n) => valid_name(n)?,
            None => source.name.clone(),
        };
        if parent.as_ref().is_some_and(|p| p.path.starts_with(&source.path)) {
            return Err(Error::invalid("folder", "document.move_into_itself"));
        }
        if self.named(&to.space, to.folder, &name).await?.is_some() {
            return Err(Error::invalid("name", "document.name_taken"));
        }
        let mut sources = vec![source.clone()];
        if source.folder {
            sources.extend(self.store.descendants(&source).await?);
        }
        let bytes: i64 = sources.iter().map(|n| n.size).sum();
        let structure = self.space_home(&to.space).await?;
        if bytes > self.room(&to.space, structure).await? {
            return Err(Error::invalid("file", "document.over_quota"));
        }
        let now = self.clock.now();
        // Shallowest first: each copy's folder is copied before it.
        let mut paths: HashMap<DocumentId, (DocumentId, String)> = HashMap::new();
        let mut pairs = vec![];
        for (i, n) in sources.into_iter().enumerate() {
            let copy_id = DocumentId::new();
            let (copy_parent, copy_path) = if i == 0 {
                (to.folder, Node::child_path(parent.as_ref(), copy_id))
            } else {
                let (p, path) = n.parent.and_then(|p| paths.get(&p)).cloned().ok_or_else(|| Error::internal("copy out of order"))?;
                (Some(p), format!("{path}{copy_id}/"))
            };
            paths.insert(n.id, (copy_id, copy_path.clone()));
            let copy = Node {
                id: copy_id,
                space: to.space,
                structure,
                parent: copy_parent,
                path: copy_path,
                name: if i == 0 { name.clone() } else { n.name.clone() },
                blob: None,
                version: 1,
                owner: v.person,
                created_at: now,
                modified_at: now,
                trashed_at: None,
                trashed_by: None,
                trash_root: None,
                ..n.clone()
            };
            pairs.push((n, copy));
        }
        Ok(CopyPlan { pairs })
    }

    /// Records a planned copy whose files now have their blobs (in the order of the plan).
    pub async fn finish_copy(&self, plan: CopyPlan, blobs: Vec<Option<String>>) -> Result<Node> {
        if blobs.len() != plan.pairs.len() {
            return Err(Error::internal("a copy's blobs do not match its plan"));
        }
        let nodes: Vec<Node> = plan.pairs.into_iter().zip(blobs).map(|((_, copy), blob)| Node { blob, ..copy }).collect();
        self.store.insert_nodes(&nodes).await.map_err(taken)?;
        nodes.into_iter().next().ok_or(Error::NotFound)
    }
}
