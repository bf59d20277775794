//! Creating the first admin key, which no unauthenticated endpoint can do.

use gateway_core::time::now;
use gateway_core::{ApiKey, ApiKeyId, Scope, Secret, Workspace, WorkspaceId};
use gateway_store::PageRequest;

use crate::auth::GeneratedKey;
use crate::state::AppState;

pub struct CreatedKey {
    pub api_key: ApiKey,
    pub secret: Secret<String>,
}

/// Which workspace a CLI-made key goes into.
pub enum WorkspaceChoice {
    Existing(WorkspaceId),
    /// The only workspace there is, or a new one with this name when there is none.
    Default {
        name: String,
    },
}

pub async fn create_key(
    state: &AppState,
    choice: WorkspaceChoice,
    name: &str,
    scopes: Vec<Scope>,
) -> anyhow::Result<CreatedKey> {
    insert_key(state, choice, name, scopes, GeneratedKey::generate()).await
}

/// Create `auth.bootstrap_admin_key` when no key with its lookup exists. An existing one —
/// even revoked — is left alone: revoking the bootstrap key must stick across restarts.
/// Answers whether a key was created.
pub async fn ensure_bootstrap_key(state: &AppState, full: &str) -> anyhow::Result<bool> {
    let key = GeneratedKey::from_full(full)
        .ok_or_else(|| anyhow::anyhow!("auth.bootstrap_admin_key is not a well-formed key"))?;
    if state
        .store
        .find_key_credential(&key.lookup)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let choice = WorkspaceChoice::Default {
        name: "default".into(),
    };
    match insert_key(state, choice, "bootstrap", vec![Scope::Admin], key).await {
        Ok(created) => {
            tracing::info!(api_key_id = %created.api_key.id, workspace_id = %created.api_key.workspace_id, "bootstrap admin key created");
            Ok(true)
        }
        // Another replica starting at the same moment created it first.
        Err(_)
            if state
                .store
                .find_key_credential(&lookup_of(full))
                .await?
                .is_some() =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn lookup_of(full: &str) -> String {
    crate::auth::key::parse_lookup(full)
        .unwrap_or_default()
        .to_string()
}

async fn insert_key(
    state: &AppState,
    choice: WorkspaceChoice,
    name: &str,
    scopes: Vec<Scope>,
    generated: GeneratedKey,
) -> anyhow::Result<CreatedKey> {
    let workspace_id = match choice {
        WorkspaceChoice::Existing(id) => {
            state
                .store
                .get_workspace(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no workspace {id}"))?;
            id
        }
        WorkspaceChoice::Default { name } => {
            let existing = state.store.list_workspaces(PageRequest::first(2)).await?;
            match existing.items.as_slice() {
                [] => {
                    let w = Workspace {
                        id: WorkspaceId::new(),
                        name,
                        created_at: now(),
                    };
                    state.store.insert_workspace(&w).await?;
                    crate::service::audit::record(crate::service::audit::Action {
                        state,
                        workspace: w.id,
                        actor: None,
                        action: "workspace.created",
                        target_type: "workspace",
                        target_id: w.id.to_string(),
                        details: serde_json::json!({"name": w.name, "via": "cli"}),
                    })
                    .await;
                    w.id
                }
                [only] => only.id,
                _ => anyhow::bail!(
                    "there are several workspaces: choose one with --workspace <ws_…>"
                ),
            }
        }
    };
    let api_key = ApiKey {
        id: ApiKeyId::new(),
        workspace_id,
        name: name.to_string(),
        prefix: generated.prefix.clone(),
        scopes,
        rate_limit: None,
        expires_at: None,
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    let hash = state.auth.hasher().hash(generated.full.expose());
    state
        .store
        .insert_api_key(&api_key, &generated.lookup, &hash)
        .await?;
    crate::service::audit::record(crate::service::audit::Action {
        state,
        workspace: workspace_id,
        actor: None,
        action: "api_key.created",
        target_type: "api_key",
        target_id: api_key.id.to_string(),
        details: serde_json::json!({"name": api_key.name, "scopes": api_key.scopes, "prefix": api_key.prefix, "via": "cli"}),
    })
    .await;
    Ok(CreatedKey {
        api_key,
        secret: generated.full,
    })
}
