//! What handlers do beyond parsing: talking to adapters, sealing secrets, keeping the
//! store and the vendor in step.

pub mod connections;
pub mod interviews;
pub mod templates;
