#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use gateway_core::Credentials;
use provider_conformance::{conformance_tests, context, Fixture, Target};

struct HeyMiloTarget;

#[async_trait::async_trait]
impl Target for HeyMiloTarget {
    async fn fixture() -> Fixture {
        let s = common::setup().await;
        let bad_ctx = context(
            &s.sandbox,
            "heymilo",
            Credentials::new().with("api_key", "not-a-key"),
        );
        Fixture {
            provider: Arc::new(s.heymilo),
            vendor: "heymilo",
            ctx: s.ctx,
            bad_ctx,
            template: s.template,
            sandbox: s.sandbox,
        }
    }
}

conformance_tests!(HeyMiloTarget);
