//! Creating, editing and listing structures. Only territory admins create or edit them.

use crate::model::{Structure, StructureKind};
use crate::{Directory, DirectoryStore, audit};
use preau_core::error::Validator;
use preau_core::{Error, Permission, Principal, Result, StructureId, Uai};
use serde::Deserialize;

/// What an admin types in the structure form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StructureInput {
    pub uai: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub academie: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub parent: Option<String>,
}

impl<S: DirectoryStore> Directory<S> {
    async fn parse_structure(&self, caller: &Principal, input: &StructureInput, id: StructureId) -> Result<Structure> {
        let mut v = Validator::new();
        let uai = Uai::parse(&input.uai).map_err(|e| if let Error::Invalid(f) = e { f } else { vec![] });
        if let Err(fields) = &uai {
            fields.iter().cloned().for_each(|f| v.push(f));
        }
        let kind = input.kind.parse::<StructureKind>();
        v.check(kind.is_ok(), "kind", "structure.kind");
        v.check(!input.name.trim().is_empty() && input.name.len() <= 200, "name", "field.required");
        v.check(
            input.postal_code.is_empty() || (input.postal_code.len() == 5 && input.postal_code.bytes().all(|b| b.is_ascii_digit())),
            "postal_code",
            "postal_code.format",
        );
        v.check(input.email.is_empty() || input.email.contains('@'), "email", "email.format");
        let parent = match input.parent.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => match p.parse::<StructureId>() {
                Ok(pid) if pid != id => match self.store.structure(pid).await {
                    Ok(ps) if ps.territory == caller.territory => Some(pid),
                    _ => {
                        v.check(false, "parent", "structure.parent");
                        None
                    }
                },
                _ => {
                    v.check(false, "parent", "structure.parent");
                    None
                }
            },
        };
        v.finish()?;
        let (Ok(uai), Ok(kind)) = (uai, kind) else { return Err(Error::invalid("uai", "uai.format")) };
        Ok(Structure {
            id,
            territory: caller.territory,
            uai,
            name: input.name.trim().to_owned(),
            kind,
            degree: kind.default_degree(),
            academie: input.academie.trim().to_owned(),
            address: input.address.trim().to_owned(),
            postal_code: input.postal_code.trim().to_owned(),
            city: input.city.trim().to_owned(),
            phone: input.phone.trim().to_owned(),
            email: input.email.trim().to_owned(),
            parent,
        })
    }

    pub async fn create_structure(&self, caller: &Principal, input: &StructureInput) -> Result<Structure> {
        caller.require_territory(Permission::ManageTerritory)?;
        let s = self.parse_structure(caller, input, StructureId::new()).await?;
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "structure.create", format!("structure:{}", s.id), Some(s.id), None, Some(&s));
        self.store.insert_structure(&s, &audit).await?;
        Ok(s)
    }

    pub async fn update_structure(&self, caller: &Principal, id: StructureId, input: &StructureInput) -> Result<Structure> {
        caller.require_territory(Permission::ManageTerritory)?;
        let before = self.structure_in_territory(caller, id).await?;
        let s = self.parse_structure(caller, input, id).await?;
        let audit = audit::entry(self.clock.now(), caller, "structure.update", format!("structure:{id}"), Some(id), Some(&before), Some(&s));
        self.store.update_structure(&s, &audit).await?;
        Ok(s)
    }

    /// A structure of the caller's territory (others do not exist for them).
    pub async fn structure_in_territory(&self, caller: &Principal, id: StructureId) -> Result<Structure> {
        let s = self.store.structure(id).await?;
        if s.territory != caller.territory {
            return Err(Error::NotFound);
        }
        Ok(s)
    }

    /// Structures the caller administers in some way: all for a territory admin.
    pub async fn administered_structures(&self, caller: &Principal) -> Result<Vec<Structure>> {
        let all = self.store.structures(caller.territory).await?;
        match caller.structures_with(Permission::ManagePeople) {
            None => Ok(all),
            Some(own) if own.is_empty() => Err(Error::Forbidden),
            Some(own) => Ok(all.into_iter().filter(|s| own.contains(&s.id)).collect()),
        }
    }

    /// The public side of a structure: anyone may read it, logged in or not.
    pub async fn public_structure(&self, uai: &str) -> Result<Structure> {
        let uai = Uai::parse(uai).map_err(|_| Error::NotFound)?;
        for t in self.store.territories().await? {
            if let Ok(s) = self.store.structure_by_uai(t.id, uai.as_str()).await {
                return Ok(s);
            }
        }
        Err(Error::NotFound)
    }
}
