//! Properties a WebDAV client stores on a file or folder ("dead" properties: a name in a
//! namespace and an XML value Préau keeps without reading). Read with the node; changed by
//! whoever may change the node.

use crate::model::Level;
use crate::{DocumentStore, Documents};
use preau_core::{DocumentId, Error, Principal, Result};
use serde::Serialize;

/// At most this many properties per node, of at most this many bytes each.
pub const MAX_PROPS: usize = 64;
pub const MAX_PROP_BYTES: usize = 4096;

/// One change of a `PROPPATCH`, applied in the order sent (a property set then removed in
/// the same request is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropChange {
    Set(Prop),
    Remove { namespace: String, name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prop {
    pub namespace: String,
    pub name: String,
    /// The element as the client sent it.
    pub xml: String,
}

impl<S: DocumentStore> Documents<S> {
    pub async fn props(&self, caller: &Principal, id: DocumentId) -> Result<Vec<Prop>> {
        let v = self.viewer(caller).await?;
        self.held(caller, &v, id, Level::Read).await?;
        self.store.props(id).await
    }

    /// Sets and removes properties in order, all or nothing.
    pub async fn patch_props(&self, caller: &Principal, id: DocumentId, changes: &[PropChange]) -> Result<()> {
        let v = self.viewer(caller).await?;
        let held = self.held(caller, &v, id, Level::Contribute).await?;
        if !held.changeable_by(v.person) {
            return Err(Error::Forbidden);
        }
        let mut after = self.store.props(id).await?;
        for c in changes {
            match c {
                PropChange::Set(p) if p.xml.len() > MAX_PROP_BYTES || p.name.is_empty() => return Err(Error::invalid("props", "document.prop_too_large")),
                PropChange::Set(p) => {
                    after.retain(|k| !(k.namespace == p.namespace && k.name == p.name));
                    after.push(p.clone());
                }
                PropChange::Remove { namespace, name } => after.retain(|k| !(k.namespace == *namespace && k.name == *name)),
            }
        }
        if after.len() > MAX_PROPS {
            return Err(Error::invalid("props", "document.too_many_props"));
        }
        self.store.patch_props(id, changes).await
    }
}
