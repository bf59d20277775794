//! Secrets never leave: a full run's logs (at trace level) and every database row are
//! searched for every secret the run used.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;

crate::on_both_backends!(no_secret_reaches_logs_or_plaintext_columns);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test process, from the first call on.
fn captured_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let sink = Captured::default();
        let writer = sink.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("trace,hyper=debug,h2=debug,rustls=debug")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        sink
    })
    .clone()
}

async fn no_secret_reaches_logs_or_plaintext_columns(app: TestApp) {
    let logs = captured_logs();
    let mut secrets: Vec<String> = vec![app.admin_key.clone()];
    if let Some(k) = &app.state.config.security.master_key {
        secrets.push(k.expose().clone());
    }
    // A scoped key, rotated, used with both secrets.
    let made: Value = app.admin(Method::POST, "/v1/api-keys").json(&json!({"name": "ci", "scopes": ["connections:write", "templates:write", "interviews:write", "passthrough"]})).send().await.unwrap().json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_string();
    let rotated: Value = app
        .admin(
            Method::POST,
            &format!("/v1/api-keys/{}/rotate", made["id"].as_str().unwrap()),
        )
        .json(&json!({"grace_seconds": 60}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_key = rotated["key"].as_str().unwrap().to_string();
    secrets.extend([key.clone(), new_key.clone()]);
    // A vendor credential, used for everything a connection does.
    let (hm, template) = app.heymilo_template(&new_key).await;
    secrets.push(hm.api_key.clone());
    let conn = format!("/v1/connections/{}", hm.connection_id);
    let inbound = app
        .request(Method::GET, &conn, Some(&key))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["inbound_webhook_url"]
        .as_str()
        .unwrap()
        .to_string();
    secrets.push(inbound.rsplit('/').next().unwrap().to_string());
    app.request(Method::POST, &format!("{conn}/check"), Some(&key))
        .send()
        .await
        .unwrap();
    app.request(Method::POST, &format!("{conn}/passthrough"), Some(&key))
        .json(&json!({"method": "GET", "path": "/api/postings"}))
        .send()
        .await
        .unwrap();
    app.request(Method::POST, "/v1/interviews", Some(&key))
        .header("Idempotency-Key", "leak-check")
        .json(&json!({"template_id": template, "candidate": {"email": "leak@example.com"}}))
        .send()
        .await
        .unwrap();
    // Failures log too: a wrong key, a vendor that refuses the credential.
    app.request(
        Method::GET,
        "/v1/interviews",
        Some(&format!("{}x", &key[..key.len() - 1])),
    )
    .send()
    .await
    .unwrap();
    let refused = "vendor-side-wrong-key-1234567890";
    secrets.push(refused.to_string());
    app.request(Method::PATCH, &conn, Some(&key))
        .json(&json!({"credentials": {"api_key": refused}}))
        .send()
        .await
        .unwrap();
    app.request(Method::POST, &format!("{conn}/check"), Some(&key))
        .send()
        .await
        .unwrap();
    app.state.auth.flush_usage().await;

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("request_id"),
        "the capture works: {} bytes",
        text.len()
    );
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret reached the logs: {}…",
            &s[..6]
        );
    }

    // Every row of every table, as text (bytea shows as hex, so hex is searched too).
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let dump = if app.database_url.starts_with("sqlite") {
        let path = app.database_url.trim_start_matches("sqlite://").to_string();
        sqlx::query("PRAGMA wal_checkpoint(FULL)")
            .execute(&raw)
            .await
            .unwrap();
        let mut all = std::fs::read(&path).unwrap();
        all.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        String::from_utf8_lossy(&all).into_owned()
    } else {
        let tables: Vec<(String,)> = sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()")
            .fetch_all(&raw)
            .await
            .unwrap();
        let mut all = String::new();
        for (t,) in tables {
            let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT t::text FROM \"{t}\" t"))
                .fetch_all(&raw)
                .await
                .unwrap();
            all.extend(rows.into_iter().map(|(r,)| r + "\n"));
        }
        all
    };
    assert!(
        dump.contains("leak@example.com"),
        "the dump holds the run's data"
    );
    for s in &secrets {
        let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !dump.contains(s.as_str()) && !dump.contains(&hex),
            "a secret is stored in plaintext: {}…",
            &s[..6]
        );
    }
}
