//! API keys: create (shown once), rotate, revoke, with the API's own rules (a key grants only
//! scopes it holds; revoking the session's own key ends the session).

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use gateway_core::{ApiKeyId, Scope};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{id, inner, j, p, q, st, who};
use crate::api::api_keys::{
    create_api_key, list_api_keys, revoke_api_key, rotate_api_key, ApiKeyListParams,
};
use crate::console::form::{body, opt};
use crate::console::session::Console;
use crate::console::view::{
    self, csrf, label, maybe_when, shown_once, status_badge, when, Feedback, Field,
};

#[derive(Deserialize, Default)]
pub struct Paging {
    cursor: Option<String>,
}

pub async fn list(c: Console, Query(pg): Query<Paging>) -> Response {
    page(&c, pg.cursor, &Feedback::default()).await
}

async fn page(c: &Console, cursor: Option<String>, fb: &Feedback) -> Response {
    let list = match list_api_keys(
        st(c),
        who(c),
        q(ApiKeyListParams {
            workspace_id: None,
            limit: Some(50),
            cursor,
        }),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return view::error_page(Some(c), e),
    };
    let chosen: Vec<&str> = if fb.form == "create" {
        fb.values.all("scopes")
    } else {
        Vec::new()
    };
    let body = html! {
        (fb.banner(""))
        section.card {
            h2 { "Create a key" }
            (fb.banner("create"))
            form method="post" action="/console/keys" {
                (csrf(c))
                (Field::new("create", "name", "Name").required().render(fb))
                fieldset {
                    legend { "Scopes (only those your key holds can be granted)" }
                    @for s in Scope::ALL.iter().filter(|s| c.principal.can(**s)) {
                        @let v = label(s);
                        div.field.check {
                            input id=(format!("scope-{v}")) type="checkbox" name="scopes" value=(v) checked[chosen.contains(&v.as_str())];
                            label for=(format!("scope-{v}")) { (v) }
                        }
                    }
                    @if let Some(e) = fb.error.as_ref().filter(|_| fb.form == "create") {
                        @for fe in e.errors.iter().filter(|f| f.field.starts_with("scopes")) {
                            span.field-error data-field=(fe.field) { (fe.field) ": " (fe.message) }
                        }
                    }
                }
                (Field::new("create", "expires_at", "Expires at (RFC 3339, optional)").hint("e.g. 2027-01-31T00:00:00Z").render(fb))
                button type="submit" { "Create key" }
            }
        }
        table.keys {
            thead { tr { th { "Name" } th { "Prefix" } th { "Scopes" } th { "Last used" } th { "State" } th { "" } } }
            tbody { @for k in &list.data { tr {
                td { (k.name) @if k.id == c.principal.key_id { " " small { "(this session)" } } }
                td { code { (k.prefix) } }
                td { @for s in &k.scopes { code { (label(s)) } " " } }
                td { (maybe_when(&k.last_used_at)) }
                td { @if k.revoked_at.is_some() { (status_badge("revoked")) } @else { (status_badge("active")) " " small { "since " (when(&k.created_at)) } } }
                td { @if k.revoked_at.is_none() {
                    form.inline method="post" action=(format!("/console/keys/{}/rotate", k.id)) {
                        (csrf(c))
                        label for=(format!("grace-{}", k.id)) { "Grace (s)" }
                        input.short id=(format!("grace-{}", k.id)) type="number" name="grace_seconds" value="3600" min="0";
                        button.small type="submit" { "Rotate" }
                    }
                    form.inline method="post" action=(format!("/console/keys/{}/revoke", k.id)) {
                        (csrf(c)) button.small.danger type="submit" { "Revoke" }
                    }
                } }
            } } }
        }
        (view::next_page("/console/keys", &[], &list.next_cursor))
    };
    view::render(view::page(Some(c), "API keys", body))
}

pub async fn create(c: Console, raw: Bytes) -> Response {
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let scopes = form.list("scopes");
        let input = body(json!({
            "name": form.raw("name").unwrap_or_default(),
            "scopes": scopes,
            "workspace_id": c.principal.workspace_id,
            "expires_at": opt(form.get("expires_at")),
        }))?;
        let (_, _, axum::Json(k)) = create_api_key(st(&c), who(&c), j(input)).await?;
        Ok(k)
    }
    .await;
    let fb = match result {
        Ok(k) => Feedback::done(shown_once(&format!("The key “{}”", k.api_key.name), &k.key)),
        Err(e) => Feedback::failed("create", form, e),
    };
    page(&c, None, &fb).await
}

pub async fn rotate(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    let form = match c.verify(&bytes) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let kid: ApiKeyId = id(&raw)?;
        let grace = form.get("grace_seconds").unwrap_or("0");
        let grace: Value = grace
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(grace.into()));
        let input = body(json!({ "grace_seconds": grace }))?;
        let (_, axum::Json(k)) = rotate_api_key(st(&c), who(&c), p(kid), j(input)).await?;
        Ok(k)
    }
    .await;
    let fb = match result {
        Ok(k) => Feedback::done(shown_once(
            &format!("The new secret of “{}”", k.api_key.name),
            &k.key,
        )),
        Err(e) => Feedback {
            error: Some(e),
            ..Default::default()
        },
    };
    page(&c, None, &fb).await
}

pub async fn revoke(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let kid: ApiKeyId = id(&raw)?;
        inner(revoke_api_key(st(&c), who(&c), p(kid)).await)
    }
    .await;
    match result {
        // The next request finds the key revoked and ends the session, as on every replica.
        Ok(k) if k.id == c.principal.key_id => Redirect::to("/console/keys").into_response(),
        Ok(k) => {
            page(
                &c,
                None,
                &Feedback::done(html! { "Revoked “" (k.name) "”." }),
            )
            .await
        }
        Err(e) => {
            page(
                &c,
                None,
                &Feedback {
                    error: Some(e),
                    ..Default::default()
                },
            )
            .await
        }
    }
}
