//! Directory feeds: the académie's AAF extracts (full sets, split files, UTF-8 or ISO-8859-15)
//! parsed as a stream of entries, mapped onto the territory model and applied in one
//! transaction through [`store::FeedTx`], with a [`report::Report`] of what was created, updated,
//! detached, restored, left unchanged or rejected (and why).
//!
//! Memory stays bounded by the size of one entry: records are applied as they are read, the
//! set of people seen is kept by the store (a temporary table), and links to people not yet read
//! (a pupil's parents come after the pupils) are resolved at the end, in the store.
//!
//! Other directories push or are pulled through [`scim`] (SCIM 2.0 sources that own the people
//! and groups they provision), [`ldap`] (a search mapped onto the CSV import's headers) and the
//! CSV import ([`csv_import`]).

pub mod aaf;
pub mod csv_import;
pub mod duplicates;
mod fixed_set;
pub mod import;
pub mod ldap;
pub mod report;
pub mod retention;
pub mod scim;
pub mod store;

/// The 128-bit digest of a value (the first half of its SHA-256), for maps and sets that keep
/// digests instead of values.
pub use fixed_set::digest;
