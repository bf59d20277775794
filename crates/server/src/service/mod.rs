//! What handlers do beyond parsing: talking to adapters, sealing secrets, keeping the
//! store and the vendor in step.

pub mod connections;
pub mod events;
pub mod inbound;
pub mod interviews;
pub mod poller;
pub mod templates;
pub mod webhooks;
