//! State shared by every simulated vendor: each vendor's own state, the fault table, the
//! request log, and the webhook sender.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::faults::FaultTable;
use crate::request_log::RequestLog;
use crate::webhooks::WebhookSender;
use crate::{flowmingo, heymilo, interviewflowai, taptalent};

#[derive(Clone)]
pub struct Shared(Arc<Inner>);

pub struct Inner {
    /// `http://<sandbox address>`, for links the simulators hand out.
    pub public_base: String,
    pub faults: FaultTable,
    pub log: RequestLog,
    pub webhooks: WebhookSender,
    pub heymilo: Mutex<heymilo::State>,
    pub flowmingo: Mutex<flowmingo::State>,
    pub interviewflowai: Mutex<interviewflowai::State>,
    pub taptalent: Mutex<taptalent::State>,
}

impl Shared {
    pub fn new(public_base: String) -> Self {
        Self(Arc::new(Inner {
            public_base,
            faults: FaultTable::default(),
            log: RequestLog::default(),
            webhooks: WebhookSender::default(),
            heymilo: Mutex::default(),
            flowmingo: Mutex::default(),
            interviewflowai: Mutex::default(),
            taptalent: Mutex::default(),
        }))
    }

    /// Take a vendor's state lock. A panic while holding it (a simulator bug) must not
    /// wedge the sandbox for every later test, so a poisoned lock is taken anyway.
    pub fn lock<'a, T>(
        &'a self,
        pick: impl FnOnce(&'a Inner) -> &'a Mutex<T>,
    ) -> MutexGuard<'a, T> {
        pick(&self.0).lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::ops::Deref for Shared {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// A fresh random id with a prefix, as vendors mint them.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

/// Seconds since the epoch, as a float (HeyMilo's timestamps).
pub fn unix_now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1_000_000.0
}
