//! What handlers do beyond parsing: talking to adapters, sealing secrets, keeping the
//! store and the vendor in step.

pub mod audit;
pub mod call_log;
pub mod connection_health;
pub mod connections;
pub mod events;
pub mod inbound_webhooks;
pub mod interviews;
pub mod lifecycle;
pub mod partners;
pub mod personal_data;
pub mod settle;
pub mod templates;
