//! What every adapter's calls share, written once: authenticate, send, turn a non-2xx answer
//! into the vendor's error, unwrap the success envelope. An adapter implements the few
//! methods that are its vendor's own (which header carries the key, where the API sits
//! under the base URL, how errors and envelopes look) and inherits the rest.

use async_trait::async_trait;
use gateway_core::{ConnectionContext, ProviderError};
use http::HeaderName;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::client::{Call, VendorHttp, VendorResponse};
use crate::url_path::endpoint;

/// A vendor's answer that is not a success, as its error reading gets it.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    pub status: u16,
    /// The body as JSON (`null` when it is not JSON).
    pub body: &'a Value,
    pub retry_after: Option<std::time::Duration>,
}

/// One vendor's API as the shared plumbing needs to know it.
#[async_trait]
pub trait VendorApi: Send + Sync {
    /// Facts of one call that reading its error needs (Flowmingo: the scope the operation
    /// requires; InterviewFlowAI: which candidates a batch sent). `()` for most vendors.
    type CallContext: Sync + ?Sized;

    /// The client (retries, budget, outbound limit) for this vendor.
    fn http(&self) -> &VendorHttp;

    /// Path segments every endpoint starts with, under the connection's base URL.
    fn path_prefix(&self) -> &'static [&'static str] {
        &[]
    }

    /// The header that authenticates a call, and its (secret) value.
    fn auth_header(&self, ctx: &ConnectionContext) -> Result<(HeaderName, String), ProviderError>;

    /// The vendor's error for a non-2xx answer.
    fn error_response(&self, failure: Failure<'_>, call: &Self::CallContext) -> ProviderError;

    /// The payload inside a 2xx answer. The whole body unless the vendor wraps it.
    fn unwrap_envelope(&self, status: u16, body: Value) -> Result<Value, ProviderError> {
        let _ = status;
        Ok(body)
    }

    /// `segments` under the connection's base URL and the vendor's path prefix.
    fn endpoint(&self, ctx: &ConnectionContext, segments: &[&str]) -> Url {
        let mut all: Vec<&str> = self.path_prefix().to_vec();
        all.extend_from_slice(segments);
        endpoint(&ctx.base_url, &all)
    }

    /// Authenticate and send: any HTTP answer, for callers that read statuses themselves.
    async fn send(
        &self,
        ctx: &ConnectionContext,
        call: Call,
    ) -> Result<VendorResponse, ProviderError> {
        let (name, value) = self.auth_header(ctx)?;
        let call = call.secret_header(name, &value)?;
        self.http().send(ctx, call).await
    }

    /// Send; the payload of a success, the vendor's error otherwise. Also answers the raw
    /// body, which adapters keep as `remote_data`.
    async fn call(
        &self,
        ctx: &ConnectionContext,
        call: Call,
        during: &Self::CallContext,
    ) -> Result<Value, ProviderError> {
        let res = self.send(ctx, call).await?;
        let body = res.json_value();
        if !res.is_success() {
            return Err(self.error_response(
                Failure {
                    status: res.status,
                    body: &body,
                    retry_after: res.retry_after(),
                },
                during,
            ));
        }
        self.unwrap_envelope(res.status, body)
    }

    /// [`call`](Self::call), the payload also read as `T`.
    async fn call_typed<T: DeserializeOwned>(
        &self,
        ctx: &ConnectionContext,
        call: Call,
        during: &Self::CallContext,
    ) -> Result<(T, Value), ProviderError> {
        let payload = self.call(ctx, call, during).await?;
        let typed = T::deserialize(&payload).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("unreadable response body: {e}"),
        })?;
        Ok((typed, payload))
    }
}

/// What an adapter's reading of an error answer says the vendor said (its message and field
/// errors, without the gateway's classification): the call log's and span's error text.
pub fn vendor_said(e: &ProviderError) -> String {
    use ProviderError as E;
    let (message, errors): (&str, &[gateway_core::FieldError]) = match e {
        E::InvalidCredentials { message, .. }
        | E::NotFound { message }
        | E::RateLimited { message, .. }
        | E::Unavailable { message, .. }
        | E::Overloaded { message, .. }
        | E::BadResponse { message, .. } => (message, &[]),
        E::Rejected {
            message, errors, ..
        } => (message, errors),
        E::InvalidInput(errors) => ("", errors),
        E::Unsupported(_) => return e.to_string(),
    };
    let fields: Vec<String> = errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    match (message.is_empty(), fields.is_empty()) {
        (_, true) => message.to_string(),
        (true, false) => fields.join("; "),
        (false, false) => format!("{message} ({})", fields.join("; ")),
    }
}
