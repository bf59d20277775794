//! Interviews: the filtered, cursor-paged list; invite one; invite many from pasted CSV.

use axum::extract::Query;
use axum::response::Response;
use bytes::Bytes;
use gateway_core::{CandidateId, InterviewStatus, Scope, Template, TemplateId};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{id, inner, j, q, st, who};
use crate::api::candidates::{list_candidates, CandidateListParams};
use crate::api::interviews::{
    batch_interviews, create_interview, list_interviews, BatchItem, InterviewListParams,
};
use crate::api::templates::{list_templates, TemplateListParams};
use crate::console::form::{body, opt};
use crate::console::session::Console;
use crate::console::view::{self, csrf, label, status_badge, when, Feedback, Field};
use crate::http::error::ApiResult;

#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    status: Option<String>,
    template_id: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    cursor: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn list(c: Console, Query(f): Query<Filters>) -> Response {
    page(&c, f, &Feedback::default(), None).await
}

async fn page(c: &Console, f: Filters, fb: &Feedback, batch: Option<Markup>) -> Response {
    match body_of(c, f, fb, batch).await {
        Ok(b) => view::render(view::page(Some(c), "Interviews", b)),
        Err(e) => view::error_page(Some(c), e),
    }
}

/// The candidate a filter names, through the candidates API; `Err(())` when nobody matches.
async fn candidate_filter(c: &Console, f: &Filters) -> ApiResult<Result<Option<CandidateId>, ()>> {
    if given(&f.email).is_none() && given(&f.external_id).is_none() {
        return Ok(Ok(None));
    }
    let found = list_candidates(
        st(c),
        who(c),
        q(CandidateListParams {
            email: given(&f.email).map(str::to_string),
            external_id: given(&f.external_id).map(str::to_string),
            limit: Some(1),
            cursor: None,
        }),
    )
    .await?;
    Ok(found.data.first().map(|cand| Some(cand.id)).ok_or(()))
}

pub async fn templates_of(c: &Console) -> Vec<Template> {
    if !c.principal.can(Scope::TemplatesRead) {
        return Vec::new();
    }
    list_templates(
        st(c),
        who(c),
        q(TemplateListParams {
            connection_id: None,
            limit: Some(200),
            cursor: None,
        }),
    )
    .await
    .map(|l| l.data)
    .unwrap_or_default()
}

async fn body_of(
    c: &Console,
    f: Filters,
    fb: &Feedback,
    batch: Option<Markup>,
) -> ApiResult<Markup> {
    let status: Option<InterviewStatus> = match given(&f.status) {
        Some(s) => Some(
            super::id(s)
                .map_err(|_| crate::http::error::ApiError::field("status", "unknown status"))?,
        ),
        None => None,
    };
    let template_id: Option<TemplateId> = match given(&f.template_id) {
        Some(t) => Some(id(t)?),
        None => None,
    };
    let candidate = candidate_filter(c, &f).await?;
    let list = match candidate {
        Err(()) => None,
        Ok(candidate_id) => Some(
            list_interviews(
                st(c),
                who(c),
                q(InterviewListParams {
                    external_id: None,
                    metadata: None,
                    template_id,
                    candidate_id,
                    status,
                    updated_after: None,
                    limit: Some(50),
                    cursor: f.cursor.clone(),
                }),
            )
            .await?,
        ),
    };
    let templates = templates_of(c).await;
    let write = c.principal.can(Scope::InterviewsWrite) && !templates.is_empty();
    let keep = [
        ("status", f.status.clone().unwrap_or_default()),
        ("template_id", f.template_id.clone().unwrap_or_default()),
        ("email", f.email.clone().unwrap_or_default()),
        ("external_id", f.external_id.clone().unwrap_or_default()),
    ];
    Ok(html! {
        (fb.banner(""))
        @if write {
            div.grid {
                section.card {
                    h2 { "Invite a candidate" }
                    (fb.banner("invite"))
                    form method="post" action="/console/interviews" {
                        (csrf(c)) (template_select("invite", &templates, fb))
                        (Field::new("invite", "candidate.email", "Email").kind("email").required().render(fb))
                        (Field::new("invite", "candidate.name", "Name").render(fb))
                        (Field::new("invite", "candidate.external_id", "External id (ATS)").render(fb))
                        (Field::new("invite", "message", "Message").kind("textarea").render(fb))
                        (checkboxes("invite", fb))
                        button type="submit" { "Send invitation" }
                    }
                }
                section.card {
                    h2 { "Invite many (CSV)" }
                    (fb.banner("batch"))
                    form method="post" action="/console/interviews/batch" {
                        (csrf(c)) (template_select("batch", &templates, fb))
                        (Field::new("batch", "csv", "Candidates as CSV").kind("textarea").required()
                            .hint("A header row, then one candidate a line. Columns: email (required), name, first_name, last_name, phone, external_id, resume_url.").render(fb))
                        (checkboxes("batch", fb))
                        button type="submit" { "Invite all" }
                    }
                    @if let Some(b) = batch { (b) }
                }
            }
        }
        form.filters method="get" action="/console/interviews" {
            div.field {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "any" }
                    @for s in InterviewStatus::ALL {
                        @let v = label(&s);
                        option value=(v) selected[given(&f.status) == Some(v.as_str())] { (v) }
                    }
                }
            }
            div.field {
                label for="f-template" { "Template" }
                select #f-template name="template_id" {
                    option value="" { "any" }
                    @for t in &templates {
                        @let v = t.id.to_string();
                        option value=(v) selected[given(&f.template_id) == Some(v.as_str())] { (t.name) }
                    }
                }
            }
            div.field { label for="f-email" { "Candidate email" } input #f-email type="email" name="email" value=[given(&f.email)]; }
            div.field { label for="f-ext" { "External id" } input #f-ext type="text" name="external_id" value=[given(&f.external_id)]; }
            button type="submit" { "Filter" }
        }
        @match &list {
            None => { (view::empty("No candidate matches that email or external id.")) }
            Some(l) if l.data.is_empty() => { (view::empty("No interviews match.")) }
            Some(l) => {
                table.interviews {
                    thead { tr { th { "Candidate" } th { "Status" } th { "Provider" } th { "Score" } th { "Updated" } } }
                    tbody {
                        @for i in &l.data {
                            tr {
                                td { a href=(format!("/console/interviews/{}", i.id)) { (i.candidate.email) } }
                                td { (status_badge(&label(&i.status))) }
                                td { (i.provider) }
                                td.num { (i.result.as_ref().and_then(|r| r.score.as_ref()).map(|s| format!("{:.1}", s.normalized)).unwrap_or_default()) }
                                td { (when(&i.updated_at)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(l) = &list { (view::next_page("/console/interviews", &keep, &l.next_cursor)) }
    })
}

fn template_select(form: &'static str, templates: &[Template], fb: &Feedback) -> Markup {
    let chosen = if fb.form == form {
        fb.values.raw("template_id")
    } else {
        None
    };
    let fid = format!("{form}-template_id");
    html! {
        div.field {
            label for=(fid) { "Template" }
            select id=(fid) name="template_id" required {
                @for t in templates {
                    @let v = t.id.to_string();
                    option value=(v) selected[chosen == Some(v.as_str())] { (t.name) " (" (t.provider) ")" }
                }
            }
        }
    }
}

fn checkboxes(form: &'static str, fb: &Feedback) -> Markup {
    let submitted = fb.form == form;
    let send = !submitted || fb.values.is_checked("send_invite");
    let retake = submitted && fb.values.is_checked("retake");
    html! {
        div.field.check {
            input id=(format!("{form}-send")) type="checkbox" name="send_invite" value="1" checked[send];
            label for=(format!("{form}-send")) { "The vendor emails the invitation" }
        }
        div.field.check {
            input id=(format!("{form}-retake")) type="checkbox" name="retake" value="1" checked[retake];
            label for=(format!("{form}-retake")) { "A new interview even if the candidate has one (retake)" }
        }
    }
}

pub async fn invite(c: Console, raw: Bytes) -> Response {
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let result = async {
        let input = body(json!({
            "template_id": form.get("template_id").unwrap_or_default(),
            "candidate": {
                "email": form.raw("candidate.email").unwrap_or_default(),
                "name": opt(form.get("candidate.name")),
                "external_id": opt(form.get("candidate.external_id")),
            },
            "message": opt(form.get("message")),
            "send_invite": form.is_checked("send_invite"),
            "retake": form.is_checked("retake"),
        }))?;
        let (status, axum::Json(i)) = create_interview(st(&c), who(&c), j(input)).await?;
        Ok((status, i))
    }
    .await;
    let fb = match result {
        Ok((status, i)) => Feedback {
            form: "invite",
            notice: Some(html! {
                @if status.as_u16() == 200 { "The candidate already has this interview: " }
                @else if status.as_u16() == 202 { "Stored pending (the vendor's answer is unknown; sync settles it): " }
                @else { "Invited: " }
                a href=(format!("/console/interviews/{}", i.id)) { (i.candidate.email) }
            }),
            ..Default::default()
        },
        Err(e) => Feedback::failed("invite", form, e),
    };
    page(&c, Filters::default(), &fb, None).await
}

pub async fn invite_many(c: Console, raw: Bytes) -> Response {
    let form = match c.verify(&raw) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let rows = match parse_csv(form.raw("csv").unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => {
            return page(
                &c,
                Filters::default(),
                &Feedback::failed("batch", form, e),
                None,
            )
            .await
        }
    };
    let result = async {
        let input = body(json!({
            "template_id": form.get("template_id").unwrap_or_default(),
            "candidates": rows,
            "send_invite": form.is_checked("send_invite"),
            "retake": form.is_checked("retake"),
        }))?;
        inner(batch_interviews(st(&c), who(&c), crate::http::extract::ApiBatchJson(input)).await)
    }
    .await;
    match result {
        Ok(r) => {
            let ok = r.data.iter().filter(|i| i.error.is_none()).count();
            let fb = Feedback {
                form: "batch",
                notice: Some(html! { (ok) " of " (r.data.len()) " rows invited." }),
                ..Default::default()
            };
            let table = results(&r.data);
            page(&c, Filters::default(), &fb, Some(table)).await
        }
        Err(e) => {
            page(
                &c,
                Filters::default(),
                &Feedback::failed("batch", form, e),
                None,
            )
            .await
        }
    }
}

fn results(items: &[BatchItem]) -> Markup {
    html! {
        table.batch {
            thead { tr { th { "Row" } th { "Interview" } th { "Problem" } } }
            tbody {
                @for it in items {
                    tr {
                        td.num { (it.index + 2) }
                        td { @if let Some(i) = &it.interview { a href=(format!("/console/interviews/{}", i.id)) { (i.candidate.email) } " " (status_badge(&label(&i.status))) } }
                        td { @if let Some(p) = &it.error {
                            (p.detail)
                            @for fe in &p.errors { br; small { (fe.field) ": " (fe.message) } }
                        } }
                    }
                }
            }
        }
    }
}

const COLUMNS: [&str; 7] = [
    "email",
    "name",
    "first_name",
    "last_name",
    "phone",
    "external_id",
    "resume_url",
];

/// CSV with a header row into candidate objects (RFC 4180 quoting). Rows keep their order,
/// so the API's `candidates[i]` is CSV line i + 2.
pub fn parse_csv(text: &str) -> ApiResult<Vec<Value>> {
    let records = split_records(text);
    let mut rows = records
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].trim().is_empty()));
    let Some(header) = rows.next() else {
        return Err(crate::http::error::ApiError::field(
            "csv",
            "paste a header row and at least one candidate",
        ));
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if let Some(bad) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(crate::http::error::ApiError::field(
            "csv",
            format!("unknown column `{bad}`; columns are {}", COLUMNS.join(", ")),
        ));
    }
    if !header.iter().any(|h| h == "email") {
        return Err(crate::http::error::ApiError::field(
            "csv",
            "the header needs an `email` column",
        ));
    }
    Ok(rows
        .map(|r| {
            let mut obj = serde_json::Map::new();
            obj.insert("email".into(), Value::String(String::new()));
            for (h, v) in header.iter().zip(r.iter()) {
                let v = v.trim();
                if h == "email" || !v.is_empty() {
                    obj.insert(h.clone(), Value::String(v.to_string()));
                }
            }
            Value::Object(obj)
        })
        .collect())
}

fn split_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_candidates() {
        let rows = parse_csv(
            "Email,Name,external_id\r\na@x.co,\"Doe, Alex\",A1\n\nb@x.co,,\n,\"Q \"\"x\"\"\",\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            json!({"email": "a@x.co", "name": "Doe, Alex", "external_id": "A1"})
        );
        assert_eq!(rows[1], json!({"email": "b@x.co"}));
        assert_eq!(rows[2], json!({"email": "", "name": "Q \"x\""}));
        assert!(parse_csv("mail\nx").is_err());
        assert!(parse_csv("name\nx").is_err());
        assert!(parse_csv("").is_err());
    }
}
