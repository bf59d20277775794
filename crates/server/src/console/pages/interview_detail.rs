//! One interview: the timeline from its events, score and criteria, transcript, artifacts,
//! the vendor's raw payload folded away; sync; redeliver an event's webhooks.

use axum::extract::Path;
use axum::response::Response;
use bytes::Bytes;
use gateway_core::{Interview, InterviewId, Scope};
use maud::{html, Markup};

use super::{id, inner, p, q, st, who};
use crate::api::events::{list_events, EventParams};
use crate::api::interviews::{get_interview, sync_interview};
use crate::console::session::Console;
use crate::console::view::{self, csrf, label, maybe_when, status_badge, when, Feedback};
use crate::http::error::ApiResult;

pub async fn show(c: Console, Path(raw): Path<String>) -> Response {
    page(&c, &raw, &Feedback::default()).await
}

pub async fn page(c: &Console, raw: &str, fb: &Feedback) -> Response {
    let loaded = async {
        let iid: InterviewId = id(raw)?;
        inner(get_interview(st(c), who(c), p(iid)).await)
    }
    .await;
    match loaded {
        Ok(i) => match body(c, &i, fb).await {
            Ok(b) => view::render(view::page(
                Some(c),
                &format!("Interview: {}", i.candidate.email),
                b,
            )),
            Err(e) => view::error_page(Some(c), e),
        },
        Err(e) => view::error_page(Some(c), e),
    }
}

/// Only web addresses become links: a vendor's `javascript:` URL stays text.
fn link(url: &str, text: &str) -> Markup {
    if url.starts_with("https://") || url.starts_with("http://") {
        html! { a href=(url) rel="noopener noreferrer" { (text) } }
    } else {
        html! { code { (url) } }
    }
}

async fn timeline(c: &Console, i: &Interview) -> ApiResult<Markup> {
    if !c.principal.can(Scope::WebhooksRead) {
        return Ok(html! { p.hint { "The timeline needs the webhooks:read scope." } });
    }
    let events = list_events(
        st(c),
        who(c),
        q(EventParams {
            event_type: None,
            interview_id: Some(i.id),
            limit: Some(100),
            cursor: None,
        }),
    )
    .await?;
    let redeliver = c.principal.can(Scope::WebhooksWrite);
    Ok(html! {
        @if events.data.is_empty() { (view::empty("No events yet.")) } @else {
            ol.timeline {
                @for e in events.data.iter().rev() {
                    li {
                        (when(&e.created_at)) " " strong { (label(&e.event_type)) }
                        @if let Some(s) = e.data.get("status").and_then(|s| s.as_str()) { " → " (status_badge(s)) }
                        @if redeliver {
                            form.inline method="post" action=(format!("/console/events/{}/redeliver", e.id)) {
                                (csrf(c))
                                input type="hidden" name="back" value=(format!("interview:{}", i.id));
                                button.small type="submit" { "Redeliver" }
                            }
                        }
                    }
                }
            }
        }
    })
}

async fn body(c: &Console, i: &Interview, fb: &Feedback) -> ApiResult<Markup> {
    let timeline = timeline(c, i).await?;
    let r = i.result.as_ref();
    Ok(html! {
        (fb.banner(""))
        div.actions {
            @if c.principal.can(Scope::InterviewsWrite) {
                form method="post" action=(format!("/console/interviews/{}/sync", i.id)) {
                    (csrf(c)) button type="submit" { "Sync from the vendor" }
                }
            }
        }
        dl.facts {
            dt { "Status" } dd #status { (status_badge(&label(&i.status))) }
            dt { "Score" } dd #score { @match r.and_then(|r| r.score.as_ref()) {
                Some(s) => { (format!("{:.1}", s.normalized)) " / 100" small { " (" (s.value) " of " (s.max) ")" } }
                None => { "—" }
            } }
            dt { "Outcome" } dd { (i.outcome.map(|o| label(&o)).unwrap_or_else(|| "—".into())) }
            dt { "Candidate" } dd { a href=(format!("/console/candidates/{}", i.candidate.id)) { (i.candidate.email) } }
            dt { "Provider" } dd { (i.provider) }
            dt { "Template" } dd { code { (i.template_id) } }
            dt { "Interview link" } dd { @if let Some(u) = &i.interview_url { (link(u, u)) } @else { "—" } }
            dt { "Created" } dd { (when(&i.created_at)) }
            dt { "Last synced" } dd { (maybe_when(&i.last_synced_at)) }
            @if let Some(e) = &i.error { dt { "Error" } dd.problem { (e) } }
        }
        section { h2 { "Timeline" } (timeline) }
        @if let Some(r) = r {
            @if let Some(s) = &r.summary { section { h2 { "Summary" } p { (s) } } }
            @if !r.criteria.is_empty() {
                section { h2 { "Criteria" }
                    table { thead { tr { th { "Criterion" } th { "Score" } th { "Passed" } th { "Comment" } } }
                        tbody { @for cr in &r.criteria { tr {
                            td { (cr.name) }
                            td.num { (cr.score.map(|s| format!("{s}")).unwrap_or_default()) (cr.max.map(|m| format!(" / {m}")).unwrap_or_default()) }
                            td { (cr.passed.map(|p| if p { "yes" } else { "no" }).unwrap_or("—")) }
                            td { (cr.comment.clone().unwrap_or_default()) }
                        } } }
                    }
                }
            }
            @if !r.transcript.is_empty() {
                section { h2 { "Transcript" }
                    dl.transcript { @for t in &r.transcript { dt { (t.speaker) } dd { (t.text) } } }
                }
            }
            @if !r.artifacts.is_empty() || r.report_url.is_some() {
                section { h2 { "Artifacts" }
                    ul {
                        @if let Some(u) = &r.report_url { li { (link(u, "Report")) } }
                        @for a in &r.artifacts { li { (link(&a.url, &label(&a.kind))) } }
                    }
                }
            }
        }
        section { h2 { "Vendor data" } (view::raw_json("The vendor's raw payload", &i.remote_data)) }
    })
}

pub async fn sync(c: Console, Path(raw): Path<String>, bytes: Bytes) -> Response {
    if let Err(res) = c.verify(&bytes) {
        return res;
    }
    let result = async {
        let iid: InterviewId = id(&raw)?;
        inner(sync_interview(st(&c), who(&c), p(iid)).await)
    }
    .await;
    let fb = match result {
        Ok(i) => Feedback::done(html! { "Synced: the vendor reports " (label(&i.status)) "." }),
        Err(e) => Feedback {
            error: Some(e),
            ..Default::default()
        },
    };
    page(&c, &raw, &fb).await
}
