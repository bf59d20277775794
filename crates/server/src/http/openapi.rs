//! The OpenAPI document: the handlers' own descriptions, plus what every operation shares
//! (bearer auth, the problem+json error responses).

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};

use crate::http::error::{ErrorCode, Problem, ProviderProblem};

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
        (name = "audit", description = "Who did what to keys, connections, workspaces and webhook endpoints."),
        (name = "providers", description = "The vendors and what each can do."),
        (name = "connections", description = "Vendor accounts: credentials (sealed, never returned), checks, passthrough."),
        (name = "templates", description = "What candidates are invited to: created at the vendor, linked, or imported."),
        (name = "candidates", description = "People, across vendors."),
        (name = "events", description = "Normalized interview events: one per vendor change, however it arrived."),
        (name = "webhooks", description = "Endpoints the gateway delivers events to (Standard Webhooks), and their deliveries."),
        (name = "inbound", description = "Where vendors send their webhooks; verified per connection, no API key."),
        (name = "interviews", description = "One candidate on one template: invite (one or up to 1000), list, read, sync."),
        (name = "partners", description = "ATS partner contracts: Greenhouse calls `/partners/greenhouse/…` with HTTP Basic (an API key as the username, empty password); `/v1/partners/…` shows operators what partners sent."),
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
        // ATS partners (`/partners/…`) send the API key as the Basic username.
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
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
fn add_common_errors(op: &mut Operation, method: &str, open: bool) {
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    if open {
        add(
            "500",
            "Internal error (a bug); the body carries no internal detail",
        );
        add("503", "The database is unavailable");
        return;
    }
    add(
        "401",
        "Missing, malformed, unknown, expired or revoked API key",
    );
    add("403", "The API key lacks the scope this operation needs");
    add("404", "No such resource in this workspace: an id in the path or body is unknown, malformed or another workspace's");
    add("429", "The API key's rate limit was reached");
    let has_body = op.request_body.is_some();
    let has_query = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
    });
    // A POST also takes `Idempotency-Key`: a malformed one is 400, a reused one 422.
    if has_body || has_query || method == "POST" {
        add("400", "Malformed JSON, query parameter or Idempotency-Key");
        add(
            "422",
            "Invalid field values (`errors` names each field), or `idempotency_conflict`",
        );
    }
    if has_body {
        add("413", "Request body too large");
        add("415", "Content-Type is not application/json");
    }
    if method != "GET" {
        add("409", "Conflicts with the current state, or a request with the same Idempotency-Key is still running");
        add(
            "502",
            "The vendor failed or timed out after retries (`provider` block)",
        );
    }
    add(
        "500",
        "Internal error (a bug); the body carries no internal detail",
    );
    add(
        "503",
        "The database is unavailable, or the vendor's rate limit outlasted the retries",
    );
    add("504", "The request exceeded the server's time limit");
}

/// `Idempotency-Key`, accepted on every authenticated POST.
fn idempotency_key() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Required;
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the request safe to retry: the same key with the same request within the retention \
             window (24 h by default) replays the first response (`Idempotent-Replayed: true`); the same \
             key with a different request is 422 `idempotency_conflict`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[\\x20-\\x7E]+$")),
        ))
        .build()
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
                add_common_errors(op, method, open);
                if method == "POST" && !open {
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .push(idempotency_key());
                }
            }
        }
    }
    api
}
