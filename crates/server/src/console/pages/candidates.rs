//! Candidates: search by email or external id; one candidate with their interviews.

use axum::extract::{Path, Query};
use axum::response::Response;
use gateway_core::CandidateId;
use maud::html;
use serde::Deserialize;

use super::{id, inner, p, q, st, who};
use crate::api::candidates::{
    candidate_interviews, get_candidate, list_candidates, CandidateListParams, PageParams,
};
use crate::console::session::Console;
use crate::console::view::{self, label, status_badge, when};
use crate::http::error::ApiResult;

#[derive(Deserialize, Default)]
pub struct Search {
    email: Option<String>,
    external_id: Option<String>,
    cursor: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub async fn list(c: Console, Query(s): Query<Search>) -> Response {
    let found = list_candidates(
        st(&c),
        who(&c),
        q(CandidateListParams {
            email: given(&s.email),
            external_id: given(&s.external_id),
            limit: Some(50),
            cursor: s.cursor.clone(),
        }),
    )
    .await;
    let list = match found {
        Ok(l) => l,
        Err(e) => return view::error_page(Some(&c), e),
    };
    let keep = [
        ("email", s.email.clone().unwrap_or_default()),
        ("external_id", s.external_id.clone().unwrap_or_default()),
    ];
    let body = html! {
        form.filters method="get" action="/console/candidates" role="search" {
            div.field { label for="s-email" { "Email" } input #s-email type="email" name="email" value=[given(&s.email)]; }
            div.field { label for="s-ext" { "External id" } input #s-ext type="text" name="external_id" value=[given(&s.external_id)]; }
            button type="submit" { "Search" }
        }
        @if list.data.is_empty() { (view::empty("No candidates match.")) } @else {
            table {
                thead { tr { th { "Email" } th { "Name" } th { "External id" } th { "Updated" } } }
                tbody { @for cand in &list.data { tr {
                    td { a href=(format!("/console/candidates/{}", cand.id)) { (cand.email) } }
                    td { (cand.name.clone().unwrap_or_default()) }
                    td { (cand.external_id.clone().unwrap_or_default()) }
                    td { (when(&cand.updated_at)) }
                } } }
            }
        }
        (view::next_page("/console/candidates", &keep, &list.next_cursor))
    };
    view::render(view::page(Some(&c), "Candidates", body))
}

pub async fn show(c: Console, Path(raw): Path<String>) -> Response {
    let loaded: ApiResult<_> = async {
        let cid: CandidateId = id(&raw)?;
        let cand = inner(get_candidate(st(&c), who(&c), p(cid)).await)?;
        let interviews = if c.principal.can(gateway_core::Scope::InterviewsRead) {
            Some(
                candidate_interviews(
                    st(&c),
                    who(&c),
                    p(cid),
                    q(PageParams {
                        limit: Some(100),
                        cursor: None,
                    }),
                )
                .await?,
            )
        } else {
            None
        };
        Ok((cand, interviews))
    }
    .await;
    let (cand, interviews) = match loaded {
        Ok(v) => v,
        Err(e) => return view::error_page(Some(&c), e),
    };
    let body = html! {
        dl.facts {
            dt { "Name" } dd { (cand.name.clone().unwrap_or_default()) }
            dt { "External id" } dd { (cand.external_id.clone().unwrap_or_default()) }
            dt { "Phone" } dd { (cand.phone.clone().unwrap_or_default()) }
            dt { "Created" } dd { (when(&cand.created_at)) }
        }
        (view::raw_json("Metadata", &cand.metadata))
        @if let Some(list) = interviews {
            h2 { "Interviews" }
            @if list.data.is_empty() { (view::empty("None.")) } @else {
                table { thead { tr { th { "Interview" } th { "Status" } th { "Provider" } th { "Updated" } } }
                    tbody { @for i in &list.data { tr {
                        td { a href=(format!("/console/interviews/{}", i.id)) { code { (i.id) } } }
                        td { (status_badge(&label(&i.status))) }
                        td { (i.provider) }
                        td { (when(&i.updated_at)) }
                    } } }
                }
            }
        }
    };
    view::render(view::page(Some(&c), &cand.email, body))
}
