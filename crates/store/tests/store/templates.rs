//! Templates: upserted by their vendor reference, only on the workspace's connections.

use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    templates_upsert_by_vendor_ref,
    templates_refuse_foreign_connection,
);

async fn templates_upsert_by_vendor_ref(db: TestDatabase) {
    let s = db.store.clone();
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

async fn templates_refuse_foreign_connection(db: TestDatabase) {
    let s = db.store.clone();
    let (_, conn, t) = fixture(&s).await;
    let other = workspace(&s, "other").await;
    let err = s.upsert_template(other, &template(conn, "posting_9")).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    assert_eq!(s.get_template(other, t.id).await.unwrap(), None);
}
