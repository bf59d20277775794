//! The page shell and the small pieces every page is built from.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use gateway_core::Scope;
use maud::{html, Markup, DOCTYPE};
use serde::Serialize;

use super::form::Form;
use super::session::Console;
use crate::http::error::ApiError;

/// A page's sections, in the navigation's order, with the scope that shows each.
const NAV: [(&str, &str, Scope); 8] = [
    ("/console", "Overview", Scope::ConnectionsRead),
    (
        "/console/connections",
        "Connections",
        Scope::ConnectionsRead,
    ),
    ("/console/templates", "Templates", Scope::TemplatesRead),
    ("/console/interviews", "Interviews", Scope::InterviewsRead),
    ("/console/candidates", "Candidates", Scope::CandidatesRead),
    ("/console/webhooks", "Webhooks", Scope::WebhooksRead),
    ("/console/keys", "API keys", Scope::KeysWrite),
    ("/console/audit", "Audit log", Scope::Admin),
];

pub fn page(c: Option<&Console>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Interview Gateway" }
                link rel="stylesheet" href="/console/assets/console.css";
                link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "Interview Gateway" }
                    @if let Some(c) = c {
                        nav aria-label="Sections" {
                            ul {
                                @for (href, label, scope) in NAV {
                                    @if c.principal.can(scope) || (href == "/console") {
                                        li { a href=(href) { (label) } }
                                    }
                                }
                            }
                        }
                        div.session {
                            @if c.principal.is_admin() {
                                form.switch method="post" action="/console/workspace" {
                                    (csrf(c))
                                    label for="workspace" { "Workspace" }
                                    select #workspace name="workspace_id" {
                                        @for w in &c.workspaces {
                                            option value=(w.id) selected[w.id == c.principal.workspace_id] { (w.name) }
                                        }
                                    }
                                    button type="submit" { "Switch" }
                                }
                            }
                            form method="post" action="/console/sign-out" {
                                (csrf(c))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub fn render(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

pub fn csrf(c: &Console) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.csrf); }
}

/// A page saying what went wrong, with the API's status and problem detail.
pub fn error_page(c: Option<&Console>, e: ApiError) -> Response {
    let status = e.status;
    let title = e.code.describe().2;
    let body = html! {
        p.problem role="alert" { (e.detail) }
        p { a href="/console" { "Back to the overview" } }
    };
    let mut res = render(page(c, title, body));
    *res.status_mut() = if status.is_server_error() {
        status
    } else {
        // A browser logs every 4xx page load as an error; the problem is on the page.
        StatusCode::OK
    };
    res
}

/// What a submitted form said and what came of it, to show the form again.
#[derive(Default)]
pub struct Feedback {
    /// Which form on the page was submitted.
    pub form: &'static str,
    pub values: Form,
    pub error: Option<ApiError>,
    pub notice: Option<Markup>,
}

impl Feedback {
    pub fn failed(form: &'static str, values: Form, error: ApiError) -> Self {
        Self {
            form,
            values,
            error: Some(error),
            notice: None,
        }
    }

    pub fn done(notice: Markup) -> Self {
        Self {
            notice: Some(notice),
            ..Default::default()
        }
    }

    fn error_for(&self, form: &str, field: &str) -> Option<String> {
        let e = self.error.as_ref().filter(|_| self.form == form)?;
        let messages: Vec<_> = e
            .errors
            .iter()
            .filter(|f| {
                f.field == field
                    || f.field.starts_with(&format!("{field}."))
                    || f.field.starts_with(&format!("{field}["))
            })
            .map(|f| {
                if f.field == field {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.field, f.message)
                }
            })
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    fn value(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.values.raw(field))
            .flatten()
    }

    /// The problem and the notice, above the form they concern.
    pub fn banner(&self, form: &str) -> Markup {
        html! {
            @if let Some(n) = self.notice.as_ref().filter(|_| self.form == form) {
                div.notice role="status" { (n) }
            }
            @if let Some(e) = self.error.as_ref().filter(|_| self.form == form) {
                div.problem role="alert" {
                    strong { (e.code.describe().2) } ": " (e.detail)
                }
            }
        }
    }
}

pub struct Field<'a> {
    pub form: &'static str,
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub required: bool,
    pub hint: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(form: &'static str, name: &'a str, label: &'a str) -> Self {
        Self {
            form,
            name,
            label,
            kind: "text",
            required: false,
            hint: None,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// A labelled input with its error beside it. Secrets are never echoed back.
    pub fn render(&self, fb: &Feedback) -> Markup {
        let id = format!("{}-{}", self.form, self.name.replace(['.', '[', ']'], "-"));
        let error = fb.error_for(self.form, self.name);
        let value = if self.kind == "password" {
            None
        } else {
            fb.value(self.form, self.name)
        };
        let err_id = format!("{id}-error");
        html! {
            div.field {
                label for=(id) { (self.label) @if self.required { " " span.req aria-hidden="true" { "*" } } }
                @if self.kind == "textarea" {
                    textarea id=(id) name=(self.name) rows="6" required[self.required]
                        aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[error.as_ref().map(|_| err_id.as_str())] { (value.unwrap_or_default()) }
                } @else {
                    input id=(id) type=(self.kind) name=(self.name) value=[value] required[self.required]
                        autocomplete=[(self.kind == "password").then_some("off")]
                        aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[error.as_ref().map(|_| err_id.as_str())];
                }
                @if let Some(h) = self.hint { small.hint { (h) } }
                @if let Some(e) = &error { span.field-error id=(err_id) data-field=(self.name) { (e) } }
            }
        }
    }
}

/// The wire name of an enum value (`in_progress`, `interview.completed`).
pub fn label<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub fn when(t: &DateTime<Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

pub fn maybe_when(t: &Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => when(t),
        None => html! { "—" },
    }
}

pub fn status_badge(s: &str) -> Markup {
    html! { span class=(format!("badge s-{s}")) { (s) } }
}

/// JSON for reading, folded away.
pub fn raw_json(summary: &str, v: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    html! { details { summary { (summary) } pre { code { (text) } } } }
}

/// A secret shown once, selectable, with the warning that goes with it.
pub fn shown_once(what: &str, secret: &str) -> Markup {
    html! {
        p { (what) " — copy it now; it is shown only this once:" }
        p { code.secret data-secret="1" { (secret) } }
    }
}

/// "Next page" for a cursor-paged list, keeping the page's other query parameters.
pub fn next_page(base: &str, query: &[(&str, String)], next: &Option<String>) -> Markup {
    match next {
        None => html! {},
        Some(cursor) => {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query.iter().filter(|(_, v)| !v.is_empty()) {
                ser.append_pair(k, v);
            }
            ser.append_pair("cursor", cursor);
            let href = format!("{base}?{}", ser.finish());
            html! { p.paging { a rel="next" href=(href) { "Next page →" } } }
        }
    }
}

pub fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}
