//! Suppression window handlers (`/api/suppression-windows`): create, list, read, cancel,
//! and preview which windows apply to a camera at a moment. Supervisors read, admins write.
//! A window is never edited: a wrong one is cancelled and another made.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ticket_domain::suppression::{WindowRecord, WindowSpec};
use ticket_domain::{
    Action, AlertData, AlertType, CameraId, Clock, NewAlert, ProviderId, Severity, SlaPolicy,
    SuppressionWindowId, SuppressionWindowRepository, TicketDraft, TicketRepository, TicketService,
    Title, ValidationErrors,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::inbound::auth::caller_allowed;
use crate::inbound::config::{json_schema, object, with_etag};
use crate::inbound::dto::DroppedAlertResponse;
use crate::inbound::extract::{if_match, parse_time, query_pairs, read_json};
use crate::inbound::problem::{
    ApiError, InternalError, MalformedRequest, NotPermitted, ObjectConflict, ObjectNotFound,
    PayloadTooLarge, ServiceUnavailable, ValidationError,
};
use crate::inbound::query::id_page;
use crate::inbound::routes::id_paged;
use crate::inbound::schemas::{
    AlertTypeSchema, DroppedAlertPageSchema, ETagSchema, IdCursorSchema, IfMatchSchema,
    OrgRefSchema, PageLimitSchema, SeveritySchema, from_json,
};

type Service<R, C> = web::Data<TicketService<R, C>>;
type Orgs = web::Data<dyn ticket_domain::OrganizationRepository>;
type Windows = web::Data<dyn SuppressionWindowRepository>;

const WHAT: &str = "suppression window";

fn window_id(raw: &str) -> Result<SuppressionWindowId, ApiError> {
    SuppressionWindowId::parse(raw, "id").map_err(|_| ApiError::ObjectNotFound(WHAT))
}

/// A window as the API shows it at `now`.
fn window_json(w: &WindowRecord, now: DateTime<Utc>) -> Value {
    let mut body = w.spec.to_json();
    let occurrence = w
        .current_or_next(now)
        .map(|(start, end)| json!({"starts_at": start, "ends_at": end}));
    if let Value::Object(fields) = &mut body {
        fields.insert("id".into(), json!(w.id));
        fields.insert("ends_at".into(), json!(w.spec.starts_at + w.spec.duration));
        fields.insert("state".into(), json!(w.state(now).as_str()));
        fields.insert("occurrence".into(), occurrence.unwrap_or(Value::Null));
        fields.insert("created_by".into(), json!(w.created_by));
        fields.insert("cancelled_at".into(), json!(w.cancelled_at));
        fields.insert("dropped_alerts".into(), json!(w.dropped_alerts));
        fields.insert("version".into(), json!(w.version));
        fields.insert("created_at".into(), json!(w.created_at));
        fields.insert("updated_at".into(), json!(w.updated_at));
    }
    body
}

/// List suppression windows
///
/// Newest first, each with its state now (`scheduled`, `active`, `expired`, `cancelled`)
/// and its current or next occurrence. Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/suppression-windows",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    responses(
        (status = 200, description = "The windows", body = SuppressionWindowListSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_windows<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let now = service.now();
    let items: Vec<Value> = windows
        .suppression_windows(caller.org)
        .await?
        .iter()
        .map(|w| window_json(w, now))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// Create a suppression window
///
/// For camera maintenance: a new alert its filter selects while an occurrence runs is
/// handled by its `mode` (`drop`, `suppress`, `collect`; see `POST /api/tickets`). A
/// ticket active before the window starts is left as it is. The creator is the caller.
/// Admins only.
#[utoipa::path(
    post,
    path = "/api/suppression-windows",
    tag = "configuration",
    params(("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false)),
    request_body = SuppressionWindowRequestSchema,
    responses(
        (status = 201, description = "The window", body = SuppressionWindowSchema, headers(
            ("Location" = String, description = "The window"),
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
pub(crate) async fn create_window<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let spec = WindowSpec::parse(&object(read_json::<Value>(payload).await?)?)
        .map_err(ApiError::Invalid)?;
    let creator = caller
        .user
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string);
    let now = service.now();
    let window = windows
        .create_suppression_window(caller.org, &spec, &creator, now)
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!("/api/suppression-windows/{}", window.id),
    ));
    Ok(with_etag(
        response,
        window.version,
        window_json(&window, now),
    ))
}

/// Get a suppression window
#[utoipa::path(
    get,
    path = "/api/suppression-windows/{id}",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The window's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The window", body = SuppressionWindowSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_window<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let window = windows
        .suppression_window(caller.org, window_id(&path)?)
        .await?
        .ok_or(ApiError::ObjectNotFound(WHAT))?;
    Ok(with_etag(
        HttpResponse::Ok(),
        window.version,
        window_json(&window, service.now()),
    ))
}

/// Cancel a suppression window
///
/// Ends it now, whatever its state; cancelling again changes nothing. The tickets it keeps
/// silent are released at once (by the next timer round): each starts as if created then,
/// with one `ticket_created` event. Admins only.
#[utoipa::path(
    post,
    path = "/api/suppression-windows/{id}/cancel",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The window's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse (409) unless the window is at this version."),
    ),
    responses(
        (status = 200, description = "The window, cancelled", body = SuppressionWindowSchema, headers(("ETag" = ETagSchema, description = "Its version"))),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 409, response = ObjectConflict),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn cancel_window<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let id = window_id(&path)?;
    let now = service.now();
    let window = windows
        .cancel_suppression_window(caller.org, id, if_match(&req)?, now)
        .await?;
    Ok(with_etag(
        HttpResponse::Ok(),
        window.version,
        window_json(&window, now),
    ))
}

/// Alerts a window dropped
///
/// The alerts a `drop` window took, newest first, one page at a time. Supervisors and
/// admins.
#[utoipa::path(
    get,
    path = "/api/suppression-windows/{id}/alerts",
    tag = "configuration",
    params(
        ("id" = uuid::Uuid, Path, description = "The window's id"),
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("limit" = Option<PageLimitSchema>, Query),
        ("cursor" = Option<IdCursorSchema>, Query),
    ),
    responses(
        (status = 200, description = "A page of dropped alerts", body = DroppedAlertPageSchema),
        (status = 403, response = NotPermitted),
        (status = 404, response = ObjectNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn window_alerts(
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let id = window_id(&path)?;
    let (limit, before) = id_page(&query_pairs(&req), |_, _| None)?;
    let alerts = windows
        .dropped_alerts(caller.org, id, limit + 1, before)
        .await?
        .ok_or(ApiError::ObjectNotFound(WHAT))?;
    Ok(HttpResponse::Ok().json(id_paged(
        alerts,
        limit,
        |a| a.id,
        DroppedAlertResponse::from,
    )))
}

/// The alert a preview judges the windows' filters against: camera `camera_id`, and the
/// other fields as given (severity `medium` and no provider or alert type when absent).
struct Probe {
    camera_id: CameraId,
    at: Option<DateTime<Utc>>,
    provider_id: Option<ProviderId>,
    alert_type: Option<AlertType>,
    severity: Severity,
}

fn probe(req: &HttpRequest) -> Result<Probe, ApiError> {
    let mut errors = ValidationErrors::default();
    let (mut camera_id, mut at, mut provider_id, mut alert_type) = (None, None, None, None);
    let mut severity = Severity::Medium;
    for (key, value) in query_pairs(req) {
        match key.as_str() {
            "camera_id" => {
                camera_id = errors.collect(
                    value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| {
                            ticket_domain::FieldError::new(
                                "camera_id",
                                "must be a non-negative integer",
                            )
                        })
                        .and_then(|c| CameraId::parse(c, "camera_id")),
                );
            }
            "at" => at = errors.collect(parse_time(&value, "at")),
            "provider_id" => provider_id = errors.collect(ProviderId::parse(&value, "provider_id")),
            "alert_type" => alert_type = errors.collect(AlertType::parse(&value, "alert_type")),
            "severity" => {
                if let Some(s) = errors.collect(Severity::parse(&value, "severity")) {
                    severity = s;
                }
            }
            other => errors.push(ticket_domain::FieldError::new(
                other,
                "is not a parameter: camera_id, at, provider_id, alert_type, severity",
            )),
        }
    }
    if camera_id.is_none() && errors.is_empty() {
        errors.push(ticket_domain::FieldError::new("camera_id", "is required"));
    }
    match camera_id {
        Some(camera_id) if errors.is_empty() => Ok(Probe {
            camera_id,
            at,
            provider_id,
            alert_type,
            severity,
        }),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// Preview the windows that apply to a camera
///
/// The windows with an occurrence running at `at` (default now) whose filter selects an
/// alert of camera `camera_id` (with `provider_id`, `alert_type` and `severity` when given;
/// absent: no provider, no alert type, severity `medium`), oldest first, each with that
/// occurrence and its state then. Recurring windows are judged in their time zone, across
/// DST changes. Supervisors and admins.
#[utoipa::path(
    get,
    path = "/api/suppression-windows/preview",
    tag = "configuration",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
        ("camera_id" = i64, Query, minimum = 0, description = "The camera."),
        ("at" = Option<DateTime<Utc>>, Query, nullable = false, description = "The moment (RFC 3339); default now."),
        ("provider_id" = Option<uuid::Uuid>, Query, nullable = false, description = "The alert's provider."),
        ("alert_type" = Option<AlertTypeSchema>, Query, nullable = false, description = "The alert's type."),
        ("severity" = Option<SeveritySchema>, Query, nullable = false, description = "The alert's severity (default medium)."),
    ),
    responses(
        (status = 200, description = "The windows that apply", body = SuppressionPreviewSchema),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn preview<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    windows: Windows,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ReadConfig).await?;
    let probe = probe(&req)?;
    let now = service.now();
    let at = probe.at.unwrap_or(now);
    let alert = NewAlert {
        title: Title::parse("preview", "title").map_err(|_| ApiError::Internal)?,
        description: None,
        severity: probe.severity,
        camera_id: probe.camera_id,
        provider_id: probe
            .provider_id
            .unwrap_or_else(|| ProviderId::from_uuid(uuid::Uuid::nil())),
        alert_type: probe.alert_type,
        alert_data: AlertData::empty(),
        occurred_at: Some(at),
        external_id: None,
        dedup_key: None,
    };
    let ticket = TicketDraft::new(caller.org, alert, &SlaPolicy::default(), at).ticket;
    let mut all = windows.suppression_windows(caller.org).await?;
    all.reverse();
    let items: Vec<Value> = all
        .iter()
        .filter(|w| w.cancelled_at.is_none_or(|c| c > at))
        .filter(|w| w.spec.filter.as_ref().is_none_or(|f| f.matches(&ticket)))
        .filter_map(|w| {
            let (start, end) = w.spec.occurrence_at(at)?;
            // As the window stood at `at`.
            let mut body = window_json(w, at);
            body["occurrence"] = json!({"starts_at": start, "ends_at": end});
            Some(body)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "camera_id": probe.camera_id,
        "at": at,
        "items": items,
    })))
}

fn request_properties() -> Value {
    json!({
        "reason": {"type": "string", "minLength": 1, "maxLength": 500,
            "description": "Why (shown to operators)."},
        "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
            "description": "Which alerts the window takes; absent or null: every one."},
        "mode": {"type": ["string", "null"], "enum": ["drop", "suppress", "collect", null],
            "description": "What the window does to the new alerts it selects: `drop` (keep the alert with the window, no ticket), `suppress` (the default: the ticket made but silent until the window ends, then it starts as if created then) or `collect` (one ticket per occurrence, and provider, gathers its alerts)."},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time",
            "description": "After starts_at. Give ends_at or duration."},
        "duration": {"oneOf": [
            {"type": "integer", "minimum": 1, "maximum": 31_622_400},
            {"type": "string", "pattern": "^[0-9]{1,9}[smhd]$"}
        ], "description": "Each occurrence's length (a recurring window's at most 7 days)."},
        "recurrence": {"oneOf": [{"type": "null"}, {
            "type": "object",
            "required": ["rrule", "time_zone"],
            "properties": {
                "rrule": {"type": "string", "examples": ["FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z"],
                    "description": "FREQ=WEEKLY with optional BYDAY (MO..SU; must include the weekday of starts_at), INTERVAL (1..=52), and UNTIL or COUNT (1..=1000)."},
                "time_zone": {"type": "string", "description": "IANA name; each occurrence starts at starts_at's local time."}
            }
        }]}
    })
}

json_schema!(
    /// The body of `POST /api/suppression-windows`.
    SuppressionWindowRequestSchema = "SuppressionWindowRequest",
    json!({
        "type": "object",
        "required": ["reason", "starts_at"],
        "additionalProperties": false,
        "properties": request_properties(),
        "examples": [{"reason": "Camera 7 lens cleaning",
            "filter": {"field": "camera_id", "op": "eq", "value": 7},
            "mode": "suppress", "starts_at": "2026-12-02T22:00:00Z", "duration": "2h",
            "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=WE", "time_zone": "Europe/Paris"}}]
    })
);

json_schema!(
    /// A stored suppression window.
    SuppressionWindowSchema = "SuppressionWindow",
    {
        let mut properties = request_properties();
        let occurrence = json!({"oneOf": [{"type": "null"}, {"type": "object",
            "required": ["starts_at", "ends_at"],
            "properties": {"starts_at": {"type": "string", "format": "date-time"},
                           "ends_at": {"type": "string", "format": "date-time"}}}],
            "description": "The occurrence running now, else the next; null once none is left or cancelled."});
        if let (Value::Object(p), Value::Object(extra)) = (&mut properties, json!({
            "id": {"type": "string", "format": "uuid"},
            "mode": {"type": "string", "enum": ["drop", "suppress", "collect"]},
            "duration": {"type": "integer", "minimum": 1, "description": "In seconds."},
            "ends_at": {"type": "string", "format": "date-time", "description": "The first occurrence's end."},
            "state": {"type": "string", "enum": ["scheduled", "active", "expired", "cancelled"]},
            "occurrence": occurrence,
            "created_by": {"type": "string"},
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
            "dropped_alerts": {"type": "integer", "minimum": 0,
                "description": "How many alerts it dropped (mode drop): GET /api/suppression-windows/{id}/alerts lists them."},
            "version": {"type": "integer", "minimum": 1},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        })) {
            p.extend(extra);
        }
        json!({
            "type": "object",
            "required": ["id", "reason", "filter", "mode", "starts_at", "ends_at", "duration",
                         "recurrence", "state", "occurrence", "created_by", "cancelled_at",
                         "dropped_alerts", "version", "created_at", "updated_at"],
            "properties": properties
        })
    }
);

json_schema!(
    SuppressionWindowListSchema = "SuppressionWindowList",
    json!({"type": "object", "required": ["items"],
           "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/SuppressionWindow"}}}})
);

json_schema!(
    SuppressionPreviewSchema = "SuppressionPreview",
    json!({"type": "object", "required": ["camera_id", "at", "items"],
    "properties": {
        "camera_id": {"type": "integer", "minimum": 0},
        "at": {"type": "string", "format": "date-time"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/SuppressionWindow"}}
    }})
);

/// Registers the suppression window routes.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    use crate::inbound::routes::method_not_allowed;
    cfg.service(
        web::resource("/api/suppression-windows")
            .route(web::get().to(list_windows::<R, C>))
            .route(web::post().to(create_window::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/suppression-windows/preview")
            .route(web::get().to(preview::<R, C>))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/suppression-windows/{id}")
            .route(web::get().to(get_window::<R, C>))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/suppression-windows/{id}/alerts")
            .route(web::get().to(window_alerts))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/suppression-windows/{id}/cancel")
            .route(web::post().to(cancel_window::<R, C>))
            .default_service(method_not_allowed("POST")),
    );
}
