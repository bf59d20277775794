//! The binary itself: config errors, `migrate`, `keys create --admin`.

use std::process::Command;

use reqwest::Method;
use serde_json::json;

/// The binary, without whatever gateway configuration the test runner's environment holds.
pub(crate) fn gateway() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_interview-gateway"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GATEWAY_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn a_bad_config_value_fails_naming_the_key() {
    let out = gateway()
        .env("GATEWAY_SERVER__BIND", "nowhere")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.bind"), "{err}");
    let out = gateway()
        .env("GATEWAY_SERVER__BNID", "x")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bnid"));
}

#[test]
fn openapi_prints_the_spec() {
    let out = gateway().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec["paths"]["/v1/api-keys"]["post"].is_object());
}

/// The first admin key comes from the CLI; it then works over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_admin_key_works_over_http() {
    let dir = std::env::temp_dir().join(format!("ig-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = gateway().current_dir(&dir).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("data/gateway.db").exists(),
        "the default SQLite file is created"
    );
    assert!(
        dir.join("data/master.key").exists(),
        "the default master key is generated"
    );
    let out = gateway()
        .current_dir(&dir)
        .args(["keys", "create", "--admin"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("igk_"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(&key),
        "the key is printed once, on stdout only"
    );

    // Serve the same database in-process and use the key.
    let config = interview_gateway::config::Config::from_figment(
        interview_gateway::config::Config::figment(None)
            .merge(figment::providers::Serialized::default(
                "database.url",
                format!("sqlite://{}", dir.join("data/gateway.db").display()),
            ))
            .merge(figment::providers::Serialized::default(
                "security.master_key_file",
                dir.join("data/master.key"),
            ))
            .merge(figment::providers::Serialized::default(
                "security.generate_master_key",
                false,
            )),
    )
    .unwrap();
    let gw = interview_gateway::Gateway::open(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gw.serve(listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let ws = client
        .request(Method::POST, format!("{base}/v1/workspaces"))
        .bearer_auth(&key)
        .json(&json!({"name": "acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ws.status(), 201);
    let ws_id = ws.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let scoped = client
        .post(format!("{base}/v1/api-keys"))
        .bearer_auth(&key)
        .json(&json!({"name": "reader", "scopes": ["interviews:read"], "workspace_id": ws_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(scoped.status(), 201);
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
