//! Templates: storing what the vendor says a template is.

use gateway_core::provider::RemoteTemplate;
use gateway_core::time::now;
use gateway_core::{ConnectionId, Template, TemplateId, WorkspaceId};
use gateway_store::Upserted;

use crate::http::error::ApiResult;
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

/// Mapping kind for webhooks the gateway registered at a vendor (vendor webhook id → template).
pub const WEBHOOK_KIND: &str = "webhook";

/// Where the vendor has a webhook API (HeyMilo), register the connection's inbound URL for
/// this template's events, once. A failure leaves the template linked: the poller still
/// follows its interviews, and the next import or link tries again.
pub async fn ensure_webhooks(
    state: &AppState,
    ws: WorkspaceId,
    provider: &dyn gateway_core::Provider,
    ctx: &gateway_core::ConnectionContext,
    template: &Template,
) {
    if !provider.descriptor().capabilities.webhook_registration {
        return;
    }
    let conn = template.connection_id;
    match state
        .store
        .vendor_ids(conn, WEBHOOK_KIND, Some(template.id.as_uuid()))
        .await
    {
        Ok(ids) if !ids.is_empty() => return,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(template_id = %template.id, error = %e, "cannot check registered webhooks");
            return;
        }
    }
    let Ok(url) = url::Url::parse(&super::connections::inbound_url(state, conn)) else {
        return;
    };
    match provider
        .register_webhooks(ctx, &template.provider_ref, &url)
        .await
    {
        Ok(hooks) => {
            let mapping = gateway_store::Mapping {
                workspace_id: ws,
                resource_type: "template".into(),
                resource_id: template.id.as_uuid(),
            };
            for h in hooks {
                if let Err(e) = state
                    .store
                    .insert_mapping(conn, WEBHOOK_KIND, &h.id, &mapping)
                    .await
                {
                    tracing::warn!(template_id = %template.id, error = %e, "cannot record a registered webhook");
                }
            }
            tracing::info!(template_id = %template.id, "webhooks registered at the vendor");
        }
        Err(e) => {
            tracing::warn!(template_id = %template.id, error = %e, "could not register webhooks at the vendor; polling covers this template")
        }
    }
}

/// Deactivate every webhook the gateway registered for a connection (it is being deleted).
pub async fn remove_webhooks(
    state: &AppState,
    provider: &dyn gateway_core::Provider,
    ctx: &gateway_core::ConnectionContext,
) {
    let conn = ctx.connection_id;
    let ids = match state.store.vendor_ids(conn, WEBHOOK_KIND, None).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(connection_id = %conn, error = %e, "cannot list registered webhooks");
            return;
        }
    };
    for id in ids {
        match provider.deactivate_webhook(ctx, &id).await {
            Ok(()) => {
                if let Err(e) = state.store.delete_mapping(conn, WEBHOOK_KIND, &id).await {
                    tracing::warn!(webhook_id = %id, error = %e, "cannot forget a deactivated webhook");
                }
            }
            Err(e) => {
                tracing::warn!(webhook_id = %id, error = %e, "could not deactivate a webhook at the vendor")
            }
        }
    }
}
