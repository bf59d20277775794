//! A sandbox with one TapTalent company (three assessments, a two-step flow), and a
//! connection to it.

#![allow(dead_code)]

use gateway_core::{ConnectionContext, Credentials, ProviderRef};
use gateway_sandbox::SandboxHandle;
use provider_conformance::{context, control, test_policy};
use provider_taptalent::TapTalent;
use serde_json::{json, Value};

pub const WEBHOOK_KEY: &str = "whk_sandbox_shared_key";

pub struct Setup {
    pub sandbox: SandboxHandle,
    pub taptalent: TapTalent,
    pub account: Value,
    pub ctx: ConnectionContext,
    pub flow: ProviderRef,
}

impl Setup {
    /// The id of the account's `n`th assessment.
    pub fn assessment(&self, n: usize) -> String {
        self.account["assessments"][n]["assessmentId"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub async fn setup() -> Setup {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = control(&sandbox, "/taptalent/accounts", json!({})).await;
    let ctx = context(
        &sandbox,
        "taptalent",
        Credentials::new()
            .with("api_key", account["api_key"].as_str().unwrap())
            .with("webhook_key", WEBHOOK_KEY),
    );
    let flow = ProviderRef {
        kind: "assessment_flow".into(),
        id: account["flow_id"].to_string(),
        vendor: Default::default(),
    };
    Setup {
        sandbox,
        taptalent: TapTalent::new(test_policy(), provider_http::EgressPolicy::ALLOW_PRIVATE),
        account,
        ctx,
        flow,
    }
}
