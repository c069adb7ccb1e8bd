//! The territory's catalogue of services and each structure's bouquet per profile.

use crate::model::{Service, ServiceKind};
use crate::{Directory, DirectoryStore, audit};
use preau_core::error::Validator;
use preau_core::{Error, Permission, Principal, Profile, Result, ServiceId, StructureId};
use serde::Deserialize;

/// The icons shipped with Préau; a service names one of them.
pub const ICONS: &[&str] = &["account", "link", "book", "calendar", "mail", "folder", "news", "school", "chart", "globe"];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub icon: String,
}

fn valid_url(kind: ServiceKind, url: &str) -> bool {
    match kind {
        ServiceKind::Internal => url.starts_with('/') && !url.starts_with("//"),
        ServiceKind::Link => url.starts_with("https://") || url.starts_with("http://"),
    }
}

impl<S: DirectoryStore> Directory<S> {
    fn parse_service(caller: &Principal, input: &ServiceInput, id: ServiceId) -> Result<Service> {
        let kind = match input.kind.as_str() {
            "internal" => Some(ServiceKind::Internal),
            "link" => Some(ServiceKind::Link),
            _ => None,
        };
        let code = input.code.trim().to_lowercase();
        let mut v = Validator::new();
        v.check(!code.is_empty() && code.len() <= 40 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "code", "service.code");
        v.check(!input.name.trim().is_empty() && input.name.len() <= 80, "name", "field.required");
        v.check(kind.is_some(), "kind", "service.kind");
        v.check(kind.is_none_or(|k| valid_url(k, input.url.trim())), "url", "service.url");
        let icon = if input.icon.is_empty() { "link" } else { input.icon.as_str() };
        v.check(ICONS.contains(&icon), "icon", "service.icon");
        v.finish()?;
        Ok(Service {
            id,
            territory: caller.territory,
            code,
            name: input.name.trim().to_owned(),
            kind: kind.unwrap_or(ServiceKind::Link),
            url: input.url.trim().to_owned(),
            icon: icon.to_owned(),
        })
    }

    pub async fn create_service(&self, caller: &Principal, input: &ServiceInput) -> Result<Service> {
        caller.require_territory(Permission::ManageCatalogue)?;
        let s = Self::parse_service(caller, input, ServiceId::new())?;
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "service.create", format!("service:{}", s.id), None, None, Some(&s));
        self.store.insert_service(&s, &audit).await?;
        Ok(s)
    }

    pub async fn update_service(&self, caller: &Principal, id: ServiceId, input: &ServiceInput) -> Result<Service> {
        caller.require_territory(Permission::ManageCatalogue)?;
        let before = self.store.service(id).await?;
        if before.territory != caller.territory {
            return Err(Error::NotFound);
        }
        let s = Self::parse_service(caller, input, id)?;
        let audit = audit::entry(self.clock.now(), caller, "service.update", format!("service:{id}"), None, Some(&before), Some(&s));
        self.store.update_service(&s, &audit).await?;
        Ok(s)
    }

    /// The catalogue, which any admin may read to compose a bouquet.
    pub async fn catalogue(&self, caller: &Principal) -> Result<Vec<Service>> {
        if !caller.is_admin() {
            return Err(Error::Forbidden);
        }
        self.store.services(caller.territory).await
    }

    /// Sets the ordered bouquet of a structure for a profile.
    pub async fn set_bouquet(&self, caller: &Principal, structure: StructureId, profile: Profile, services: &[ServiceId]) -> Result<()> {
        caller.require_in(Permission::ManageBouquet, structure)?;
        self.structure_in_territory(caller, structure).await?;
        let catalogue = self.store.services(caller.territory).await?;
        if !services.iter().all(|id| catalogue.iter().any(|s| s.id == *id)) {
            return Err(Error::invalid("services", "service.unknown"));
        }
        let mut dedup: Vec<ServiceId> = vec![];
        for id in services {
            if !dedup.contains(id) {
                dedup.push(*id);
            }
        }
        let before: Vec<String> = self.store.bouquet(structure, profile).await?.into_iter().map(|s| s.code).collect();
        let after: Vec<&str> = dedup.iter().filter_map(|id| catalogue.iter().find(|s| s.id == *id)).map(|s| s.code.as_str()).collect();
        let audit =
            audit::entry(self.clock.now(), caller, "bouquet.set", format!("bouquet:{structure}:{profile}"), Some(structure), Some(&before), Some(&after));
        self.store.set_bouquet(structure, profile, &dedup, &audit).await
    }

    pub async fn bouquet_for_admin(&self, caller: &Principal, structure: StructureId, profile: Profile) -> Result<Vec<Service>> {
        caller.require_in(Permission::ManageBouquet, structure)?;
        self.structure_in_territory(caller, structure).await?;
        self.store.bouquet(structure, profile).await
    }
}
