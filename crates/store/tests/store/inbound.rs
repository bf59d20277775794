//! Inbound vendor webhooks: receipts deduplicated; when a connection's latest arrived.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    inbound_receipts_are_deduplicated,
    the_latest_receipt_is_per_connection_and_workspace,
);

async fn inbound_receipts_are_deduplicated(db: TestDatabase) {
    let s = db.store.clone();
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

async fn the_latest_receipt_is_per_connection_and_workspace(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, conn, _) = fixture(&s).await;
    let (other_ws, other_conn, _) = fixture(&s).await;
    assert_eq!(s.latest_receipt_at(ws, conn).await.unwrap(), None);
    let payload = serde_json::json!({"body": "{}"});
    let older = now() - Duration::minutes(10);
    let newer = now() - Duration::minutes(1);
    // Inserted out of order: the latest by time answers, not the last inserted.
    s.insert_receipt(conn, ws, "b", &payload, newer)
        .await
        .unwrap();
    s.insert_receipt(conn, ws, "a", &payload, older)
        .await
        .unwrap();
    s.insert_receipt(other_conn, other_ws, "c", &payload, now())
        .await
        .unwrap();
    let latest = s.latest_receipt_at(ws, conn).await.unwrap().unwrap();
    assert!(
        (latest - newer).num_milliseconds().abs() < 2,
        "{latest} vs {newer}"
    );
    // Another workspace's id for the same connection finds nothing.
    assert_eq!(s.latest_receipt_at(other_ws, conn).await.unwrap(), None);
}
