//! Gateway secrets: the first writer wins.

use gateway_store::testing::TestDatabase;

store_tests!(gateway_secret_first_writer_wins,);

async fn gateway_secret_first_writer_wins(db: TestDatabase) {
    let s = db.store.clone();
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
