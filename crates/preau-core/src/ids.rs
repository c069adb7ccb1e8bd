//! Typed identifiers. All are UUIDv7 (time-ordered), stored as text so that SQLite and
//! PostgreSQL share one schema; a `PersonId` can never be passed where a `StructureId` is meant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| crate::Error::NotFound)
            }
        }
    };
}

id_type!(
    /// A territory (région, département, commune) hosted by this instance.
    TerritoryId
);
id_type!(
    /// A structure: a school, a *cité scolaire*, a *circonscription*.
    StructureId
);
id_type!(
    /// A class or group.
    GroupId
);
id_type!(
    /// A person of the territory, whether or not their account is activated.
    PersonId
);
id_type!(
    /// A service of the territory's catalogue.
    ServiceId
);
id_type!(
    /// A role granted to a person or group within a scope.
    AssignmentId
);
id_type!(
    /// A message of the messaging service (a draft, or sent).
    MessageId
);
id_type!(
    /// A news item (*actualité*) of a structure.
    NewsId
);
id_type!(
    /// A file attached to a message (stored on disk until the documents service).
    AttachmentId
);
id_type!(
    /// A file or folder of the documents service.
    DocumentId
);
id_type!(
    /// A weekly course of a timetable.
    CourseId
);
id_type!(
    /// What was done in one lesson, in the *cahier de textes*.
    EntryId
);
id_type!(
    /// Homework set for a class or group.
    HomeworkId
);
id_type!(
    /// A pupil's copy handed in for homework.
    CopyId
);
