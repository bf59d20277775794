//! Inbound vendor webhooks: receipts deduplicated.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(inbound_receipts_are_deduplicated,);

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
