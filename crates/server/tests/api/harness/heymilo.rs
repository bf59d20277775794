//! HeyMilo accounts in the simulator, reached through a front, and what the vendor holds.

use serde_json::{json, Value};

use super::fronts::VendorFront;

/// A HeyMilo account with one posting in the sandbox, a connection to it through `front`,
/// and the posting imported: (vendor api key, template id).
pub(crate) async fn heymilo_behind(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    sandbox: &gateway_sandbox::SandboxHandle,
    front: &VendorFront,
) -> (String, String) {
    let control = |path: String, body: Value| {
        client
            .post(format!("{}/_control{path}", sandbox.base_url()))
            .json(&body)
            .send()
    };
    let acct: Value = control("/heymilo/accounts".into(), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_key = acct["api_key"].as_str().unwrap().to_string();
    let posting = control(
        format!("/heymilo/accounts/{api_key}/postings"),
        json!({"title": "Role"}),
    )
    .await
    .unwrap();
    assert!(posting.status().is_success());
    let res = client
        .post(format!("{base}/v1/connections"))
        .bearer_auth(admin)
        .json(&json!({"provider": "heymilo", "name": "hm behind a front", "credentials": {"api_key": api_key}, "base_url": front.url("heymilo")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let conn = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = client
        .post(format!("{base}/v1/connections/{conn}/templates/import"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let template = res.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (api_key, template)
}

/// The interview ids HeyMilo's simulator holds for `email`: the vendor's own record.
pub(crate) fn held_at_heymilo(
    sandbox: &gateway_sandbox::SandboxHandle,
    api_key: &str,
    email: &str,
) -> Vec<String> {
    let state = sandbox.shared.lock(|i| &i.heymilo);
    state
        .accounts
        .get(api_key)
        .map(|a| {
            a.interviews()
                .iter()
                .filter(|i| i.email.eq_ignore_ascii_case(email))
                .map(|i| i.interview_id.clone())
                .collect()
        })
        .unwrap_or_default()
}
