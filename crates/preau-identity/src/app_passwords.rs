//! Application passwords: a person makes one for each application that cannot use the portal's
//! login (a WebDAV client mounting their documents), names it, sees it once, and revokes it on
//! its own without changing their password. Each acts only as its person; it is kept as a
//! digest; a blocked account's passwords stop working with it.

use crate::{Accounts, IdentityStore, secrets};
use preau_core::{Error, PersonId, Principal, Result, TerritoryId};
use preau_directory::{DirectoryStore, audit};
use serde::Serialize;

/// At most this many per person.
pub const MAX_PER_PERSON: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppPassword {
    pub id: String,
    pub label: String,
    pub created_at: i64,
}

impl<S: DirectoryStore + IdentityStore> Accounts<S> {
    /// A new password for an application named `label`: returned once, in clear.
    pub async fn create_app_password(&self, caller: &Principal, label: &str) -> Result<(AppPassword, String)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 60 {
            return Err(Error::invalid("label", "app_password.label"));
        }
        if self.store.app_passwords(me).await?.len() >= MAX_PER_PERSON {
            return Err(Error::invalid("label", "app_password.too_many"));
        }
        let secret = secrets::token(&*self.rng);
        let record = AppPassword { id: preau_core::ServiceId::new().to_string(), label: label.to_owned(), created_at: self.clock.now() };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "app_password.create", format!("person:{me}"), None, None, Some(&record.label));
        self.store.insert_app_password(me, &record, &secrets::digest(&secret), &audit).await?;
        Ok((record, secret))
    }

    pub async fn app_passwords(&self, caller: &Principal) -> Result<Vec<AppPassword>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.app_passwords(me).await
    }

    pub async fn revoke_app_password(&self, caller: &Principal, id: &str) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let audit = audit::entry::<(), ()>(self.clock.now(), caller, "app_password.revoke", format!("person:{me}"), None, None, None);
        if !self.store.delete_app_password(me, id, &audit).await? {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The person a login and application password designate, if the password is theirs and
    /// their account is not blocked.
    pub async fn person_for_app_password(&self, territory: TerritoryId, login: &str, secret: &str) -> Result<PersonId> {
        let refused = || Error::Unauthenticated("app_password.invalid");
        let person = self.store.app_password_person(&secrets::digest(secret.trim())).await?.ok_or_else(refused)?;
        let named = self.store.person_by_login(territory, login.trim()).await.map_err(|_| refused())?;
        if named.id != person || self.store.credential(person).await?.blocked {
            return Err(refused());
        }
        Ok(person)
    }
}
