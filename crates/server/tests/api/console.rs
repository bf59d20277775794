//! The admin console in a real headless Chromium, driven over WebDriver (chromedriver on a
//! free loopback port). One browser, one flow: sign in, connect a simulated vendor, import
//! its templates, invite, complete at the vendor, sync and read the score, redeliver a
//! webhook, revoke the session's key and be signed out, and find no write action for a
//! read-only key. Every page load is checked for browser console errors (which include CSP
//! violations).

use std::time::Duration;

use fantoccini::Locator;
use reqwest::Method;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::harness::{Backend, TestApp};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let hooks = Receiver::start().await;
    let b = Browser::start(&app.base).await;

    // Headers: a CSP without unsafe-*, on the sign-in page as on every console page.
    let res = app
        .client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    // Not signed in: every page sends to the sign-in page; a bad key is refused beside the field.
    b.go("/console/interviews").await;
    assert_eq!(b.path().await, "/console/sign-in");
    b.fill("#signin-api_key", "igk_nope").await;
    b.submit("form.card button[type=submit]").await;
    assert!(b
        .text(".field-error[data-field=api_key]")
        .await
        .contains("malformed API key"));
    b.screenshot("sign-in").await;

    b.sign_in(&app.admin_key).await;
    let cookie = b.client.get_named_cookie("ig_console").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    assert_ne!(
        cookie.secure(),
        Some(true),
        "plain http: no Secure flag (https sets it; unit-tested)"
    );
    assert!(
        !cookie.value().contains(&app.admin_key[4..20]),
        "the cookie is a session token, not the key"
    );
    assert!(
        !b.client.source().await.unwrap().contains(&app.admin_key),
        "the key is never rendered"
    );

    // A webhook endpoint first, so the interview's events are delivered.
    b.go("/console/webhooks").await;
    b.fill("#create-url", &hooks.url).await;
    b.submit("form[action='/console/webhooks'] button").await;
    let secret = b.text("code.secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    // A HeyMilo account at the simulator, connected through the form the descriptor builds.
    let acct = app.sandbox_control("/heymilo/accounts", json!({})).await;
    let vendor_key = acct["api_key"].as_str().unwrap().to_string();
    app.sandbox_control(
        &format!("/heymilo/accounts/{vendor_key}/postings"),
        json!({"title": "Backend Engineer"}),
    )
    .await;
    b.go("/console/connections").await;
    b.submit("a.button[href='/console/connections/new?provider=heymilo']")
        .await;
    b.fill("#create-name", "HeyMilo sandbox").await;
    b.fill("#create-base_url", &app.sandbox.vendor_url("heymilo"))
        .await;
    // The API's rule and words: a missing credential is named beside its field.
    b.submit("form[action='/console/connections'] button").await;
    // (the browser's own `required` check keeps the form from posting; remove it to reach the server)
    if b.path().await == "/console/connections/new" {
        b.client.execute("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))", vec![]).await.unwrap();
        b.submit("form[action='/console/connections'] button").await;
    }
    assert!(b
        .text(".field-error[data-field='credentials.api_key']")
        .await
        .contains("required"));
    b.fill("#create-credentials-api_key", &vendor_key).await;
    b.submit("form[action='/console/connections'] button").await;
    assert!(b.page_text().await.contains("Connection created."));
    assert!(
        !b.client.source().await.unwrap().contains(&vendor_key),
        "credentials are never shown"
    );
    b.submit("form[action$='/check'] button").await;
    assert!(
        b.text(".notice").await.contains("Check passed"),
        "{}",
        b.page_text().await
    );

    b.go("/console/templates").await;
    b.submit("form[action='/console/templates/import'] button")
        .await;
    assert!(b.text(".notice").await.contains("Imported 1 templates"));
    assert!(b.page_text().await.contains("Backend Engineer"));
    b.screenshot("templates").await;

    // Invite: the API's validation detail beside the field, then a real invitation.
    b.go("/console/interviews").await;
    b.client.execute("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required')); document.querySelectorAll('input[type=email]').forEach(e => e.type = 'text')", vec![]).await.unwrap();
    b.fill("#invite-candidate-email", "not-an-email").await;
    b.submit("form[action='/console/interviews'] button").await;
    let err = b.text(".field-error[data-field='candidate.email']").await;
    assert!(!err.is_empty(), "the API's detail beside the email field");
    b.fill("#invite-candidate-email", "alex@example.com").await;
    b.fill("#invite-candidate-name", "Alex Doe").await;
    b.submit("form[action='/console/interviews'] button").await;
    assert!(
        b.text(".notice").await.contains("Invited"),
        "{}",
        b.page_text().await
    );
    b.submit(".notice a").await;
    let interview_path = b.path().await;
    let interview_id = interview_path.rsplit('/').next().unwrap().to_string();
    assert_eq!(b.text("#status").await, "invited");

    // Many at once from pasted CSV: one result per row, the bad row with its problem.
    b.go("/console/interviews").await;
    b.fill(
        "#batch-csv",
        "email,name\nsam@example.com,Sam\nbroken,Nobody\n",
    )
    .await;
    b.submit("form[action='/console/interviews/batch'] button")
        .await;
    assert!(b.text(".notice").await.contains("1 of 2 rows invited"));
    let rows = b.text("table.batch").await;
    assert!(
        rows.contains("sam@example.com") && rows.contains("candidates[1].email"),
        "{rows}"
    );
    b.screenshot("interviews").await;
    if std::env::var("CONSOLE_SCREENSHOTS").is_ok() {
        b.client.set_window_size(390, 844).await.unwrap();
        b.go("/console/interviews").await;
        b.screenshot("interviews-390").await;
        b.client.set_window_size(1280, 900).await.unwrap();
    }

    // The vendor completes it; sync shows the score.
    let got = app
        .admin(Method::GET, &format!("/v1/interviews/{interview_id}"))
        .send()
        .await
        .unwrap();
    let vendor_id = got.json::<Value>().await.unwrap()["provider_refs"]["interview_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "completed", "score": 91.0}),
    )
    .await;
    b.go(&interview_path).await;
    b.submit("form[action$='/sync'] button").await;
    assert_eq!(b.text("#status").await, "completed");
    assert!(
        b.text("#score").await.starts_with("91.0"),
        "{}",
        b.text("#score").await
    );
    assert!(b.page_text().await.contains("Transcript"));
    b.screenshot("interview-detail").await;

    // Redeliver the completion event from the timeline; the receiver gets it again.
    let completed_before = || {
        hooks
            .received()
            .iter()
            .filter(|r| r.body["type"] == "interview.completed")
            .count()
    };
    for _ in 0..100 {
        if completed_before() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = completed_before();
    assert!(first >= 1, "the completion was delivered");
    let redeliver = b
        .client
        .find_all(Locator::Css("ol.timeline li"))
        .await
        .unwrap();
    let mut clicked = false;
    for li in redeliver {
        if li.text().await.unwrap().contains("interview.completed") {
            let button = li.find(Locator::Css("button")).await.unwrap();
            b.click_and_wait(button, "redeliver").await;
            clicked = true;
            break;
        }
    }
    assert!(clicked);
    assert!(b
        .text(".notice")
        .await
        .contains("Redelivery queued to 1 endpoint"));
    for _ in 0..100 {
        if completed_before() > first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(completed_before() > first, "the redelivery arrived");

    // Keys: a read-only key and a key that will revoke itself, each shown once.
    b.go("/console/keys").await;
    b.fill("#create-name", "read only").await;
    for s in [
        "connections:read",
        "templates:read",
        "interviews:read",
        "candidates:read",
        "webhooks:read",
    ] {
        b.client
            .find(Locator::Css(&format!("#scope-{}", s.replace(':', "\\:"))))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    b.submit("form[action='/console/keys'] button").await;
    let read_only = b.text("code.secret").await;
    b.fill("#create-name", "short lived").await;
    for s in ["keys:write", "interviews:read"] {
        b.client
            .find(Locator::Css(&format!("#scope-{}", s.replace(':', "\\:"))))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    b.submit("form[action='/console/keys'] button").await;
    let short_lived = b.text("code.secret").await;
    b.screenshot("keys").await;
    b.go("/console/audit").await;
    assert!(b.page_text().await.contains("api_key.created"));
    b.sign_out().await;
    assert!(b.page_text().await.contains("signed out"));
    // The old session is gone server-side too: its cookie opens nothing.
    b.go("/console/keys").await;
    assert_eq!(b.path().await, "/console/sign-in");

    // Revoking the session's own key ends the session at the next request.
    b.sign_in(&short_lived).await;
    b.go("/console/keys").await;
    let rows = b
        .client
        .find_all(Locator::Css("table.keys tbody tr"))
        .await
        .unwrap();
    for row in rows {
        if row.text().await.unwrap().contains("(this session)") {
            let button = row
                .find(Locator::Css("form[action$='/revoke'] button"))
                .await
                .unwrap();
            b.click_and_wait(button, "revoke").await;
            break;
        }
    }
    assert_eq!(b.path().await, "/console/sign-in");
    assert!(
        b.page_text().await.contains("revoked"),
        "{}",
        b.page_text().await
    );
    let res = app
        .request(Method::GET, "/v1/interviews", Some(&short_lived))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A read-only key sees everything it may read and no write action anywhere.
    b.sign_in(&read_only).await;
    for path in [
        "/console",
        "/console/connections",
        "/console/templates",
        "/console/interviews",
        interview_path.as_str(),
        "/console/candidates",
        "/console/webhooks",
    ] {
        b.go(path).await;
        assert_eq!(b.path().await, path);
        let posts = b.post_actions().await;
        assert_eq!(
            posts,
            vec!["/console/sign-out".to_string()],
            "write actions at {path}"
        );
    }
    b.screenshot("read-only").await;
    // Pages of other scopes answer the API's refusal, and so does a forged post.
    b.go("/console/keys").await;
    assert!(b.page_text().await.contains("lacks the `keys:write` scope"));
    let cookie = b.client.get_named_cookie("ig_console").await.unwrap();
    let forged = app
        .client
        .post(app.url("/console/interviews"))
        .header("cookie", format!("ig_console={}", cookie.value()))
        .form(&[("template_id", "x"), ("candidate.email", "a@b.co")])
        .send()
        .await
        .unwrap();
    assert!(
        forged.text().await.unwrap().contains("security token"),
        "no CSRF token, no action"
    );

    b.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sessions_are_shared_and_end_when_idle() {
    // Sessions live in the database (every replica reads the same row); idle expiry is the
    // row's last-seen time, not a replica's memory.
    let app =
        TestApp::spawn_with(Backend::Sqlite, &[("console.idle_timeout_mins", json!(1))]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    let pre = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = pre.split_once('=').unwrap().1.to_string();
    let res = client
        .post(app.url("/console/sign-in"))
        .header("cookie", &pre)
        .form(&[
            ("csrf", token.as_str()),
            ("api_key", app.admin_key.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("ig_console="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let cookie = session.split(';').next().unwrap().to_string();
    let ok = client
        .get(app.url("/console/connections"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // Without the pre-session token the sign-in form does nothing.
    let forged = client
        .post(app.url("/console/sign-in"))
        .form(&[("api_key", app.admin_key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200);
    assert!(forged
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("ig_console=")));

    // Idle past the limit: the session is refused and the browser sent to sign in.
    let hash = interview_gateway::console::session::hash_token(cookie.split_once('=').unwrap().1);
    let past = chrono::Utc::now() - chrono::Duration::minutes(5);
    // As if the last request had been five minutes ago (the limit here is one).
    let found = app
        .state
        .store
        .touch_console_session(&hash, past - chrono::Duration::minutes(1), past)
        .await
        .unwrap();
    assert!(found.is_some(), "the session is in the table");
    let res = client
        .get(app.url("/console/connections"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/sign-in?ended=idle");
    app.stop().await;
}
