//! The gateway binary as a child process, for tests that kill it (SIGKILL) and start it
//! again on the same database.

use std::time::Duration;

pub(crate) struct Child(pub(crate) std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `interview-gateway serve` on 127.0.0.1:`port` over `db`, private vendor targets allowed
/// (the simulators are on loopback), logging warnings only; `env` adds or overrides settings.
pub(crate) fn spawn_gateway(db: &str, master: &str, port: u16, env: &[(&str, &str)]) -> Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_interview-gateway"));
    cmd.arg("serve")
        .env("GATEWAY_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("GATEWAY_DATABASE__URL", db)
        .env("GATEWAY_SECURITY__MASTER_KEY", master)
        .env("GATEWAY_SECURITY__ALLOW_PRIVATE_BASE_URLS", "true")
        .env("GATEWAY_LOG__LEVEL", "warn")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Child(cmd.spawn().unwrap())
}

/// An admin key in `db`, made in-process before the binary under test starts on it.
pub(crate) async fn admin_key(db: &gateway_store::testing::TestDatabase, master: &str) -> String {
    let mut config = crate::harness::test_config(&db.url, &[]);
    config.security.master_key = Some(gateway_core::Secret::new(master.to_string()));
    let ring = interview_gateway::secrets::crypto::KeyRing::load(&config.security).unwrap();
    let gw = interview_gateway::Gateway::with_store(config, db.store.clone(), ring)
        .await
        .unwrap();
    interview_gateway::ops::bootstrap::create_key(
        gw.state(),
        interview_gateway::ops::bootstrap::WorkspaceChoice::Default { name: "w".into() },
        "a",
        vec![gateway_core::Scope::Admin],
    )
    .await
    .unwrap()
    .secret
    .expose()
    .clone()
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn ready(client: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

/// SIGKILL: no chance to drain or flush.
pub(crate) fn unsafe_kill(child: &mut Child) {
    let pid = child.0.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.0.wait();
}
