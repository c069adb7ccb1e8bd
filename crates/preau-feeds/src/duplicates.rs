//! Probable duplicates: a person an administrator created by hand who then also arrives through
//! a feed (same names, same birth date) would have two accounts. Préau proposes the pair; an
//! administrator confirms — the manual account, with its password, favourites and history,
//! takes over the feed's identity and places, and the fed duplicate's login becomes one of its
//! aliases — or rejects, and the pair is not proposed again.

use crate::store::FeedStore;
use preau_core::{Error, Permission, PersonId, Principal, Result, text::fold_name};
use preau_directory::{Person, audit};

/// A proposed pair: the account created by hand and the one the feed created.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub manual: Person,
    pub fed: Person,
}

/// The pairs of the caller's territory not yet decided. Territory administrators only.
pub async fn probable_duplicates<S: FeedStore>(store: &S, caller: &Principal) -> Result<Vec<Duplicate>> {
    caller.require_territory(Permission::ManagePeople)?;
    let candidates = store.duplicate_candidates(caller.territory).await?;
    Ok(candidates
        .into_iter()
        .filter(|(m, f)| fold_name(&m.given_name) == fold_name(&f.given_name) && fold_name(&m.family_name) == fold_name(&f.family_name))
        .map(|(manual, fed)| Duplicate { manual, fed })
        .collect())
}

async fn proposed<S: FeedStore>(store: &S, caller: &Principal, manual: PersonId, fed: PersonId) -> Result<Duplicate> {
    probable_duplicates(store, caller).await?.into_iter().find(|d| d.manual.id == manual && d.fed.id == fed).ok_or(Error::NotFound)
}

/// Merges a proposed pair into the manual account.
pub async fn merge<S: FeedStore>(store: &S, caller: &Principal, manual: PersonId, fed: PersonId, now: i64) -> Result<()> {
    let d = proposed(store, caller, manual, fed).await?;
    let audit = audit::entry(now, caller, "person.duplicate.merge", format!("person:{manual}"), None, Some(&d.fed), Some(&d.manual));
    store.merge_duplicate(caller.territory, manual, fed, &audit).await
}

/// Records that a proposed pair is two different people.
pub async fn reject<S: FeedStore>(store: &S, caller: &Principal, manual: PersonId, fed: PersonId, now: i64) -> Result<()> {
    proposed(store, caller, manual, fed).await?;
    let audit = audit::entry::<(), _>(now, caller, "person.duplicate.reject", format!("person:{manual}"), None, None, Some(&fed));
    store.reject_duplicate(caller.territory, manual, fed, &audit).await
}
