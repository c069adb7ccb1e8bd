//! API keys issued by a territory admin for scripts and outside systems. A key acts with the
//! rights of a territory admin of its territory; it is shown once and stored as a digest.

use crate::store::ApiKeyRecord;
use crate::{Accounts, IdentityStore, secrets};
use preau_core::{Caller, Error, Permission, Principal, Result, Role, RoleGrant, Scope};
use preau_directory::{DirectoryStore, audit};

/// API keys start with this prefix so that leaked keys are easy to recognise and scan for.
pub const PREFIX: &str = "preau_";

impl<S: DirectoryStore + IdentityStore> Accounts<S> {
    pub async fn issue_api_key(&self, caller: &Principal, name: &str) -> Result<(ApiKeyRecord, String)> {
        caller.require_territory(Permission::ManageTerritory)?;
        let name = name.trim();
        if name.is_empty() || name.len() > 80 {
            return Err(Error::invalid("name", "field.required"));
        }
        let token = format!("{PREFIX}{}", secrets::token(&*self.rng));
        let record = ApiKeyRecord {
            id: preau_core::ServiceId::new().to_string(),
            territory: caller.territory,
            name: name.to_owned(),
            created_at: self.clock.now(),
            revoked: false,
        };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "api_key.issue", format!("api_key:{}", record.id), None, None, Some(&name));
        self.store.insert_api_key(&record, &secrets::digest(&token), &audit).await?;
        Ok((record, token))
    }

    pub async fn revoke_api_key(&self, caller: &Principal, id: &str) -> Result<()> {
        caller.require_territory(Permission::ManageTerritory)?;
        let keys = self.store.api_keys(caller.territory).await?;
        if !keys.iter().any(|k| k.id == id) {
            return Err(Error::NotFound);
        }
        let audit = audit::entry::<(), ()>(self.clock.now(), caller, "api_key.revoke", format!("api_key:{id}"), None, None, None);
        self.store.revoke_api_key(id, &audit).await
    }

    pub async fn api_keys(&self, caller: &Principal) -> Result<Vec<ApiKeyRecord>> {
        caller.require_territory(Permission::ManageTerritory)?;
        self.store.api_keys(caller.territory).await
    }

    /// The principal of a bearer token, if it is a live key.
    pub async fn principal_for_api_key(&self, token: &str) -> Result<Principal> {
        if !token.starts_with(PREFIX) {
            return Err(Error::Unauthenticated("api_key.invalid"));
        }
        let key = self.store.api_key_by_digest(&secrets::digest(token)).await?.filter(|k| !k.revoked).ok_or(Error::Unauthenticated("api_key.invalid"))?;
        Ok(Principal {
            caller: Caller::ApiKey { name: key.name },
            territory: key.territory,
            grants: vec![RoleGrant { role: Role::TerritoryAdmin, scope: Scope::Territory }],
            memberships: vec![],
            structure_parents: vec![],
        })
    }
}
