//! Templates: storing what the vendor says a template is.

use gateway_core::provider::RemoteTemplate;
use gateway_core::time::now;
use gateway_core::{ConnectionId, Template, TemplateId, WorkspaceId};
use gateway_store::Upserted;

use crate::error::ApiResult;
use crate::state::AppState;

/// Insert or refresh the template for a vendor object (one per connection and vendor id).
pub async fn upsert_remote(
    state: &AppState,
    ws: WorkspaceId,
    connection_id: ConnectionId,
    provider: &str,
    remote: RemoteTemplate,
    name_override: Option<String>,
) -> ApiResult<Upserted<Template>> {
    let at = now();
    let template = Template {
        id: TemplateId::new(),
        connection_id,
        provider: provider.to_string(),
        provider_ref: remote.provider_ref,
        name: name_override
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(remote.name),
        description: remote.description,
        status: remote.status,
        steps: remote.steps,
        created_at: at,
        updated_at: at,
        remote_data: remote.raw,
    };
    Ok(state.store.upsert_template(ws, &template).await?)
}
