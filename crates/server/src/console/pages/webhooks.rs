//! Webhook endpoints: create (secret shown once), deliveries with their attempts, redeliver,
//! rotate the secret, delete.

use axum::extract::{Path, Query};
use axum::response::Response;
use bytes::Bytes;
use gateway_core::{EventId, EventType, Scope, WebhookEndpointId};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{id, inner, j, p, q, st, who};
use crate::api::events::redeliver_event;
use crate::api::webhook_endpoints::{
    create_endpoint, delete_endpoint, get_endpoint, list_deliveries, list_endpoints, rotate_secret,
    PageParams,
};
use crate::console::form::{body, opt, Form};
use crate::console::session::Console;
use crate::console::view::{
    self, csrf, label, maybe_when, shown_once, status_badge, when, Feedback, Field,
};
use crate::http::error::ApiResult;

#[derive(Deserialize, Default)]
pub struct Paging {
    cursor: Option<String>,
}

pub async fn list(c: Console, Query(pg): Query<Paging>) -> Response {
    list_page(&c, pg.cursor, &Feedback::default()).await
}

async fn list_page(c: &Console, cursor: Option<String>, fb: &Feedback) -> Response {
    let list = match list_endpoints(
        st(c),
        who(c),
        q(PageParams {
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
        fb.values.all("events")
    } else {
        Vec::new()
    };
    let body = html! {
        (fb.banner(""))
        @if c.principal.can(Scope::WebhooksWrite) {
            section.card {
                h2 { "Add an endpoint" }
                (fb.banner("create"))
                form method="post" action="/console/webhooks" {
                    (csrf(c))
                    (Field::new("create", "url", "URL").kind("url").required().render(fb))
                    (Field::new("create", "description", "Description").render(fb))
                    fieldset {
                        legend { "Events (none ticked = all)" }
                        @for t in EventType::ALL {
                            @let v = label(&t);
                            div.field.check {
                                input id=(format!("ev-{v}")) type="checkbox" name="events" value=(v) checked[chosen.contains(&v.as_str())];
                                label for=(format!("ev-{v}")) { (v) }
                            }
                        }
                    }
                    button type="submit" { "Create endpoint" }
                }
            }
        }
        @if list.data.is_empty() { (view::empty("No webhook endpoints.")) } @else {
            table {
                thead { tr { th { "URL" } th { "Events" } th { "State" } th { "Created" } } }
                tbody { @for e in &list.data { tr {
                    td { a href=(format!("/console/webhooks/{}", e.id)) { (e.url) } }
                    td { @if e.events.is_empty() { "all" } @else { (e.events.join(", ")) } }
                    td { @if let Some(r) = &e.disabled_reason { (status_badge("disabled")) " " (r) } @else { (status_badge("active")) } }
                    td { (when(&e.created_at)) }
                } } }
            }
        }
        (view::next_page("/console/webhooks", &[], &list.next_cursor))
    };
    view::render(view::page(Some(c), "Webhook endpoints", body))
}

pub async fn create(c: Console, raw: Bytes) -> Response {
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let events = form.list("events");
        let input = body(json!({
            "url": form.raw("url").unwrap_or_default(),
            "description": opt(form.get("description")),
            "events": events,
        }))?;
        let (_, _, axum::Json(created)) = create_endpoint(st(&c), who(&c), j(input)).await?;
        Ok(created)
    }
    .await;
    match result {
        Ok(created) => {
            let fb = Feedback::done(shown_once("The endpoint's signing secret", &created.secret));
            detail_page(&c, created.endpoint.id, None, &fb).await
        }
        Err(e) => list_page(&c, None, &Feedback::failed("create", form, e)).await,
    }
}

pub async fn show(c: Console, Path(raw): Path<String>, Query(pg): Query<Paging>) -> Response {
    match id::<WebhookEndpointId>(&raw) {
        Ok(eid) => detail_page(&c, eid, pg.cursor, &Feedback::default()).await,
        Err(e) => view::error_page(Some(&c), e),
    }
}

async fn detail_page(
    c: &Console,
    eid: WebhookEndpointId,
    cursor: Option<String>,
    fb: &Feedback,
) -> Response {
    match detail(c, eid, cursor, fb).await {
        Ok((title, b)) => view::render(view::page(Some(c), &title, b)),
        Err(e) => view::error_page(Some(c), e),
    }
}

async fn detail(
    c: &Console,
    eid: WebhookEndpointId,
    cursor: Option<String>,
    fb: &Feedback,
) -> ApiResult<(String, Markup)> {
    let e = inner(get_endpoint(st(c), who(c), p(eid)).await)?;
    let deliveries = list_deliveries(
        st(c),
        who(c),
        p(eid),
        q(PageParams {
            limit: Some(50),
            cursor,
        }),
    )
    .await?;
    let write = c.principal.can(Scope::WebhooksWrite);
    let base = format!("/console/webhooks/{eid}");
    let body = html! {
        (fb.banner(""))
        dl.facts {
            dt { "URL" } dd { (e.url) }
            dt { "Description" } dd { (e.description.clone().unwrap_or_default()) }
            dt { "Events" } dd { @if e.events.is_empty() { "all" } @else { (e.events.join(", ")) } }
            dt { "Disabled" } dd { (e.disabled_reason.clone().unwrap_or_else(|| "no".into())) }
        }
        @if write {
            div.actions {
                form method="post" action=(format!("{base}/rotate")) { (csrf(c)) button type="submit" { "Rotate secret" } }
                form method="post" action=(format!("{base}/delete")) { (csrf(c)) button.danger type="submit" { "Delete endpoint" } }
            }
        }
        h2 { "Deliveries" }
        @if deliveries.data.is_empty() { (view::empty("No deliveries yet.")) } @else {
            table.deliveries {
                thead { tr { th { "Event" } th { "Status" } th { "Attempts" } th { "Next attempt" } th { "Last answer" } @if write { th { "" } } } }
                tbody { @for d in &deliveries.data { tr {
                    td { (d.event_type) br; small { @if let Some(i) = d.interview_id { a href=(format!("/console/interviews/{i}")) { code { (d.event_id) } } } @else { code { (d.event_id) } } } }
                    td { (status_badge(&d.status)) }
                    td.num {
                        details { summary { (d.attempts) }
                            ol { @for a in &d.attempt_log { li {
                                (when(&a.attempted_at)) " — " (a.status.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into()))
                                " in " (a.duration_ms) " ms" @if let Some(err) = &a.error { ": " (err) }
                            } } }
                        }
                    }
                    td { (maybe_when(&d.next_attempt_at)) }
                    td { (d.last_status.map(|s| s.to_string()).unwrap_or_default()) " " (d.last_error.clone().unwrap_or_default()) }
                    @if write { td {
                        form.inline method="post" action=(format!("/console/events/{}/redeliver", d.event_id)) {
                            (csrf(c)) input type="hidden" name="back" value=(format!("endpoint:{eid}"));
                            button.small type="submit" { "Redeliver" }
                        }
                    } }
                } } }
            }
        }
        (view::next_page(&base, &[], &deliveries.next_cursor))
    };
    Ok((format!("Endpoint {}", e.url), body))
}

pub async fn rotate(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let eid: WebhookEndpointId = id(&raw)?;
        let (_, axum::Json(r)) = rotate_secret(st(&c), who(&c), p(eid)).await?;
        Ok((eid, r.secret))
    }
    .await;
    match result {
        Ok((eid, secret)) => {
            detail_page(
                &c,
                eid,
                None,
                &Feedback::done(shown_once("The new signing secret", &secret)),
            )
            .await
        }
        Err(e) => view::error_page(Some(&c), e),
    }
}

pub async fn delete(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let eid: WebhookEndpointId = id(&raw)?;
        delete_endpoint(st(&c), who(&c), p(eid)).await
    }
    .await;
    match result {
        Ok(_) => list_page(&c, None, &Feedback::done(html! { "Endpoint deleted." })).await,
        Err(e) => view::error_page(Some(&c), e),
    }
}

pub async fn redeliver(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    let form: Form = match c.verify(&bytes) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let ev: EventId = id(&raw)?;
        let (_, axum::Json(r)) = redeliver_event(st(&c), who(&c), p(ev)).await?;
        Ok(r.queued)
    }
    .await;
    let fb = match result {
        Ok(n) => Feedback::done(html! { "Redelivery queued to " (n) " endpoint(s)." }),
        Err(e) => Feedback {
            error: Some(e),
            ..Default::default()
        },
    };
    match form.get("back").and_then(|b| b.split_once(':')) {
        Some(("interview", iid)) => super::interview_detail::page(&c, iid, &fb).await,
        Some(("endpoint", eid)) => match id::<WebhookEndpointId>(eid) {
            Ok(eid) => detail_page(&c, eid, None, &fb).await,
            Err(e) => view::error_page(Some(&c), e),
        },
        _ => list_page(&c, None, &fb).await,
    }
}
