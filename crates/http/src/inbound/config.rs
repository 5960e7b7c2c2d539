//! Configuration handlers: business calendars (`/api/calendars`) and SLA policies
//! (`/api/sla-policies`). Supervisors read them, admins write them; each write bumps the
//! object's `version` (its ETag), which `If-Match` may name.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use ticket_domain::calendar::MAX_SPAN;
use ticket_domain::policy::{only_fields, whole};
use ticket_domain::{
    Action, CalendarId, CalendarRecord, CalendarSpec, Clock, FieldError, Filter, Removal,
    SlaConfigRepository, SlaPolicyId, SlaPolicyRecord, SlaPolicySpec, TicketRepository,
    TicketService, ValidationErrors,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::inbound::auth::caller_allowed;
use crate::inbound::extract::{etag, if_match, query_pairs, read_json};
use crate::inbound::problem::{
    ApiError, InternalError, MalformedRequest, NotPermitted, ObjectConflict, ObjectNotFound,
    PayloadTooLarge, ServiceUnavailable, ValidationError,
};
use crate::inbound::schemas::{ETagSchema, IfMatchSchema, OrgRefSchema, from_json};

type Service<R, C> = web::Data<TicketService<R, C>>;
type Orgs = web::Data<dyn ticket_domain::OrganizationRepository>;
type Config = web::Data<dyn SlaConfigRepository>;

/// A body as a JSON object (anything else is a 422 on `body`).
pub(crate) fn object(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::invalid("body", "must be a JSON object")),
    }
}

fn calendar_spec(body: Value) -> Result<CalendarSpec, ApiError> {
    CalendarSpec::parse(&object(body)?).map_err(ApiError::Invalid)
}

fn policy_spec(body: Value) -> Result<SlaPolicySpec, ApiError> {
    SlaPolicySpec::parse(&object(body)?).map_err(ApiError::Invalid)
}

fn calendar_json(c: &CalendarRecord) -> Value {
    let mut body = c.calendar.to_json();
    let extra = json!({
        "id": c.id,
        "name": c.name,
        "version": c.version,
        "archived_at": c.archived_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    body
}

fn policy_json(p: &SlaPolicyRecord) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "position": p.position,
        "filter": p.filter.as_ref().map(Filter::to_json),
        "targets": p.targets.to_json(),
        "calendar_id": p.calendar_id,
        "warn_percent": p.warn_percent,
        "version": p.version,
        "archived_at": p.archived_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

pub(crate) fn include_archived(req: &HttpRequest) -> Result<bool, ApiError> {
    let mut include = false;
    for (key, value) in query_pairs(req) {
        if key == "include_archived" {
            include = match value.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ApiError::invalid(
                        "include_archived",
                        "must be true or false",
                    ));
                }
            };
        }
    }
    Ok(include)
}

/// An id in a path: anything but a UUID names nothing (404, like an unknown id).
fn calendar_id(raw: &str) -> Result<CalendarId, ApiError> {
    CalendarId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound("calendar"))
}

fn policy_id(raw: &str) -> Result<SlaPolicyId, ApiError> {
    SlaPolicyId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound("SLA policy"))
}

pub(crate) fn with_etag(
    mut response: actix_web::HttpResponseBuilder,
    version: i64,
    body: Value,
) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 204 for a deleted object; 200 with an archived one, as it now stands.
pub(crate) fn removed<T>(
    removal: Removal<T>,
    version: fn(&T) -> i64,
    json: fn(&T) -> Value,
) -> HttpResponse {
    match removal {
        Removal::Deleted => HttpResponse::NoContent().finish(),
        Removal::Archived(t) => with_etag(HttpResponse::Ok(), version(&t), json(&t)),
    }
}

/// List business calendars
///
/// By name; archived ones only with `include_archived=true`. Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/calendars",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived calendars."),
    ),
    responses(
        (status = 200, description = "The calendars", body = CalendarListSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_calendars(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let items: Vec<Value> = config
        .calendars(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(calendar_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create a business calendar
///
/// Weekly opening hours in an IANA time zone, less holidays. Admins only.
#[utoipa::path(
    post,
    path = "/api/calendars",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = CalendarRequestSchema,
    responses(
        (status = 201, description = "The calendar", body = CalendarSchema, headers(
            ("Location" = String, description = "The calendar"),
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
pub(crate) async fn create_calendar<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let spec = calendar_spec(read_json::<Value>(payload).await?)?;
    let calendar = config
        .create_calendar(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/calendars/{}", calendar.id)));
    Ok(with_etag(
        response,
        calendar.version,
        calendar_json(&calendar),
    ))
}

/// Get a business calendar
#[utoipa::path(
    get,
    path = "/api/calendars/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The calendar's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The calendar", body = CalendarSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_calendar(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let calendar = config
        .calendar(caller.org, calendar_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound("calendar"))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        calendar.version,
        calendar_json(&calendar),
    ))
}

/// Replace a business calendar
///
/// The whole calendar; tickets already made keep the calendar they were made with. Admins
/// only.
#[utoipa::path(
    put,
    path = "/api/calendars/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The calendar's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the calendar is at this version."),
    ),
    request_body = CalendarRequestSchema,
    responses(
        (status = 200, description = "The calendar as replaced", body = CalendarSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
pub(crate) async fn replace_calendar<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = calendar_id(&path)?;
    let expected = if_match(&req)?;
    let spec = calendar_spec(read_json::<Value>(payload).await?)?;
    let calendar = config
        .replace_calendar(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        calendar.version,
        calendar_json(&calendar),
    ))
}

/// Remove a business calendar
///
/// 204 when deleted; 200 with the calendar when archived instead (only archived SLA
/// policies use it); 409 while an active policy uses it. Admins only.
#[utoipa::path(
    delete,
    path = "/api/calendars/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The calendar's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the calendar is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: kept for the policies that refer to it", body = CalendarSchema),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn remove_calendar<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = calendar_id(&path)?;
    let removal = config
        .remove_calendar(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |c| c.version, calendar_json))
}

/// When a target is due on a calendar
///
/// `start` plus `seconds` of the calendar's open time: what an SLA target of that length
/// counts to on this calendar, DST and holidays included.
#[utoipa::path(
    post,
    path = "/api/calendars/{id}/preview",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The calendar's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    request_body = PreviewRequestSchema,
    responses(
        (status = 200, description = "The due time", body = PreviewResponseSchema),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn preview_calendar(
    orgs: Orgs,
    config: Config,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let id = calendar_id(&path)?;
    let body = object(read_json::<Value>(payload).await?)?;
    let mut errors = ValidationErrors::default();
    only_fields(&body, &["start", "seconds"], &mut errors);
    let start = match body.get("start") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| errors.push(FieldError::new("start", "must be an RFC 3339 time")))
            .ok(),
        _ => {
            errors.push(FieldError::new("start", "is required: an RFC 3339 time"));
            None
        }
    };
    // JSON Schema's integer includes 3600.0.
    let seconds = body
        .get("seconds")
        .and_then(Value::as_number)
        .and_then(whole)
        .filter(|s| (0..=MAX_SPAN.num_seconds()).contains(s));
    if seconds.is_none() {
        errors.push(FieldError::new(
            "seconds",
            format!(
                "is required: whole seconds from 0 to {}",
                MAX_SPAN.num_seconds()
            ),
        ));
    }
    let (Some(start), Some(seconds)) = (start, seconds) else {
        return Err(ApiError::Invalid(errors));
    };
    let calendar = config
        .calendar(caller.org, id)
        .await?
        .ok_or(ApiError::ObjectNotFound("calendar"))?;
    let due_at = calendar
        .calendar
        .add(start, TimeDelta::seconds(seconds))
        .ok_or_else(|| ApiError::invalid("start", "is too far in the future"))?;
    Ok(HttpResponse::Ok().json(json!({ "start": start, "seconds": seconds, "due_at": due_at })))
}

/// List SLA policies
///
/// In the order they apply (the first that selects a new ticket and sets targets for its
/// severity wins); archived ones last, only with `include_archived=true`.
#[utoipa::path(
    get,
    path = "/api/sla-policies",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("include_archived" = Option<bool>, Query, nullable = false, description = "Also list archived policies."),
    ),
    responses(
        (status = 200, description = "The policies", body = SlaPolicyListSchema),
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
        .sla_policies(caller.org, include_archived(&req)?)
        .await?
        .iter()
        .map(policy_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create an SLA policy
///
/// Applies to tickets created from now on. Admins only.
#[utoipa::path(
    post,
    path = "/api/sla-policies",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = SlaPolicyRequestSchema,
    responses(
        (status = 201, description = "The policy", body = SlaPolicySchema, headers(
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
    let spec = policy_spec(read_json::<Value>(payload).await?)?;
    let policy = config
        .create_sla_policy(caller.org, &spec, service.now())
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/sla-policies/{}", policy.id)));
    Ok(with_etag(response, policy.version, policy_json(&policy)))
}

/// Get an SLA policy
#[utoipa::path(
    get,
    path = "/api/sla-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The policy", body = SlaPolicySchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
        .sla_policy(caller.org, policy_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound("SLA policy"))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        policy.version,
        policy_json(&policy),
    ))
}

/// Replace an SLA policy
///
/// Applies to tickets created from now on; tickets already made keep their due times.
/// Without `position` the policy keeps its place. Admins only.
#[utoipa::path(
    put,
    path = "/api/sla-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the policy is at this version."),
    ),
    request_body = SlaPolicyRequestSchema,
    responses(
        (status = 200, description = "The policy as replaced", body = SlaPolicySchema, headers(("ETag" = ETagSchema, description = "Its version"))),
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
    let spec = policy_spec(read_json::<Value>(payload).await?)?;
    let policy = config
        .replace_sla_policy(caller.org, id, &spec, expected, service.now())
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        policy.version,
        policy_json(&policy),
    ))
}

/// Remove an SLA policy
///
/// 204 when deleted; 200 with the policy when archived instead (tickets were created under
/// it): it no longer applies, and stays readable. Admins only.
#[utoipa::path(
    delete,
    path = "/api/sla-policies/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The policy's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the policy is at this version."),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 200, description = "Archived: kept for the tickets made under it", body = SlaPolicySchema),
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
        .remove_sla_policy(caller.org, id, if_match(&req)?, service.now())
        .await?;
    Ok(removed(removal, |p| p.version, policy_json))
}

// The bodies, as JSON Schema: the handlers read them field by field (so every fault is
// named by its place), and these say the same for clients.

fn weekly_hours_schema() -> Value {
    let interval = json!({
        "type": "object",
        "required": ["start", "end"],
        "additionalProperties": false,
        "properties": {
            "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "end": {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"}
        }
    });
    let day = json!({"type": "array", "maxItems": 24, "items": interval,
        "description": "Opening intervals, sorted, not overlapping; `end` later than `start`."});
    let days: Map<String, Value> = ticket_domain::calendar::WEEKDAYS
        .iter()
        .map(|d| ((*d).to_owned(), day.clone()))
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": days,
        "description": "Opening hours per weekday in the calendar's time zone; a day left out \
                        is closed. At least 60 minutes a week."
    })
}

fn calendar_properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "time_zone": {"type": "string", "description": "An IANA time zone, e.g. `Europe/Berlin`.",
            "examples": ["Europe/Berlin"]},
        "weekly_hours": weekly_hours_schema(),
        "holidays": {"type": ["array", "null"], "maxItems": 1000,
            "items": {"type": "string", "format": "date"},
            "description": "Dates closed all day."}
    })
}

macro_rules! json_schema {
    ($(#[$doc:meta])* $name:ident = $title:literal, $body:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                from_json($body)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($title)
            }
        }
    };
}
pub(crate) use json_schema;

json_schema!(
    /// The body of `POST`/`PUT /api/calendars`.
    CalendarRequestSchema = "CalendarRequest",
    json!({
        "type": "object",
        "required": ["name", "time_zone", "weekly_hours"],
        "additionalProperties": false,
        "properties": calendar_properties(),
        "examples": [{"name": "Office hours", "time_zone": "Europe/Berlin",
            "weekly_hours": {"monday": [{"start": "09:00", "end": "17:00"}],
                             "friday": [{"start": "09:00", "end": "17:00"}]},
            "holidays": ["2026-12-25"]}]
    })
);

json_schema!(
    /// A stored calendar.
    CalendarSchema = "Calendar",
    {
        let mut properties = calendar_properties();
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
            "required": ["id", "name", "time_zone", "weekly_hours", "holidays", "version",
                         "archived_at", "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    CalendarListSchema = "CalendarList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Calendar"}}}})
);

json_schema!(
    PreviewRequestSchema = "CalendarPreviewRequest",
    json!({
        "type": "object",
        "required": ["start", "seconds"],
        "additionalProperties": false,
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "seconds": {"type": "integer", "minimum": 0, "maximum": 31_622_400,
                "description": "Calendar time to count, in seconds."}
        },
        "examples": [{"start": "2026-11-27T16:30:00+01:00", "seconds": 3600}]
    })
);

json_schema!(
    PreviewResponseSchema = "CalendarPreview",
    json!({
        "type": "object",
        "required": ["start", "seconds", "due_at"],
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "seconds": {"type": "integer", "minimum": 0},
            "due_at": {"type": "string", "format": "date-time",
                "description": "When `seconds` of the calendar's open time have passed since `start`."}
        }
    })
);

fn policy_properties() -> Value {
    let duration = json!({"oneOf": [
        {"type": "integer", "minimum": 1, "maximum": 31_622_400},
        {"type": "string", "pattern": "^[0-9]{1,9}[smhd]$"}
    ], "description": "Whole seconds, or a number with a unit (`90s`, `5m`, `4h`, `7d`); 1 s to 366 days."});
    let pair = json!({"type": "object", "required": ["first_response", "resolution"],
        "additionalProperties": false,
        "properties": {"first_response": duration, "resolution": duration}});
    let severities: Map<String, Value> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| ((*s).to_owned(), pair.clone()))
        .collect();
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "position": {"type": ["integer", "null"], "minimum": 0, "maximum": 2_147_483_647,
            "description": "Order of application, lowest first (ties: oldest first). Absent: after the last."},
        "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
            "description": "Which new tickets the policy takes; absent or null: every one."},
        "targets": {"type": "object", "minProperties": 1, "additionalProperties": false,
            "properties": severities,
            "description": "Targets per severity; a severity left out is not covered (the next policy, or the default targets, apply)."},
        "calendar_id": {"type": ["string", "null"], "format": "uuid",
            "description": "A calendar of the organization: only its open time counts. Absent: around the clock."},
        "warn_percent": {"type": ["integer", "null"], "minimum": 1, "maximum": 99,
            "description": "Share of a target after which `sla_warning` goes out; absent: the service's (SLA_WARNING_PERCENT)."}
    })
}

json_schema!(
    /// The body of `POST`/`PUT /api/sla-policies`.
    SlaPolicyRequestSchema = "SlaPolicyRequest",
    json!({
        "type": "object",
        "required": ["name", "targets"],
        "additionalProperties": false,
        "properties": policy_properties(),
        "examples": [{"name": "Gate cameras, office hours",
            "filter": {"field": "camera_id", "op": "in", "value": [7, 8]},
            "targets": {"critical": {"first_response": "10m", "resolution": "1h"}},
            "warn_percent": 75}]
    })
);

json_schema!(
    /// A stored SLA policy.
    SlaPolicySchema = "SlaPolicy",
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
            "required": ["id", "name", "position", "filter", "targets", "calendar_id",
                         "warn_percent", "version", "archived_at", "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    SlaPolicyListSchema = "SlaPolicyList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/SlaPolicy"}}}})
);

/// Registers the configuration routes.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    use crate::inbound::routes::method_not_allowed;
    cfg.service(
        web::resource("/api/calendars")
            .route(web::get().to(list_calendars))
            .route(web::post().to(create_calendar::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/calendars/{id}")
            .route(web::get().to(get_calendar))
            .route(web::put().to(replace_calendar::<R, C>))
            .route(web::delete().to(remove_calendar::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/calendars/{id}/preview")
            .route(web::post().to(preview_calendar))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/sla-policies")
            .route(web::get().to(list_policies))
            .route(web::post().to(create_policy::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/sla-policies/{id}")
            .route(web::get().to(get_policy))
            .route(web::put().to(replace_policy::<R, C>))
            .route(web::delete().to(remove_policy::<R, C>))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    );
}
