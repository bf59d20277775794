//! A sandbox with one HeyMilo account, and a connection to it.

#![allow(dead_code)]

use gateway_core::{ConnectionContext, Credentials, ProviderRef};
use gateway_sandbox::SandboxHandle;
use provider_conformance::{context, control, test_policy};
use provider_heymilo::HeyMilo;
use serde_json::{json, Value};

pub struct Setup {
    pub sandbox: SandboxHandle,
    pub heymilo: HeyMilo,
    pub api_key: String,
    pub ctx: ConnectionContext,
    pub posting: Value,
    pub template: ProviderRef,
}

pub async fn setup_with(account: Value) -> Setup {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let acct = control(&sandbox, "/heymilo/accounts", account).await;
    let api_key = acct["api_key"].as_str().unwrap().to_string();
    let posting = control(
        &sandbox,
        &format!("/heymilo/accounts/{api_key}/postings"),
        json!({"title": "Backend Engineer", "description": "Rust"}),
    )
    .await;
    let ctx = context(
        &sandbox,
        "heymilo",
        Credentials::new().with("api_key", &api_key),
    );
    let template = provider_heymilo::posting_ref::template_ref(
        posting["posting_id"].as_str().unwrap().into(),
        Some(posting["url_key"].as_str().unwrap().into()),
    );
    Setup {
        sandbox,
        heymilo: HeyMilo::new(test_policy(), provider_http::EgressPolicy::ALLOW_PRIVATE),
        api_key,
        ctx,
        posting,
        template,
    }
}

pub async fn setup() -> Setup {
    setup_with(json!({})).await
}
