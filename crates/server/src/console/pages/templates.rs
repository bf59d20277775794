//! Templates: list, import a connection's templates, link one vendor object, create.

use axum::extract::Query;
use axum::response::Response;
use bytes::Bytes;
use gateway_core::{ConnectionId, Scope};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{id, inner, j, p, q, st, who};
use crate::api::connections::{list_connections, ConnectionListParams, ConnectionOut};
use crate::api::templates::{
    create_template, import_templates, link_template, list_templates, TemplateListParams,
};
use crate::console::form::{body, opt, Form};
use crate::console::session::Console;
use crate::console::view::{self, csrf, label, status_badge, when, Feedback, Field};
use crate::http::error::ApiResult;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    connection_id: Option<String>,
    cursor: Option<String>,
}

pub async fn list(c: Console, Query(lq): Query<ListQuery>) -> Response {
    page(&c, lq, &Feedback::default()).await
}

async fn page(c: &Console, lq: ListQuery, fb: &Feedback) -> Response {
    match body_of(c, lq, fb).await {
        Ok(b) => view::render(view::page(Some(c), "Templates", b)),
        Err(e) => view::error_page(Some(c), e),
    }
}

pub async fn connections_of(c: &Console) -> Vec<ConnectionOut> {
    if !c.principal.can(Scope::ConnectionsRead) {
        return Vec::new();
    }
    list_connections(
        st(c),
        who(c),
        q(ConnectionListParams {
            limit: Some(200),
            cursor: None,
        }),
    )
    .await
    .map(|l| l.data)
    .unwrap_or_default()
}

fn connection_select(form: &'static str, conns: &[ConnectionOut], fb: &Feedback) -> Markup {
    let chosen = if fb.form == form {
        fb.values.raw("connection_id")
    } else {
        None
    };
    let fid = format!("{form}-connection_id");
    html! {
        div.field {
            label for=(fid) { "Connection" }
            select id=(fid) name="connection_id" required {
                @for conn in conns {
                    @let v = conn.id.to_string();
                    option value=(v) selected[chosen == Some(v.as_str())] { (conn.name) " (" (conn.provider) ")" }
                }
            }
        }
    }
}

async fn body_of(c: &Console, lq: ListQuery, fb: &Feedback) -> ApiResult<Markup> {
    let filter: Option<ConnectionId> = match lq.connection_id.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(id(raw)?),
        None => None,
    };
    let list = list_templates(
        st(c),
        who(c),
        q(TemplateListParams {
            connection_id: filter,
            limit: Some(50),
            cursor: lq.cursor,
        }),
    )
    .await?;
    let conns = connections_of(c).await;
    let write = c.principal.can(Scope::TemplatesWrite) && !conns.is_empty();
    let keep = [(
        "connection_id",
        lq.connection_id.clone().unwrap_or_default(),
    )];
    Ok(html! {
        (fb.banner(""))
        @if write {
            div.grid {
                section.card {
                    h2 { "Import from a connection" }
                    p.hint { "Reads the vendor's templates and links every one." }
                    (fb.banner("import"))
                    form method="post" action="/console/templates/import" {
                        (csrf(c)) (connection_select("import", &conns, fb))
                        button type="submit" { "Import templates" }
                    }
                }
                section.card {
                    h2 { "Link one vendor object" }
                    (fb.banner("link"))
                    form method="post" action="/console/templates/link" {
                        (csrf(c)) (connection_select("link", &conns, fb))
                        (Field::new("link", "provider_ref.kind", "Vendor object kind").required().hint("posting, interview_set, project, interviewer, assessment_flow").render(fb))
                        (Field::new("link", "provider_ref.id", "Vendor object id").required().render(fb))
                        (Field::new("link", "provider_ref.url_key", "URL key (HeyMilo)").render(fb))
                        (Field::new("link", "name", "Name").hint("Required when the vendor cannot be asked for it.").render(fb))
                        button type="submit" { "Link template" }
                    }
                }
                section.card {
                    h2 { "Create at the vendor" }
                    (fb.banner("create"))
                    form method="post" action="/console/templates" {
                        (csrf(c)) (connection_select("create", &conns, fb))
                        (Field::new("create", "name", "Name").required().render(fb))
                        (Field::new("create", "description", "Description").kind("textarea").render(fb))
                        (Field::new("create", "position", "Position").render(fb))
                        (Field::new("create", "duration_minutes", "Duration (minutes)").kind("number").render(fb))
                        button type="submit" { "Create template" }
                    }
                }
            }
        }
        @if list.data.is_empty() { (view::empty("No templates.")) } @else {
            table {
                thead { tr { th { "Name" } th { "Provider" } th { "Vendor object" } th { "Status" } th { "Updated" } } }
                tbody {
                    @for t in &list.data {
                        tr {
                            td { a href=(format!("/console/interviews?template_id={}", t.id)) { (t.name) } br; small { code { (t.id) } } }
                            td { (t.provider) }
                            td { (t.provider_ref.kind) " " code { (t.provider_ref.id) } }
                            td { (status_badge(&label(&t.status))) }
                            td { (when(&t.updated_at)) }
                        }
                    }
                }
            }
        }
        (view::next_page("/console/templates", &keep, &list.next_cursor))
    })
}

async fn posted<F, Fut>(c: Console, raw: Bytes, form_id: &'static str, act: F) -> Response
where
    F: FnOnce(Console, Form) -> Fut,
    Fut: std::future::Future<Output = (Console, Form, ApiResult<Markup>)>,
{
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (c, form, result) = act(c, form).await;
    let fb = match result {
        Ok(notice) => Feedback::done(notice),
        Err(e) => Feedback::failed(form_id, form, e),
    };
    page(&c, ListQuery::default(), &fb).await
}

pub async fn import(c: Console, raw: Bytes) -> Response {
    posted(c, raw, "import", |c, form| async move {
        let r = async {
            let cid: ConnectionId = id(form.get("connection_id").unwrap_or_default())?;
            let got = inner(import_templates(st(&c), who(&c), p(cid)).await)?;
            Ok(html! { "Imported " (got.data.len()) " templates." })
        }
        .await;
        (c, form, r)
    })
    .await
}

pub async fn link(c: Console, raw: Bytes) -> Response {
    posted(c, raw, "link", |c, form| async move {
        let r = async {
            let input = body(json!({
                "connection_id": form.get("connection_id").unwrap_or_default(),
                "provider_ref": {
                    "kind": form.get("provider_ref.kind").unwrap_or_default(),
                    "id": form.get("provider_ref.id").unwrap_or_default(),
                    "url_key": opt(form.get("provider_ref.url_key")),
                },
                "name": opt(form.get("name")),
            }))?;
            let (_, axum::Json(t)) = link_template(st(&c), who(&c), j(input)).await?;
            Ok(html! { "Linked " strong { (t.name) } "." })
        }
        .await;
        (c, form, r)
    })
    .await
}

pub async fn create(c: Console, raw: Bytes) -> Response {
    posted(c, raw, "create", |c, form| async move {
        let r = async {
            let duration = match form.get("duration_minutes") {
                None => serde_json::Value::Null,
                Some(d) => d.parse::<u32>().map(serde_json::Value::from).map_err(|_| {
                    crate::http::error::ApiError::field(
                        "duration_minutes",
                        "must be a whole number",
                    )
                })?,
            };
            let input = body(json!({
                "connection_id": form.get("connection_id").unwrap_or_default(),
                "name": form.raw("name").unwrap_or_default(),
                "description": opt(form.get("description")),
                "position": opt(form.get("position")),
                "duration_minutes": duration,
            }))?;
            let (_, axum::Json(t)) = create_template(st(&c), who(&c), j(input)).await?;
            Ok(html! { "Created " strong { (t.name) } " at the vendor." })
        }
        .await;
        (c, form, r)
    })
    .await
}
