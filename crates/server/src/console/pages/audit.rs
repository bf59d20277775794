//! The audit log (admin keys), for the workspace the session acts in.

use axum::extract::Query;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::{q, st, who};
use crate::api::audit_log::{list_audit_log, AuditParams};
use crate::console::session::Console;
use crate::console::view::{self, when};

#[derive(Deserialize, Default)]
pub struct Filter {
    action: Option<String>,
    cursor: Option<String>,
}

pub async fn list(c: Console, Query(f): Query<Filter>) -> Response {
    let action = f
        .action
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    let log = list_audit_log(
        st(&c),
        who(&c),
        q(AuditParams {
            workspace_id: Some(c.principal.workspace_id),
            action: action.clone(),
            limit: Some(100),
            cursor: f.cursor,
        }),
    )
    .await;
    let log = match log {
        Ok(l) => l,
        Err(e) => return view::error_page(Some(&c), e),
    };
    let body = html! {
        form.filters method="get" action="/console/audit" {
            div.field { label for="a-action" { "Action" } input #a-action type="text" name="action" value=[action.as_deref()] placeholder="api_key.revoked"; }
            button type="submit" { "Filter" }
        }
        @if log.data.is_empty() { (view::empty("Nothing recorded.")) } @else {
            table {
                thead { tr { th { "When" } th { "Action" } th { "Target" } th { "By key" } th { "Details" } } }
                tbody { @for e in &log.data { tr {
                    td { (when(&e.at)) }
                    td { code { (e.action) } }
                    td { (e.target_type) " " code { (e.target_id) } }
                    td { (e.actor_key_id.map(|k| k.to_string()).unwrap_or_else(|| "command line".into())) }
                    td { (view::raw_json("details", &e.details)) }
                } } }
            }
        }
        (view::next_page("/console/audit", &[("action", action.clone().unwrap_or_default())], &log.next_cursor))
    };
    view::render(view::page(Some(&c), "Audit log", body))
}
