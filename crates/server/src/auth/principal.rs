use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gateway_core::scope::any_grants;
use gateway_core::{ApiKeyId, RateLimit, Scope, WorkspaceId};

use crate::http::error::{ApiError, ApiResult};

/// The authenticated caller: a key, its workspace and what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub scopes: Vec<Scope>,
    pub rate_limit: Option<RateLimit>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.scopes.contains(&Scope::Admin)
    }

    pub fn can(&self, scope: Scope) -> bool {
        any_grants(&self.scopes, scope)
    }

    /// 403 unless the key holds `scope` (or one that includes it).
    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        if self.can(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this API key lacks the `{scope}` scope"
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Set by the auth middleware; absent only on an open route, which takes no Principal.
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("an API key is required"))
    }
}
