//! The overview: connections and their state, interviews by status, failing deliveries.

use axum::response::Response;
use gateway_core::{InterviewStatus, Scope};
use maud::{html, Markup};

use super::{q, st, who};
use crate::api::connections::{list_connections, ConnectionListParams};
use crate::api::interviews::{list_interviews, InterviewListParams};
use crate::api::webhook_endpoints::{list_deliveries, list_endpoints, PageParams};
use crate::console::session::Console;
use crate::console::view::{self, label, status_badge, when};
use crate::http::error::ApiResult;

/// Counted up to one page; more shows as "200+".
const COUNT_CAP: u32 = 200;

pub async fn show(c: Console) -> Response {
    match body(&c).await {
        Ok(b) => view::render(view::page(Some(&c), "Overview", b)),
        Err(e) => view::error_page(Some(&c), e),
    }
}

async fn body(c: &Console) -> ApiResult<Markup> {
    let connections = if c.principal.can(Scope::ConnectionsRead) {
        Some(connections(c).await?)
    } else {
        None
    };
    let interviews = if c.principal.can(Scope::InterviewsRead) {
        Some(by_status(c).await?)
    } else {
        None
    };
    let deliveries = if c.principal.can(Scope::WebhooksRead) {
        Some(failing(c).await?)
    } else {
        None
    };
    Ok(html! {
        p { "Signed in with a key holding: " @for s in &c.principal.scopes { code { (label(s)) } " " } }
        div.grid {
            @if let Some(m) = connections { section.card { h2 { "Connections" } (m) } }
            @if let Some(m) = interviews { section.card { h2 { "Interviews by status" } (m) } }
            @if let Some(m) = deliveries { section.card { h2 { "Webhook deliveries failing" } (m) } }
        }
    })
}

async fn connections(c: &Console) -> ApiResult<Markup> {
    let list = list_connections(
        st(c),
        who(c),
        q(ConnectionListParams {
            limit: Some(50),
            cursor: None,
        }),
    )
    .await?;
    Ok(html! {
        @if list.data.is_empty() {
            (view::empty("No connections yet."))
            @if c.principal.can(Scope::ConnectionsWrite) { p { a href="/console/connections" { "Add one" } } }
        } @else {
            table {
                thead { tr { th { "Name" } th { "Provider" } th { "State" } th { "Changed" } } }
                tbody {
                    @for conn in &list.data {
                        tr {
                            td { a href=(format!("/console/connections/{}", conn.id)) { (conn.name) } }
                            td { (conn.provider) }
                            td { (status_badge(&label(&conn.status))) }
                            td { (when(&conn.updated_at)) }
                        }
                    }
                }
            }
        }
    })
}

async fn by_status(c: &Console) -> ApiResult<Markup> {
    let mut rows = Vec::new();
    for status in InterviewStatus::ALL {
        let page = list_interviews(
            st(c),
            who(c),
            q(InterviewListParams {
                external_id: None,
                metadata: None,
                template_id: None,
                candidate_id: None,
                status: Some(status),
                updated_after: None,
                limit: Some(COUNT_CAP),
                cursor: None,
            }),
        )
        .await?;
        let n = page.data.len();
        let shown = if page.next_cursor.is_some() {
            format!("{n}+")
        } else {
            n.to_string()
        };
        rows.push((label(&status), shown));
    }
    Ok(html! {
        table {
            thead { tr { th { "Status" } th { "Interviews" } } }
            tbody {
                @for (s, n) in &rows {
                    tr {
                        td { a href=(format!("/console/interviews?status={s}")) { (status_badge(s)) } }
                        td.num { (n) }
                    }
                }
            }
        }
    })
}

async fn failing(c: &Console) -> ApiResult<Markup> {
    let endpoints = list_endpoints(
        st(c),
        who(c),
        q(PageParams {
            limit: Some(50),
            cursor: None,
        }),
    )
    .await?;
    let mut rows = Vec::new();
    for e in &endpoints.data {
        let deliveries = list_deliveries(
            st(c),
            who(c),
            super::p(e.id),
            q(PageParams {
                limit: Some(100),
                cursor: None,
            }),
        )
        .await?;
        let failing = deliveries
            .data
            .iter()
            .filter(|d| d.status == "failed" || (d.status == "pending" && d.attempts > 0))
            .count();
        if failing > 0 || e.disabled_at.is_some() {
            rows.push((e, failing));
        }
    }
    Ok(html! {
        @if rows.is_empty() {
            (view::empty("No failing deliveries among the latest ones."))
        } @else {
            table {
                thead { tr { th { "Endpoint" } th { "Failing (latest 100)" } th { "Disabled" } } }
                tbody {
                    @for (e, n) in &rows {
                        tr {
                            td { a href=(format!("/console/webhooks/{}", e.id)) { (e.url) } }
                            td.num { (n) }
                            td { (e.disabled_reason.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    })
}
