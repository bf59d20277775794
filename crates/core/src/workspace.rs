use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::WorkspaceId;

/// A tenant. Every other resource belongs to exactly one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Workspace {
    pub id: WorkspaceId,
    #[schema(example = "Acme Recruiting")]
    pub name: String,
    pub created_at: DateTime<Utc>,
}
