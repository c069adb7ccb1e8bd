//! Roles are named sets of permissions, granted to a person or a group within a scope. They are
//! distinct from profiles (what someone is) and functions (their job in a school).

use crate::{GroupId, StructureId};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What an operation requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Create and edit structures, appoint local admins, issue API keys, publish the charter.
    ManageTerritory,
    /// Edit the territory's catalogue of services.
    ManageCatalogue,
    /// Create and edit people, their profiles, functions and parent links; block accounts;
    /// print activation codes.
    ManagePeople,
    /// Create and edit classes and groups and their members.
    ManageGroups,
    /// Grant and revoke roles below local admin.
    ManageRoles,
    /// Choose the structure's bouquet of services per profile.
    ManageBouquet,
    /// Register outside services (connectors) and set what each receives: every connector for a
    /// territory admin, the structure's own for a local admin.
    ManageConnectors,
    /// Read the audit log.
    ReadAudit,
    /// See and change the structure's communication rules (who may write to whom).
    ManageCommunication,
    /// Hide reported content (used by later services).
    Moderate,
    /// Enter, import and change the structure's timetable and calendar.
    ManageTimetable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    TerritoryAdmin,
    LocalAdmin,
    Moderator,
    /// Enters and changes the timetable of a structure (*responsable de l'emploi du temps*).
    TimetableManager,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::TerritoryAdmin, Role::LocalAdmin, Role::Moderator, Role::TimetableManager];

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::TerritoryAdmin => &[
                ManageTerritory,
                ManageCatalogue,
                ManagePeople,
                ManageGroups,
                ManageRoles,
                ManageBouquet,
                ManageConnectors,
                ReadAudit,
                ManageCommunication,
                Moderate,
                ManageTimetable,
            ],
            Role::LocalAdmin => {
                &[ManagePeople, ManageGroups, ManageRoles, ManageBouquet, ManageConnectors, ReadAudit, ManageCommunication, Moderate, ManageTimetable]
            }
            Role::Moderator => &[Moderate],
            Role::TimetableManager => &[ManageTimetable],
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::TerritoryAdmin => "territory_admin",
            Role::LocalAdmin => "local_admin",
            Role::Moderator => "moderator",
            Role::TimetableManager => "timetable_manager",
        }
    }

    /// Whether this role makes its holder an administrator (opens the admin console).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::TerritoryAdmin | Role::LocalAdmin)
    }
}

impl FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.code() == s).ok_or_else(|| crate::Error::invalid("role", "role.unknown"))
    }
}

/// Where a role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    Territory,
    Structure(StructureId),
    Group(GroupId),
}
