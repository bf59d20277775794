//! The one error table: every failure leaves the gateway as an RFC 9457
//! `application/problem+json` document with a stable `code`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gateway_core::{Capability, FieldError, ProviderError};
use gateway_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::request_context;

/// Stable error codes, each with its HTTP status and title. Clients branch on `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or query cannot be read at all (400).
    MalformedRequest,
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    /// The target existed and is gone for good (410).
    Gone,
    MethodNotAllowed,
    Conflict,
    /// The resource's data was erased (a replay of a request about an erased candidate).
    Erased,
    /// The resource's state does not allow the operation (e.g. cancelling a completed
    /// interview).
    InvalidState,
    IdempotencyConflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    UnsupportedByProvider,
    ProviderRejected,
    ProviderUnavailable,
    ProviderRateLimited,
    /// The connection's bulkhead is full: as many calls as allowed wait on its vendor.
    ProviderBusy,
    ServiceUnavailable,
    Timeout,
    Internal,
}

impl ErrorCode {
    /// The table.
    pub fn describe(self) -> (StatusCode, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            MalformedRequest => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "The request cannot be read",
            ),
            InvalidRequest => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "The request is invalid",
            ),
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "The API key lacks the permission for this",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            Gone => (StatusCode::GONE, "gone", "No longer exists"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
            Conflict => (
                StatusCode::CONFLICT,
                "conflict",
                "Conflict with the current state",
            ),
            Erased => (
                StatusCode::GONE,
                "erased",
                "The data this answer held was erased",
            ),
            InvalidState => (
                StatusCode::CONFLICT,
                "invalid_state",
                "The resource's state does not allow this",
            ),
            IdempotencyConflict => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_conflict",
                "The Idempotency-Key was used with a different request",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected Content-Type: application/json",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            UnsupportedByProvider => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_by_provider",
                "The provider does not support this operation",
            ),
            ProviderRejected => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "provider_rejected",
                "The provider rejected the request",
            ),
            ProviderUnavailable => (
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                "The provider is unavailable",
            ),
            ProviderRateLimited => (
                StatusCode::SERVICE_UNAVAILABLE,
                "provider_rate_limited",
                "The provider's rate limit was reached",
            ),
            ProviderBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "provider_busy",
                "Too many calls to the provider are in flight",
            ),
            ServiceUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Temporarily unavailable",
            ),
            Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                "The request took too long",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.describe().1
    }

    /// The code for a bare status produced outside a handler (router, layers).
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::MalformedRequest,
            422 => Self::InvalidRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            410 => Self::Gone,
            405 => Self::MethodNotAllowed,
            408 | 504 => Self::Timeout,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            429 => Self::RateLimited,
            503 => Self::ServiceUnavailable,
            _ => Self::Internal,
        }
    }
}

/// What the vendor said, without anything secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProviderProblem {
    #[schema(example = "heymilo")]
    pub name: String,
    /// The vendor's HTTP status, when it answered.
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "urn:interview-gateway:problem:not_found")]
    pub problem_type: String,
    #[schema(example = "Not found")]
    pub title: &'static str,
    #[schema(example = 404)]
    pub status: u16,
    #[schema(example = "interview intv_01jd8x3k5m7q9s1v3x5z7b9d1f not found")]
    pub detail: String,
    pub code: ErrorCode,
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderProblem>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub provider: Option<Box<ProviderProblem>>,
    pub retry_after_secs: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status: code.describe().0,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            provider: None,
            retry_after_secs: None,
        }
    }

    /// Keep `status` though the code's own is another: only for answers the framework made
    /// with a status no code has (the request-context fallback), never to bend a code.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, detail)
    }

    /// The same problem under another code, with that code's status.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self.status = code.describe().0;
        self
    }

    /// 400: the body or query cannot be read at all.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, detail)
    }

    /// 422 naming the offending fields.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            errors,
            ..Self::invalid(detail)
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::fields(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    pub fn invalid_state(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, detail)
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "an internal error occurred; the request id identifies it in the logs",
        )
    }

    pub fn unsupported(provider: &str, capability: Capability) -> Self {
        Self::new(
            ErrorCode::UnsupportedByProvider,
            format!("{provider} does not support `{capability}`"),
        )
    }

    /// A vendor failure, with the vendor's side in the `provider` block.
    pub fn from_provider(provider: &str, err: ProviderError) -> Self {
        let block = |message: String| {
            Box::new(ProviderProblem {
                name: provider.to_string(),
                status: err.vendor_status(),
                code: err.vendor_code().map(str::to_string),
                message,
            })
        };
        match &err {
            ProviderError::InvalidInput(errors) => Self::fields(errors.clone()),
            ProviderError::Unsupported(cap) => Self::unsupported(provider, *cap),
            ProviderError::InvalidCredentials { message, .. } => Self {
                provider: Some(block(message.clone())),
                ..Self::new(
                    ErrorCode::ProviderRejected,
                    format!("{provider} rejected the connection's credentials: {message}"),
                )
            },
            ProviderError::Rejected {
                message, errors, ..
            } => Self {
                errors: errors.clone(),
                provider: Some(block(message.clone())),
                ..Self::new(
                    ErrorCode::ProviderRejected,
                    format!("{provider} rejected the request: {message}"),
                )
            },
            ProviderError::NotFound { message } => Self {
                provider: Some(block(message.clone())),
                ..Self::new(
                    ErrorCode::NotFound,
                    format!("not found at {provider}: {message}"),
                )
            },
            ProviderError::RateLimited {
                retry_after,
                message,
            } => Self {
                provider: Some(block(message.clone())),
                retry_after_secs: retry_after.map(|d| d.as_secs().max(1)),
                ..Self::new(
                    ErrorCode::ProviderRateLimited,
                    format!("{provider} is rate limiting this connection; retry later"),
                )
            },
            ProviderError::Overloaded {
                retry_after,
                message,
            } => Self {
                provider: Some(block(message.clone())),
                retry_after_secs: Some(retry_after.as_secs().max(1)),
                ..Self::new(
                    ErrorCode::ProviderBusy,
                    format!("{provider} is slow to answer and this connection's calls in flight are at their bound: {message}"),
                )
            },
            ProviderError::Unavailable { message, .. }
            | ProviderError::BadResponse { message, .. } => Self {
                provider: Some(block(message.clone())),
                ..Self::new(
                    ErrorCode::ProviderUnavailable,
                    format!("{provider} is unavailable: {message}"),
                )
            },
        }
    }

    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        let (_, code, title) = self.code.describe();
        Problem {
            problem_type: format!("urn:interview-gateway:problem:{code}"),
            title,
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            request_id: request_context::current_request_id(),
            errors: self.errors.clone(),
            provider: self.provider.as_deref().cloned(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.as_str(),
            self.status.as_u16(),
            self.detail
        )
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(message) => Self::conflict(message),
            StoreError::Unavailable(message) => {
                tracing::warn!(error = %message, "database unavailable");
                Self::new(
                    ErrorCode::ServiceUnavailable,
                    "the database is unavailable; retry shortly",
                )
            }
            StoreError::Corrupt(message) | StoreError::Internal(message) => {
                tracing::error!(error = %message, "store error");
                Self::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_table_name() {
        use ErrorCode::*;
        for code in [
            InvalidRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            Conflict,
            Erased,
            InvalidState,
            IdempotencyConflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            RateLimited,
            UnsupportedByProvider,
            ProviderRejected,
            ProviderUnavailable,
            ProviderRateLimited,
            ProviderBusy,
            ServiceUnavailable,
            Timeout,
            Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }

    #[test]
    fn provider_errors_keep_the_vendor_side() {
        let e = ApiError::from_provider(
            "heymilo",
            ProviderError::Rejected {
                status: Some(422),
                code: Some("validation_error".into()),
                message: "email is invalid".into(),
                errors: vec![],
            },
        );
        assert_eq!(e.code, ErrorCode::ProviderRejected);
        let p = e.provider.unwrap();
        assert_eq!(
            (p.status, p.code.as_deref()),
            (Some(422), Some("validation_error"))
        );
        let e = ApiError::from_provider(
            "heymilo",
            ProviderError::RateLimited {
                retry_after: Some(std::time::Duration::from_millis(1500)),
                message: "slow down".into(),
            },
        );
        assert_eq!(
            (e.code, e.retry_after_secs),
            (ErrorCode::ProviderRateLimited, Some(1))
        );
        let e = ApiError::from_provider(
            "flowmingo",
            ProviderError::Unsupported(Capability::GetInterview),
        );
        assert_eq!(e.code, ErrorCode::UnsupportedByProvider);
        assert!(e.detail.contains("get_interview"));
    }
}
