//! Console sessions: alive while used, ended by idleness or sign-out.

use chrono::Duration;
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(sessions_live_while_used,);

async fn sessions_live_while_used(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let other = workspace(&s, "b").await;
    let key = ApiKey {
        id: ApiKeyId::new(),
        workspace_id: ws,
        name: "k".into(),
        prefix: "igk_lookup".into(),
        scopes: vec![Scope::Admin],
        rate_limit: None,
        expires_at: None,
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    s.insert_api_key(&key, "lookup", b"hash").await.unwrap();
    let t0 = now() - Duration::minutes(10);
    let session = ConsoleSession {
        key_id: key.id,
        key_lookup: "lookup".into(),
        workspace_id: ws,
        csrf_token: "csrf".into(),
        created_at: t0,
        last_seen_at: t0,
    };
    s.insert_console_session(b"token-a", &session)
        .await
        .unwrap();
    s.insert_console_session(b"token-b", &session)
        .await
        .unwrap();

    // Idle since before t0: alive, and renewed to now.
    let t1 = now();
    let got = s
        .touch_console_session(b"token-a", t0 - Duration::minutes(1), t1)
        .await
        .unwrap()
        .expect("alive");
    assert_eq!(got.key_id, key.id);
    assert_eq!(got.key_lookup, "lookup");
    assert_eq!(got.csrf_token, "csrf");
    assert_eq!(got.last_seen_at, t1);
    // A limit past its last use: gone for this request, whatever the token.
    assert!(s
        .touch_console_session(b"token-b", t0 + Duration::minutes(1), now())
        .await
        .unwrap()
        .is_none());
    assert!(s
        .touch_console_session(b"nope", t0 - Duration::minutes(1), now())
        .await
        .unwrap()
        .is_none());

    s.set_console_session_workspace(b"token-a", other)
        .await
        .unwrap();
    let got = s
        .touch_console_session(b"token-a", t0, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.workspace_id, other);

    // Purging idle ones takes token-b (last seen t0) and keeps token-a (just used).
    assert_eq!(
        s.purge_console_sessions(t0 + Duration::minutes(1))
            .await
            .unwrap(),
        1
    );
    s.delete_console_session(b"token-a").await.unwrap();
    assert!(s
        .touch_console_session(b"token-a", t0 - Duration::minutes(60), now())
        .await
        .unwrap()
        .is_none());
}
