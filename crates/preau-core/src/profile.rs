//! The national profiles of the SDET, plus guests. A profile says what kind of person someone is
//! in a structure; it is fixed by the directory and never grants administrative rights.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Profile {
    Pupil,
    Parent,
    Teacher,
    Direction,
    SchoolLife,
    Staff,
    Academy,
    Documentalist,
    LocalAuthority,
    Guest,
}

impl Profile {
    pub const ALL: [Profile; 10] = [
        Profile::Pupil,
        Profile::Parent,
        Profile::Teacher,
        Profile::Direction,
        Profile::SchoolLife,
        Profile::Staff,
        Profile::Academy,
        Profile::Documentalist,
        Profile::LocalAuthority,
        Profile::Guest,
    ];

    /// The SDET code released to connected services (`National_ELV`…); guests have none.
    pub fn sdet_code(self) -> &'static str {
        match self {
            Profile::Pupil => "National_ELV",
            Profile::Parent => "National_TUT",
            Profile::Teacher => "National_ENS",
            Profile::Direction => "National_DIR",
            Profile::SchoolLife => "National_EVS",
            Profile::Staff => "National_ETA",
            Profile::Academy => "National_ACA",
            Profile::Documentalist => "National_DOC",
            Profile::LocalAuthority => "National_COL",
            Profile::Guest => "Guest",
        }
    }

    /// The short code stored in the database and used in URLs and forms.
    pub fn code(self) -> &'static str {
        match self {
            Profile::Pupil => "ELV",
            Profile::Parent => "TUT",
            Profile::Teacher => "ENS",
            Profile::Direction => "DIR",
            Profile::SchoolLife => "EVS",
            Profile::Staff => "ETA",
            Profile::Academy => "ACA",
            Profile::Documentalist => "DOC",
            Profile::LocalAuthority => "COL",
            Profile::Guest => "GUEST",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Profile {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(s) || p.sdet_code().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::Error::invalid("profile", "profile.unknown"))
    }
}
