//! Connections: sealing credentials, building an adapter's `ConnectionContext`, and the
//! per-connection inbound webhook URL.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use gateway_core::{
    ConnectionContext, ConnectionId, Credentials, FieldError, Provider, ProviderDescriptor,
    WorkspaceId,
};
use gateway_store::StoredConnection;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use url::Url;

use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn credentials_context(id: ConnectionId) -> String {
    format!("connection:{id}:credentials")
}

pub fn seal_credentials(state: &AppState, id: ConnectionId, credentials: &Credentials) -> Vec<u8> {
    let plain = serde_json::to_vec(&credentials.to_plaintext_json()).unwrap_or_default();
    state.master_key.seal(&plain, &credentials_context(id))
}

pub fn open_credentials(state: &AppState, stored: &StoredConnection) -> ApiResult<Credentials> {
    let id = stored.connection.id;
    let plain = state.master_key.open(&stored.credentials_ciphertext, &credentials_context(id)).map_err(|e| {
        tracing::error!(connection_id = %id, error = %e, "cannot decrypt connection credentials");
        ApiError::internal()
    })?;
    serde_json::from_slice(&plain).map_err(|_| {
        tracing::error!(connection_id = %id, "decrypted credentials are not a JSON object");
        ApiError::internal()
    })
}

/// The adapter for a stored connection.
pub fn provider_of(state: &AppState, stored: &StoredConnection) -> ApiResult<Arc<dyn Provider>> {
    state.registry.get(&stored.connection.provider).cloned().ok_or_else(|| {
        tracing::error!(provider = %stored.connection.provider, "stored connection names a provider this build lacks");
        ApiError::internal()
    })
}

/// The adapter and what it needs to act for this connection.
pub fn context(
    state: &AppState,
    ws: WorkspaceId,
    stored: &StoredConnection,
) -> ApiResult<(Arc<dyn Provider>, ConnectionContext)> {
    let provider = provider_of(state, stored)?;
    let c = &stored.connection;
    // The operator's override for this provider (an egress proxy, staging, the simulators)
    // wins over the connection's own base URL; then the provider's default.
    let base_url = match state
        .config
        .vendors
        .base_url_override(&c.provider)
        .or(c.base_url.as_deref())
    {
        Some(u) => Url::parse(u).map_err(|_| ApiError::internal())?,
        None => provider
            .default_base_url(&c.settings)
            .map_err(|e| ApiError::from_provider(&c.provider, e))?,
    };
    let ctx = ConnectionContext {
        connection_id: c.id,
        workspace_id: ws,
        base_url,
        credentials: open_credentials(state, stored)?,
        settings: c.settings.clone(),
        observer: Some(state.call_observer.clone()),
        trace: crate::http::request_context::current_trace(),
    };
    Ok((provider, ctx))
}

/// A live connection of this workspace, or 404.
pub async fn load(
    state: &AppState,
    ws: WorkspaceId,
    id: ConnectionId,
) -> ApiResult<StoredConnection> {
    state
        .store
        .get_connection(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))
}

/// Where a connection's credentials go: the origin (scheme, host, port) of its base URL
/// override, or of the provider's default for its settings (which may pick a vendor host).
pub fn credential_origin(
    provider: &dyn Provider,
    base_url: Option<&str>,
    settings: &serde_json::Value,
) -> Result<url::Origin, String> {
    let url = match base_url {
        Some(u) => Url::parse(u).map_err(|e| e.to_string())?,
        None => provider
            .default_base_url(settings)
            .map_err(|e| e.to_string())?,
    };
    Ok(url.origin())
}

/// The PATCH rule that keeps a stored credential at the host it was given for: moving a
/// connection to another origin (by `base_url`, or by settings that choose the default host)
/// needs its credentials in the same request. Returns whether the origin moves.
pub fn check_origin_move(
    provider: &dyn Provider,
    before: (Option<&str>, &serde_json::Value),
    after: (Option<&str>, &serde_json::Value),
    credentials_given: bool,
) -> Result<bool, FieldError> {
    let old = credential_origin(provider, before.0, before.1);
    let new = credential_origin(provider, after.0, after.1)
        .map_err(|e| FieldError::new("settings", e))?;
    let moves = !matches!(&old, Ok(o) if *o == new);
    if moves && !credentials_given {
        return Err(FieldError::new(
            "credentials",
            format!(
                "required when the connection moves to another host ({}): stored credentials only go \
                 to the host they were given for; send them again with the new base_url or settings",
                new.ascii_serialization()
            ),
        ));
    }
    Ok(moves)
}

/// The unguessable token in a connection's inbound URL: a keyed hash of its id, so nothing
/// needs storing and nothing can be enumerated.
pub fn inbound_token(state: &AppState, id: ConnectionId) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(&state.inbound_key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(b"inbound:");
    mac.update(id.to_string().as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

pub fn inbound_token_matches(state: &AppState, id: ConnectionId, presented: &str) -> bool {
    let expected = inbound_token(state, id);
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

pub fn inbound_url(state: &AppState, id: ConnectionId) -> String {
    format!(
        "{}/v1/inbound/{id}/{}",
        state.config.public_url(),
        inbound_token(state, id)
    )
}

/// Check the credentials a client gives against what the provider takes.
pub fn validate_credentials(
    descriptor: &ProviderDescriptor,
    given: &serde_json::Map<String, serde_json::Value>,
) -> Result<Credentials, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut creds = Credentials::new();
    for (field, value) in given {
        let Some(_) = descriptor.credentials.iter().find(|c| c.field == field) else {
            let known: Vec<_> = descriptor.credentials.iter().map(|c| c.field).collect();
            errors.push(FieldError::new(
                format!("credentials.{field}"),
                format!(
                    "not a {} credential; expected one of {}",
                    descriptor.name,
                    known.join(", ")
                ),
            ));
            continue;
        };
        match value.as_str().map(str::trim) {
            Some(v) if !v.is_empty() && v.len() <= 4096 && !v.chars().any(char::is_control) => {
                creds = creds.with(field, v)
            }
            Some(_) => errors.push(FieldError::new(
                format!("credentials.{field}"),
                "must be a non-empty string of at most 4096 characters",
            )),
            None => errors.push(FieldError::new(
                format!("credentials.{field}"),
                "must be a string",
            )),
        }
    }
    for c in descriptor.credentials.iter().filter(|c| c.required) {
        if !given.contains_key(c.field) {
            errors.push(FieldError::new(
                format!("credentials.{}", c.field),
                "required",
            ));
        }
    }
    if errors.is_empty() {
        Ok(creds)
    } else {
        Err(errors)
    }
}

/// A base URL override: http(s), no embedded credentials, and — unless configured — not a
/// loopback or private address.
pub fn validate_base_url(raw: &str, allow_private: bool) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http(s) URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; put them in `credentials`".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    // By text here; by every resolved address when the client connects (provider_http::egress).
    provider_http::EgressPolicy::new(allow_private)
        .check_url(&url)
        .map_err(|e| format!("{e}; set security.allow_private_base_urls to allow it"))?;
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            validate_base_url("https://api.heymilo.network/", false).unwrap(),
            "https://api.heymilo.network"
        );
        for bad in [
            "ftp://x",
            "https://u:p@x.com",
            "http://127.0.0.1:9000",
            "http://10.1.2.3",
            "http://[::1]:80",
            "http://localhost",
            "http://169.254.169.254",
            "http://[::ffff:127.0.0.1]",
            "http://[::127.0.0.1]",
            "http://[64:ff9b::7f00:1]",
            "http://198.18.0.1",
            "http://224.0.0.1",
            "http://localhost.:8080",
            "https://x.com/?a=1",
            "not a url",
        ] {
            assert!(validate_base_url(bad, false).is_err(), "{bad}");
        }
        assert!(validate_base_url("http://127.0.0.1:9000/heymilo", true).is_ok());
    }
}
