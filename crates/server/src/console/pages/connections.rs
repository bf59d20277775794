//! Connections: list, create with the provider's own credential fields, check, edit, delete.

use axum::extract::{Path, Query};
use axum::response::Response;
use bytes::Bytes;
use gateway_core::{ConnectionId, ProviderDescriptor, Scope};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{id, inner, j, p, q, st, who};
use crate::api::connections::{
    check_connection, create_connection, delete_connection, get_connection, list_connections,
    update_connection, ConnectionListParams, ConnectionOut,
};
use crate::console::form::{body, opt, Form};
use crate::console::session::Console;
use crate::console::view::{self, csrf, label, status_badge, when, Feedback, Field};
use crate::http::error::{ApiError, ApiResult};

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    provider: Option<String>,
}

fn descriptor(c: &Console, provider: &str) -> ApiResult<ProviderDescriptor> {
    c.state
        .registry
        .get(provider)
        .map(|p| p.descriptor().clone())
        .ok_or_else(|| {
            ApiError::field(
                "provider",
                format!(
                    "unknown provider; one of {}",
                    c.state.registry.names().join(", ")
                ),
            )
        })
}

pub async fn list(c: Console, Query(lq): Query<ListQuery>) -> Response {
    list_page(&c, lq.cursor, &Feedback::default()).await
}

async fn list_page(c: &Console, cursor: Option<String>, fb: &Feedback) -> Response {
    let list = match list_connections(
        st(c),
        who(c),
        q(ConnectionListParams {
            limit: Some(50),
            cursor,
        }),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return view::error_page(Some(c), e),
    };
    let body = html! {
        (fb.banner(""))
        @if c.principal.can(Scope::ConnectionsWrite) {
            section.card {
                h2 { "Add a connection" }
                ul.providers {
                    @for prov in c.state.registry.all() {
                        li { a.button href=(format!("/console/connections/new?provider={}", prov.descriptor().name)) { (prov.descriptor().display_name) } }
                    }
                }
            }
        }
        @if list.data.is_empty() { (view::empty("No connections.")) } @else {
            table {
                thead { tr { th { "Name" } th { "Provider" } th { "State" } th { "Base URL" } th { "Created" } } }
                tbody {
                    @for conn in &list.data {
                        tr {
                            td { a href=(format!("/console/connections/{}", conn.id)) { (conn.name) } }
                            td { (conn.provider) }
                            td { (status_badge(&label(&conn.status))) }
                            td { (conn.base_url.clone().unwrap_or_else(|| "provider default".into())) }
                            td { (when(&conn.created_at)) }
                        }
                    }
                }
            }
        }
        (view::next_page("/console/connections", &[], &list.next_cursor))
    };
    view::render(view::page(Some(c), "Connections", body))
}

pub async fn new_form(c: Console, Query(nq): Query<NewQuery>) -> Response {
    let provider = nq.provider.unwrap_or_default();
    new_page(&c, &provider, &Feedback::default())
}

fn new_page(c: &Console, provider: &str, fb: &Feedback) -> Response {
    if let Err(e) = c.principal.require(Scope::ConnectionsWrite) {
        return view::error_page(Some(c), e);
    }
    let d = match descriptor(c, provider) {
        Ok(d) => d,
        Err(e) => return view::error_page(Some(c), e),
    };
    let body = html! {
        (fb.banner("create"))
        form.card method="post" action="/console/connections" {
            (csrf(c))
            input type="hidden" name="provider" value=(d.name);
            p { "Provider: " strong { (d.display_name) } }
            (Field::new("create", "name", "Name").required().render(fb))
            (credential_fields(&d, "create", true, fb))
            (Field::new("create", "base_url", "Base URL").kind("url")
                .hint(&format!("Leave empty for {}. A vendor sandbox or the built-in simulator goes here.", d.default_base_url)).render(fb))
            (Field::new("create", "settings", "Settings (JSON object)").kind("textarea").hint("Optional; see the provider's documentation.").render(fb))
            button type="submit" { "Create connection" }
        }
    };
    view::render(view::page(
        Some(c),
        &format!("New {} connection", d.display_name),
        body,
    ))
}

fn credential_fields(
    d: &ProviderDescriptor,
    form: &'static str,
    creating: bool,
    fb: &Feedback,
) -> Markup {
    html! {
        fieldset {
            legend { @if creating { "Credentials" } @else { "Replace credentials (leave empty to keep them)" } }
            @for f in &d.credentials {
                @let name = format!("credentials.{}", f.field);
                @let field = Field::new(form, &name, f.field).kind(if f.secret { "password" } else { "text" }).hint(f.description);
                @let field = if creating && f.required { field.required() } else { field };
                (field.render(fb))
            }
        }
    }
}

fn credentials_of(form: &Form) -> Map<String, Value> {
    form.with_prefix("credentials.")
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

/// The settings textarea: a JSON value, or the same field error the API gives bad JSON.
fn settings_of(form: &Form) -> ApiResult<Option<Value>> {
    match form.get("settings") {
        None => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| ApiError::field("settings", format!("not valid JSON: {e}"))),
    }
}

pub async fn create(c: Console, raw: Bytes) -> Response {
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let provider = form.get("provider").unwrap_or_default().to_string();
    let result = async {
        let settings = settings_of(&form)?;
        let input = body(json!({
            "provider": provider,
            "name": form.raw("name").unwrap_or_default(),
            "credentials": credentials_of(&form),
            "base_url": opt(form.get("base_url")),
            "settings": settings,
        }))?;
        create_connection(st(&c), who(&c), j(input))
            .await
            .map(|(_, axum::Json(o))| o)
    }
    .await;
    match result {
        Ok(conn) => detail_page(&c, conn, &Feedback::done(html! { "Connection created." })),
        Err(e) => new_page(&c, &provider, &Feedback::failed("create", form, e)),
    }
}

pub async fn show(c: Console, Path(raw): Path<String>) -> Response {
    match load(&c, &raw).await {
        Ok(conn) => detail_page(&c, conn, &Feedback::default()),
        Err(e) => view::error_page(Some(&c), e),
    }
}

async fn load(c: &Console, raw: &str) -> ApiResult<ConnectionOut> {
    let cid: ConnectionId = id(raw)?;
    inner(get_connection(st(c), who(c), p(cid)).await)
}

fn detail_page(c: &Console, conn: ConnectionOut, fb: &Feedback) -> Response {
    let write = c.principal.can(Scope::ConnectionsWrite);
    let d = descriptor(c, &conn.provider).ok();
    let base = format!("/console/connections/{}", conn.id);
    let body = html! {
        (fb.banner(""))
        (fb.banner("check"))
        dl.facts {
            dt { "Provider" } dd { (conn.provider) }
            dt { "State" } dd { (status_badge(&label(&conn.status))) }
            dt { "Base URL" } dd { (conn.base_url.clone().unwrap_or_else(|| "provider default".into())) }
            dt { "Inbound webhook URL" } dd { code { (conn.inbound_webhook_url) } }
            dt { "Created" } dd { (when(&conn.created_at)) }
            dt { "Updated" } dd { (when(&conn.updated_at)) }
        }
        (view::raw_json("Settings", &conn.settings))
        div.actions {
            form method="post" action=(format!("{base}/check")) {
                (csrf(c)) button type="submit" { "Check connection" }
            }
            @if write {
                form method="post" action=(format!("{base}/delete")) {
                    (csrf(c)) button.danger type="submit" { "Delete connection" }
                }
            }
        }
        @if write {
            section.card {
                h2 { "Edit" }
                (fb.banner("edit"))
                form method="post" action=(base) {
                    (csrf(c))
                    @let current = |name: &str, v: String| if fb.form == "edit" { fb.values.raw(name).map(str::to_string).unwrap_or(v) } else { v };
                    @let name_v = current("name", conn.name.clone());
                    @let base_v = current("base_url", conn.base_url.clone().unwrap_or_default());
                    div.field { label for="edit-name" { "Name" } input #edit-name type="text" name="name" value=(name_v) required; }
                    div.field { label for="edit-base_url" { "Base URL (empty = provider default)" } input #edit-base_url type="url" name="base_url" value=(base_v); }
                    @if let Some(d) = &d { (credential_fields(d, "edit", false, fb)) }
                    (Field::new("edit", "settings", "Replace settings (JSON object; empty keeps them)").kind("textarea").render(fb))
                    button type="submit" { "Save changes" }
                }
            }
        }
    };
    view::render(view::page(Some(c), &conn.name, body))
}

pub async fn update(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    let form = match c.verify(&bytes) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let cid: ConnectionId = id(&raw)?;
        let mut patch = Map::new();
        patch.insert(
            "name".into(),
            Value::String(form.raw("name").unwrap_or_default().into()),
        );
        patch.insert("base_url".into(), opt(form.get("base_url")));
        let creds = credentials_of(&form);
        if !creds.is_empty() {
            patch.insert("credentials".into(), Value::Object(creds));
        }
        if let Some(s) = settings_of(&form)? {
            patch.insert("settings".into(), s);
        }
        let input = body(Value::Object(patch))?;
        inner(update_connection(st(&c), who(&c), p(cid), j(input)).await)
    }
    .await;
    match result {
        Ok(conn) => detail_page(&c, conn, &Feedback::done(html! { "Saved." })),
        Err(e) => match load(&c, &raw).await {
            Ok(conn) => detail_page(&c, conn, &Feedback::failed("edit", form, e)),
            Err(e2) => view::error_page(Some(&c), e2),
        },
    }
}

pub async fn check(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let cid: ConnectionId = id(&raw)?;
        inner(check_connection(st(&c), who(&c), p(cid)).await)
    }
    .await;
    let fb = match result {
        Ok(r) => Feedback {
            form: "check",
            notice: Some(html! {
                @if r.ok { "Check passed" } @else { "Check failed" }
                " (" (r.latency_ms) " ms): " (r.detail)
            }),
            ..Default::default()
        },
        Err(e) => Feedback::failed("check", Form::default(), e),
    };
    match load(&c, &raw).await {
        Ok(conn) => detail_page(&c, conn, &fb),
        Err(e) => view::error_page(Some(&c), e),
    }
}

pub async fn delete(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let cid: ConnectionId = id(&raw)?;
        delete_connection(st(&c), who(&c), p(cid)).await
    }
    .await;
    match result {
        Ok(_) => list_page(&c, None, &Feedback::done(html! { "Connection deleted." })).await,
        Err(e) => view::error_page(Some(&c), e),
    }
}
