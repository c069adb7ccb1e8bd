//! The shared kernel of Préau: the vocabulary every domain speaks and nothing that does I/O.
//!
//! Identifiers, validated values parsed once at the boundary ([`Uai`], [`Login`]), the national
//! profiles, roles and permissions, the caller of every operation ([`Principal`]), the one error
//! type whose kinds the web crate maps to HTTP, and the ports through which time and randomness
//! reach the domains so that tests can fix them.

pub mod error;
pub mod ids;
pub mod local_time;
pub mod ports;
pub mod principal;
pub mod profile;
pub mod role;
pub mod text;
pub mod uai;

pub use error::{Error, FieldError, Result};
pub use ids::{
    AssignmentId, AttachmentId, CopyId, CourseId, DocumentId, EntryId, GroupId, HomeworkId, MessageId, NewsId, PersonId, ServiceId, StructureId, TerritoryId,
};
pub use ports::{Clock, FixedClock, OsRandom, Random, SystemClock};
pub use principal::{Caller, Principal, RoleGrant};
pub use profile::Profile;
pub use role::{Permission, Role, Scope};
pub use uai::Uai;
