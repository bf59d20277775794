use reqwest::Method;
use serde_json::Value;

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(ready_needs_every_migration);

/// Readiness fails while a migration is missing and recovers without a restart.
async fn ready_needs_every_migration(app: TestApp) {
    let res = app
        .request(Method::GET, "/health/ready", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ready");

    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (version,): (i64,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&raw)
        .await
        .unwrap();
    sqlx::query(&format!(
        "UPDATE _sqlx_migrations SET version = -{version} WHERE version = {version}"
    ))
    .execute(&raw)
    .await
    .unwrap();
    let res = app
        .request(Method::GET, "/health/ready", None)
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 503, "service_unavailable").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("migrations are pending"),
        "{p}"
    );
    sqlx::query(&format!(
        "UPDATE _sqlx_migrations SET version = {version} WHERE version = -{version}"
    ))
    .execute(&raw)
    .await
    .unwrap();
    assert_eq!(
        app.request(Method::GET, "/health/ready", None)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
