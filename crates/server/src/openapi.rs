//! The OpenAPI document: the handlers' own descriptions, plus what every operation shares
//! (bearer auth, the problem+json error responses).

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};

use crate::error::{ErrorCode, Problem, ProviderProblem};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Interview Gateway",
        description = "One vendor-neutral API for AI-interview and assessment vendors \
            (Flowmingo, InterviewFlowAI, HeyMilo, TapTalent). Errors are RFC 9457 \
            problem+json documents with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, ProviderProblem, ErrorCode, gateway_core::FieldError)),
    modifiers(&Shared),
    security(("bearer" = [])),
    tags(
        (name = "operations", description = "Health, metrics and the spec itself; no key needed."),
        (name = "workspaces", description = "Tenants. Admin keys only."),
        (name = "api-keys", description = "Keys, scopes, rotation and revocation."),
        (name = "providers", description = "The vendors and what each can do."),
        (name = "connections", description = "Vendor accounts: credentials (sealed, never returned), checks, passthrough."),
        (name = "templates", description = "What candidates are invited to: created at the vendor, linked, or imported."),
        (name = "candidates", description = "People, across vendors."),
        (name = "interviews", description = "One candidate on one template: invite (one or up to 1000), list, read, sync."),
    )
)]
pub struct ApiDoc;

struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("igk_<lookup>_<secret>")
                    .build(),
            ),
        );
    }
}

fn problem(description: &str) -> RefOr<utoipa::openapi::response::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// Add the error responses any operation can give, where the handler did not describe them.
fn add_common_errors(op: &mut Operation, path: &str, open: bool) {
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    if !open {
        add(
            "401",
            "Missing, malformed, unknown, expired or revoked API key",
        );
        add("403", "The API key lacks the scope this operation needs");
        add("429", "The API key's rate limit was reached");
    }
    if path.contains('{') {
        add(
            "404",
            "No such resource in this workspace (malformed ids included)",
        );
    }
    let has_body = op.request_body.is_some();
    if has_body {
        add("400", "Malformed JSON");
        add("413", "Request body too large");
        add("415", "Content-Type is not application/json");
    }
    if has_body || op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        add("422", "Invalid field values; `errors` names each field");
    }
    add(
        "500",
        "Internal error (a bug); the body carries no internal detail",
    );
    add("503", "The database is unavailable");
    add("504", "The request exceeded the server's time limit");
}

/// The complete document for a router's collected paths.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let base = ApiDoc::openapi();
    api.info = base.info.clone();
    api.tags = base.tags.clone();
    api.security = base.security.clone();
    api.merge(base);
    for (path, item) in api.paths.paths.iter_mut() {
        let ops = [
            (&mut item.get, "GET"),
            (&mut item.post, "POST"),
            (&mut item.put, "PUT"),
            (&mut item.patch, "PATCH"),
            (&mut item.delete, "DELETE"),
        ];
        for (op, method) in ops {
            if let Some(op) = op {
                let open = crate::auth::middleware::is_open_route(
                    &method.parse().unwrap_or(http::Method::GET),
                    // Path templates like /v1/inbound/{connection_id}/{token} match as prefixes.
                    path,
                );
                add_common_errors(op, path, open);
            }
        }
    }
    api
}
