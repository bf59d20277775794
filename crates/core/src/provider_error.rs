//! How an adapter reports failure. The server maps each variant to one API error code; the
//! vendor's own status, code and message travel along for the `provider` block of the
//! problem document.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::capabilities::Capability;

/// A problem with one field of a request, named by its JSON path (`candidates[3].email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "candidate.email")]
    pub field: String,
    #[schema(example = "must be a valid email address")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// Caught before any call: the request breaks a documented vendor limit.
    #[error("invalid request for this provider")]
    InvalidInput(Vec<FieldError>),
    /// The vendor refused the connection's credentials (401), or they lack a permission the
    /// operation needs (403). `message` names the missing scope where the vendor has scopes.
    /// `status` is `None` when the gateway refused before sending (a stored credential a
    /// header cannot carry, a connection without one).
    #[error("the vendor rejected the connection's credentials: {message}")]
    InvalidCredentials {
        status: Option<u16>,
        message: String,
    },
    /// Any other vendor 4xx.
    #[error("the vendor rejected the request: {message}")]
    Rejected {
        status: Option<u16>,
        code: Option<String>,
        message: String,
        errors: Vec<FieldError>,
    },
    #[error("not found at the vendor: {message}")]
    NotFound { message: String },
    /// The vendor's own rate limit, after our retries.
    #[error("rate limited by the vendor: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 5xx, timeouts and connection failures, after our retries.
    #[error("the vendor is unavailable: {message}")]
    Unavailable {
        status: Option<u16>,
        message: String,
    },
    /// Not sent: the gateway holds as many calls to this connection's vendor as it allows at
    /// once (a hung vendor must not hold every request). Nothing reached the vendor.
    #[error("too many calls to the vendor in flight: {message}")]
    Overloaded {
        retry_after: Duration,
        message: String,
    },
    /// The vendor answered with something we cannot read (`status` is `None` when what could
    /// not be read did not come with an HTTP answer: a webhook body, our own request).
    #[error("unexpected response from the vendor: {message}")]
    BadResponse {
        status: Option<u16>,
        message: String,
    },
    #[error("not supported by this provider: {0}")]
    Unsupported(Capability),
}

impl ProviderError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput(vec![FieldError::new(field, message)])
    }

    /// The vendor's HTTP status, when the vendor answered.
    pub fn vendor_status(&self) -> Option<u16> {
        match self {
            Self::InvalidCredentials { status, .. }
            | Self::Rejected { status, .. }
            | Self::BadResponse { status, .. }
            | Self::Unavailable { status, .. } => *status,
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::InvalidInput(_) | Self::Unsupported(_) | Self::Overloaded { .. } => None,
        }
    }

    /// The vendor's error code, when it sent one.
    pub fn vendor_code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Worth retrying later (the same request may succeed).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Overloaded { .. }
        )
    }
}
