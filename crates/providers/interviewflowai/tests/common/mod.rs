//! A sandbox with one InterviewFlowAI account (three interviewers), and a connection to it.

#![allow(dead_code)]

use gateway_core::{ConnectionContext, Credentials, ProviderRef};
use gateway_sandbox::SandboxHandle;
use provider_conformance::{context, control, test_policy};
use provider_interviewflowai::InterviewFlowAi;
use serde_json::{json, Value};

pub struct Setup {
    pub sandbox: SandboxHandle,
    pub iflow: InterviewFlowAi,
    pub account: Value,
    pub ctx: ConnectionContext,
    /// The public interviewer (shortlists by default).
    pub interviewer: ProviderRef,
}

impl Setup {
    /// The account's `n`th interviewer: 0 public, 1 private, 2 public with screening.
    pub fn interviewer(&self, n: usize) -> ProviderRef {
        ProviderRef {
            kind: "interviewer".into(),
            id: self.account["interviewers"][n]["id"]
                .as_str()
                .unwrap()
                .into(),
            vendor: Default::default(),
        }
    }
}

pub async fn setup_with(account: Value) -> Setup {
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = control(&sandbox, "/interviewflowai/accounts", account).await;
    let ctx = context(
        &sandbox,
        "interviewflowai",
        Credentials::new().with("api_key", account["api_key"].as_str().unwrap()),
    );
    let interviewer = ProviderRef {
        kind: "interviewer".into(),
        id: account["interviewers"][0]["id"].as_str().unwrap().into(),
        vendor: Default::default(),
    };
    Setup {
        sandbox,
        iflow: InterviewFlowAi::new(test_policy(), provider_http::EgressPolicy::ALLOW_PRIVATE),
        account,
        ctx,
        interviewer,
    }
}

pub async fn setup() -> Setup {
    setup_with(json!({})).await
}
