//! Master key rotation: every secret at rest is re-sealed, the gateway keeps working with
//! the new key, and refuses to start with a key that cannot open its secrets.

use figment::providers::Serialized;
use gateway_core::Scope;
use interview_gateway::config::Config;
use interview_gateway::ops::bootstrap::{create_key, WorkspaceChoice};
use interview_gateway::secrets::crypto::MasterKey;
use interview_gateway::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::test_config;

/// Serve `config` briefly, create a HeyMilo connection to a sandbox account, and return
/// (connection id, admin key).
async fn with_connection(
    config: Config,
    sandbox: &gateway_sandbox::SandboxHandle,
) -> (String, String) {
    let gw = Gateway::open(config).await.unwrap();
    let admin = create_key(
        gw.state(),
        WorkspaceChoice::Default { name: "w".into() },
        "a",
        vec![Scope::Admin],
    )
    .await
    .unwrap();
    let key = admin.secret.expose().clone();
    let (base, stop, server) = serve(gw).await;
    let acct: Value = reqwest::Client::new()
        .post(format!("{}/_control/heymilo/accounts", sandbox.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/connections"))
        .bearer_auth(&key)
        .json(&json!({"provider": "heymilo", "name": "hm", "credentials": {"api_key": acct["api_key"]}, "base_url": sandbox.vendor_url("heymilo")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    (id, key)
}

async fn serve(
    gw: Gateway,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gw.serve(listener, async {
        let _ = rx.await;
    }));
    (base, tx, server)
}

/// The connection's credentials still open: `check` reaches the vendor with them.
async fn check_works(config: Config, connection: &str, key: &str) {
    let gw = Gateway::open(config).await.unwrap();
    let (base, stop, server) = serve(gw).await;
    let res: Value = reqwest::Client::new()
        .request(
            Method::POST,
            format!("{base}/v1/connections/{connection}/check"),
        )
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["ok"], true, "{res}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_rotation_replaces_the_key_file() {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ig-rotate-{}", uuid::Uuid::now_v7()));
    let key_file = dir.join("master.key");
    let config = || {
        let base = test_config(&format!("sqlite://{}", dir.join("gw.db").display()), &[]);
        let fig = Config::figment(None)
            .merge(Serialized::default(
                "database.url",
                base.database.url.expose(),
            ))
            .merge(Serialized::default("security.master_key_file", &key_file))
            .merge(Serialized::default("security.generate_master_key", true))
            .merge(Serialized::default(
                "security.allow_private_base_urls",
                true,
            ));
        Config::from_figment(fig).unwrap()
    };
    let (connection, key) = with_connection(config(), &sandbox).await;
    let old = std::fs::read_to_string(&key_file).unwrap();

    let report = interview_gateway::ops::rotation::rotate_master_key(&config(), true)
        .await
        .unwrap();
    assert_eq!(
        report.resealed, 3,
        "one connection and the gateway's two own secrets"
    );
    assert_ne!(report.old_fingerprint, report.new_fingerprint);
    let new = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new, old);
    assert_eq!(
        std::fs::read_to_string(dir.join("master.key.previous")).unwrap(),
        old
    );
    assert!(!dir.join("master.key.new").exists());
    check_works(config(), &connection, &key).await;

    // The old key alone cannot open anything now, and the gateway says so at startup.
    let mut stale = config();
    stale.security.master_key = Some(gateway_core::Secret::new(old.trim().to_string()));
    let err = Gateway::open(stale)
        .await
        .err()
        .expect("the old key is refused")
        .to_string();
    assert!(err.contains("different master key"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_downtime_rotation_with_a_key_ring() {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let db = gateway_store::testing::postgres().await.unwrap();
    let old = MasterKey::generate_base64();
    let new = MasterKey::generate_base64();
    let config = |current: &str, previous: &[&str]| {
        let mut c = test_config(&db.url, &[]);
        c.security.master_key = Some(gateway_core::Secret::new(current.to_string()));
        c.security.previous_master_keys = previous
            .iter()
            .map(|k| gateway_core::Secret::new(k.to_string()))
            .collect();
        c
    };
    let (connection, key) = with_connection(config(&old, &[]), &sandbox).await;
    // Step 1: replicas run the new key, still able to open the old one.
    check_works(config(&new, &[&old]), &connection, &key).await;
    // Step 2: re-seal everything under the new key.
    let report = interview_gateway::ops::rotation::rotate_master_key(&config(&new, &[&old]), false)
        .await
        .unwrap();
    assert_eq!(report.resealed, 3);
    // Step 3: the old key can go.
    check_works(config(&new, &[]), &connection, &key).await;
    assert!(Gateway::open(config(&old, &[])).await.is_err());
}
