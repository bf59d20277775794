//! A sandbox with one Flowmingo organization, and a connection to it.

#![allow(dead_code)]

use gateway_core::{ConnectionContext, Credentials, ProviderRef};
use gateway_sandbox::SandboxHandle;
use provider_conformance::{context, control, test_policy};
use provider_flowmingo::Flowmingo;
use serde_json::{json, Value};

pub struct Setup {
    pub sandbox: SandboxHandle,
    pub flowmingo: Flowmingo,
    pub account: Value,
    pub ctx: ConnectionContext,
    pub set: ProviderRef,
}

pub async fn setup_with(scopes: &[&str]) -> Setup {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = control(&sandbox, "/flowmingo/accounts", json!({"scopes": scopes})).await;
    let ctx = context(
        &sandbox,
        "flowmingo",
        Credentials::new()
            .with("api_key", account["api_key"].as_str().unwrap())
            .with("webhook_secret", "whsec_sandbox_secret"),
    );
    let set = ProviderRef {
        kind: "interview_set".into(),
        id: account["interview_set_id"].as_str().unwrap().into(),
        vendor: Default::default(),
    };
    Setup {
        sandbox,
        flowmingo: Flowmingo::new(test_policy(), provider_http::EgressPolicy::ALLOW_PRIVATE),
        account,
        ctx,
        set,
    }
}

pub async fn setup() -> Setup {
    setup_with(&[]).await
}
