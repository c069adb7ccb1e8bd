//! The documents policy of the territory: quotas per profile and per structure, how many
//! previous versions a file keeps, how long the trash keeps what is deleted, the largest file.

use preau_core::Profile;

const MIB: i64 = 1024 * 1024;
const GIB: i64 = 1024 * MIB;

#[derive(Debug, Clone)]
pub struct Policy {
    /// A personal space's quota per profile; someone with several profiles gets the largest.
    pub personal_quota: Vec<(Profile, i64)>,
    /// For profiles not listed.
    pub default_personal_quota: i64,
    /// What the shared spaces of one structure may hold together.
    pub structure_quota: i64,
    /// Previous versions kept per file.
    pub versions_kept: usize,
    /// Days the trash keeps what is deleted.
    pub trash_days: i64,
    /// The largest file accepted.
    pub max_file_bytes: i64,
    /// Profiles that may not make public links (someone with only these).
    pub no_public_links: Vec<Profile>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            personal_quota: vec![(Profile::Pupil, 500 * MIB), (Profile::Parent, 100 * MIB), (Profile::Guest, 100 * MIB)],
            default_personal_quota: 2 * GIB,
            structure_quota: 100 * GIB,
            versions_kept: 10,
            trash_days: 30,
            max_file_bytes: 4 * GIB,
            no_public_links: vec![Profile::Pupil],
        }
    }
}

impl Policy {
    /// The quota of someone with these profiles (the default when they have none listed).
    pub fn quota_of(&self, profiles: impl IntoIterator<Item = Profile>) -> i64 {
        profiles
            .into_iter()
            .map(|p| self.personal_quota.iter().find(|(q, _)| *q == p).map(|(_, b)| *b).unwrap_or(self.default_personal_quota))
            .max()
            .unwrap_or(self.default_personal_quota)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_quota_of_ones_profiles_applies() {
        let p = Policy::default();
        assert_eq!(p.quota_of([Profile::Pupil]), 500 * MIB);
        assert_eq!(p.quota_of([Profile::Parent, Profile::Teacher]), 2 * GIB);
        assert_eq!(p.quota_of([]), 2 * GIB);
    }
}
