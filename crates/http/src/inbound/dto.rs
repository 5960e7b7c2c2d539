//! Request and response bodies as the API names them, and their conversion to and from
//! domain values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ticket_domain::suppression::DroppedAlert;
use ticket_domain::{
    AlertData, AlertType, CameraId, Comment, CommentBody, Cursor, DedupKey, Description, EndEvent,
    ExternalId, FieldError, Filter, HistoryEntry, ListQuery, NewAlert, PageLimit, ProviderId,
    Reason, Severity, SlaState, Status, StatusChange, TargetStats, TargetView, TicketFilter,
    TicketStats, TicketView, Title, UserId, ValidationErrors, Visibility,
};
use utoipa::ToSchema;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type};
use uuid::Uuid;

use crate::inbound::extract::{parse_json, parse_time};
use crate::inbound::problem::ApiError;
use crate::inbound::rules;
use crate::inbound::schemas::{
    AlertDataSchema, AlertTypeSchema, CommentBodySchema, DedupKeySchema, DeliveryStatusSchema,
    DescriptionSchema, EventTypeSchema, ExternalIdSchema, ReasonSchema, SeveritySchema,
    StatusSchema, TitleSchema, UserIdSchema, VisibilitySchema, counts_by_camera,
    counts_by_provider, counts_by_severity, counts_by_status,
};

/// Whether any string or key in `value` holds a NUL character.
fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A JSON value as an integer, as JSON Schema counts them (`42`, `42.0`).
fn integral(value: &Value) -> Option<i64> {
    json_integer(value).ok()
}

/// A JSON integer as JSON Schema counts them: `42`, and also `42.0` or `4.2e1`.
fn json_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::{Error, Unexpected, Visitor};

    struct Integer;

    impl Visitor<'_> for Integer {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("i64")
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
            // i64::MIN is -2^63; 2^63 itself is out of range.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
                #[allow(clippy::cast_possible_truncation)]
                Ok(v as i64)
            } else {
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
        }
    }

    deserializer.deserialize_any(Integer)
}

fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    raw.map(parse).transpose()
}

/// `POST /api/tickets`: an alert from an analytics provider. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({
    "title": "Person in restricted zone",
    "description": "Loading dock, after hours",
    "severity": "high",
    "camera_id": 42,
    "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24",
    "alert_type": "intrusion",
    "alert_data": {"confidence": 0.93, "zone": "dock-2"},
    "occurred_at": "2026-11-27T14:20:00Z",
    "external_id": "evt-1001"
})))]
pub struct CreateTicketRequest {
    #[schema(value_type = TitleSchema)]
    title: String,
    #[serde(default)]
    #[schema(value_type = Option<DescriptionSchema>)]
    description: Option<String>,
    #[schema(value_type = SeveritySchema)]
    severity: String,
    /// The VMS camera.
    #[serde(deserialize_with = "json_integer")]
    #[schema(minimum = 0, maximum = 9223372036854775807_i64)]
    camera_id: i64,
    /// The analytics provider.
    #[schema(value_type = uuid::Uuid)]
    provider_id: String,
    #[serde(default)]
    #[schema(value_type = Option<AlertTypeSchema>)]
    alert_type: Option<String>,
    /// `null` or absent means `{}`.
    #[serde(default)]
    #[schema(value_type = Option<AlertDataSchema>)]
    alert_data: Option<Value>,
    /// When the provider saw the alert (RFC 3339, any offset); defaults to now.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    occurred_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<ExternalIdSchema>)]
    external_id: Option<String>,
    /// Defaults to `{provider_id}/{camera_id}/{alert_type, else title, lower-cased}`.
    #[serde(default)]
    #[schema(value_type = Option<DedupKeySchema>)]
    dedup_key: Option<String>,
    /// `trigger` (the default): an alert. `resolve` makes the body an end event instead
    /// (see `EndEventRequest`).
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^trigger$")]
    #[allow(dead_code)]
    event_action: Option<Value>,
}

/// What `POST /api/tickets` was sent: an alert, or (`"event_action": "resolve"`) an end
/// event.
#[derive(Debug)]
pub enum Incoming {
    Alert(NewAlert),
    End(EndEvent),
}

/// Only `event_action`, read first to tell an end event from an alert; serde skips the
/// rest without building it.
#[derive(Debug, Deserialize)]
struct EventAction {
    #[serde(default)]
    event_action: Option<Value>,
}

/// Reads the body of `POST /api/tickets`.
pub fn parse_incoming(body: &[u8]) -> Result<Incoming, ApiError> {
    // A body that is not an object is reported by the full parse below.
    let action = serde_json::from_slice::<EventAction>(body)
        .ok()
        .and_then(|a| a.event_action);
    match action {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if a == "trigger" => {}
        Some(Value::String(a)) if a == "resolve" => {
            return parse_json::<EndEventRequest>(body)?
                .parse()
                .map(Incoming::End);
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "event_action",
                "must be trigger (an alert, the default) or resolve (an end event)",
            ));
        }
    }
    parse_json::<CreateTicketRequest>(body)?
        .parse()
        .map(Incoming::Alert)
}

/// `POST /api/tickets` with `"event_action": "resolve"`: the provider says the incident of
/// an earlier alert is over. It names the incident by that alert's `external_id`, or by
/// its dedup key: `dedup_key`, else derived from `camera_id` and `alert_type` (or else
/// `title`) as for an alert, so an alert's own body with `event_action` added names its
/// incident. Other alert fields are ignored. Unknown fields are ignored.
///
/// Its schema, which says that one of these must name the incident, is written out as
/// [`EndEventRequestSchema`].
#[derive(Debug, Deserialize)]
pub struct EndEventRequest {
    #[allow(dead_code)]
    event_action: String,
    /// The analytics provider that sent the alert.
    provider_id: String,
    /// The `external_id` of an alert of the incident. These members may be absent but not
    /// `null`, as the schema says (its `anyOf` needs one of them with a value).
    #[serde(default, deserialize_with = "not_null")]
    external_id: Option<String>,
    /// The incident's dedup key.
    #[serde(default, deserialize_with = "not_null")]
    dedup_key: Option<String>,
    /// With `alert_type` or `title`: the dedup key an alert without one would get.
    #[serde(default, deserialize_with = "not_null_integer")]
    camera_id: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    alert_type: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    title: Option<String>,
}

/// A member that may be absent (`#[serde(default)]`) but, when present, not `null`.
fn not_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

/// [`not_null`] for an integer, as [`json_integer`] reads one.
fn not_null_integer<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    json_integer(deserializer).map(Some)
}

impl EndEventRequest {
    /// Parses every field given, reporting all the invalid ones at once; an event that
    /// names no incident is a 422 on `dedup_key`.
    pub fn parse(self) -> Result<EndEvent, ApiError> {
        let mut errors = ValidationErrors::default();
        let provider_id = errors.collect(ProviderId::parse(&self.provider_id, "provider_id"));
        let external_id = errors.collect(optional(self.external_id.as_deref(), |e| {
            ExternalId::parse(e, "external_id")
        }));
        let dedup_key = errors.collect(optional(self.dedup_key.as_deref(), |k| {
            DedupKey::parse(k, "dedup_key")
        }));
        let camera_id = errors.collect(
            self.camera_id
                .map(|c| CameraId::parse(c, "camera_id"))
                .transpose(),
        );
        let alert_type = errors.collect(optional(self.alert_type.as_deref(), |t| {
            AlertType::parse(t, "alert_type")
        }));
        let title = errors.collect(optional(self.title.as_deref(), |t| {
            Title::parse(t, "title")
        }));
        let (Some(provider_id), Some(external_id), Some(dedup_key)) =
            (provider_id, external_id, dedup_key)
        else {
            return Err(ApiError::Invalid(errors));
        };
        let derived = camera_id.flatten().and_then(|camera| {
            DedupKey::try_derive(
                provider_id,
                camera,
                alert_type.flatten().as_ref(),
                title.flatten().as_ref(),
            )
        });
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        let dedup_key = dedup_key.or(derived);
        if external_id.is_none() && dedup_key.is_none() {
            return Err(ApiError::invalid(
                "dedup_key",
                "an end event names its incident: dedup_key, or external_id, or camera_id \
                 with alert_type or title",
            ));
        }
        Ok(EndEvent {
            provider_id,
            external_id,
            dedup_key,
        })
    }
}

/// What an end event did: `resolved` (the ticket's auto-resolve rule resolved or closed it),
/// `declined` (an operator had worked on it: the rule left it open with a system comment),
/// `ignored` (the ticket's rule, if any, takes no end events, or declined before), or
/// `nothing_active` (no active ticket for the incident; a replayed end event lands here).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndEventResponse<'a> {
    #[schema(value_type = String, pattern = "^(resolved|declined|ignored|nothing_active)$")]
    pub outcome: &'static str,
    /// The ticket the event acted on or left as it was; `null` with `nothing_active`.
    #[schema(value_type = Option<TicketResponse>)]
    pub ticket: Option<TicketResponse<'a>>,
}

/// An alert a `drop` suppression window took: kept with the window, no ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct DroppedAlertResponse {
    #[schema(minimum = 1)]
    pub id: i64,
    pub suppression_window_id: Uuid,
    #[schema(minimum = 0)]
    pub camera_id: i64,
    pub provider_id: Uuid,
    #[schema(value_type = Option<ExternalIdSchema>)]
    pub external_id: Option<String>,
    #[schema(value_type = TitleSchema)]
    pub title: String,
    #[schema(value_type = SeveritySchema)]
    pub severity: Severity,
    #[schema(value_type = Option<AlertTypeSchema>)]
    pub alert_type: Option<String>,
    /// The provider's payload as given.
    #[schema(value_type = AlertDataSchema)]
    pub alert_data: Value,
    /// When the provider saw it.
    pub occurred_at: DateTime<Utc>,
    /// When the service took it in.
    pub received_at: DateTime<Utc>,
}

impl From<DroppedAlert> for DroppedAlertResponse {
    fn from(a: DroppedAlert) -> Self {
        Self {
            id: a.id,
            suppression_window_id: a.window_id.as_uuid(),
            camera_id: a.camera_id.get(),
            provider_id: a.provider_id.as_uuid(),
            external_id: a.external_id.map(ExternalId::into_inner),
            title: a.title.into_inner(),
            severity: a.severity,
            alert_type: a.alert_type.map(AlertType::into_inner),
            alert_data: a.payload.into_json(),
            occurred_at: a.occurred_at,
            received_at: a.received_at,
        }
    }
}

/// The answer to an alert a `drop` suppression window took (202): no ticket was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct DroppedResponse {
    #[schema(value_type = String, pattern = "^dropped$")]
    pub outcome: &'static str,
    /// Whether the same (`provider_id`, `external_id`) was dropped before: this is that
    /// alert, and nothing was written.
    pub replayed: bool,
    pub alert: DroppedAlertResponse,
}

impl CreateTicketRequest {
    /// Parses every field, reporting all the invalid ones at once.
    pub fn parse(self) -> Result<NewAlert, ApiError> {
        let mut errors = ValidationErrors::default();
        let title = errors.collect(Title::parse(&self.title, "title"));
        let description = errors.collect(optional(self.description.as_deref(), |d| {
            Description::parse(d, "description")
        }));
        let severity = errors.collect(Severity::parse(&self.severity, "severity"));
        let camera_id = errors.collect(CameraId::parse(self.camera_id, "camera_id"));
        let provider_id = errors.collect(ProviderId::parse(&self.provider_id, "provider_id"));
        let alert_type = errors.collect(optional(self.alert_type.as_deref(), |t| {
            AlertType::parse(t, "alert_type")
        }));
        let alert_data = errors.collect(match self.alert_data {
            None | Some(Value::Null) => Ok(AlertData::empty()),
            // PostgreSQL's jsonb cannot hold U+0000 in a string: refused like in any text field.
            Some(v) if json_has_nul(&v) => Err(FieldError::new(
                "alert_data",
                "must not contain NUL characters",
            )),
            Some(v) => AlertData::parse(v, "alert_data"),
        });
        let occurred_at = errors.collect(optional(self.occurred_at.as_deref(), |t| {
            parse_time(t, "occurred_at")
        }));
        let external_id = errors.collect(optional(self.external_id.as_deref(), |e| {
            ExternalId::parse(e, "external_id")
        }));
        let dedup_key = errors.collect(optional(self.dedup_key.as_deref(), |k| {
            DedupKey::parse(k, "dedup_key")
        }));
        match (title, description, severity, camera_id, provider_id) {
            (
                Some(title),
                Some(description),
                Some(severity),
                Some(camera_id),
                Some(provider_id),
            ) if errors.is_empty() => Ok(NewAlert {
                title,
                description,
                severity,
                camera_id,
                provider_id,
                alert_type: alert_type.flatten(),
                alert_data: alert_data.unwrap_or_else(AlertData::empty),
                occurred_at: occurred_at.flatten(),
                external_id: external_id.flatten(),
                dedup_key: dedup_key.flatten(),
            }),
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// `PATCH /api/tickets/{id}/status`. Unknown fields are ignored. Its schema, which says
/// when `assignee_id` applies, is written out as [`StatusChangeSchema`].
///
/// [`StatusChangeSchema`]: crate::inbound::schemas::StatusChangeSchema
#[derive(Debug, Deserialize)]
pub struct StatusChangeRequest {
    status: String,
    #[serde(default)]
    assignee_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    hold_until: Option<String>,
}

impl StatusChangeRequest {
    pub fn parse(self) -> Result<StatusChange, ApiError> {
        let mut errors = ValidationErrors::default();
        let target = errors.collect(Status::parse(&self.status, "status"));
        let assignee_id = errors.collect(optional(self.assignee_id.as_deref(), |a| {
            UserId::parse(a, "assignee_id")
        }));
        // A blank reason is no reason.
        let reason = errors.collect(optional(
            self.reason.as_deref().filter(|r| !r.trim().is_empty()),
            |r| Reason::parse(r, "reason"),
        ));
        let hold_until = errors.collect(optional(self.hold_until.as_deref(), |t| {
            parse_time(t, "hold_until")
        }));
        match target {
            Some(target) if errors.is_empty() => Ok(StatusChange {
                target,
                assignee_id: assignee_id.flatten(),
                reason: reason.flatten(),
                hold_until: hold_until.flatten(),
            }),
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// `POST /api/tickets/{id}/comments`. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"body": "Guard dispatched to dock 2", "visibility": "internal"})))]
pub struct CommentRequest {
    #[schema(value_type = CommentBodySchema)]
    body: String,
    /// Default `internal`.
    #[serde(default)]
    #[schema(value_type = Option<VisibilitySchema>)]
    visibility: Option<String>,
}

impl CommentRequest {
    pub fn parse(self) -> Result<(CommentBody, Visibility), ApiError> {
        let mut errors = ValidationErrors::default();
        let body = errors.collect(CommentBody::parse(&self.body, "body"));
        let visibility = errors.collect(optional(self.visibility.as_deref(), |v| {
            Visibility::parse(v, "visibility")
        }));
        match body {
            Some(body) if errors.is_empty() => {
                Ok((body, visibility.flatten().unwrap_or(Visibility::Internal)))
            }
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// A ticket as the API shows it. Timestamps are RFC 3339 in UTC.
// Borrows the ticket's text and payload, which a page of tickets would otherwise copy.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse<'a> {
    pub id: Uuid,
    /// The human number, `TCK-1001`, ... (increasing; gaps are possible).
    #[schema(pattern = "^TCK-[0-9]+$", examples("TCK-1001"))]
    pub number: Option<String>,
    #[schema(value_type = TitleSchema)]
    pub title: &'a str,
    #[schema(value_type = Option<DescriptionSchema>)]
    pub description: Option<&'a str>,
    #[schema(value_type = SeveritySchema)]
    pub severity: Severity,
    #[schema(value_type = StatusSchema)]
    pub status: Status,
    #[schema(minimum = 0)]
    pub camera_id: i64,
    pub provider_id: Uuid,
    #[schema(value_type = Option<AlertTypeSchema>)]
    pub alert_type: Option<&'a str>,
    /// The provider's payload as given (`{}` when none).
    #[schema(value_type = AlertDataSchema)]
    pub alert_data: &'a Value,
    /// The key grouping repeated alerts (given, or derived).
    #[schema(value_type = DedupKeySchema)]
    pub dedup_key: &'a str,
    /// When the provider saw the first alert.
    pub occurred_at: DateTime<Utc>,
    /// The assigned user; `null` when unassigned.
    #[schema(value_type = Option<UserIdSchema>)]
    pub assignee_id: Option<&'a str>,
    /// Alerts merged into this ticket, counting the first.
    #[schema(minimum = 1)]
    pub alert_count: i32,
    /// Earliest `occurred_at` of its alerts.
    pub first_alert_at: DateTime<Utc>,
    /// Latest `occurred_at` of its alerts.
    pub last_alert_at: DateTime<Utc>,
    /// `created_at` plus the first-response target of the creation severity, moved later
    /// by time spent `on_hold` while pending.
    pub first_response_due_at: DateTime<Utc>,
    /// The first status change or comment by a user; set once.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// `created_at` plus the resolution target of the creation severity, moved later by
    /// time spent `on_hold` while pending.
    pub resolution_due_at: DateTime<Utc>,
    #[schema(schema_with = resolved_at_schema)]
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Who moved it to `resolved`, `closed` or `false_positive`, while it is there: a user,
    /// or `system:auto_resolve:<rule id>`; `null` on a ticket resolved before this was
    /// recorded.
    #[schema(value_type = Option<String>)]
    pub resolved_by: Option<String>,
    /// How often it was reopened, by a user or by an alert after an automatic resolution.
    #[schema(minimum = 0)]
    pub reopen_count: i32,
    /// Set once alerts have reopened it often enough: its automatic events (reopen,
    /// auto-resolution) then go out at most once per `event_interval_seconds`.
    pub flapping: Option<FlappingResponse>,
    /// Set while a `suppress` suppression window keeps it silent: no events, assignment,
    /// SLA clock or escalation until `until`, when it starts as if created then (its
    /// `created_at` and due times move there, and one `ticket_created` event goes out).
    pub suppressed: Option<SuppressedResponse>,
    /// Set while an active ticket of an inhibiting alert type (`camera_offline`,
    /// `tampering`, or the organization's `settings.inhibition.alert_types`) of its camera
    /// keeps it silent, as `suppressed` does; when that ticket ends this one is released
    /// (`on_end: release`) or resolved without a word (`drop`).
    pub inhibited: Option<InhibitedResponse>,
    /// The first response came after its due time, or has not come and the due time has
    /// passed (evaluated when the response is built).
    pub first_response_breached: bool,
    /// The same rule for resolution.
    pub resolution_breached: bool,
    /// Set while `on_hold`: why, since and until when, and where it returns.
    pub hold: Option<HoldResponse<'a>>,
    /// Each SLA target as it stands when the response is built.
    pub sla: SlaTargetsResponse,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1, +1 per change; the `ETag`.
    #[schema(minimum = 1)]
    pub version: i64,
}

/// What keeps a ticket silent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressedResponse {
    /// The suppression window.
    pub suppression_window_id: Uuid,
    /// When it is released: the window's occurrence end, or its cancel.
    pub until: DateTime<Utc>,
}

/// What inhibits a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct InhibitedResponse {
    /// The inhibiting ticket.
    pub by_ticket_id: Uuid,
    /// What its end does to this one.
    #[schema(value_type = String, pattern = "^(release|drop)$")]
    pub on_end: &'static str,
}

/// A flapping ticket's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlappingResponse {
    /// When it reached the organization's threshold.
    pub since: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub event_interval_seconds: i64,
    /// When its last automatic event went out.
    pub notified_at: Option<DateTime<Utc>>,
}

/// A ticket's hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldResponse<'a> {
    /// When the hold began; the SLA clocks stand still from then.
    pub since: DateTime<Utc>,
    /// When the ticket returns by itself to `returns_to`; `null`: not by itself.
    pub until: Option<DateTime<Utc>>,
    /// The status it came from: `assigned` or `in_progress`.
    #[schema(value_type = StatusSchema)]
    pub returns_to: Status,
    #[schema(value_type = ReasonSchema)]
    pub reason: &'a str,
}

/// Both SLA targets of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTargetsResponse {
    /// The organization's SLA policy the ticket was created under; `null`: the default
    /// targets (the service's configuration).
    pub policy_id: Option<uuid::Uuid>,
    pub first_response: SlaTargetResponse,
    pub resolution: SlaTargetResponse,
}

/// One SLA target.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTargetResponse {
    /// `met`, `breached` or `pending`.
    #[schema(value_type = String, pattern = "^(met|breached|pending)$")]
    pub state: SlaState,
    pub due_at: DateTime<Utc>,
    /// Seconds counted against the target so far (to its event, if it came), time on
    /// hold left out.
    #[schema(minimum = 0)]
    pub elapsed_seconds: i64,
    /// Seconds until `due_at` on the target's clock (negative once past); `null` once its
    /// event came.
    pub remaining_seconds: Option<i64>,
    /// On hold with the target pending: its clock stands still.
    pub paused: bool,
    /// Its `sla_warning` went out.
    pub warned: bool,
    pub breached: bool,
}

impl From<&TargetView> for SlaTargetResponse {
    fn from(v: &TargetView) -> Self {
        Self {
            state: v.state,
            due_at: v.due_at,
            elapsed_seconds: v.elapsed_seconds,
            remaining_seconds: v.remaining_seconds,
            paused: v.paused,
            warned: v.warned,
            breached: v.state.is_breached(),
        }
    }
}

/// `resolved_at`, described with the domain's resolution statuses.
fn resolved_at_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(format!(
            "The last time it reached {}; cleared on reopen.",
            rules::resolution_statuses()
        )))
        .build()
}

impl<'a> From<&'a TicketView> for TicketResponse<'a> {
    fn from(view: &'a TicketView) -> Self {
        let t = &view.ticket;
        Self {
            id: t.id().as_uuid(),
            number: t.number().map(|n| n.to_string()),
            title: t.title().as_str(),
            description: t.description().map(Description::as_str),
            severity: t.severity(),
            status: t.status(),
            camera_id: t.camera_id().get(),
            provider_id: t.provider_id().as_uuid(),
            alert_type: t.alert_type().map(AlertType::as_str),
            alert_data: t.alert_data().as_json(),
            dedup_key: t.dedup_key().as_str(),
            occurred_at: t.occurred_at(),
            assignee_id: t.assignee_id().map(UserId::as_str),
            alert_count: t.alert_count(),
            first_alert_at: t.first_alert_at(),
            last_alert_at: t.last_alert_at(),
            first_response_due_at: t.first_response_due_at(),
            first_responded_at: t.first_responded_at(),
            resolution_due_at: t.resolution_due_at(),
            resolved_at: t.resolved_at(),
            closed_at: t.closed_at(),
            resolved_by: t.resolved_by().map(ToString::to_string),
            reopen_count: t.reopen_count(),
            flapping: t.flapping().map(|f| FlappingResponse {
                since: f.since,
                event_interval_seconds: f.event_interval.num_seconds(),
                notified_at: f.notified_at,
            }),
            suppressed: t.suppressed().map(|s| SuppressedResponse {
                suppression_window_id: s.window_id.as_uuid(),
                until: s.until,
            }),
            inhibited: t.inhibited().map(|i| InhibitedResponse {
                by_ticket_id: i.by.as_uuid(),
                on_end: i.on_end.as_str(),
            }),
            first_response_breached: view.sla.first_response.is_breached(),
            resolution_breached: view.sla.resolution.is_breached(),
            hold: t.hold().map(|h| HoldResponse {
                since: h.since,
                until: h.until,
                returns_to: h.from,
                reason: h.reason.as_str(),
            }),
            sla: SlaTargetsResponse {
                policy_id: t.sla_policy_id().map(ticket_domain::SlaPolicyId::as_uuid),
                first_response: (&view.first_response).into(),
                resolution: (&view.resolution).into(),
            },
            created_at: t.created_at(),
            updated_at: t.updated_at(),
            version: t.version(),
        }
    }
}

/// A comment on a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    pub id: Uuid,
    pub ticket_id: Uuid,
    /// The acting user who wrote it.
    #[schema(value_type = UserIdSchema)]
    pub author_id: String,
    /// As sent.
    #[schema(value_type = CommentBodySchema)]
    pub body: String,
    #[schema(value_type = VisibilitySchema)]
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentResponse {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.as_uuid(),
            ticket_id: c.ticket_id.as_uuid(),
            author_id: c.author_id.to_string(),
            body: c.body.into_inner(),
            visibility: c.visibility,
            created_at: c.created_at,
        }
    }
}

/// One accepted status change, or the creation of the ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    /// `null` for the creation row.
    #[schema(value_type = Option<StatusSchema>)]
    pub from_status: Option<Status>,
    #[schema(value_type = StatusSchema)]
    pub to_status: Status,
    /// The acting user; `null` for the creation row.
    #[schema(value_type = Option<UserIdSchema>)]
    pub actor: Option<String>,
    #[schema(value_type = Option<ReasonSchema>)]
    pub reason: Option<String>,
    pub changed_at: DateTime<Utc>,
}

impl From<HistoryEntry> for HistoryResponse {
    fn from(h: HistoryEntry) -> Self {
        Self {
            from_status: h.from_status,
            to_status: h.to_status,
            actor: h.actor.map(|a| a.to_string()),
            reason: h.reason.map(Reason::into_inner),
            changed_at: h.changed_at,
        }
    }
}

/// Ticket details: the ticket's fields plus comments and history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetailsResponse<'a> {
    #[serde(flatten)]
    pub ticket: TicketResponse<'a>,
    /// Oldest first; only those of the requested `visibility`, if given.
    pub comments: Vec<CommentResponse>,
    /// Oldest first, starting with the creation row.
    pub history: Vec<HistoryResponse>,
}

impl<'a> TicketDetailsResponse<'a> {
    /// The parts of a `DetailsView`: the ticket borrowed, its comments and history taken.
    pub fn new(view: &'a TicketView, comments: Vec<Comment>, history: Vec<HistoryEntry>) -> Self {
        Self {
            ticket: view.into(),
            comments: comments.into_iter().map(Into::into).collect(),
            history: history.into_iter().map(Into::into).collect(),
        }
    }
}

/// One page of a list (described in the OpenAPI document as `TicketPage`, `AlertPage`...).
#[derive(Debug, Serialize)]
pub struct PageResponse<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` (with the same filters) for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Figures for one SLA target over the matching tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetStatsResponse {
    /// The event came on or before the due time.
    #[schema(minimum = 0)]
    pub met: i64,
    /// The event came after the due time, or has not come and the due time has passed.
    #[schema(minimum = 0)]
    pub breached: i64,
    /// No event yet, due time not passed.
    #[schema(minimum = 0)]
    pub pending: i64,
    /// `met / (met + breached) * 100`; `null` when both are 0.
    #[schema(minimum = 0, maximum = 100)]
    pub compliance_pct: Option<f64>,
    /// Mean seconds from `created_at` to the event, over tickets whose event has happened;
    /// `null` when there are none.
    pub mean_seconds: Option<f64>,
    /// Median of the same durations (continuous percentile).
    pub p50_seconds: Option<f64>,
    /// 90th percentile of the same durations (continuous).
    pub p90_seconds: Option<f64>,
}

impl From<TargetStats> for TargetStatsResponse {
    fn from(s: TargetStats) -> Self {
        Self {
            met: s.met,
            breached: s.breached,
            pending: s.pending,
            compliance_pct: s.compliance_pct,
            mean_seconds: s.mean_seconds,
            p50_seconds: s.p50_seconds,
            p90_seconds: s.p90_seconds,
        }
    }
}

/// Figures per SLA target.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaStatsResponse {
    pub first_response: TargetStatsResponse,
    pub resolution: TargetStatsResponse,
}

/// Counts and SLA figures over the tickets matching the filters, at the time of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    /// Number of matching tickets.
    #[schema(minimum = 0)]
    pub total: i64,
    /// Count per status; every status is present, zeros included.
    #[schema(schema_with = counts_by_status)]
    pub by_status: BTreeMap<String, i64>,
    /// Count per severity; every severity is present, zeros included.
    #[schema(schema_with = counts_by_severity)]
    pub by_severity: BTreeMap<String, i64>,
    /// Count per provider UUID; only providers that occur.
    #[schema(schema_with = counts_by_provider)]
    pub by_provider: BTreeMap<String, i64>,
    /// Count per camera id (as a string); only cameras that occur.
    #[schema(schema_with = counts_by_camera)]
    pub by_camera: BTreeMap<String, i64>,
    pub sla: SlaStatsResponse,
    /// The matching tickets in `resolved`, `closed` or `false_positive`, by who put them
    /// there.
    pub resolutions: ResolutionsResponse,
}

/// Resolutions by operators and by rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionsResponse {
    /// By a user (tickets resolved before who resolved was recorded count here).
    #[schema(minimum = 0)]
    pub by_operators: i64,
    /// By an auto-resolve rule.
    #[schema(minimum = 0)]
    pub automatic: i64,
}

impl From<TicketStats> for StatsResponse {
    fn from(s: TicketStats) -> Self {
        fn keyed<K: ToString>(m: BTreeMap<K, i64>) -> BTreeMap<String, i64> {
            m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        }
        // Every status and severity is listed, zeros included, so clients see stable keys.
        let mut by_status: BTreeMap<String, i64> =
            Status::ALL.iter().map(|s| (s.to_string(), 0)).collect();
        by_status.extend(keyed(s.by_status));
        let mut by_severity: BTreeMap<String, i64> =
            Severity::ALL.iter().map(|s| (s.to_string(), 0)).collect();
        by_severity.extend(keyed(s.by_severity));
        Self {
            total: s.total,
            by_status,
            by_severity,
            by_provider: keyed(s.by_provider),
            by_camera: keyed(s.by_camera),
            sla: SlaStatsResponse {
                first_response: s.first_response.into(),
                resolution: s.resolution.into(),
            },
            resolutions: ResolutionsResponse {
                by_operators: s.resolutions.by_operators,
                automatic: s.resolutions.automatic,
            },
        }
    }
}

/// One alert of a ticket's alert history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertResponse {
    #[schema(minimum = 1)]
    pub id: i64,
    pub ticket_id: Uuid,
    pub provider_id: Uuid,
    #[schema(value_type = Option<ExternalIdSchema>)]
    pub external_id: Option<String>,
    #[schema(value_type = TitleSchema)]
    pub title: String,
    /// The alert's own severity.
    #[schema(value_type = SeveritySchema)]
    pub severity: Severity,
    #[schema(value_type = Option<AlertTypeSchema>)]
    pub alert_type: Option<String>,
    /// The provider's payload as given.
    #[schema(value_type = AlertDataSchema)]
    pub alert_data: Value,
    /// When the provider saw it.
    pub occurred_at: DateTime<Utc>,
    /// When the service took it in.
    pub received_at: DateTime<Utc>,
}

impl From<ticket_domain::StoredAlert> for AlertResponse {
    fn from(s: ticket_domain::StoredAlert) -> Self {
        let a = s.alert;
        Self {
            id: s.id,
            ticket_id: a.ticket_id.as_uuid(),
            provider_id: a.provider_id.as_uuid(),
            external_id: a.external_id.map(ExternalId::into_inner),
            title: a.title.into_inner(),
            severity: a.severity,
            alert_type: a.alert_type.map(AlertType::into_inner),
            alert_data: a.payload.into_json(),
            occurred_at: a.occurred_at,
            received_at: a.received_at,
        }
    }
}

/// One outbox event and its delivery state.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    #[schema(minimum = 1)]
    pub id: i64,
    #[schema(value_type = EventTypeSchema)]
    pub event_type: ticket_domain::EventType,
    pub ticket_id: Uuid,
    #[schema(value_type = DeliveryStatusSchema)]
    pub status: ticket_domain::DeliveryStatus,
    /// Delivery attempts so far.
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When a `pending` event is tried next; `null` otherwise.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON document delivered, as stored.
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(value_type = String, pattern = "^ok$")]
    pub status: &'static str,
    /// `SERVICE_NAME`.
    pub service: String,
    /// The service's version.
    pub version: &'static str,
}

/// `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyResponse {
    #[schema(value_type = String, pattern = "^ready$")]
    pub status: &'static str,
}

impl From<ticket_domain::Notification> for NotificationResponse {
    fn from(n: ticket_domain::Notification) -> Self {
        let pending = n.status == ticket_domain::DeliveryStatus::Pending;
        Self {
            id: n.id,
            event_type: n.event_type,
            ticket_id: n.ticket_id.as_uuid(),
            status: n.status,
            attempts: n.attempts,
            last_error: n.last_error,
            next_attempt_at: pending.then_some(n.next_attempt_at),
            created_at: n.created_at,
            delivered_at: n.delivered_at,
            payload: n.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;
    use crate::inbound::extract::parse_json;

    fn alert(overrides: Value) -> Result<NewAlert, ApiError> {
        let mut body = json!({
            "title": "Person in restricted zone",
            "severity": "high",
            "camera_id": 1,
            "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24",
        });
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        parse_json::<CreateTicketRequest>(body.to_string().as_bytes())?.parse()
    }

    fn refused_field(result: Result<NewAlert, ApiError>) -> (u16, String) {
        let problem = result.unwrap_err().problem();
        (problem.status, problem.errors[0].field.clone())
    }

    #[test]
    fn camera_id_may_be_written_as_an_integral_number() {
        for n in [json!(42.0), json!(4.2e1)] {
            assert_eq!(alert(json!({"camera_id": n})).unwrap().camera_id.get(), 42);
        }
        for n in [json!(4.5), json!(1e19), json!(u64::MAX), json!("42")] {
            let refused = refused_field(alert(json!({ "camera_id": n })));
            assert_eq!(refused, (422, "camera_id".to_owned()));
        }
    }

    #[test]
    fn nul_anywhere_in_alert_data_is_refused() {
        for data in [
            json!({"a": "x\0y"}),
            json!({"a\0": 1}),
            json!({"a": [{"b": ["\0"]}]}),
        ] {
            let refused = refused_field(alert(json!({ "alert_data": data })));
            assert_eq!(refused, (422, "alert_data".to_owned()));
        }
        assert!(alert(json!({"alert_data": {"a": ["ok", 1, null, {"b": true}]}})).is_ok());
    }
}

/// An organization: a customer or site, which sees only its own data.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    pub id: Uuid,
    /// Its short name, as `X-Org-Id` may give it.
    pub slug: String,
    pub name: String,
    /// Free-form settings its admins keep.
    #[schema(value_type = Object)]
    pub settings: Value,
    pub created_at: DateTime<Utc>,
}

impl From<ticket_domain::Organization> for OrganizationResponse {
    fn from(o: ticket_domain::Organization) -> Self {
        Self {
            id: o.id.as_uuid(),
            slug: o.slug.as_str().to_owned(),
            name: o.name,
            settings: o.settings,
            created_at: o.created_at,
        }
    }
}

/// Changes to an organization: each member given is replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// 1..=200 characters after trimming.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// A JSON object of at most 64 KiB, replacing the current settings.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
}

/// Largest `settings` accepted, in bytes of its JSON text.
const MAX_SETTINGS_BYTES: usize = 64 * 1024;

impl OrganizationPatch {
    /// The new name and settings, each checked, every bad field reported.
    pub fn parse(self) -> Result<(Option<String>, Option<Value>), ApiError> {
        let mut errors = ValidationErrors::default();
        let name = self.name.and_then(|n| {
            let trimmed = n.trim();
            let chars = trimmed.chars().count();
            if (1..=200).contains(&chars) && !trimmed.contains('\0') {
                Some(trimmed.to_owned())
            } else {
                errors.push(FieldError::new(
                    "name",
                    "must be 1..=200 characters, not blank",
                ));
                None
            }
        });
        let settings = self.settings.and_then(|v| {
            let size = serde_json::to_vec(&v).map_or(usize::MAX, |b| b.len());
            if !v.is_object() {
                errors.push(FieldError::new("settings", "must be a JSON object"));
                None
            } else if size > MAX_SETTINGS_BYTES {
                errors.push(FieldError::new(
                    "settings",
                    format!("must be at most {MAX_SETTINGS_BYTES} bytes of JSON"),
                ));
                None
            } else {
                // The members the service reads are checked as any rule's body is.
                let flapping = ticket_domain::FlapPolicy::parse(&v).err();
                let inhibition = ticket_domain::inhibition::InhibitPolicy::parse(&v).err();
                let faults: Vec<FieldError> = flapping
                    .into_iter()
                    .chain(inhibition)
                    .flat_map(|f| f.0)
                    .collect();
                let valid = faults.is_empty();
                for fault in faults {
                    errors.push(fault);
                }
                valid.then_some(v)
            }
        });
        errors.into_result().map_err(ApiError::Invalid)?;
        Ok((name, settings))
    }
}

/// `POST /api/tickets/search`: a tree of the filter language, and paging as the list's.
/// An unknown member is a 422 naming it (a misspelt `filter` must not select every
/// ticket). Its schema is [`crate::inbound::schemas::SearchRequestSchema`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    #[serde(default)]
    filter: Option<Value>,
    #[serde(default)]
    cursor: Option<String>,
    /// An integer as JSON Schema counts them (`50`, `50.0`).
    #[serde(default)]
    limit: Option<Value>,
}

impl SearchRequest {
    pub fn parse(self) -> Result<ListQuery, ApiError> {
        let mut errors = ValidationErrors::default();
        // No filter (or null) selects every ticket, as `{"all": []}` does.
        let expr = match self.filter.as_ref().filter(|f| !f.is_null()) {
            None => None,
            Some(raw) => match Filter::parse(raw, "filter") {
                Ok(f) => Some(f),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
        };
        let cursor = errors.collect(optional(self.cursor.as_deref(), |c| {
            Cursor::decode(c, "cursor")
        }));
        let limit = errors.collect(
            self.limit
                .filter(|l| !l.is_null())
                .map(|l| {
                    integral(&l)
                        .ok_or_else(|| FieldError::new("limit", "must be an integer"))
                        .and_then(|n| PageLimit::parse(n, "limit"))
                })
                .transpose(),
        );
        errors.into_result().map_err(ApiError::Invalid)?;
        Ok(ListQuery {
            filter: TicketFilter {
                expr,
                ..TicketFilter::default()
            },
            cursor: cursor.flatten(),
            limit: limit.flatten().unwrap_or_default(),
        })
    }
}
