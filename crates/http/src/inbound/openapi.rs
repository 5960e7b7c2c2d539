//! The OpenAPI 3.1 document, assembled from the code: the handlers' `#[utoipa::path]`
//! annotations in [`routes`], the `ToSchema` derives of [`crate::inbound::dto`] and
//! [`crate::inbound::problem`], the shared schemas of [`crate::inbound::schemas`] and the error
//! responses of [`crate::inbound::problem`]. Only the API as a whole (info, tags) is described
//! here. It lists every other inbound module, so none of them may use it.
//!
//! Served at [`OPENAPI_PATH`]; Swagger UI at [`DOCS_PATH`]. A copy is committed as
//! `docs/openapi.json`; a test fails when it is stale (`UPDATE_OPENAPI=1` rewrites it).

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use ticket_domain::{Action, Role};
use utoipa::openapi::schema::Object;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::inbound::assignment;
use crate::inbound::auto_resolve;
use crate::inbound::config;
use crate::inbound::dto::{
    AlertResponse, CommentResponse, HistoryResponse, NotificationResponse, TargetStatsResponse,
    TicketDetailsResponse, TicketResponse,
};
use crate::inbound::escalation;
use crate::inbound::jwt::{DEFAULT_ORG_CLAIM, DEFAULT_ROLES_CLAIM, PROVIDER_CLAIM};
use crate::inbound::problem::{
    Conflict, InternalError, InvalidField, MalformedRequest, MissingActor, NotPermitted,
    ObjectConflict, ObjectNotFound, PayloadTooLarge, Problem, ServiceUnavailable, TicketNotFound,
    Unauthorized, ValidationError,
};
use crate::inbound::routes;
use crate::inbound::schemas::{
    ActorSchema, AlertDataSchema, AlertPageSchema, AlertTypeSchema, CommentBodySchema,
    DedupKeySchema, DeliveryStatusSchema, DescriptionSchema, ETagSchema, EventTypeSchema,
    ExternalIdSchema, IdCursorSchema, IfMatchSchema, IncomingOkSchema, IncomingSchema,
    JsonValueSchema, NotificationPageSchema, OrgRefSchema, PageLimitSchema, ReasonSchema,
    SeveritySchema, StatusChangeSchema, StatusSchema, TicketCursorSchema, TicketLocationSchema,
    TicketPageSchema, TicketRefSchema, TitleSchema, UserIdSchema, VisibilitySchema,
};
use crate::inbound::schemas::{FilterSchema, SearchRequestSchema};
use crate::inbound::suppression;

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";
/// Where Swagger UI is served (its files live under `/docs/`).
pub const DOCS_PATH: &str = "/docs";

/// The API description: the attributes below, plus the modifier for what they cannot say.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticket Service",
        description = "Turns alerts from video-analytics providers into tickets that security \
operators assign, work, resolve and close, with SLA tracking, comments, state history, \
statistics and a notification outbox.\n\n\
The service sits behind the API gateway, which authenticates operators and passes the acting \
user in `X-User-Id`; provider calls carry no user.\n\n\
Every error is an RFC 9457 `application/problem+json` document (`Problem`). Every response \
carries `X-Request-Id` (the caller's value when it is 1..=128 bytes, else a new UUID). \
Trailing slashes in paths are ignored.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        routes::health,
        routes::ready,
        routes::create_ticket,
        routes::list_tickets,
        routes::search_tickets,
        routes::ticket_stats,
        routes::get_ticket,
        routes::change_status,
        routes::add_comment,
        routes::list_alerts,
        routes::list_notifications,
        routes::get_organization,
        routes::patch_organization,
        config::list_calendars,
        config::create_calendar,
        config::get_calendar,
        config::replace_calendar,
        config::remove_calendar,
        config::preview_calendar,
        config::list_policies,
        config::create_policy,
        config::get_policy,
        config::replace_policy,
        config::remove_policy,
        escalation::list_policies,
        escalation::create_policy,
        escalation::get_policy,
        escalation::replace_policy,
        escalation::remove_policy,
        escalation::simulate_policy,
        assignment::list_groups,
        assignment::create_group,
        assignment::get_group,
        assignment::replace_group,
        assignment::remove_group,
        assignment::list_rules,
        assignment::create_rule,
        assignment::get_rule,
        assignment::replace_rule,
        assignment::remove_rule,
        assignment::set_availability,
        assignment::get_availability,
        auto_resolve::list_rules,
        auto_resolve::create_rule,
        auto_resolve::get_rule,
        auto_resolve::replace_rule,
        auto_resolve::remove_rule,
        suppression::list_windows,
        suppression::create_window,
        suppression::preview,
        suppression::get_window,
        suppression::cancel_window,
        suppression::window_alerts,
        openapi_json,
    ),
    components(
        schemas(
            // Named in parameters, headers and hand-built schemas, which utoipa does not
            // follow: listed here so that every `$ref` resolves (a test checks).
            Problem,
            InvalidField,
            StatusChangeSchema,
            IncomingSchema,
            IncomingOkSchema,
            crate::inbound::dto::CreateTicketRequest,
            crate::inbound::schemas::EndEventRequestSchema,
            crate::inbound::dto::EndEventResponse,
            crate::inbound::dto::DroppedResponse,
            crate::inbound::dto::DroppedAlertResponse,
            crate::inbound::dto::SuppressedResponse,
            crate::inbound::dto::InhibitedResponse,
            crate::inbound::schemas::DroppedAlertPageSchema,
            FilterSchema,
            SearchRequestSchema,
            config::CalendarRequestSchema,
            config::CalendarSchema,
            config::CalendarListSchema,
            config::PreviewRequestSchema,
            config::PreviewResponseSchema,
            config::SlaPolicyRequestSchema,
            config::SlaPolicySchema,
            config::SlaPolicyListSchema,
            escalation::EscalationPolicyRequestSchema,
            escalation::EscalationPolicySchema,
            escalation::EscalationPolicyListSchema,
            escalation::SimulationRequestSchema,
            escalation::SimulationSchema,
            assignment::OperatorGroupRequestSchema,
            assignment::OperatorGroupSchema,
            assignment::OperatorGroupListSchema,
            assignment::AssignmentRuleRequestSchema,
            auto_resolve::AutoResolveRuleRequestSchema,
            auto_resolve::AutoResolveRuleSchema,
            auto_resolve::AutoResolveRuleListSchema,
            suppression::SuppressionWindowRequestSchema,
            suppression::SuppressionWindowSchema,
            suppression::SuppressionWindowListSchema,
            suppression::SuppressionPreviewSchema,
            assignment::AssignmentRuleSchema,
            assignment::AssignmentRuleListSchema,
            assignment::AvailabilityRequestSchema,
            assignment::AvailabilitySchema,
            TicketResponse,
            AlertResponse,
            NotificationResponse,
            TicketPageSchema,
            AlertPageSchema,
            NotificationPageSchema,
            SeveritySchema,
            StatusSchema,
            VisibilitySchema,
            DeliveryStatusSchema,
            EventTypeSchema,
            TitleSchema,
            DescriptionSchema,
            AlertDataSchema,
            JsonValueSchema,
            AlertTypeSchema,
            UserIdSchema,
            ExternalIdSchema,
            DedupKeySchema,
            CommentBodySchema,
            ReasonSchema,
            ActorSchema,
            OrgRefSchema,
            IfMatchSchema,
            ETagSchema,
            TicketLocationSchema,
            TicketCursorSchema,
            IdCursorSchema,
            PageLimitSchema,
            TicketRefSchema,
        ),
        responses(
            MalformedRequest,
            MissingActor,
            Unauthorized,
            NotPermitted,
            TicketNotFound,
            ObjectNotFound,
            Conflict,
            ObjectConflict,
            PayloadTooLarge,
            ValidationError,
            InternalError,
            ServiceUnavailable,
        ),
    ),
    tags(
        (name = "tickets", description = "Alerts in, tickets out: create, list, read, work."),
        (name = "notifications", description = "The outbox of ticket events and their delivery."),
        (name = "organizations", description = "The caller's organization: each sees only its own data."),
        (name = "configuration", description = "An organization's SLA policies and business calendars: supervisors read, admins write."),
        (name = "operations", description = "Liveness, readiness and this description."),
    ),
    modifiers(&EveryFieldRequired, &BearerAuth, &RolesPerOperation),
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Response bodies serialise every field, `null` included: each property is required.
struct EveryFieldRequired;

impl Modify for EveryFieldRequired {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in [
            TicketResponse::name(),
            TicketDetailsResponse::name(),
            CommentResponse::name(),
            HistoryResponse::name(),
            AlertResponse::name(),
            NotificationResponse::name(),
            TargetStatsResponse::name(),
        ] {
            match components.schemas.get_mut(name.as_ref()) {
                Some(RefOr::T(Schema::Object(object))) => require_all(object),
                Some(RefOr::T(Schema::AllOf(all_of))) => {
                    for item in &mut all_of.items {
                        if let RefOr::T(Schema::Object(object)) = item {
                            require_all(object);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The `bearerAuth` scheme of JWT mode. Operations are not marked as requiring it (header
/// mode needs no token); each one's roles are in its description (`RolesPerOperation`).
struct BearerAuth;

/// The name operations use to require a bearer token.
pub const BEARER_AUTH: &str = "bearerAuth";

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(format!(
                "With `AUTH_MODE=jwt`: a JWT from the identity provider, signed with ES256, \
                 RS256 or EdDSA by a key of its JWKS (named by `kid`), with `iss`, `aud` and \
                 `exp`; `sub` is the user, `{DEFAULT_ORG_CLAIM}` the organization (id or \
                 slug; the claim names are configurable), `{DEFAULT_ROLES_CLAIM}` the roles \
                 and `{PROVIDER_CLAIM}` a provider's id. With `AUTH_MODE=header` (the \
                 default) the gateway's `X-User-Id`, `X-Org-Id`, `X-Roles` and \
                 `X-Provider-Id` headers are trusted instead."
            )))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER_AUTH, SecurityScheme::Http(scheme));
    }
}

/// Each operation's description ends with the roles that may call it, written from the
/// domain's `Role::allows`, so the document cannot drift from the rule; each lists the
/// 401 and 403 answers of that check.
struct RolesPerOperation;

impl RolesPerOperation {
    /// What an operation does, as the domain's permission; `None`: open to everyone.
    fn action(method: &str, path: &str) -> Option<Action> {
        match (method, path) {
            ("post", "/api/tickets") => Some(Action::PostAlert),
            ("patch", "/api/tickets/{id}/status") => Some(Action::ChangeStatus),
            ("post", "/api/tickets/{id}/comments") => Some(Action::Comment),
            ("patch", "/api/organization") => Some(Action::WriteConfig),
            (_, path) if path.starts_with("/api/tickets") || path == "/api/notifications" => {
                Some(Action::Read)
            }
            (_, "/api/organization") => Some(Action::Read),
            ("get", path)
                if path.starts_with("/api/calendars") || path.starts_with("/api/sla-policies") =>
            {
                Some(Action::ReadConfig)
            }
            ("post", "/api/calendars/{id}/preview") => Some(Action::ReadConfig),
            (_, path)
                if path.starts_with("/api/calendars") || path.starts_with("/api/sla-policies") =>
            {
                Some(Action::WriteConfig)
            }
            _ => None,
        }
    }
}

impl Modify for RolesPerOperation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let (Some(operation), Some(action)) = (operation, Self::action(method, path))
                else {
                    continue;
                };
                let roles: Vec<String> = Role::ALL
                    .iter()
                    .filter(|r| r.allows(action))
                    .map(|r| format!("`{r}`"))
                    .collect();
                let mut note = format!("Roles: {}.", roles.join(", "));
                if action == Action::ChangeStatus {
                    let others: Vec<String> = Role::ALL
                        .iter()
                        .filter(|r| r.allows(Action::AssignOthers) && r.allows(Action::Reopen))
                        .map(|r| format!("`{r}`"))
                        .collect();
                    note.push_str(&format!(
                        " Assigning someone else or reopening: {}.",
                        others.join(", ")
                    ));
                }
                // Every operation that checks roles can answer 401 (JWT mode) and 403.
                for (status, name) in [("401", "Unauthorized"), ("403", "NotPermitted")] {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
                let description = operation.description.get_or_insert_with(String::new);
                if !description.is_empty() {
                    description.push_str("\n\n");
                }
                description.push_str(&note);
            }
        }
    }
}

fn require_all(object: &mut Object) {
    object.required = object.properties.keys().cloned().collect();
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);
    &DOC
}

/// The document as served and committed: pretty JSON, keys in a stable order, with a final
/// newline.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    });
    &JSON
}

/// The OpenAPI document
///
/// This description of the API, as JSON.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
pub(crate) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document_json())
}

/// `/docs` (or `/docs/`, which the server's path normalisation turns into `/docs`) goes to
/// the UI's page, so that its relative links resolve.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/index.html"))
        .finish()
}

/// Registers [`OPENAPI_PATH`] and Swagger UI under [`DOCS_PATH`] (part of
/// [`crate::inbound::configure`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(OPENAPI_PATH)
            .route(web::get().to(openapi_json))
            .default_service(routes::method_not_allowed("GET")),
    )
    .service(
        web::resource(DOCS_PATH)
            .route(web::get().to(docs_redirect))
            .default_service(routes::method_not_allowed("GET")),
    )
    .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new([OPENAPI_PATH])));
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_reference_resolves() {
        fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                        out.push(r);
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    #[test]
    fn the_document_is_json_and_names_every_route() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER_AUTH]["bearerFormat"],
            "JWT"
        );
        for path in [
            "/health",
            "/ready",
            "/api/openapi.json",
            "/api/tickets",
            "/api/tickets/stats",
            "/api/tickets/{id}",
            "/api/tickets/{id}/status",
            "/api/tickets/{id}/comments",
            "/api/tickets/{id}/alerts",
            "/api/notifications",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
    }
}
