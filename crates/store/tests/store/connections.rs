//! Connections: CRUD and soft delete.

use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(connections_crud_and_soft_delete,);

async fn connections_crud_and_soft_delete(db: TestDatabase) {
    let s = db.store.clone();
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
