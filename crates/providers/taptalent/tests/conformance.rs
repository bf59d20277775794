#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use gateway_core::Credentials;
use provider_conformance::{conformance_tests, context, Fixture, Target};

struct TapTalentTarget;

#[async_trait::async_trait]
impl Target for TapTalentTarget {
    async fn fixture() -> Fixture {
        let s = common::setup().await;
        let bad_ctx = context(
            &s.sandbox,
            "taptalent",
            Credentials::new().with("api_key", "sk_test_not_a_real_key"),
        );
        Fixture {
            provider: Arc::new(s.taptalent),
            vendor: "taptalent",
            ctx: s.ctx,
            bad_ctx,
            template: s.flow,
            sandbox: s.sandbox,
        }
    }
}

conformance_tests!(TapTalentTarget);
