//! `interview-gateway demo` and the deployment helpers around it: the printed walk-through
//! runs as printed and ends in a completed interview with a result; the bootstrap admin key;
//! `check-config` and `health`.

use std::time::Duration;

use figment::providers::Format;
use interview_gateway::ops::demo::{self, DemoOptions};
use interview_gateway::{Config, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ig-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config() -> Config {
    // The embedded defaults, without whatever GATEWAY_* the test runner carries.
    Config::from_figment(figment::Figment::from(figment::providers::Toml::string(
        interview_gateway::config::DEFAULT_TOML,
    )))
    .unwrap()
}

async fn get(client: &reqwest::Client, url: &str, key: &str) -> Value {
    let res = client.get(url).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    res.json().await.unwrap()
}

async fn start_demo(dir: &std::path::Path) -> demo::Demo {
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let options = DemoOptions {
        bind: any,
        sandbox_bind: any,
        dir: dir.to_path_buf(),
    };
    demo::start(config(), options).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_walkthrough_runs_as_printed_to_a_completed_interview() {
    let dir = temp_dir("demo");
    let demo = start_demo(&dir).await;
    let key = demo.api_key.expose().clone();
    let gw = demo.gateway_url.clone();
    let text = demo.instructions();
    assert!(text.contains(&format!("export KEY={key}")));
    // The console URL is printed and the demo's admin key signs in there.
    assert!(text.contains(&format!("{gw}/console")), "{text}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(format!("{gw}/console/sign-in"))
        .send()
        .await
        .unwrap();
    let pre = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = pre.split_once('=').unwrap().1.to_string();
    let signed_in = browser
        .post(format!("{gw}/console/sign-in"))
        .header("cookie", &pre)
        .form(&[("csrf", token.as_str()), ("api_key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/console");
    let providers: Vec<&str> = demo.vendors.iter().map(|v| v.provider).collect();
    assert_eq!(
        providers,
        ["heymilo", "flowmingo", "interviewflowai", "taptalent"]
    );

    // Every vendor's template takes an invitation.
    let client = reqwest::Client::new();
    for v in &demo.vendors {
        let res = client
            .post(format!("{gw}/v1/interviews"))
            .bearer_auth(&key)
            .json(&json!({"template_id": v.template_id, "candidate": {"email": format!("{}@example.com", v.provider), "name": "Demo Candidate"}}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{}: {body}", v.provider);
        assert_eq!(body["connection_id"], v.connection_id.as_str());
    }

    // The printed steps, run by a shell exactly as a newcomer pastes them.
    let steps = demo.walkthrough();
    let script: String = steps
        .iter()
        .take(3)
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let script = format!("set -eu\n{script}\necho \"DEMO_ID=$ID\"\n");
    let out = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("KEY", &key)
        .env("GW", &gw)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("DEMO_ID="))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    assert!(id.starts_with("intv_"), "{stdout}");

    // The HeyMilo webhooks land asynchronously: the interview completes with its result.
    let mut interview = Value::Null;
    for _ in 0..50 {
        interview = get(&client, &format!("{gw}/v1/interviews/{id}"), &key).await;
        if interview["status"] == "completed" && interview["result"].is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(interview["status"], "completed", "{interview}");
    assert_eq!(interview["result"]["score"]["normalized"], 88.0);
    let events = get(&client, &format!("{gw}/v1/events?interview_id={id}"), &key).await;
    let mut types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "interview.completed",
            "interview.invited",
            "interview.result_ready",
            "interview.started"
        ]
    );

    // And /metrics shows the calls they made.
    let metrics = client
        .get(format!("{gw}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let invites = metrics
        .lines()
        .find(|l| l.starts_with("gateway_http_request_duration_seconds_count{route=\"/v1/interviews\",method=\"POST\",status=\"201\"}"))
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(
        invites.ends_with(" 5"),
        "four vendors and the walk-through: {invites}"
    );
    assert!(metrics
        .contains("gateway_inbound_webhooks_total{provider=\"heymilo\",outcome=\"accepted\"}"));

    // A second run starts over (the simulators' accounts lived in memory).
    demo.shutdown().await;
    let again = start_demo(&dir).await;
    let list = get(
        &client,
        &format!("{}/v1/interviews", again.gateway_url),
        again.api_key.expose(),
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    again.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn serve(
    config: Config,
) -> (
    String,
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let gateway = Gateway::open(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        gateway
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (url, task, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_admin_key_is_created_once_and_revocation_sticks() {
    let dir = temp_dir("bootstrap");
    let key = "igk_BootstrapKey0001_0123456789012345678901234567890123456789";
    let mut cfg = config();
    cfg.database.url = gateway_core::Secret::new(format!("sqlite://{}/g.db", dir.display()));
    cfg.security.master_key_file = Some(dir.join("master.key"));
    cfg.auth.bootstrap_admin_key = Some(gateway_core::Secret::new(key.to_string()));
    cfg.poller.enabled = false;
    let client = reqwest::Client::new();

    let (url, task, stop) = serve(cfg.clone()).await;
    let keys = get(&client, &format!("{url}/v1/api-keys"), key).await;
    let listed = keys["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "bootstrap");
    assert_eq!(listed[0]["scopes"], json!(["admin"]));
    let id = listed[0]["id"].as_str().unwrap().to_string();
    stop.send(()).unwrap();
    task.await.unwrap();

    // A restart finds it and makes no second one.
    let (url, task, stop) = serve(cfg.clone()).await;
    let keys = get(&client, &format!("{url}/v1/api-keys"), key).await;
    assert_eq!(keys["data"].as_array().unwrap().len(), 1);
    let res = client
        .request(Method::DELETE, format!("{url}/v1/api-keys/{id}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    stop.send(()).unwrap();
    task.await.unwrap();

    // Revoked stays revoked: the next start does not bring it back.
    let (url, task, stop) = serve(cfg).await;
    let res = client
        .get(format!("{url}/v1/api-keys"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    stop.send(()).unwrap();
    task.await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

use crate::cli::gateway as binary;

#[test]
fn check_config_reports_without_secrets_and_names_bad_keys() {
    let master = "c2VjcmV0LW1hc3Rlci1rZXktdmFsdWUtMzItYnl0ZXMhIQ==";
    let out = binary()
        .env("GATEWAY_SECURITY__MASTER_KEY", master)
        .env("DATABASE_URL", "postgres://app:hunter2@db:5432/gateway")
        .env("GATEWAY_RATE_LIMIT__BACKEND", "redis")
        .arg("check-config")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("database: postgres"), "{stdout}");
    assert!(stdout.contains("rate limit: redis"), "{stdout}");
    assert!(stdout.contains("configuration OK"));
    for secret in [master, "hunter2"] {
        assert!(!stdout.contains(secret), "{stdout}");
    }

    for (var, value, named) in [
        ("GATEWAY_RATE_LIMIT__BACKNED", "redis", "backned"),
        (
            "GATEWAY_AUTH__BOOTSTRAP_ADMIN_KEY",
            "letmein",
            "auth.bootstrap_admin_key",
        ),
    ] {
        let out = binary()
            .env(var, value)
            .arg("check-config")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{err}");
        assert!(
            !err.contains("letmein"),
            "the bad secret is not echoed: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_exits_zero_only_when_the_gateway_is_ready() {
    let dir = temp_dir("health");
    let mut cfg = config();
    cfg.database.url = gateway_core::Secret::new(format!("sqlite://{}/g.db", dir.display()));
    cfg.security.master_key_file = Some(dir.join("master.key"));
    cfg.poller.enabled = false;
    let (url, task, stop) = serve(cfg).await;
    let probe = |url: String| {
        tokio::task::spawn_blocking(move || {
            binary().args(["health", "--url", &url]).output().unwrap()
        })
    };
    let ok = probe(format!("{url}/health/ready")).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = probe(format!("{url}/v1/workspaces")).await.unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("answered 401"), "{err}");
    stop.send(()).unwrap();
    task.await.unwrap();
    let down = probe(format!("{url}/health/ready")).await.unwrap();
    assert_eq!(down.status.code(), Some(1), "nothing listens any more");
    let _ = std::fs::remove_dir_all(&dir);
}
