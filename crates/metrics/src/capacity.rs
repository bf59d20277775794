//! Capacity metrics: how each connection spends its vendor budget, and what the gateway
//! refuses to keep itself responsive. Per connection (by id), because a budget is per
//! vendor account; a deployment has tens of connections, not thousands.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::family::Series;
use crate::text::labels;
use crate::{Counter, Family};

/// A value that goes up and down (the last one set).
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Series for Gauge {
    const KIND: &'static str = "gauge";
    fn render(&self, out: &mut String, name: &str, label_names: &[&str], values: &[String]) {
        let _ = writeln!(
            out,
            "{name}{} {}",
            labels(label_names, values, None),
            self.get()
        );
    }
}

pub struct CapacityMetrics {
    /// Calls in the connection's current window, as the budget last counted them.
    pub budget_used: Family<Gauge, 1>,
    /// The connection's limit less what is used.
    pub budget_remaining: Family<Gauge, 1>,
    /// Vendor calls granted by the budget, by connection and priority.
    pub budget_calls: Family<Counter, 2>,
    /// Calls that fell back to this replica's own count (shared budget store unreachable).
    pub budget_fallbacks: Family<Counter, 1>,
    /// Requests refused at once to stay responsive: `connection` (a bulkhead is full),
    /// `gateway` (too much in flight).
    pub sheds: Family<Counter, 2>,
}

impl CapacityMetrics {
    pub(crate) fn new() -> Self {
        Self {
            budget_used: Family::new(
                "gateway_outbound_budget_used",
                "Vendor calls of the connection in the current budget window.",
                ["connection"],
            ),
            budget_remaining: Family::new(
                "gateway_outbound_budget_remaining",
                "Vendor calls the connection may still make in the current window.",
                ["connection"],
            ),
            budget_calls: Family::new(
                "gateway_outbound_budget_calls_total",
                "Vendor calls granted by the outbound budget, by connection and priority (interactive, background).",
                ["connection", "priority"],
            ),
            budget_fallbacks: Family::new(
                "gateway_outbound_budget_fallbacks_total",
                "Budget decisions taken by this replica alone because the shared store (redis, postgres) was unreachable.",
                ["backend"],
            ),
            sheds: Family::new(
                "gateway_shed_total",
                "Requests answered 503 at once instead of queueing: scope connection (its bulkhead was full) or gateway (too much in flight).",
                ["scope", "route"],
            ),
        }
    }

    pub(crate) fn render(&self, out: &mut String) {
        self.budget_used.render(out);
        self.budget_remaining.render(out);
        self.budget_calls.render(out);
        self.budget_fallbacks.render(out);
        self.sheds.render(out);
    }
}
