//! Secrets at rest: sealing under the master key, and the secrets the gateway makes for
//! itself.

pub mod crypto;
pub mod server_secrets;
