//! Prometheus metrics for the gateway, kept small on purpose: atomic counters and
//! fixed-bucket histograms, grouped in families by a fixed set of label names, rendered in
//! the Prometheus text format. Recording is a read-locked map lookup plus relaxed atomic
//! adds, so it can sit on every request without showing up in the gateway's overhead.
//!
//! Labels must stay low-cardinality: route templates (`/v1/interviews/{id}`), never raw
//! paths; provider and operation names, never ids.

mod capacity;
mod counter;
mod family;
mod gateway;
mod histogram;
mod text;

pub use capacity::{CapacityMetrics, Gauge};
pub use counter::Counter;
pub use family::Family;
pub use gateway::{metrics, GatewayMetrics, VendorOutcome};
pub use histogram::Histogram;
pub use text::gauge;
