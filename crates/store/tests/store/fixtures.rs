//! Rows the tests build on: a workspace, a connection, a template, people and interviews.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::*;

pub(crate) type S = Arc<dyn Store>;

pub(crate) async fn workspace(s: &S, name: &str) -> WorkspaceId {
    let w = Workspace {
        id: WorkspaceId::new(),
        name: name.into(),
        created_at: now(),
    };
    s.insert_workspace(&w).await.unwrap();
    w.id
}

pub(crate) fn api_key(ws: WorkspaceId, prefix: &str) -> ApiKey {
    ApiKey {
        id: ApiKeyId::new(),
        workspace_id: ws,
        name: "k".into(),
        prefix: prefix.into(),
        scopes: vec![Scope::InterviewsRead, Scope::TemplatesWrite],
        rate_limit: Some(RateLimit {
            requests_per_minute: 60,
            burst: 5,
        }),
        expires_at: None,
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    }
}

pub(crate) fn connection(provider: &str) -> Connection {
    Connection {
        id: ConnectionId::new(),
        provider: provider.into(),
        name: format!("{provider} prod"),
        base_url: None,
        settings: serde_json::json!({}),
        status: ConnectionStatus::Active,
        created_at: now(),
        updated_at: now(),
    }
}

pub(crate) fn template(conn: ConnectionId, vendor_id: &str) -> Template {
    Template {
        id: TemplateId::new(),
        connection_id: conn,
        provider: "heymilo".into(),
        provider_ref: ProviderRef {
            kind: "posting".into(),
            id: vendor_id.into(),
            vendor: serde_json::json!({"url_key": "key1"})
                .as_object()
                .cloned()
                .unwrap(),
        },
        name: "Backend".into(),
        description: None,
        status: TemplateStatus::Active,
        steps: vec![TemplateStep {
            name: Some("screen".into()),
            kind: None,
            assessment_id: None,
            pass_threshold: Some(70.0),
        }],
        created_at: now(),
        updated_at: now(),
        remote_data: serde_json::json!({"posting_id": vendor_id}),
    }
}

/// A workspace with a connection and a template.
pub(crate) async fn fixture(s: &S) -> (WorkspaceId, ConnectionId, Template) {
    let ws = workspace(s, "acme").await;
    let c = connection("heymilo");
    s.insert_connection(ws, &c, b"ciphertext").await.unwrap();
    let t = s
        .upsert_template(ws, &template(c.id, "posting_1"))
        .await
        .unwrap()
        .value;
    (ws, c.id, t)
}

pub(crate) fn person(email: &str) -> CandidateInput {
    CandidateInput {
        email: email.into(),
        ..Default::default()
    }
}

pub(crate) fn pending(t: &Template, candidate: CandidateId) -> NewInterview {
    NewInterview {
        id: InterviewId::new(),
        template_id: t.id,
        connection_id: t.connection_id,
        candidate_id: candidate,
        provider: t.provider.clone(),
        status: InterviewStatus::Pending,
        invite_options: serde_json::json!({"send_invite": true}),
        created_at: now(),
        next_poll_at: None,
        external_id: None,
        metadata: serde_json::json!({}),
        retake: false,
    }
}

/// A state write without version check or events (the suite's default).
pub(crate) async fn save(
    s: &S,
    ws: WorkspaceId,
    id: InterviewId,
    state: &VendorState,
) -> StoreResult<Option<Interview>> {
    Ok(match s.save_vendor_state(ws, id, state, None, &[]).await? {
        Saved::Saved { .. } => s.get_interview(ws, id).await?,
        Saved::Stale | Saved::Missing => None,
    })
}

pub(crate) fn vendor_state(refs: &[(&str, &str)]) -> VendorState {
    VendorState {
        status: InterviewStatus::Invited,
        outcome: None,
        interview_url: Some("https://candidates.sample/i/1".into()),
        provider_refs: refs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        result: None,
        error: None,
        remote_data: serde_json::json!({"raw": true}),
        synced_at: now(),
        next_poll_at: None,
    }
}

pub(crate) fn times(now: chrono::DateTime<Utc>) -> IdempotencyTimes {
    IdempotencyTimes {
        now,
        locked_until: now + Duration::seconds(30),
        expires_at: now + Duration::hours(24),
    }
}

pub(crate) fn event(t: EventType) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        event_type: t,
        data: serde_json::json!({"t": t.as_str()}),
        created_at: now(),
    }
}

pub(crate) fn endpoint(events: &[&str]) -> WebhookEndpoint {
    WebhookEndpoint {
        id: WebhookEndpointId::new(),
        url: "https://hooks.example.com/x".into(),
        description: None,
        events: events.iter().map(|e| e.to_string()).collect(),
        disabled_at: None,
        disabled_reason: None,
        failing_since: None,
        created_at: now(),
        updated_at: now(),
    }
}

/// A workspace with a template and one pending interview per email.
pub(crate) async fn interviews_for(s: &S, emails: &[&str]) -> (WorkspaceId, Vec<InterviewId>) {
    let (ws, _, t) = fixture(s).await;
    let mut ids = Vec::new();
    for e in emails {
        let c = s.upsert_candidate(ws, &person(e), now()).await.unwrap();
        let row = pending(&t, c.id);
        s.insert_interviews(ws, std::slice::from_ref(&row))
            .await
            .unwrap();
        ids.push(row.id);
    }
    (ws, ids)
}
