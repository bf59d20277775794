#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use gateway_core::Credentials;
use provider_conformance::{conformance_tests, context, Fixture, Target};

struct FlowmingoTarget;

#[async_trait::async_trait]
impl Target for FlowmingoTarget {
    async fn fixture() -> Fixture {
        let s = common::setup().await;
        let bad_ctx = context(
            &s.sandbox,
            "flowmingo",
            Credentials::new().with("api_key", "fl_live_nope.nope"),
        );
        Fixture {
            provider: Arc::new(s.flowmingo),
            vendor: "flowmingo",
            ctx: s.ctx,
            bad_ctx,
            template: s.set,
            sandbox: s.sandbox,
        }
    }
}

conformance_tests!(FlowmingoTarget);
