//! API keys and who may do what.
//!
//! A key reads `igk_<lookup>_<secret>`. The lookup (public, shown as the key's prefix) finds
//! the stored record; the whole key is checked against a keyed hash (HMAC-SHA256 under a
//! server secret) in constant time. Verified records are cached, so authentication is not
//! a database round trip per request; revocation evicts the cache at once.

pub mod authenticator;
pub mod key;
pub mod middleware;
pub mod principal;

pub use authenticator::Authenticator;
pub use key::{GeneratedKey, KeyHasher};
pub use principal::Principal;
