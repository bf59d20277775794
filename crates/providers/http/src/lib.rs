//! The one HTTP client adapters talk to vendors through.
//!
//! What it owns, so no adapter re-implements it: per-attempt timeouts; retries with full
//! jitter for calls that are safe to repeat; honouring a vendor's `Retry-After` (capped);
//! a total time budget per call; a per-connection outbound budget shared by every client (and, with a shared backend, every
//! replica), spent by priority; a bulkhead per connection; confining paths
//! to the connection's base URL; the egress policy (no private targets, checked at connect
//! time); no redirects. What it leaves to adapters: the vendor's error bodies —
//! `send` returns any response the retries settled on, and the adapter reads it.

pub mod admission;
pub mod budget;
mod bulkhead;
mod client;
pub mod egress;
mod observe;
pub mod outcomes;
mod policy;
pub mod url_path;
pub mod vendor;

pub use budget::{Budget, BudgetPolicy, Priority};
pub use client::{Call, DescribeFailure, Safety, VendorHttp, VendorResponse};
pub use egress::EgressPolicy;
pub use outcomes::Outcomes;
pub use policy::RetryPolicy;
pub use vendor::{vendor_said, Failure, VendorApi};

use gateway_core::{FieldError, ProviderError};

/// The usual reading of a vendor's 4xx status, for adapters whose vendor follows HTTP
/// conventions. `message` is the vendor's own text.
pub fn error_for_status(
    status: u16,
    code: Option<String>,
    message: String,
    errors: Vec<FieldError>,
    retry_after: Option<std::time::Duration>,
) -> ProviderError {
    match status {
        401 | 403 => ProviderError::InvalidCredentials {
            status: Some(status),
            message,
        },
        404 => ProviderError::NotFound { message },
        429 => ProviderError::RateLimited {
            retry_after,
            message,
        },
        s if s >= 500 => ProviderError::Unavailable {
            status: Some(s),
            message,
        },
        _ => ProviderError::Rejected {
            status: Some(status),
            code,
            message,
            errors,
        },
    }
}
