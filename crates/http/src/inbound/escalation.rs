//! Escalation policy handlers (`/api/escalation-policies`): the CRUD of
//! [`crate::inbound::config`]'s objects (supervisors read, admins write, `version` and
//! `If-Match`, archived while tickets' chains came from them), and a simulation that shows
//! the timeline a policy would run on a ticket.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ticket_domain::policy::only_fields;
use ticket_domain::{
    Action, Clock, EscalationConfigRepository, EscalationPolicyId, EscalationPolicyRecord,
    EscalationPolicySpec, Filter, SimulatedStep, SlaConfigRepository, TicketRepository,
    TicketService, ValidationErrors, simulate,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::inbound::auth::caller_allowed;
use crate::inbound::config::{include_archived, json_schema, object, removed, with_etag};
use crate::inbound::dto::CreateTicketRequest;
use crate::inbound::extract::{if_match, read_json};
use crate::inbound::problem::{
    ApiError, InternalError, MalformedRequest, NotPermitted, ObjectConflict, ObjectNotFound,
    PayloadTooLarge, ServiceUnavailable, ValidationError,
};
use crate::inbound::routes::ticket_ref;
use crate::inbound::schemas::{ETagSchema, IfMatchSchema, OrgRefSchema, from_json};

type Service<R, C> = web::Data<TicketService<R, C>>;
type Orgs = web::Data<dyn ticket_domain::OrganizationRepository>;
type Config = web::Data<dyn EscalationConfigRepository>;

const WHAT: &str = "escalation policy";

fn spec(body: Value) -> Result<EscalationPolicySpec, ApiError> {
    EscalationPolicySpec::parse(&object(body)?).map_err(ApiError::Invalid)
}

fn policy_id(raw: &str) -> Result<EscalationPolicyId, ApiError> {
    EscalationPolicyId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound(WHAT))
}

fn policy_json(p: &EscalationPolicyRecord) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "position": p.position,
        "filter": p.filter.as_ref().map(Filter::to_json),
        "steps": p.steps.to_json(),
        "repeat": p.repeat,
        "version": p.version,
        "archived_at": p.archived_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

fn step_json(s: &SimulatedStep) -> Value {
    json!({
        "round": s.round,
        "step": s.step,
        "due_at": s.due_at,
        "condition": s.condition.as_str(),
        "runs": s.runs,
        "outcome": s.outcome,
    })
}

/// List escalation policies
///
/// In the order they apply; archived ones (last) only with `include_archived=true`.
/// Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/escalation-policies",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived policies."),
    ),
    responses(
        (status = 200, description = "The policies", body = EscalationPolicyListSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_policies(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let items: Vec<Value> = config
        .escalation_policies(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(policy_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create an escalation policy
///
/// Applies to tickets created (or reopened) from now on. Admins only.
#[utoipa::path(
    post,
    path = "/api/escalation-policies",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = EscalationPolicyRequestSchema,
    responses(
        (status = 201, description = "The policy", body = EscalationPolicySchema, headers(
            ("Location" = String, description = "The policy"),
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
pub(crate) async fn create_policy<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let spec = spec(read_json::<Value>(payload).await?)?;
    let policy = config
        .create_escalation_policy(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!("/api/escalation-policies/{}", policy.id),
    ));
    Ok(with_etag(response, policy.version, policy_json(&policy)))
}

/// Get an escalation policy
#[utoipa::path(
    get,
    path = "/api/escalation-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The policy", body = EscalationPolicySchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_policy(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let policy = config
        .escalation_policy(caller.org, policy_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound(WHAT))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        policy.version,
        policy_json(&policy),
    ))
}

/// Replace an escalation policy
///
/// Applies to tickets created (or reopened) from now on; chains already running keep the
/// steps they were copied with. Without `position` the policy keeps its place. Admins
/// only.
#[utoipa::path(
    put,
    path = "/api/escalation-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the policy is at this version."),
    ),
    request_body = EscalationPolicyRequestSchema,
    responses(
        (status = 200, description = "The policy as replaced", body = EscalationPolicySchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
pub(crate) async fn replace_policy<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = policy_id(&path)?;
    let expected = if_match(&req)?;
    let spec = spec(read_json::<Value>(payload).await?)?;
    let policy = config
        .replace_escalation_policy(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        policy.version,
        policy_json(&policy),
    ))
}

/// Remove an escalation policy
///
/// 204 when deleted; 200 with the policy when archived instead (tickets' chains were
/// copied from it): it no longer applies, and stays readable. Admins only.
#[utoipa::path(
    delete,
    path = "/api/escalation-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the policy is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: kept for the tickets whose chains came from it", body = EscalationPolicySchema),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn remove_policy<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = policy_id(&path)?;
    let removal = config
        .remove_escalation_policy(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |p| p.version, policy_json))
}

/// Simulate an escalation policy
///
/// The timeline the policy would run on a ticket if nobody acted: each step's due time,
/// whether its condition would then hold, and what it would do. Nothing is stored or sent.
/// `ticket` is a stored ticket (its id or number: the chain counts from its creation, its
/// conditions on it as it stands) or an alert as `POST /api/tickets` takes it (a ticket
/// made now, under the organization's SLA policies). `matches` says whether the policy's
/// filter selects the ticket; the timeline is shown either way. Supervisors and admins.
#[utoipa::path(
    post,
    path = "/api/escalation-policies/{id}/simulate",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    request_body = SimulationRequestSchema,
    responses(
        (status = 200, description = "The timeline", body = SimulationSchema),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn simulate_policy<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    sla: web::Data<dyn SlaConfigRepository>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let id = policy_id(&path)?;
    let body = object(read_json::<Value>(payload).await?)?;
    let mut errors = ValidationErrors::default();
    only_fields(&body, &["ticket"], &mut errors);
    if let Err(e) = errors.into_result() {
        return Err(ApiError::Invalid(e));
    }
    let policy = config
        .escalation_policy(caller.org, id)
        .await?
        .ok_or(ApiError::ObjectNotFound(WHAT))?;
    let (ticket, start): (_, DateTime<Utc>) = match body.get("ticket") {
        Some(Value::String(raw)) => {
            // An unknown ticket is a fault of this body, not a missing policy.
            let unknown = || ApiError::invalid("ticket", "names no ticket of this organization");
            let reference = ticket_ref(raw).map_err(|_| unknown())?;
            let ticket = service
                .ticket(caller.org, reference)
                .await
                .map_err(|e| match e {
                    ticket_domain::ServiceError::NotFound => unknown(),
                    other => other.into(),
                })?;
            let start = ticket.created_at();
            (ticket, start)
        }
        Some(Value::Object(alert)) => {
            let alert = serde_json::from_value::<CreateTicketRequest>(Value::Object(alert.clone()))
                .map_err(|e| ApiError::invalid("ticket", e.to_string()))?
                .parse()?;
            let rules = sla.sla_rules(caller.org).await?;
            (service.draft(caller.org, alert, &rules), service.now())
        }
        _ => {
            return Err(ApiError::invalid(
                "ticket",
                "is required: a ticket's id or number, or an alert",
            ));
        }
    };
    let chain = policy.chain(start);
    let steps: Vec<Value> = simulate(&ticket, &chain).iter().map(step_json).collect();
    Ok(HttpResponse::Ok().json(json!({
        "policy_id": policy.id,
        "policy_version": policy.version,
        "matches": policy.selects(&ticket),
        "started_at": chain.started_at,
        "steps": steps,
    })))
}

fn step_schema() -> Value {
    let duration = json!({"oneOf": [
        {"type": "integer", "minimum": 1, "maximum": 31_622_400},
        {"type": "string", "pattern": "^[0-9]{1,9}[smhd]$"}
    ], "description": "Whole seconds, or a number with a unit (`90s`, `5m`, `4h`, `7d`), counted from the start of the round."});
    let users = json!({"type": ["array", "null"], "maxItems": 50,
        "items": {"$ref": "#/components/schemas/UserId"}});
    let groups = json!({"type": ["array", "null"], "maxItems": 50,
        "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}});
    json!({
        "type": "object",
        "required": ["after", "actions"],
        "additionalProperties": false,
        "properties": {
            "after": duration,
            "condition": {"type": ["string", "null"],
                "enum": ["not_acknowledged", "not_resolved", "sla_warning", "sla_breached", null],
                "description": "When the step runs once due (absent: `not_resolved`); false then, it is skipped."},
            "actions": {"type": "array", "minItems": 1, "maxItems": 10, "items": {"oneOf": [
                {"type": "object", "required": ["type"], "additionalProperties": false,
                 "description": "A `ticket_escalated` event naming them (at least one user or group).",
                 "properties": {"type": {"const": "notify"}, "users": users, "groups": groups},
                 "anyOf": [{"required": ["users"], "properties": {"users": {"type": "array", "minItems": 1}}},
                           {"required": ["groups"], "properties": {"groups": {"type": "array", "minItems": 1}}}]},
                {"type": "object", "required": ["type", "assignee_id"], "additionalProperties": false,
                 "description": "Assigns the ticket to the user; skipped when it already has it, or is on hold.",
                 "properties": {"type": {"const": "reassign"},
                    "assignee_id": {"$ref": "#/components/schemas/UserId"}}},
                {"type": "object", "required": ["type"], "additionalProperties": false,
                 "description": "To `severity`, or one level up when absent; never lower.",
                 "properties": {"type": {"const": "raise_severity"},
                    "severity": {"type": ["string", "null"], "enum": ["critical", "high", "medium", "low", "info", null]}}},
                {"type": "object", "required": ["type", "body"], "additionalProperties": false,
                 "properties": {"type": {"const": "comment"},
                    "body": {"$ref": "#/components/schemas/CommentBody"},
                    "visibility": {"type": ["string", "null"], "enum": ["internal", "external", null]}}}
            ]}}
        }
    })
}

fn policy_properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "position": {"type": ["integer", "null"], "minimum": 0, "maximum": 2_147_483_647,
            "description": "Order of application, lowest first (ties: oldest first). Absent: after the last."},
        "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
            "description": "Which tickets the policy takes; absent or null: every one."},
        "steps": {"type": "array", "minItems": 1, "maxItems": 20, "items": step_schema(),
            "description": "In order of `after` (not decreasing; a step earlier than the one before is a 422)."},
        "repeat": {"type": ["integer", "null"], "minimum": 0, "maximum": 5,
            "description": "Extra rounds of the steps, each starting when the previous one's last step was due."}
    })
}

json_schema!(
    /// The body of `POST`/`PUT /api/escalation-policies`.
    EscalationPolicyRequestSchema = "EscalationPolicyRequest",
    json!({
        "type": "object",
        "required": ["name", "steps"],
        "additionalProperties": false,
        "properties": policy_properties(),
        "examples": [{"name": "Critical intrusions",
            "filter": {"field": "severity", "op": "eq", "value": "critical"},
            "steps": [
                {"after": "5m", "condition": "not_acknowledged",
                 "actions": [{"type": "notify", "groups": ["night-shift"]}]},
                {"after": "15m", "condition": "not_resolved",
                 "actions": [{"type": "reassign", "assignee_id": "supervisor-1"},
                             {"type": "raise_severity"}]}
            ],
            "repeat": 1}]
    })
);

json_schema!(
    /// A stored escalation policy.
    EscalationPolicySchema = "EscalationPolicy",
    {
        let mut properties = policy_properties();
        if let (Value::Object(p), Value::Object(extra)) = (&mut properties, json!({
            "id": {"type": "string", "format": "uuid"},
            "version": {"type": "integer", "minimum": 1},
            "archived_at": {"type": ["string", "null"], "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        })) {
            p.extend(extra);
        }
        json!({
            "type": "object",
            "required": ["id", "name", "position", "filter", "steps", "repeat", "version",
                         "archived_at", "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    EscalationPolicyListSchema = "EscalationPolicyList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/EscalationPolicy"}}}})
);

json_schema!(
    /// The body of `POST /api/escalation-policies/{id}/simulate`.
    SimulationRequestSchema = "EscalationSimulationRequest",
    json!({
        "type": "object",
        "required": ["ticket"],
        "additionalProperties": false,
        "properties": {
            "ticket": {"oneOf": [
                {"type": "string", "description": "A ticket's id or number (`TCK-12`)."},
                {"$ref": "#/components/schemas/CreateTicketRequest"}
            ]}
        },
        "examples": [{"ticket": "TCK-12"}]
    })
);

json_schema!(
    /// What `simulate` answers.
    SimulationSchema = "EscalationSimulation",
    json!({
        "type": "object",
        "required": ["policy_id", "policy_version", "matches", "started_at", "steps"],
        "properties": {
            "policy_id": {"type": "string", "format": "uuid"},
            "policy_version": {"type": "integer", "minimum": 1},
            "matches": {"type": "boolean", "description": "Whether the policy's filter selects the ticket."},
            "started_at": {"type": "string", "format": "date-time"},
            "steps": {"type": "array", "items": {
                "type": "object",
                "required": ["round", "step", "due_at", "condition", "runs", "outcome"],
                "properties": {
                    "round": {"type": "integer", "minimum": 1},
                    "step": {"type": "integer", "minimum": 1},
                    "due_at": {"type": "string", "format": "date-time"},
                    "condition": {"type": "string"},
                    "runs": {"type": "boolean"},
                    "outcome": {"description": "What the step would do (the data of its `ticket_escalated` event); null when skipped."}
                }
            }}
        }
    })
);

/// Registers the escalation routes.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    use crate::inbound::routes::method_not_allowed;
    cfg.service(
        web::resource("/api/escalation-policies")
            .route(web::get().to(list_policies))
            .route(web::post().to(create_policy::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/escalation-policies/{id}")
            .route(web::get().to(get_policy))
            .route(web::put().to(replace_policy::<R, C>))
            .route(web::delete().to(remove_policy::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/escalation-policies/{id}/simulate")
            .route(web::post().to(simulate_policy::<R, C>))
            .default_service(method_not_allowed("POST")),
    );
}
