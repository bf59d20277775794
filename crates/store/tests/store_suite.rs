//! One store suite, run against every backend: each test gets a fresh Postgres schema and a
//! fresh SQLite file (see `gateway_store::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::*;

type S = Arc<dyn Store>;

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = gateway_store::testing::postgres().await.expect("a Postgres test schema");
                    super::$name(db.store).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = gateway_store::testing::sqlite().await.expect("a SQLite test file");
                    super::$name(db.store).await;
                }
            )*
        }
    };
}

store_tests!(
    migrations_are_all_applied,
    workspaces_page_newest_first,
    constraint_violations_are_conflicts,
    api_key_lifecycle,
    api_keys_are_tenant_scoped,
    connections_crud_and_soft_delete,
    templates_upsert_by_vendor_ref,
    templates_refuse_foreign_connection,
    candidates_upsert_by_email,
    candidates_upsert_by_external_id,
    concurrent_upserts_make_one_candidate,
    interviews_insert_list_and_filter,
    interviews_refuse_foreign_rows_atomically,
    pending_invitations_store_people_and_rows_in_one_go,
    vendor_state_writes_mappings,
    conflicting_mapping_rolls_back,
    only_pending_interviews_are_deleted,
    idempotency_key_lifecycle,
    idempotency_expiry_and_takeover,
    gateway_secret_first_writer_wins,
    state_writes_are_compare_and_set_with_events,
    polls_are_leased_to_one_taker,
    deliveries_keep_order_per_interview,
    gone_receivers_disable_their_endpoint,
    inbound_receipts_are_deduplicated,
    events_can_be_redelivered,
);

async fn workspace(s: &S, name: &str) -> WorkspaceId {
    let w = Workspace {
        id: WorkspaceId::new(),
        name: name.into(),
        created_at: now(),
    };
    s.insert_workspace(&w).await.unwrap();
    w.id
}

fn api_key(ws: WorkspaceId, prefix: &str) -> ApiKey {
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

fn connection(provider: &str) -> Connection {
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

fn template(conn: ConnectionId, vendor_id: &str) -> Template {
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
async fn fixture(s: &S) -> (WorkspaceId, ConnectionId, Template) {
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

fn person(email: &str) -> CandidateInput {
    CandidateInput {
        email: email.into(),
        ..Default::default()
    }
}

fn pending(t: &Template, candidate: CandidateId) -> NewInterview {
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
async fn save(
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

fn vendor_state(refs: &[(&str, &str)]) -> VendorState {
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

async fn migrations_are_all_applied(s: S) {
    s.ping().await.unwrap();
    assert_eq!(s.pending_migrations().await.unwrap(), Vec::<i64>::new());
    // Running them again is a no-op.
    s.migrate().await.unwrap();
}

async fn workspaces_page_newest_first(s: S) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(workspace(&s, &format!("w{i}")).await);
    }
    ids.reverse();
    let first = s.list_workspaces(PageRequest::first(2)).await.unwrap();
    assert_eq!(
        first.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let second = s
        .list_workspaces(PageRequest {
            limit: 2,
            after: first.next_after,
        })
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[2..4]
    );
    let third = s
        .list_workspaces(PageRequest {
            limit: 2,
            after: second.next_after,
        })
        .await
        .unwrap();
    assert_eq!(
        third.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[4..]
    );
    assert_eq!(third.next_after, None);
    let got = s.get_workspace(ids[0]).await.unwrap().unwrap();
    assert_eq!(got.name, "w4");
}

async fn constraint_violations_are_conflicts(s: S) {
    let w = Workspace {
        id: WorkspaceId::new(),
        name: "a".into(),
        created_at: now(),
    };
    s.insert_workspace(&w).await.unwrap();
    assert!(matches!(
        s.insert_workspace(&w).await,
        Err(StoreError::Conflict(_))
    ));
    let empty = Workspace {
        id: WorkspaceId::new(),
        name: String::new(),
        created_at: now(),
    };
    assert!(matches!(
        s.insert_workspace(&empty).await,
        Err(StoreError::Conflict(_))
    ));
    // A connection in a workspace that does not exist.
    let err = s
        .insert_connection(WorkspaceId::new(), &connection("heymilo"), b"x")
        .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
}

async fn api_key_lifecycle(s: S) {
    let ws = workspace(&s, "acme").await;
    let key = api_key(ws, "igk_aaaa");
    s.insert_api_key(&key, "lookup-a", b"hash-a").await.unwrap();
    // Lookups are unique: a second key cannot reuse one, and nothing of it is stored.
    let other = api_key(ws, "igk_bbbb");
    assert!(matches!(
        s.insert_api_key(&other, "lookup-a", b"h").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get_api_key(ws, other.id).await.unwrap(), None);

    let cred = s.find_key_credential("lookup-a").await.unwrap().unwrap();
    assert_eq!(cred.key, key);
    assert_eq!(cred.secret_hash, b"hash-a");
    assert_eq!(cred.secret_expires_at, None);
    assert_eq!(s.find_key_credential("nope").await.unwrap(), None);
    assert_eq!(s.api_key_workspace(key.id).await.unwrap(), Some(ws));

    // Usage is recorded in batches and never moves backwards.
    let t1 = now();
    s.record_key_usage(&[(key.id, t1), (key.id, t1 - Duration::hours(1))])
        .await
        .unwrap();
    assert_eq!(
        s.get_api_key(ws, key.id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(t1)
    );

    // Rotation: the new secret is live, the old one expires at the grace end.
    let grace_end = now() + Duration::seconds(60);
    let rotated = s
        .rotate_api_key(ws, key.id, "lookup-b", b"hash-b", "igk_cccc", grace_end)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rotated.prefix, "igk_cccc");
    let old = s.find_key_credential("lookup-a").await.unwrap().unwrap();
    assert_eq!(old.secret_expires_at, Some(grace_end));
    let new = s.find_key_credential("lookup-b").await.unwrap().unwrap();
    assert_eq!(
        (new.secret_hash.as_slice(), new.secret_expires_at),
        (&b"hash-b"[..], None)
    );
    let mut lookups = s.api_key_lookups(key.id).await.unwrap();
    lookups.sort();
    assert_eq!(lookups, vec!["lookup-a", "lookup-b"]);

    // Revocation sticks to the first time.
    let at = now();
    let revoked = s.revoke_api_key(ws, key.id, at).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    let again = s
        .revoke_api_key(ws, key.id, at + Duration::seconds(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(at));
    // A revoked key cannot be rotated back to life.
    assert_eq!(
        s.rotate_api_key(ws, key.id, "lookup-c", b"h", "p", at)
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.find_key_credential("lookup-c").await.unwrap(), None);
}

async fn api_keys_are_tenant_scoped(s: S) {
    let a = workspace(&s, "a").await;
    let b = workspace(&s, "b").await;
    let key = api_key(a, "igk_a");
    s.insert_api_key(&key, "la", b"h").await.unwrap();
    assert_eq!(s.get_api_key(b, key.id).await.unwrap(), None);
    assert!(s
        .list_api_keys(b, PageRequest::first(50))
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(s.revoke_api_key(b, key.id, now()).await.unwrap(), None);
    assert_eq!(
        s.get_api_key(a, key.id).await.unwrap().unwrap().revoked_at,
        None
    );
    assert_eq!(
        s.list_api_keys(a, PageRequest::first(50))
            .await
            .unwrap()
            .items,
        vec![key]
    );
}

async fn connections_crud_and_soft_delete(s: S) {
    let a = workspace(&s, "a").await;
    let b = workspace(&s, "b").await;
    let c = connection("taptalent");
    s.insert_connection(a, &c, b"secret-ciphertext")
        .await
        .unwrap();
    let got = s.get_connection(a, c.id).await.unwrap().unwrap();
    assert_eq!(got.connection, c);
    assert_eq!(got.credentials_ciphertext, b"secret-ciphertext");
    assert_eq!(s.get_connection(b, c.id).await.unwrap(), None);

    let at = now();
    let updated = s
        .update_connection(
            a,
            c.id,
            &ConnectionUpdate {
                name: Some("renamed".into()),
                base_url: Some(Some("http://127.0.0.1:9/".into())),
                credentials_ciphertext: Some(b"new".to_vec()),
                ..Default::default()
            },
            at,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.connection.name, "renamed");
    assert_eq!(
        updated.connection.base_url.as_deref(),
        Some("http://127.0.0.1:9/")
    );
    assert_eq!(updated.connection.settings, serde_json::json!({}));
    assert_eq!(updated.connection.updated_at, at);
    assert_eq!(updated.credentials_ciphertext, b"new");
    assert_eq!(
        s.update_connection(
            b,
            c.id,
            &ConnectionUpdate {
                name: Some("x".into()),
                ..Default::default()
            },
            at
        )
        .await
        .unwrap(),
        None
    );

    assert!(!s.delete_connection(b, c.id, now()).await.unwrap());
    assert!(s.delete_connection(a, c.id, now()).await.unwrap());
    assert!(!s.delete_connection(a, c.id, now()).await.unwrap());
    assert_eq!(s.get_connection(a, c.id).await.unwrap(), None);
    assert!(s
        .list_connections(a, PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
    // Still there for the interviews that used it.
    let kept = s
        .find_connection_any_workspace(c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.workspace_id, a);
}

async fn templates_upsert_by_vendor_ref(s: S) {
    let (ws, conn, t) = fixture(&s).await;
    let mut again = template(conn, "posting_1");
    again.name = "Backend (renamed at vendor)".into();
    again.provider_ref.vendor.clear();
    let up = s.upsert_template(ws, &again).await.unwrap();
    assert!(!up.created);
    assert_eq!(up.value.id, t.id, "the existing template keeps its id");
    assert_eq!(up.value.name, "Backend (renamed at vendor)");
    assert_eq!(
        up.value.provider_ref.vendor.get("url_key"),
        Some(&serde_json::json!("key1")),
        "a known part of the adapter-owned ref (HeyMilo's url_key) is kept"
    );
    assert_eq!(up.value.steps, t.steps);

    let other = s
        .upsert_template(ws, &template(conn, "posting_2"))
        .await
        .unwrap();
    assert!(other.created);
    let listed = s
        .list_templates(
            ws,
            TemplateFilter {
                connection_id: Some(conn),
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![other.value.id, t.id]
    );
    let none = s
        .list_templates(
            ws,
            TemplateFilter {
                connection_id: Some(ConnectionId::new()),
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty());
    assert_eq!(
        s.get_template(ws, t.id).await.unwrap().unwrap().remote_data["posting_id"],
        "posting_1"
    );
}

async fn templates_refuse_foreign_connection(s: S) {
    let (_, conn, t) = fixture(&s).await;
    let other = workspace(&s, "other").await;
    let err = s.upsert_template(other, &template(conn, "posting_9")).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    assert_eq!(s.get_template(other, t.id).await.unwrap(), None);
}

async fn candidates_upsert_by_email(s: S) {
    let ws = workspace(&s, "a").await;
    let first = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                email: "Alex@Example.com".into(),
                first_name: Some("Alex".into()),
                last_name: Some("Doe".into()),
                phone: Some("+1".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(first.email, "alex@example.com");
    assert_eq!(first.name.as_deref(), Some("Alex Doe"));
    let again = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                resume_url: Some("https://cv".into()),
                ..person("ALEX@example.com ")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.phone.as_deref(), Some("+1"), "absent fields are kept");
    assert_eq!(again.resume_url.as_deref(), Some("https://cv"));
    let other_ws = workspace(&s, "b").await;
    let elsewhere = s
        .upsert_candidate(other_ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    assert_ne!(elsewhere.id, first.id, "workspaces never share candidates");
    let found = s
        .list_candidates(
            ws,
            &CandidateFilter {
                email: Some("ALEX@EXAMPLE.COM".into()),
                ..Default::default()
            },
            PageRequest::first(5),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(s.get_candidate(other_ws, first.id).await.unwrap(), None);
}

async fn candidates_upsert_by_external_id(s: S) {
    let ws = workspace(&s, "a").await;
    let by_email = s
        .upsert_candidate(ws, &person("sam@example.com"), now())
        .await
        .unwrap();
    // An external id adopts the email-only candidate…
    let adopted = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-1".into()),
                ..person("sam@example.com")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(adopted.id, by_email.id);
    assert_eq!(adopted.external_id.as_deref(), Some("ats-1"));
    // …and then follows the person through an email change.
    let moved = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-1".into()),
                ..person("sam@new.example")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(moved.id, by_email.id);
    assert_eq!(moved.email, "sam@new.example");
    // A different external id with the same email is a different person.
    let twin = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-2".into()),
                ..person("sam@new.example")
            },
            now(),
        )
        .await
        .unwrap();
    assert_ne!(twin.id, by_email.id);
}

async fn concurrent_upserts_make_one_candidate(s: S) {
    let ws = workspace(&s, "a").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.upsert_candidate(ws, &person("race@example.com"), now())
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one person, one candidate: {ids:?}");
}

async fn interviews_insert_list_and_filter(s: S) {
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let sam = s
        .upsert_candidate(ws, &person("sam@example.com"), now())
        .await
        .unwrap();
    let rows: Vec<_> = [alex.id, sam.id, alex.id]
        .iter()
        .map(|c| pending(&t, *c))
        .collect();
    s.insert_interviews(ws, &rows).await.unwrap();

    let got = s.get_interview(ws, rows[0].id).await.unwrap().unwrap();
    assert_eq!(got.candidate, alex);
    assert_eq!(got.status, InterviewStatus::Pending);
    assert_eq!(got.template_id, t.id);
    assert_eq!(got.provider_refs, BTreeMap::new());

    let all = s
        .list_interviews(ws, &InterviewFilter::default(), PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(
        all.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[2].id, rows[1].id]
    );
    let rest = s
        .list_interviews(
            ws,
            &InterviewFilter::default(),
            PageRequest {
                limit: 2,
                after: all.next_after,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[0].id]
    );
    assert_eq!(rest.next_after, None);

    let of_alex = s
        .list_interviews(
            ws,
            &InterviewFilter {
                candidate_id: Some(alex.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(of_alex.items.len(), 2);

    save(
        &s,
        ws,
        rows[1].id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await
    .unwrap();
    let invited = s
        .list_interviews(
            ws,
            &InterviewFilter {
                status: Some(InterviewStatus::Invited),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        invited.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[1].id]
    );
    let recent = s
        .list_interviews(
            ws,
            &InterviewFilter {
                updated_after: Some(rows[2].created_at),
                template_id: Some(t.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        recent.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[1].id]
    );
    let other = workspace(&s, "b").await;
    assert_eq!(s.get_interview(other, rows[0].id).await.unwrap(), None);
}

async fn interviews_refuse_foreign_rows_atomically(s: S) {
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let other = workspace(&s, "b").await;
    let stranger = s
        .upsert_candidate(other, &person("x@example.com"), now())
        .await
        .unwrap();
    let good = pending(&t, alex.id);
    let bad = pending(&t, stranger.id);
    let err = s.insert_interviews(ws, &[good.clone(), bad]).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    assert_eq!(
        s.get_interview(ws, good.id).await.unwrap(),
        None,
        "all or nothing"
    );
    // Another workspace cannot use this workspace's template.
    let err = s
        .insert_interviews(other, &[pending(&t, stranger.id)])
        .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
}

async fn pending_invitations_store_people_and_rows_in_one_go(s: S) {
    let (ws, _, t) = fixture(&s).await;
    let known = s
        .upsert_candidate(ws, &person("known@example.com"), now())
        .await
        .unwrap();
    // Out of address order on purpose: results still come back in request order.
    let inputs = [
        person("zed@example.com"),
        CandidateInput {
            name: Some("Known Person".into()),
            ..person("KNOWN@example.com")
        },
        person("amy@example.com"),
    ];
    let mut rows: Vec<NewInterview> = inputs
        .iter()
        .map(|_| pending(&t, CandidateId::new()))
        .collect();
    let people: Vec<Candidate> = s
        .insert_pending(ws, &inputs, &mut rows, now())
        .await
        .unwrap()
        .into_iter()
        .map(|slot| match slot {
            Slot::New(p) => p,
            Slot::Open(i) => panic!("nothing was open: {i:?}"),
        })
        .collect();
    let emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        emails,
        ["zed@example.com", "known@example.com", "amy@example.com"]
    );
    assert_eq!(
        people[1].id, known.id,
        "an existing person is updated, not duplicated"
    );
    assert_eq!(people[1].name.as_deref(), Some("Known Person"));
    for (row, p) in rows.iter().zip(&people) {
        assert_eq!(row.candidate_id, p.id);
        let i = s.get_interview(ws, row.id).await.unwrap().unwrap();
        assert_eq!(i.candidate.id, p.id);
        assert_eq!(i.status, InterviewStatus::Pending);
    }

    // One row that cannot be stored (another workspace's template) undoes the whole call:
    // no new person, no interview.
    let other = workspace(&s, "b").await;
    let inputs = [person("new-one@example.com"), person("new-two@example.com")];
    let mut rows = vec![
        pending(&t, CandidateId::new()),
        pending(&t, CandidateId::new()),
    ];
    let err = s.insert_pending(other, &inputs, &mut rows, now()).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let listed = s
        .list_candidates(other, &Default::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "all or nothing: {:?}",
        listed.items
    );
    assert_eq!(s.get_interview(other, rows[0].id).await.unwrap(), None);
}

async fn vendor_state_writes_mappings(s: S) {
    let (ws, conn, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let row = pending(&t, alex.id);
    s.insert_interviews(ws, std::slice::from_ref(&row))
        .await
        .unwrap();
    let mut state = vendor_state(&[("interview_id", "int_1"), ("ingestion_id", "ing_9")]);
    state.result = Some(InterviewResult {
        score: Score::new(4.0, 5.0),
        ..Default::default()
    });
    let saved = save(&s, ws, row.id, &state).await.unwrap().unwrap();
    assert_eq!(saved.status, InterviewStatus::Invited);
    assert_eq!(saved.result.unwrap().score.unwrap().normalized, 80.0);
    assert_eq!(saved.last_synced_at, Some(state.synced_at));
    let m = s
        .find_mapping(conn, "interview_id", "int_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.workspace_id, m.resource_id, m.resource_type.as_str()),
        (ws, row.id.as_uuid(), "interview")
    );
    assert!(s
        .find_mapping(conn, "interview_id", "int_2")
        .await
        .unwrap()
        .is_none());
    // Saving the same refs again is fine.
    save(&s, ws, row.id, &state).await.unwrap().unwrap();
    // Unknown interview, or another workspace's: nothing to update.
    let other = workspace(&s, "b").await;
    assert_eq!(save(&s, other, row.id, &state).await.unwrap(), None);
}

async fn conflicting_mapping_rolls_back(s: S) {
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let first = pending(&t, alex.id);
    let second = pending(&t, alex.id);
    s.insert_interviews(ws, &[first.clone(), second.clone()])
        .await
        .unwrap();
    save(
        &s,
        ws,
        first.id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await
    .unwrap();
    let err = save(
        &s,
        ws,
        second.id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let second_now = s.get_interview(ws, second.id).await.unwrap().unwrap();
    assert_eq!(
        second_now.status,
        InterviewStatus::Pending,
        "the update rolled back with the mapping"
    );
}

async fn only_pending_interviews_are_deleted(s: S) {
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let a = pending(&t, alex.id);
    let b = pending(&t, alex.id);
    s.insert_interviews(ws, &[a.clone(), b.clone()])
        .await
        .unwrap();
    save(&s, ws, b.id, &vendor_state(&[])).await.unwrap();
    let other = workspace(&s, "b").await;
    assert!(!s.delete_pending_interview(other, a.id).await.unwrap());
    assert!(s.delete_pending_interview(ws, a.id).await.unwrap());
    assert!(
        !s.delete_pending_interview(ws, b.id).await.unwrap(),
        "invited interviews stay"
    );
    assert!(s.get_interview(ws, b.id).await.unwrap().is_some());
}

fn times(now: chrono::DateTime<Utc>) -> IdempotencyTimes {
    IdempotencyTimes {
        now,
        locked_until: now + Duration::seconds(30),
        expires_at: now + Duration::hours(24),
    }
}

async fn idempotency_key_lifecycle(s: S) {
    let ws = workspace(&s, "a").await;
    let t = now();
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"other", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );
    // Keys are per workspace.
    let other = workspace(&s, "b").await;
    assert_eq!(
        s.begin_idempotent(other, "k1", b"x", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    s.complete_idempotent(ws, "k1", 201, b"{\"id\":1}")
        .await
        .unwrap();
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Completed {
            status: 201,
            body: b"{\"id\":1}".to_vec()
        }
    );
    // Released keys run again.
    assert_eq!(
        s.begin_idempotent(ws, "k2", b"h", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
    s.release_idempotent(ws, "k2").await.unwrap();
    assert_eq!(
        s.begin_idempotent(ws, "k2", b"h2", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
}

async fn idempotency_expiry_and_takeover(s: S) {
    let ws = workspace(&s, "a").await;
    let t = now();
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
    // The owner never finished: after its lock lapses one retry takes over.
    let later = t + Duration::seconds(31);
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(later))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(later))
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    s.complete_idempotent(ws, "k", 200, b"done").await.unwrap();
    // After the retention window the key is free for any body.
    let next_day = t + Duration::hours(25);
    assert_eq!(
        s.begin_idempotent(ws, "k", b"new", times(next_day))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(s.purge_expired_idempotency(next_day).await.unwrap(), 0);
    assert_eq!(
        s.purge_expired_idempotency(next_day + Duration::hours(25))
            .await
            .unwrap(),
        1
    );
}

async fn gateway_secret_first_writer_wins(s: S) {
    let a = s
        .get_or_insert_gateway_secret("hash_key", b"first")
        .await
        .unwrap();
    let b = s
        .get_or_insert_gateway_secret("hash_key", b"second")
        .await
        .unwrap();
    assert_eq!((a.as_slice(), b.as_slice()), (&b"first"[..], &b"first"[..]));
    s.update_gateway_secret("hash_key", b"rewrapped")
        .await
        .unwrap();
    assert_eq!(
        s.list_gateway_secrets().await.unwrap(),
        vec![("hash_key".to_string(), b"rewrapped".to_vec())]
    );
}

fn event(t: EventType) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        event_type: t,
        data: serde_json::json!({"t": t.as_str()}),
        created_at: now(),
    }
}

fn endpoint(events: &[&str]) -> WebhookEndpoint {
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
async fn interviews_for(s: &S, emails: &[&str]) -> (WorkspaceId, Vec<InterviewId>) {
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

async fn state_writes_are_compare_and_set_with_events(s: S) {
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let all = endpoint(&[]);
    let completed_only = endpoint(&["interview.completed"]);
    s.insert_endpoint(ws, &all, b"sealed").await.unwrap();
    s.insert_endpoint(ws, &completed_only, b"sealed")
        .await
        .unwrap();
    let (_, v0) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    let saved = s
        .save_vendor_state(
            ws,
            ids[0],
            &vendor_state(&[]),
            Some(v0),
            &[event(EventType::Invited)],
        )
        .await
        .unwrap();
    assert_eq!(saved, Saved::Saved { version: v0 + 1 });
    let (now_stored, v1) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((now_stored.status, v1), (InterviewStatus::Invited, v0 + 1));
    // A second writer that read the same version loses, and writes nothing.
    let late = s
        .save_vendor_state(
            ws,
            ids[0],
            &vendor_state(&[]),
            Some(v0),
            &[event(EventType::Invited)],
        )
        .await
        .unwrap();
    assert_eq!(late, Saved::Stale);
    let events = s
        .list_events(ws, &EventFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(events.items[0].event_type, EventType::Invited);
    assert_eq!(
        s.list_deliveries(ws, all.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        s.list_deliveries(ws, completed_only.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "not subscribed"
    );
    let (_, v1) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1, v0 + 1);
    let mut done = vendor_state(&[]);
    done.status = InterviewStatus::Completed;
    s.save_vendor_state(ws, ids[0], &done, Some(v1), &[event(EventType::Completed)])
        .await
        .unwrap();
    assert_eq!(
        s.list_deliveries(ws, completed_only.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let other = workspace(&s, "b").await;
    assert_eq!(
        s.save_vendor_state(other, ids[0], &done, None, &[])
            .await
            .unwrap(),
        Saved::Missing
    );
    assert!(s
        .get_event(other, events.items[0].id)
        .await
        .unwrap()
        .is_none());
}

async fn polls_are_leased_to_one_taker(s: S) {
    let emails: Vec<String> = (0..10).map(|i| format!("p{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ws, ids) = interviews_for(&s, &refs).await;
    let past = now() - Duration::seconds(5);
    for id in &ids {
        s.reschedule_poll(ws, *id, Some(past)).await.unwrap();
    }
    let t = now();
    let oldest = s.oldest_due_poll(t).await.unwrap().expect("ten are due");
    assert!(
        (oldest - past).num_milliseconds().abs() <= 1,
        "the poller's lag is measured from the longest-waiting due poll: {oldest} vs {past}"
    );
    assert_eq!(
        s.oldest_due_poll(past - Duration::seconds(1))
            .await
            .unwrap(),
        None,
        "nothing was due before then"
    );
    let lease = t + Duration::seconds(60);
    let (a, b) = tokio::join!(
        s.lease_due_polls(t, lease, 6),
        s.lease_due_polls(t, lease, 6)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.len() + b.len(),
        10,
        "every due interview leased once: {} + {}",
        a.len(),
        b.len()
    );
    assert!(
        a.iter().all(|x| !b.contains(x)),
        "no interview leased twice"
    );
    assert!(
        s.lease_due_polls(t, lease, 10).await.unwrap().is_empty(),
        "leased ones are not due"
    );
    // A lapsed lease frees them; a future schedule does not.
    let later = lease + Duration::seconds(1);
    s.reschedule_poll(ws, ids[0], Some(later + Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(
        s.lease_due_polls(later, later + Duration::seconds(60), 20)
            .await
            .unwrap()
            .len(),
        9
    );
}

async fn deliveries_keep_order_per_interview(s: S) {
    let (ws, ids) = interviews_for(&s, &["a@example.com", "b@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    let (_, v) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        Some(v),
        &[event(EventType::Invited), event(EventType::Started)],
    )
    .await
    .unwrap();
    s.save_vendor_state(
        ws,
        ids[1],
        &vendor_state(&[]),
        None,
        &[event(EventType::Invited)],
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let kinds: Vec<(InterviewId, EventType)> = due
        .iter()
        .map(|d| (d.event.interview_id.unwrap(), d.event.event_type))
        .collect();
    assert_eq!(
        kinds.len(),
        2,
        "the second event of an interview waits for the first: {kinds:?}"
    );
    assert!(
        kinds.contains(&(ids[0], EventType::Invited))
            && kinds.contains(&(ids[1], EventType::Invited))
    );
    let first = due
        .iter()
        .find(|d| d.event.interview_id == Some(ids[0]))
        .unwrap();
    assert_eq!(first.url, "https://hooks.example.com/x");
    assert_eq!(first.secret_ciphertext, b"sealed");
    // Failing with a retry later keeps the next one waiting.
    let attempt = Attempt {
        attempted_at: t,
        status: Some(500),
        error: None,
        duration_ms: 3,
    };
    s.record_attempt(
        first.id,
        &attempt,
        &DeliveryOutcome::Retry {
            at: t + Duration::hours(1),
        },
    )
    .await
    .unwrap();
    let t2 = t + Duration::seconds(31);
    assert!(s
        .lease_due_deliveries(t2, t2 + Duration::seconds(30), 10)
        .await
        .unwrap()
        .iter()
        .all(|d| d.event.interview_id != Some(ids[0])));
    // Delivered: the next one comes.
    let t3 = t + Duration::hours(2);
    let again = s
        .lease_due_deliveries(t3, t3 + Duration::seconds(30), 10)
        .await
        .unwrap();
    let retry = again
        .iter()
        .find(|d| d.event.interview_id == Some(ids[0]))
        .unwrap();
    assert_eq!(
        (retry.id, retry.attempts),
        (first.id, 1),
        "same message id across attempts"
    );
    let ok = Attempt {
        attempted_at: t3,
        status: Some(200),
        error: None,
        duration_ms: 2,
    };
    s.record_attempt(retry.id, &ok, &DeliveryOutcome::Delivered)
        .await
        .unwrap();
    let t4 = t3 + Duration::seconds(31);
    let next = s
        .lease_due_deliveries(t4, t4 + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert!(next
        .iter()
        .any(|d| d.event.interview_id == Some(ids[0]) && d.event.event_type == EventType::Started));
    let log = s
        .list_deliveries(ws, ep.id, PageRequest::first(10))
        .await
        .unwrap();
    let delivered = log.items.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!(
        (
            delivered.status.as_str(),
            delivered.attempts,
            delivered.attempt_log.len()
        ),
        ("delivered", 2, 2)
    );
    assert_eq!(delivered.attempt_log[0].status, Some(500));
    assert_eq!(s.pending_delivery_count().await.unwrap(), 2);
}

async fn gone_receivers_disable_their_endpoint(s: S) {
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        &[event(EventType::Invited), event(EventType::Started)],
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let gone = Attempt {
        attempted_at: t,
        status: Some(410),
        error: None,
        duration_ms: 1,
    };
    s.record_attempt(
        due[0].id,
        &gone,
        &DeliveryOutcome::DisableEndpoint {
            reason: "410".into(),
        },
    )
    .await
    .unwrap();
    let e = s.get_endpoint(ws, ep.id).await.unwrap().unwrap().endpoint;
    assert!(e.disabled_at.is_some());
    assert_eq!(
        s.pending_delivery_count().await.unwrap(),
        0,
        "its queue is dropped"
    );
    // Later events skip a disabled endpoint.
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        &[event(EventType::Completed)],
    )
    .await
    .unwrap();
    assert_eq!(s.pending_delivery_count().await.unwrap(), 0);
    // Secrets can be replaced; deleted endpoints disappear.
    assert!(s
        .set_endpoint_secret(ws, ep.id, b"new", now())
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        s.get_endpoint(ws, ep.id)
            .await
            .unwrap()
            .unwrap()
            .secret_ciphertext,
        b"new"
    );
    assert!(s.delete_endpoint(ws, ep.id, now()).await.unwrap());
    assert!(s.get_endpoint(ws, ep.id).await.unwrap().is_none());
    assert!(s
        .list_endpoints(ws, PageRequest::first(5))
        .await
        .unwrap()
        .items
        .is_empty());
}

async fn inbound_receipts_are_deduplicated(s: S) {
    let (ws, conn, _) = fixture(&s).await;
    let payload = serde_json::json!({"body": "{}", "dedupe_key": "int_1:interview_completed"});
    let t = now();
    let first = s
        .insert_receipt(conn, ws, "int_1:interview_completed", &payload, t)
        .await
        .unwrap();
    assert!(first.is_some());
    assert_eq!(
        s.insert_receipt(conn, ws, "int_1:interview_completed", &payload, t)
            .await
            .unwrap(),
        None,
        "a vendor retry"
    );
    let pending = s
        .pending_receipts(t + Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payload, payload);
    s.finish_receipt(first.unwrap(), ReceiptStatus::Processed, Some("ok"), now())
        .await
        .unwrap();
    assert!(s
        .pending_receipts(t + Duration::seconds(1), 10)
        .await
        .unwrap()
        .is_empty());
}

async fn events_can_be_redelivered(s: S) {
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    let e = event(EventType::Invited);
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        std::slice::from_ref(&e),
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let ok = Attempt {
        attempted_at: t,
        status: Some(204),
        error: None,
        duration_ms: 1,
    };
    s.record_attempt(due[0].id, &ok, &DeliveryOutcome::Delivered)
        .await
        .unwrap();
    let late = endpoint(&["interview.invited"]);
    s.insert_endpoint(ws, &late, b"sealed").await.unwrap();
    assert_eq!(
        s.redeliver_event(ws, e.id, now()).await.unwrap(),
        Some(2),
        "the old message again, and one for the new endpoint"
    );
    let again = s
        .lease_due_deliveries(
            now() + Duration::seconds(1),
            now() + Duration::seconds(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert!(
        again.iter().any(|d| d.id == due[0].id),
        "the redelivery keeps its webhook-id"
    );
    let other = workspace(&s, "b").await;
    assert_eq!(s.redeliver_event(other, e.id, now()).await.unwrap(), None);
}
