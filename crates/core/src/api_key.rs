use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::{ApiKeyId, WorkspaceId};
use crate::scope::Scope;

/// An API key as stored and listed: never the secret, only its public prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    #[schema(example = "ci pipeline")]
    pub name: String,
    /// The public start of the current secret, to tell keys apart.
    #[schema(example = "igk_7Hq2xkP4mZ9a")]
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub rate_limit: Option<RateLimit>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key's own request quota, overriding the configured default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    #[schema(example = 600, minimum = 1)]
    pub requests_per_minute: u32,
    /// Requests allowed at once above the steady rate.
    #[schema(example = 50, minimum = 1)]
    pub burst: u32,
}
