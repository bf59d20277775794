#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use gateway_core::Credentials;
use provider_conformance::{conformance_tests, context, Fixture, Target};

struct InterviewFlowAiTarget;

#[async_trait::async_trait]
impl Target for InterviewFlowAiTarget {
    async fn fixture() -> Fixture {
        let s = common::setup().await;
        let bad_ctx = context(
            &s.sandbox,
            "interviewflowai",
            Credentials::new().with("api_key", "ifa_wrong"),
        );
        Fixture {
            provider: Arc::new(s.iflow),
            vendor: "interviewflowai",
            ctx: s.ctx,
            bad_ctx,
            template: s.interviewer,
            sandbox: s.sandbox,
        }
    }
}

conformance_tests!(InterviewFlowAiTarget);
