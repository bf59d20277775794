//! The vendor call log: batches in, one connection's calls out (tenant-scoped, filtered,
//! paged newest first), pruned by age and by a count per connection.

use chrono::{DateTime, Duration, Utc};
use gateway_core::time::now;
use gateway_core::{ConnectionId, WorkspaceId};
use gateway_store::testing::TestDatabase;
use gateway_store::*;
use uuid::Uuid;

store_tests!(
    call_log_lists_one_connection_filtered_and_paged,
    call_log_prunes_by_age_and_count,
);

fn call(
    ws: WorkspaceId,
    conn: ConnectionId,
    op: &str,
    status: Option<u16>,
    at: DateTime<Utc>,
) -> VendorCallEntry {
    VendorCallEntry {
        id: Uuid::now_v7(),
        workspace_id: ws,
        connection_id: conn,
        at,
        provider: "heymilo".into(),
        operation: op.into(),
        method: "GET".into(),
        path: "/api/v1/postings".into(),
        status,
        outcome: CallOutcome::of_status(status),
        latency_ms: 12,
        attempt: 1,
        last: true,
        request_id: Some("req-1".into()),
        trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        span_id: Some("00f067aa0ba902b7".into()),
        error: status.is_none().then(|| "cannot connect".to_string()),
    }
}

async fn call_log_lists_one_connection_filtered_and_paged(db: TestDatabase) {
    let s = db.store;
    let (ws, other_ws) = (WorkspaceId::new(), WorkspaceId::new());
    let (conn, other_conn) = (ConnectionId::new(), ConnectionId::new());
    let t = now();
    let calls = vec![
        call(
            ws,
            conn,
            "list_templates",
            Some(200),
            t - Duration::minutes(3),
        ),
        call(
            ws,
            conn,
            "list_templates",
            Some(401),
            t - Duration::minutes(2),
        ),
        call(ws, conn, "create_interview", None, t - Duration::minutes(1)),
        call(ws, other_conn, "list_templates", Some(200), t),
        call(other_ws, conn, "list_templates", Some(200), t),
    ];
    s.record_vendor_calls(&calls).await.unwrap();
    s.record_vendor_calls(&[]).await.unwrap();

    let all = s
        .list_vendor_calls(ws, conn, &CallFilter::default(), PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        all.items,
        vec![calls[2].clone(), calls[1].clone(), calls[0].clone()],
        "newest first, only this workspace's connection, every field round-trips"
    );
    assert_eq!(all.next_after, None);

    let f = |filter: CallFilter| {
        let s = s.clone();
        async move {
            s.list_vendor_calls(ws, conn, &filter, PageRequest::first(50))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let op = CallFilter {
        operation: Some("create_interview".into()),
        ..Default::default()
    };
    assert_eq!(f(op).await, vec![calls[2].id]);
    let outcome = CallFilter {
        outcome: Some(CallOutcome::ClientError),
        ..Default::default()
    };
    assert_eq!(f(outcome).await, vec![calls[1].id]);
    let status = CallFilter {
        status: Some(200),
        ..Default::default()
    };
    assert_eq!(f(status).await, vec![calls[0].id]);
    let window = CallFilter {
        since: Some(t - Duration::seconds(150)),
        until: Some(t - Duration::seconds(30)),
        ..Default::default()
    };
    assert_eq!(f(window).await, vec![calls[2].id, calls[1].id]);

    let first = s
        .list_vendor_calls(ws, conn, &CallFilter::default(), PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let next = PageRequest {
        limit: 2,
        after: first.next_after,
    };
    let second = s
        .list_vendor_calls(ws, conn, &CallFilter::default(), next)
        .await
        .unwrap();
    assert_eq!(second.items, vec![calls[0].clone()]);
    assert_eq!(second.next_after, None);
}

async fn call_log_prunes_by_age_and_count(db: TestDatabase) {
    let s = db.store;
    let ws = WorkspaceId::new();
    let (busy, quiet) = (ConnectionId::new(), ConnectionId::new());
    let t = now();
    let old = call(
        ws,
        quiet,
        "list_templates",
        Some(200),
        t - Duration::days(8),
    );
    let recent = call(ws, quiet, "list_templates", Some(200), t);
    s.record_vendor_calls(&[old.clone(), recent.clone()])
        .await
        .unwrap();
    let busy_calls: Vec<_> = (0..5)
        .map(|_| call(ws, busy, "list_templates", Some(200), t))
        .collect();
    s.record_vendor_calls(&busy_calls).await.unwrap();

    let ids = |conn| {
        let s = s.clone();
        async move {
            s.list_vendor_calls(ws, conn, &CallFilter::default(), PageRequest::first(50))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };

    // By age, in batches: a row is deleted once.
    let cutoff = t - Duration::days(7);
    assert_eq!(s.prune_vendor_calls_older(cutoff, 1).await.unwrap(), 1);
    assert_eq!(s.prune_vendor_calls_older(cutoff, 1).await.unwrap(), 0);
    assert_eq!(ids(quiet).await, vec![recent.id]);

    // By count: the busy connection keeps its newest 3, in batches of 1; the quiet one
    // (under the cap) is untouched.
    assert_eq!(s.prune_vendor_calls_over(3, 1).await.unwrap(), 1);
    assert_eq!(s.prune_vendor_calls_over(3, 10).await.unwrap(), 1);
    assert_eq!(s.prune_vendor_calls_over(3, 10).await.unwrap(), 0);
    let newest: Vec<_> = busy_calls.iter().rev().take(3).map(|c| c.id).collect();
    assert_eq!(ids(busy).await, newest);
    assert_eq!(ids(quiet).await, vec![recent.id]);
}
