//! One conformance suite for every adapter, run against the sandbox over real sockets.
//!
//! An adapter's tests implement [`Target`] (how to get a provider, a sandbox account and an
//! invitable template) and invoke [`conformance_tests!`]. The suite checks what the gateway
//! relies on from every provider: the descriptor tells the truth about capabilities,
//! credentials are checked, batches keep order and isolate a bad candidate, vendor outages
//! and rate limits end as the right `ProviderError` within the retry budget, and a call that
//! creates things is never sent twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use gateway_core::provider::{InterviewLocator, RemoteInterview};
use gateway_core::{
    Capability, ConnectionContext, ConnectionId, Credentials, InterviewId, InviteCandidate,
    InviteOptions, Provider, ProviderError, ProviderRef, WorkspaceId,
};
use gateway_sandbox::SandboxHandle;
use provider_http::RetryPolicy;
use serde_json::{json, Value};

/// Short timeouts so fault tests finish in seconds, with the production retry structure.
pub fn test_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(2),
        total_budget: Duration::from_secs(6),
        attempt_timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(500),
    }
}

/// What the suite works with.
pub struct Fixture {
    pub sandbox: SandboxHandle,
    pub provider: Arc<dyn Provider>,
    /// The sandbox's name for the vendor (path prefix, fault and log key).
    pub vendor: &'static str,
    /// A connection with working credentials.
    pub ctx: ConnectionContext,
    /// The same connection with a wrong API key.
    pub bad_ctx: ConnectionContext,
    /// A template candidates can be invited to.
    pub template: ProviderRef,
}

#[async_trait::async_trait]
pub trait Target {
    async fn fixture() -> Fixture;
}

/// A connection to the sandbox's `vendor` with these credentials.
pub fn context(
    sandbox: &SandboxHandle,
    vendor: &str,
    credentials: Credentials,
) -> ConnectionContext {
    ConnectionContext {
        connection_id: ConnectionId::new(),
        workspace_id: WorkspaceId::new(),
        base_url: url::Url::parse(&sandbox.vendor_url(vendor)).unwrap(),
        credentials,
        settings: json!({}),
        observer: None,
        trace: None,
    }
}

/// POST to the sandbox control API; panics unless it answers 2xx.
pub async fn control(sandbox: &SandboxHandle, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}/_control{path}", sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "control {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn add_fault(sandbox: &SandboxHandle, rule: Value) {
    control(sandbox, "/faults", rule).await;
}

pub async fn clear_faults(sandbox: &SandboxHandle) {
    reqwest::Client::new()
        .delete(format!("{}/_control/faults", sandbox.base_url()))
        .send()
        .await
        .unwrap();
}

/// Requests the vendor received, optionally only those whose path starts with `prefix`.
pub fn requests(sandbox: &SandboxHandle, vendor: &str, method: &str, prefix: &str) -> usize {
    sandbox
        .shared
        .log
        .list(Some(vendor))
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(prefix))
        .count()
}

pub fn candidate(email: &str) -> InviteCandidate {
    InviteCandidate {
        correlation_id: InterviewId::new(),
        email: email.to_string(),
        name: Some("Alex Doe".into()),
        first_name: Some("Alex".into()),
        last_name: Some("Doe".into()),
        phone: Some("+15551234567".into()),
        external_id: None,
        resume_url: None,
        metadata: json!({}),
    }
}

pub fn options() -> InviteOptions {
    InviteOptions {
        message: Some("Please complete the interview within 48 hours.".into()),
        send_invite: true,
        delay_hours: None,
        retake: false,
    }
}

fn unique_email(tag: &str) -> String {
    format!(
        "{tag}.{}@example.com",
        InterviewId::new().to_string().to_lowercase()
    )
}

async fn invite_one(f: &Fixture) -> RemoteInterview {
    let out = f
        .provider
        .invite(
            &f.ctx,
            &f.template,
            &[candidate(&unique_email("one"))],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(out.len(), 1);
    out.into_iter().next().unwrap().unwrap()
}

fn is_unsupported(r: &Result<impl std::fmt::Debug, ProviderError>, cap: Capability) -> bool {
    matches!(r, Err(ProviderError::Unsupported(c)) if *c == cap)
}

pub async fn descriptor_is_well_formed<T: Target>() {
    let f = T::fixture().await;
    let d = f.provider.descriptor();
    assert!(!d.name.is_empty() && d.name.chars().all(|c| c.is_ascii_lowercase()));
    assert!(!d.display_name.is_empty());
    url::Url::parse(d.default_base_url).expect("default_base_url is a URL");
    let api_key = d
        .credentials
        .iter()
        .find(|c| c.field == "api_key")
        .expect("every vendor takes an api_key");
    assert!(api_key.secret && api_key.required);
    assert!(d.capabilities.invite, "inviting is what the gateway is for");
    assert!(f.provider.default_base_url(&json!({})).is_ok());
}

/// A capability the descriptor denies answers `Unsupported` naming it; one it claims does not.
pub async fn capabilities_tell_the_truth<T: Target>() {
    let f = T::fixture().await;
    let caps = f.provider.descriptor().capabilities;
    let p = &f.provider;
    let draft = gateway_core::TemplateDraft {
        name: "Conformance".into(),
        ..Default::default()
    };
    let r = p.create_template(&f.ctx, &draft).await;
    assert_eq!(
        is_unsupported(&r, Capability::CreateTemplate),
        !caps.create_template,
        "create_template: {r:?}"
    );
    let update = gateway_core::TemplateUpdate {
        name: Some("Conformance renamed".into()),
        ..Default::default()
    };
    let r = p.update_template(&f.ctx, &f.template, &update).await;
    assert_eq!(
        is_unsupported(&r, Capability::UpdateTemplate),
        !caps.update_template,
        "update_template: {r:?}"
    );
    let r = p.list_templates(&f.ctx).await;
    assert_eq!(
        is_unsupported(&r, Capability::ListTemplates),
        !caps.list_templates,
        "list_templates: {r:?}"
    );
    if caps.list_templates {
        assert!(r.is_ok(), "{r:?}");
    }
    let refs = Default::default();
    let locator = InterviewLocator {
        template: &f.template,
        refs: &refs,
        candidate_email: "nobody@example.com",
        correlation_id: InterviewId::new(),
    };
    let r = p.get_interview(&f.ctx, locator).await;
    assert_eq!(
        is_unsupported(&r, Capability::GetInterview),
        !caps.get_interview,
        "get_interview: {r:?}"
    );
    let r = p.list_interviews(&f.ctx, &f.template, None).await;
    assert_eq!(
        is_unsupported(&r, Capability::ListInterviews),
        !caps.list_interviews,
        "list_interviews: {r:?}"
    );
    if caps.list_interviews {
        assert!(r.is_ok(), "{r:?}");
    }
    let hook = url::Url::parse("https://gateway.example/v1/inbound/x/y").unwrap();
    let r = p.register_webhooks(&f.ctx, &f.template, &hook).await;
    assert_eq!(
        is_unsupported(&r, Capability::WebhookRegistration),
        !caps.webhook_registration,
        "register_webhooks: {r:?}"
    );
}

pub async fn credentials_are_checked<T: Target>() {
    let f = T::fixture().await;
    let ok = f.provider.check(&f.ctx).await;
    assert!(ok.is_ok(), "{ok:?}");
    let bad = f.provider.check(&f.bad_ctx).await;
    assert!(
        matches!(bad, Err(ProviderError::InvalidCredentials { .. })),
        "{bad:?}"
    );
    let bad = f
        .provider
        .invite(
            &f.bad_ctx,
            &f.template,
            &[candidate(&unique_email("bad"))],
            &options(),
        )
        .await;
    let rejected = match &bad {
        Err(ProviderError::InvalidCredentials { .. }) => true,
        Ok(outcomes) => matches!(
            outcomes.as_slice(),
            [Err(ProviderError::InvalidCredentials { .. })]
        ),
        _ => false,
    };
    assert!(rejected, "{bad:?}");
}

pub async fn invites_return_vendor_refs<T: Target>() {
    let f = T::fixture().await;
    let remote = invite_one(&f).await;
    assert!(
        remote.raw.is_object() || remote.raw.is_array(),
        "the vendor payload is kept: {:?}",
        remote.raw
    );
    if f.provider.descriptor().capabilities.get_interview && !remote.refs.is_empty() {
        let locator = InterviewLocator {
            template: &f.template,
            refs: &remote.refs,
            candidate_email: remote.candidate_email.as_deref().unwrap_or_default(),
            correlation_id: InterviewId::new(),
        };
        let got = f.provider.get_interview(&f.ctx, locator).await;
        assert!(got.is_ok(), "{got:?}");
    }
}

/// One bad candidate fails alone; the rest are invited, in the order given.
pub async fn batches_keep_order_and_isolate_bad_candidates<T: Target>() {
    let f = T::fixture().await;
    let batch = [
        candidate(&unique_email("first")),
        candidate("not-an-email"),
        candidate(&unique_email("third")),
    ];
    let out = f
        .provider
        .invite(&f.ctx, &f.template, &batch, &options())
        .await
        .unwrap();
    assert_eq!(out.len(), 3);
    assert!(out[0].is_ok(), "{:?}", out[0]);
    assert!(
        matches!(
            out[1],
            Err(ProviderError::InvalidInput(_)) | Err(ProviderError::Rejected { .. })
        ),
        "{:?}",
        out[1]
    );
    assert!(out[2].is_ok(), "{:?}", out[2]);
    for (o, c) in out.iter().zip(&batch) {
        if let Ok(r) = o {
            if let Some(email) = &r.candidate_email {
                assert_eq!(
                    email.to_lowercase(),
                    c.email.to_lowercase(),
                    "outcomes follow input order"
                );
            }
        }
    }
}

/// A vendor answering 5xx: reads are retried a bounded number of times, creations are
/// sent once, and both end as `Unavailable`.
pub async fn outages_are_bounded_and_never_duplicate_invites<T: Target>() {
    let f = T::fixture().await;
    f.sandbox.shared.log.clear();
    add_fault(
        &f.sandbox,
        json!({"vendor": f.vendor, "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    let r = f.provider.check(&f.ctx).await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    let checks = f.sandbox.shared.log.list(Some(f.vendor)).len();
    let max = test_policy().max_attempts as usize;
    assert!(checks >= 1 && checks <= max, "check made {checks} calls");

    f.sandbox.shared.log.clear();
    let r = f
        .provider
        .invite(
            &f.ctx,
            &f.template,
            &[candidate(&unique_email("outage"))],
            // `retake` makes the invite non-idempotent at every vendor (HeyMilo documents
            // that an ingest without it returns the existing interview, so resending that
            // one would be harmless and is allowed).
            &InviteOptions {
                retake: true,
                ..options()
            },
        )
        .await;
    let unavailable = match &r {
        Err(ProviderError::Unavailable { .. }) => true,
        Ok(o) => matches!(o.as_slice(), [Err(ProviderError::Unavailable { .. })]),
        _ => false,
    };
    assert!(unavailable, "{r:?}");
    let sent: Vec<_> = f
        .sandbox
        .shared
        .log
        .list(Some(f.vendor))
        .into_iter()
        .filter(|e| e.method != "GET")
        .collect();
    assert_eq!(
        sent.len(),
        1,
        "an invite is never sent twice after a 5xx: {sent:?}"
    );
    clear_faults(&f.sandbox).await;
    assert!(
        f.provider.check(&f.ctx).await.is_ok(),
        "recovers once the vendor does"
    );
}

/// A 429 with a short `Retry-After` is waited out, for creations too.
pub async fn rate_limits_are_waited_out<T: Target>() {
    let f = T::fixture().await;
    add_fault(&f.sandbox, json!({"vendor": f.vendor, "fault": {"kind": "rate_limit", "retry_after_secs": 1}, "times": 1})).await;
    let started = std::time::Instant::now();
    let r = f
        .provider
        .invite(
            &f.ctx,
            &f.template,
            &[candidate(&unique_email("limited"))],
            &options(),
        )
        .await
        .unwrap();
    assert!(r[0].is_ok(), "{:?}", r[0]);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited the vendor's Retry-After"
    );
    // A limit that outlasts the budget is reported, not waited for.
    add_fault(
        &f.sandbox,
        json!({"vendor": f.vendor, "fault": {"kind": "rate_limit", "retry_after_secs": 120}}),
    )
    .await;
    let r = f.provider.check(&f.ctx).await;
    assert!(
        matches!(
            r,
            Err(ProviderError::RateLimited {
                retry_after: Some(_),
                ..
            })
        ),
        "{r:?}"
    );
    clear_faults(&f.sandbox).await;
}

/// A vendor that never answers ends as `Unavailable` within the call's budget.
pub async fn hangs_end_within_the_budget<T: Target>() {
    let f = T::fixture().await;
    add_fault(
        &f.sandbox,
        json!({"vendor": f.vendor, "fault": {"kind": "hang"}}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = f.provider.check(&f.ctx).await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    assert!(started.elapsed() <= test_policy().total_budget + Duration::from_secs(1));
    clear_faults(&f.sandbox).await;
}

/// Generate the suite for a [`Target`] as `#[tokio::test]`s in a `conformance` module.
#[macro_export]
macro_rules! conformance_tests {
    ($target:ty) => {
        mod conformance {
            use super::*;
            $crate::conformance_tests!(@each $target;
                descriptor_is_well_formed,
                capabilities_tell_the_truth,
                credentials_are_checked,
                invites_return_vendor_refs,
                batches_keep_order_and_isolate_bad_candidates,
                outages_are_bounded_and_never_duplicate_invites,
                rate_limits_are_waited_out,
                hangs_end_within_the_budget
            );
        }
    };
    (@each $target:ty; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::$name::<$target>().await;
            }
        )*
    };
}
