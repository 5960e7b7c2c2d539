//! Automatic assignment handlers: operator groups (`/api/operator-groups`), assignment
//! rules (`/api/assignment-rules`), both the configuration objects of
//! [`crate::inbound::config`] (supervisors read, admins write, `version` and `If-Match`,
//! archived while referred to), and an operator's availability
//! (`/api/operators/{user}/availability`: operators set their own, supervisors anyone's).

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use ticket_domain::assignment::members_to_json;
use ticket_domain::policy::only_fields;
use ticket_domain::{
    Action, AssignmentConfigRepository, AssignmentRuleId, AssignmentRuleRecord, AssignmentRuleSpec,
    Availability, Clock, Filter, OperatorGroupId, OperatorGroupRecord, OperatorGroupSpec,
    TicketRepository, TicketService, UserId, ValidationErrors,
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
type Config = web::Data<dyn AssignmentConfigRepository>;

const GROUP: &str = "operator group";
const RULE: &str = "assignment rule";

fn group_id(raw: &str) -> Result<OperatorGroupId, ApiError> {
    OperatorGroupId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound(GROUP))
}

fn rule_id(raw: &str) -> Result<AssignmentRuleId, ApiError> {
    AssignmentRuleId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound(RULE))
}

fn group_json(g: &OperatorGroupRecord) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "members": members_to_json(&g.members),
        "version": g.version,
        "archived_at": g.archived_at,
        "created_at": g.created_at,
        "updated_at": g.updated_at,
    })
}

fn rule_json(r: &AssignmentRuleRecord) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "position": r.position,
        "filter": r.filter.as_ref().map(Filter::to_json),
        "strategy": r.target.strategy().as_str(),
        "user_id": r.target.user().map(UserId::as_str),
        "group_id": r.target.group(),
        "version": r.version,
        "archived_at": r.archived_at,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

fn availability_json(a: &Availability) -> Value {
    json!({"user_id": a.user_id.as_str(), "available": a.available, "updated_at": a.updated_at})
}

/// List operator groups
///
/// By name; archived ones only with `include_archived=true`. Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/operator-groups",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived groups."),
    ),
    responses(
        (status = 200, description = "The groups", body = OperatorGroupListSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_groups(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let items: Vec<Value> = config
        .operator_groups(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(group_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create an operator group
///
/// Members in order (round robin goes down the list), each with an optional capacity of
/// active tickets. Admins only.
#[utoipa::path(
    post,
    path = "/api/operator-groups",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = OperatorGroupRequestSchema,
    responses(
        (status = 201, description = "The group", body = OperatorGroupSchema, headers(
            ("Location" = String, description = "The group"),
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
pub(crate) async fn create_group<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let spec = OperatorGroupSpec::parse(&object(read_json::<Value>(payload).await?)?)
        .map_err(ApiError::Invalid)?;
    let group = config
        .create_operator_group(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!("/api/operator-groups/{}", group.id),
    ));
    Ok(with_etag(response, group.version, group_json(&group)))
}

/// Get an operator group
#[utoipa::path(
    get,
    path = "/api/operator-groups/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The group's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The group", body = OperatorGroupSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_group(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let group = config
        .operator_group(caller.org, group_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound(GROUP))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        group.version,
        group_json(&group),
    ))
}

/// Replace an operator group
///
/// Applies from the next assignment on. Admins only.
#[utoipa::path(
    put,
    path = "/api/operator-groups/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The group's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the group is at this version."),
    ),
    request_body = OperatorGroupRequestSchema,
    responses(
        (status = 200, description = "The group as replaced", body = OperatorGroupSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
pub(crate) async fn replace_group<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = group_id(&path)?;
    let expected = if_match(&req)?;
    let spec = OperatorGroupSpec::parse(&object(read_json::<Value>(payload).await?)?)
        .map_err(ApiError::Invalid)?;
    let group = config
        .replace_operator_group(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        group.version,
        group_json(&group),
    ))
}

/// Remove an operator group
///
/// 204 when deleted; 200 with the group when archived instead (archived rules refer to
/// it); 409 while an active rule picks from it. Admins only.
#[utoipa::path(
    delete,
    path = "/api/operator-groups/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The group's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the group is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: kept for the archived rules that name it", body = OperatorGroupSchema),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn remove_group<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = group_id(&path)?;
    let removal = config
        .remove_operator_group(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |g| g.version, group_json))
}

/// List assignment rules
///
/// In the order they apply; archived ones (last) only with `include_archived=true`.
/// Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/assignment-rules",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived rules."),
    ),
    responses(
        (status = 200, description = "The rules", body = AssignmentRuleListSchema),
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
        .assignment_rules(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(rule_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create an assignment rule
///
/// Applies to tickets created from now on. Admins only.
#[utoipa::path(
    post,
    path = "/api/assignment-rules",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = AssignmentRuleRequestSchema,
    responses(
        (status = 201, description = "The rule", body = AssignmentRuleSchema, headers(
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
    let spec = AssignmentRuleSpec::parse(&object(read_json::<Value>(payload).await?)?)
        .map_err(ApiError::Invalid)?;
    let rule = config
        .create_assignment_rule(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!("/api/assignment-rules/{}", rule.id),
    ));
    Ok(with_etag(response, rule.version, rule_json(&rule)))
}

/// Get an assignment rule
#[utoipa::path(
    get,
    path = "/api/assignment-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The rule", body = AssignmentRuleSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
        .assignment_rule(caller.org, rule_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound(RULE))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        rule.version,
        rule_json(&rule),
    ))
}

/// Replace an assignment rule
///
/// Applies to tickets created from now on. Without `position` the rule keeps its place.
/// Admins only.
#[utoipa::path(
    put,
    path = "/api/assignment-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the rule is at this version."),
    ),
    request_body = AssignmentRuleRequestSchema,
    responses(
        (status = 200, description = "The rule as replaced", body = AssignmentRuleSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
    let spec = AssignmentRuleSpec::parse(&object(read_json::<Value>(payload).await?)?)
        .map_err(ApiError::Invalid)?;
    let rule = config
        .replace_assignment_rule(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        rule.version,
        rule_json(&rule),
    ))
}

/// Remove an assignment rule
///
/// 204 when deleted; 200 with the rule when archived instead (it assigned tickets): it no
/// longer applies, and stays readable. Admins only.
#[utoipa::path(
    delete,
    path = "/api/assignment-rules/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The rule's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the rule is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: it assigned tickets", body = AssignmentRuleSchema),
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
        .remove_assignment_rule(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |r| r.version, rule_json))
}

/// The user in the path: anything but a user id is a 422 on `user`.
fn path_user(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw, "user").map_err(|e| ApiError::Invalid(ValidationErrors(vec![e])))
}

/// Set an operator's availability
///
/// Whether the operator takes automatic assignments from now on (tickets already assigned
/// stay). Operators set their own; supervisors and admins anyone's.
#[utoipa::path(
    put,
    path = "/api/operators/{user}/availability",
    tag = "configuration",
    params(
        ("user" = String, Path, description = "The operator's user id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    request_body = AvailabilityRequestSchema,
    responses(
        (status = 200, description = "As recorded", body = AvailabilitySchema),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn set_availability<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ChangeStatus).await?;
    let user = path_user(&path)?;
    caller.require_set_availability(&user)?;
    let body = object(read_json::<Value>(payload).await?)?;
    let mut errors = ValidationErrors::default();
    only_fields(&body, &["available"], &mut errors);
    let available = match body.get("available") {
        Some(Value::Bool(b)) => Some(*b),
        _ => {
            errors.push(ticket_domain::FieldError::new(
                "available",
                "is required: true or false",
            ));
            None
        }
    };
    errors.into_result().map_err(ApiError::Invalid)?;
    let recorded = config
        .set_availability(caller.org, &user, available.unwrap_or(true), service.now())
        .await?;
    Ok(HttpResponse::Ok().json(availability_json(&recorded)))
}

/// Get an operator's availability
///
/// An operator never recorded is available. Anyone who reads tickets.
#[utoipa::path(
    get,
    path = "/api/operators/{user}/availability",
    tag = "configuration",
    params(
        ("user" = String, Path, description = "The operator's user id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The availability", body = AvailabilitySchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_availability(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let user = path_user(&path)?;
    let body = match config.availability(caller.org, &user).await? {
        Some(a) => availability_json(&a),
        None => json!({"user_id": user.as_str(), "available": true, "updated_at": null}),
    };
    Ok(HttpResponse::Ok().json(body))
}

fn member_schema() -> Value {
    json!({"type": "object", "required": ["user_id"], "additionalProperties": false,
    "properties": {
        "user_id": {"$ref": "#/components/schemas/UserId"},
        "capacity": {"type": ["integer", "null"], "minimum": 0, "maximum": 10_000,
            "description": "Most active tickets automatic assignment gives it; absent or null: no limit."}
    }})
}

json_schema!(
    /// The body of `POST`/`PUT /api/operator-groups`.
    OperatorGroupRequestSchema = "OperatorGroupRequest",
    json!({
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "members": {"type": ["array", "null"], "maxItems": 200, "items": member_schema(),
                "description": "In order; each user once."}
        },
        "examples": [{"name": "Night shift", "members": [
            {"user_id": "alice", "capacity": 5}, {"user_id": "bob"}]}]
    })
);

json_schema!(
    /// A stored operator group.
    OperatorGroupSchema = "OperatorGroup",
    json!({
        "type": "object",
        "required": ["id", "name", "members", "version", "archived_at", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "members": {"type": "array", "items": member_schema()},
            "version": {"type": "integer", "minimum": 1},
            "archived_at": {"type": ["string", "null"], "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        }
    })
);

json_schema!(
    OperatorGroupListSchema = "OperatorGroupList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/OperatorGroup"}}}})
);

fn rule_properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "position": {"type": ["integer", "null"], "minimum": 0, "maximum": 2_147_483_647,
            "description": "Order of application, lowest first (ties: oldest first). Absent: after the last."},
        "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
            "description": "Which new tickets the rule takes; absent or null: every one."},
        "strategy": {"type": "string", "enum": ["fixed", "round_robin", "least_loaded"]},
        "user_id": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/UserId"}],
            "description": "The user a `fixed` rule assigns to."},
        "group_id": {"type": ["string", "null"], "format": "uuid",
            "description": "The group `round_robin` and `least_loaded` pick from."}
    })
}

json_schema!(
    /// The body of `POST`/`PUT /api/assignment-rules`.
    AssignmentRuleRequestSchema = "AssignmentRuleRequest",
    json!({
        "type": "object",
        "required": ["name", "strategy"],
        "additionalProperties": false,
        "properties": rule_properties(),
        "oneOf": [
            {"properties": {"strategy": {"const": "fixed"}, "user_id": {"type": "string"},
                            "group_id": {"type": "null"}},
             "required": ["user_id"]},
            {"properties": {"strategy": {"enum": ["round_robin", "least_loaded"]},
                            "group_id": {"type": "string"}, "user_id": {"type": "null"}},
             "required": ["group_id"]}
        ],
        "examples": [{"name": "Intrusions to the night shift",
            "filter": {"field": "alert_type", "op": "eq", "value": "intrusion"},
            "strategy": "round_robin",
            "group_id": "0192f0c4-8d3e-7a1b-9c2d-3e4f5a6b7c8d"}]
    })
);

json_schema!(
    /// A stored assignment rule.
    AssignmentRuleSchema = "AssignmentRule",
    {
        let mut properties = rule_properties();
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
            "required": ["id", "name", "position", "filter", "strategy", "user_id", "group_id",
                         "version", "archived_at", "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    AssignmentRuleListSchema = "AssignmentRuleList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/AssignmentRule"}}}})
);

json_schema!(
    /// The body of `PUT /api/operators/{user}/availability`.
    AvailabilityRequestSchema = "AvailabilityRequest",
    json!({"type": "object", "required": ["available"], "additionalProperties": false,
           "properties": {"available": {"type": "boolean"}},
           "examples": [{"available": false}]})
);

json_schema!(
    /// An operator's availability.
    AvailabilitySchema = "Availability",
    json!({"type": "object", "required": ["user_id", "available", "updated_at"],
           "properties": {
               "user_id": {"type": "string"},
               "available": {"type": "boolean"},
               "updated_at": {"type": ["string", "null"], "format": "date-time",
                   "description": "null: never recorded (available)."}
           }})
);

/// Registers the assignment routes.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    use crate::inbound::routes::method_not_allowed;
    cfg.service(
        web::resource("/api/operator-groups")
            .route(web::get().to(list_groups))
            .route(web::post().to(create_group::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/operator-groups/{id}")
            .route(web::get().to(get_group))
            .route(web::put().to(replace_group::<R, C>))
            .route(web::delete().to(remove_group::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/assignment-rules")
            .route(web::get().to(list_rules))
            .route(web::post().to(create_rule::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/assignment-rules/{id}")
            .route(web::get().to(get_rule))
            .route(web::put().to(replace_rule::<R, C>))
            .route(web::delete().to(remove_rule::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/operators/{user}/availability")
            .route(web::get().to(get_availability))
            .route(web::put().to(set_availability::<R, C>))
            .default_service(method_not_allowed("GET, PUT")),
    );
}
