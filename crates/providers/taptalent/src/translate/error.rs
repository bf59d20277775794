//! TapTalent's error bodies as `ProviderError`s, field names as the unified API names them.

use gateway_core::{FieldError, ProviderError};
use serde_json::Value;

use crate::wire::{self};

/// TapTalent's names in error details, as the unified API names them.
fn unified_field(vendor: &str) -> String {
    let mut f = vendor.to_string();
    for (from, to) in [
        ("flowName", "name"),
        ("assessmentId", "assessment_id"),
        ("passThreshold", "pass_threshold"),
        ("firstName", "candidate.first_name"),
        ("lastName", "candidate.last_name"),
    ] {
        f = f.replace(from, to);
    }
    if f == "email" {
        f = "candidate.email".into();
    }
    f
}

/// `{"error":{code,type,message,details}}` as a `ProviderError`: 400 `INVALID_REQUEST`
/// with its per-field details becomes a rejection naming each field.
pub fn error(status: u16, body: &Value, retry_after: Option<std::time::Duration>) -> ProviderError {
    let parsed: wire::ErrorBody = serde_json::from_value(body.clone()).unwrap_or_default();
    let e = parsed.error;
    let message = e
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    let errors: Vec<FieldError> = e
        .details
        .iter()
        .flatten()
        .map(|(k, v)| {
            FieldError::new(
                unified_field(k),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    match (status, e.code.as_deref()) {
        (403, Some("ACCOUNT_INACTIVE")) => ProviderError::InvalidCredentials {
            status: Some(status),
            message: format!("{message} (the TapTalent account is inactive)"),
        },
        (401, _) => ProviderError::InvalidCredentials {
            status: Some(status),
            message: format!("{message} (TapTalent API key missing, malformed or revoked)"),
        },
        _ => {
            provider_http::error_for_status(status, e.code.or(e.kind), message, errors, retry_after)
        }
    }
}
