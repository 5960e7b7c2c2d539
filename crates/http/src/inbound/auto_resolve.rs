//! Auto-resolve rule handlers (`/api/auto-resolve-rules`): the CRUD of
//! [`crate::inbound::config`]'s objects (supervisors read, admins write, `version` and
//! `If-Match`, archived while tickets were made under them).

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use ticket_domain::{
    Action, AutoResolveConfigRepository, AutoResolveRuleId, AutoResolveRuleRecord,
    AutoResolveRuleSpec, Clock, Filter, TicketRepository, TicketService,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::inbound::auth::caller_allowed;
use crate::inbound::config::{include_archived, json_schema, object, removed, with_etag};
use crate::inbound::extract::{if_match, read_json};
use crate::inbound::problem::{
    ApiError, InternalError, MalformedRequest, NotPermitted, ObjectConflict, ObjectNotFound,
    PayloadTooLarge, ServiceUnavailable, ValidationError,
};
use crate::inbound::schemas::{ETagSchema, IfMatchSchema, OrgRefSchema, from_json};

type Service<R, C> = web::Data<TicketService<R, C>>;
type Orgs = web::Data<dyn ticket_domain::OrganizationRepository>;
type Config = web::Data<dyn AutoResolveConfigRepository>;

const WHAT: &str = "auto-resolve rule";

fn spec(body: Value) -> Result<AutoResolveRuleSpec, ApiError> {
    AutoResolveRuleSpec::parse(&object(body)?).map_err(ApiError::Invalid)
}

fn rule_id(raw: &str) -> Result<AutoResolveRuleId, ApiError> {
    AutoResolveRuleId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound(WHAT))
}

fn rule_json(r: &AutoResolveRuleRecord) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "position": r.position,
        "filter": r.filter.as_ref().map(Filter::to_json),
        "quiet_period": r.quiet_period.map(|q| q.num_seconds()),
        "end_event": r.end_event,
        "target_status": r.target.as_str(),
        "only_if_untouched": r.only_if_untouched,
        "version": r.version,
        "archived_at": r.archived_at,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// List auto-resolve rules
///
/// In the order they apply; archived ones (last) only with `include_archived=true`.
/// Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/auto-resolve-rules",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived rules."),
    ),
    responses(
        (status = 200, description = "The rules", body = AutoResolveRuleListSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_rules(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let items: Vec<Value> = config
        .auto_resolve_rules(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(rule_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create an auto-resolve rule
///
/// Applies to tickets created from now on (the first matching rule is copied onto the
/// ticket). Admins only.
#[utoipa::path(
    post,
    path = "/api/auto-resolve-rules",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = AutoResolveRuleRequestSchema,
    responses(
        (status = 201, description = "The rule", body = AutoResolveRuleSchema, headers(
            ("Location" = String, description = "The rule"),
            ("ETag" = ETagSchema, description = "Its version"),
        )),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn create_rule<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let spec = spec(read_json::<Value>(payload).await?)?;
    let rule = config
        .create_auto_resolve_rule(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!("/api/auto-resolve-rules/{}", rule.id),
    ));
    Ok(with_etag(response, rule.version, rule_json(&rule)))
}

/// Get an auto-resolve rule
#[utoipa::path(
    get,
    path = "/api/auto-resolve-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The rule", body = AutoResolveRuleSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_rule(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let rule = config
        .auto_resolve_rule(caller.org, rule_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound(WHAT))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        rule.version,
        rule_json(&rule),
    ))
}

/// Replace an auto-resolve rule
///
/// Applies to tickets created from now on; tickets already made keep the rule as it was.
/// Without `position` the rule keeps its place. Admins only.
#[utoipa::path(
    put,
    path = "/api/auto-resolve-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the rule is at this version."),
    ),
    request_body = AutoResolveRuleRequestSchema,
    responses(
        (status = 200, description = "The rule as replaced", body = AutoResolveRuleSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn replace_rule<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = rule_id(&path)?;
    let expected = if_match(&req)?;
    let spec = spec(read_json::<Value>(payload).await?)?;
    let rule = config
        .replace_auto_resolve_rule(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        rule.version,
        rule_json(&rule),
    ))
}

/// Remove an auto-resolve rule
///
/// 204 when deleted; 200 with the rule when archived instead (tickets were made under
/// it): it no longer applies to new tickets, and stays readable. Admins only.
#[utoipa::path(
    delete,
    path = "/api/auto-resolve-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the rule is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: kept for the tickets made under it", body = AutoResolveRuleSchema),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn remove_rule<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = rule_id(&path)?;
    let removal = config
        .remove_auto_resolve_rule(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |r| r.version, rule_json))
}

fn rule_properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "position": {"type": ["integer", "null"], "minimum": 0, "maximum": 2_147_483_647,
            "description": "Order of application, lowest first (ties: oldest first). Absent: after the last."},
        "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
            "description": "Which new tickets the rule takes; absent or null: every one."},
        "quiet_period": {"oneOf": [
            {"type": "null"},
            {"type": "integer", "minimum": 1, "maximum": 31_622_400},
            {"type": "string", "pattern": "^[0-9]{1,9}[smhd]$"}
        ], "description": "Resolve once no alert has come for this long (whole seconds, or a number with a unit: `90s`, `5m`, `4h`, `7d`); read back in seconds. Absent: only end events act."},
        "end_event": {"type": ["boolean", "null"],
            "description": "Resolve on the provider's end event for the ticket (absent: true). A rule needs a quiet period, end events, or both."},
        "target_status": {"type": ["string", "null"], "enum": ["resolved", "closed", null],
            "description": "Where the rule takes the ticket (absent: resolved)."},
        "only_if_untouched": {"type": ["boolean", "null"],
            "description": "Leave a ticket an operator worked on (commented on or moved) as it is, with one internal system comment (absent: true)."}
    })
}

json_schema!(
    /// The body of `POST`/`PUT /api/auto-resolve-rules`.
    AutoResolveRuleRequestSchema = "AutoResolveRuleRequest",
    json!({
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": rule_properties(),
        "examples": [{"name": "Gates settle by themselves",
            "filter": {"field": "alert_type", "op": "eq", "value": "gate_open"},
            "quiet_period": "10m"}]
    })
);

json_schema!(
    /// A stored auto-resolve rule.
    AutoResolveRuleSchema = "AutoResolveRule",
    {
        let mut properties = rule_properties();
        if let (Value::Object(p), Value::Object(extra)) = (&mut properties, json!({
            "id": {"type": "string", "format": "uuid"},
            "quiet_period": {"type": ["integer", "null"], "minimum": 1,
                "description": "In seconds; null: only end events act."},
            "end_event": {"type": "boolean"},
            "target_status": {"type": "string", "enum": ["resolved", "closed"]},
            "only_if_untouched": {"type": "boolean"},
            "version": {"type": "integer", "minimum": 1},
            "archived_at": {"type": ["string", "null"], "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        })) {
            p.extend(extra);
        }
        json!({
            "type": "object",
            "required": ["id", "name", "position", "filter", "quiet_period", "end_event",
                         "target_status", "only_if_untouched", "version", "archived_at",
                         "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    AutoResolveRuleListSchema = "AutoResolveRuleList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/AutoResolveRule"}}}})
);

/// Registers the auto-resolve routes.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    use crate::inbound::routes::method_not_allowed;
    cfg.service(
        web::resource("/api/auto-resolve-rules")
            .route(web::get().to(list_rules))
            .route(web::post().to(create_rule::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/auto-resolve-rules/{id}")
            .route(web::get().to(get_rule))
            .route(web::put().to(replace_rule::<R, C>))
            .route(web::delete().to(remove_rule::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    );
}
