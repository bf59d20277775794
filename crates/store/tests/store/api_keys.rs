//! API keys: their lifecycle, scoped to their workspace.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(api_key_lifecycle, api_keys_are_tenant_scoped,);

async fn api_key_lifecycle(db: TestDatabase) {
    let s = db.store.clone();
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

async fn api_keys_are_tenant_scoped(db: TestDatabase) {
    let s = db.store.clone();
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
