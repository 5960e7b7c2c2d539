//! Request and response bodies as the API names them, and their conversion to and from
//! domain values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ticket_domain::{
    AlertData, AlertType, CameraId, Comment, CommentBody, DedupKey, Description, DetailsView,
    ExternalId, FieldError, HistoryEntry, NewAlert, ProviderId, Reason, Severity, Status,
    StatusChange, TargetStats, TicketStats, TicketView, Title, UserId, ValidationErrors,
    Visibility,
};
use uuid::Uuid;

use crate::problem::ApiError;

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_time(raw: &str, field: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                field,
                "must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z",
            )
        })
}

fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    raw.map(parse).transpose()
}

/// `POST /api/tickets`: an alert from an analytics provider.
#[derive(Debug, Deserialize)]
pub struct CreateTicketRequest {
    title: String,
    #[serde(default)]
    description: Option<String>,
    severity: String,
    camera_id: i64,
    provider_id: String,
    #[serde(default)]
    alert_type: Option<String>,
    #[serde(default)]
    alert_data: Option<Value>,
    #[serde(default)]
    occurred_at: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    dedup_key: Option<String>,
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

/// `PATCH /api/tickets/{id}/status`.
#[derive(Debug, Deserialize)]
pub struct StatusChangeRequest {
    status: String,
    #[serde(default)]
    assignee_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
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
        match target {
            Some(target) if errors.is_empty() => Ok(StatusChange {
                target,
                assignee_id: assignee_id.flatten(),
                reason: reason.flatten(),
            }),
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// `POST /api/tickets/{id}/comments`.
#[derive(Debug, Deserialize)]
pub struct CommentRequest {
    body: String,
    #[serde(default)]
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

/// A ticket as the API shows it.
#[derive(Debug, Serialize)]
pub struct TicketResponse {
    pub id: Uuid,
    pub number: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub status: Status,
    pub camera_id: i64,
    pub provider_id: Uuid,
    pub alert_type: Option<String>,
    pub alert_data: Value,
    pub dedup_key: String,
    pub occurred_at: DateTime<Utc>,
    pub assignee_id: Option<String>,
    pub alert_count: i32,
    pub first_alert_at: DateTime<Utc>,
    pub last_alert_at: DateTime<Utc>,
    pub first_response_due_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolution_due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub first_response_breached: bool,
    pub resolution_breached: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<TicketView> for TicketResponse {
    fn from(view: TicketView) -> Self {
        let t = view.ticket;
        Self {
            id: t.id.0,
            number: t.number.map(|n| n.to_string()),
            title: t.title.into_inner(),
            description: t.description.map(Description::into_inner),
            severity: t.severity,
            status: t.status,
            camera_id: t.camera_id.0,
            provider_id: t.provider_id.0,
            alert_type: t.alert_type.map(AlertType::into_inner),
            alert_data: t.alert_data.into_json(),
            dedup_key: t.dedup_key.into_inner(),
            occurred_at: t.occurred_at,
            assignee_id: t.assignee_id.map(UserId::into_inner),
            alert_count: t.alert_count,
            first_alert_at: t.first_alert_at,
            last_alert_at: t.last_alert_at,
            first_response_due_at: t.first_response_due_at,
            first_responded_at: t.first_responded_at,
            resolution_due_at: t.resolution_due_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            first_response_breached: view.sla.first_response.is_breached(),
            resolution_breached: view.sla.resolution.is_breached(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommentResponse {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub author_id: String,
    pub body: String,
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentResponse {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.0,
            ticket_id: c.ticket_id.0,
            author_id: c.author_id.into_inner(),
            body: c.body.into_inner(),
            visibility: c.visibility,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct HistoryResponse {
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub changed_at: DateTime<Utc>,
}

impl From<HistoryEntry> for HistoryResponse {
    fn from(h: HistoryEntry) -> Self {
        Self {
            from_status: h.from_status,
            to_status: h.to_status,
            actor: h.actor.map(UserId::into_inner),
            reason: h.reason.map(Reason::into_inner),
            changed_at: h.changed_at,
        }
    }
}

/// Ticket details: the ticket's fields plus comments and history, oldest first.
#[derive(Debug, Serialize)]
pub struct TicketDetailsResponse {
    #[serde(flatten)]
    pub ticket: TicketResponse,
    pub comments: Vec<CommentResponse>,
    pub history: Vec<HistoryResponse>,
}

impl From<DetailsView> for TicketDetailsResponse {
    fn from(d: DetailsView) -> Self {
        Self {
            ticket: d.view.into(),
            comments: d.comments.into_iter().map(Into::into).collect(),
            history: d.history.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PageResponse<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TargetStatsResponse {
    pub met: i64,
    pub breached: i64,
    pub pending: i64,
    pub compliance_pct: Option<f64>,
    pub mean_seconds: Option<f64>,
    pub p50_seconds: Option<f64>,
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

#[derive(Debug, Serialize)]
pub struct SlaStatsResponse {
    pub first_response: TargetStatsResponse,
    pub resolution: TargetStatsResponse,
}

#[derive(Debug, Serialize)]
pub struct StatsResponse {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_severity: BTreeMap<String, i64>,
    pub by_provider: BTreeMap<String, i64>,
    pub by_camera: BTreeMap<String, i64>,
    pub sla: SlaStatsResponse,
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
        }
    }
}

/// One alert of a ticket's alert history.
#[derive(Debug, Serialize)]
pub struct AlertResponse {
    pub id: i64,
    pub ticket_id: Uuid,
    pub provider_id: Uuid,
    pub external_id: Option<String>,
    pub title: String,
    pub severity: Severity,
    pub alert_type: Option<String>,
    pub alert_data: Value,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl From<ticket_domain::StoredAlert> for AlertResponse {
    fn from(s: ticket_domain::StoredAlert) -> Self {
        let a = s.alert;
        Self {
            id: s.id,
            ticket_id: a.ticket_id.0,
            provider_id: a.provider_id.0,
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
#[derive(Debug, Serialize)]
pub struct NotificationResponse {
    pub id: i64,
    pub event_type: ticket_domain::EventType,
    pub ticket_id: Uuid,
    pub status: ticket_domain::DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub payload: Value,
}

impl From<ticket_domain::Notification> for NotificationResponse {
    fn from(n: ticket_domain::Notification) -> Self {
        let pending = n.status == ticket_domain::DeliveryStatus::Pending;
        Self {
            id: n.id,
            event_type: n.event_type,
            ticket_id: n.ticket_id.0,
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
