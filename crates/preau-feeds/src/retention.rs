//! The retention of detached people: a person a feed no longer lists is detached (kept, with
//! no place in any school, restored if they come back); once the retention delay has passed
//! since their detachment, they and everything attached to them are deleted. Three months by
//! default, as the ENT decree sets for accounts of people who left.

use crate::store::FeedStore;
use preau_core::{Permission, Principal, Result};
use preau_directory::audit;

/// The default retention delay, in days (three months).
pub const DEFAULT_RETENTION_DAYS: i64 = 92;

/// Deletes the fed people of the caller's territory detached for more than `retention_days`.
/// Territory administrators (and the scheduled job acting as the system) only. Returns how many.
pub async fn purge_detached<S: FeedStore>(store: &S, caller: &Principal, now: i64, retention_days: i64) -> Result<u64> {
    caller.require_territory(Permission::ManageTerritory)?;
    let before = now - retention_days.max(0) * 86_400;
    let audit = audit::entry::<(), _>(now, caller, "feed.purge_detached", "people".into(), None, None, Some(&retention_days));
    store.purge_detached(caller.territory, before, &audit).await
}
