//! Row types and their conversion to and from domain values. Stored values are parsed
//! back through the domain's constructors: a row that does not parse is reported as
//! corrupt, never passed on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ticket_domain::SuppressionWindowId;
use ticket_domain::inhibition::{Inhibited, OnEnd};
use ticket_domain::suppression::{DroppedAlert, Suppressed};
use ticket_domain::{
    Actor, AlertData, AlertRecord, AlertType, AutoResolve, BusinessCalendar, CameraId, Comment,
    CommentBody, CommentId, DedupKey, DeliveryStatus, Description, Escalation, EventType,
    ExternalId, FieldError, Flapping, HistoryEntry, Hold, Notification, OrgId, OutboxEvent,
    ProviderId, Reason, Severity, SlaPolicyId, Status, StoredAlert, Ticket, TicketId, TicketNumber,
    TicketRecord, Title, UserId, Visibility,
};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::{
    dropped_alerts, notification_logs, ticket_alerts, ticket_comments, ticket_state_history,
    tickets,
};

fn corrupt(error: FieldError) -> DbError {
    DbError::Corrupt(error.to_string())
}

#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = tickets, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TicketRow {
    id: Uuid,
    org_id: Uuid,
    number: i64,
    title: String,
    description: Option<String>,
    severity: String,
    status: String,
    camera_id: i64,
    provider_id: Uuid,
    alert_type: Option<String>,
    alert_data: serde_json::Value,
    dedup_key: String,
    occurred_at: DateTime<Utc>,
    assignee_id: Option<String>,
    alert_count: i32,
    first_alert_at: DateTime<Utc>,
    last_alert_at: DateTime<Utc>,
    first_response_due_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    resolution_due_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    held_since: Option<DateTime<Utc>>,
    hold_until: Option<DateTime<Utc>>,
    held_from: Option<String>,
    hold_reason: Option<String>,
    sla_paused_seconds: i64,
    first_response_warn_at: Option<DateTime<Utc>>,
    resolution_warn_at: Option<DateTime<Utc>>,
    first_response_warned_at: Option<DateTime<Utc>>,
    resolution_warned_at: Option<DateTime<Utc>>,
    first_response_breach_notified_at: Option<DateTime<Utc>>,
    resolution_breach_notified_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    sla_policy_id: Option<Uuid>,
    sla_calendar: Option<serde_json::Value>,
    escalation: Option<serde_json::Value>,
    auto_resolve: Option<serde_json::Value>,
    reopen_count: i32,
    resolved_by: Option<String>,
    flapping: Option<serde_json::Value>,
    suppression_window_id: Option<Uuid>,
    suppressed_window_end: Option<DateTime<Utc>>,
    suppressed_until: Option<DateTime<Utc>>,
    inhibited_by: Option<Uuid>,
    inhibited_on_end: Option<String>,
}

/// The hold of a row: all of its columns or none (the CHECK `held_has_hold` says so too).
fn hold_of(r: &TicketRow) -> Result<Option<Hold>, DbError> {
    match (r.held_since, &r.held_from, &r.hold_reason) {
        (None, None, None) if r.hold_until.is_none() => Ok(None),
        (Some(since), Some(from), Some(reason)) => Ok(Some(Hold {
            since,
            until: r.hold_until,
            from: Status::parse(from, "held_from").map_err(corrupt)?,
            reason: Reason::parse(reason, "hold_reason").map_err(corrupt)?,
        })),
        _ => Err(DbError::Corrupt(format!(
            "ticket {}: a hold without all of its columns",
            r.id
        ))),
    }
}

impl TryFrom<TicketRow> for Ticket {
    type Error = DbError;

    fn try_from(r: TicketRow) -> Result<Self, DbError> {
        let number = TicketNumber::new(r.number)
            .ok_or_else(|| DbError::Corrupt(format!("ticket number {}", r.number)))?;
        let camera_id = CameraId::parse(r.camera_id, "camera_id").map_err(corrupt)?;
        let hold = hold_of(&r)?;
        Ticket::restore(TicketRecord {
            id: TicketId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            number: Some(number),
            title: Title::parse(&r.title, "title").map_err(corrupt)?,
            description: r
                .description
                .map(|d| Description::parse(&d, "description"))
                .transpose()
                .map_err(corrupt)?,
            severity: Severity::parse(&r.severity, "severity").map_err(corrupt)?,
            status: Status::parse(&r.status, "status").map_err(corrupt)?,
            camera_id,
            provider_id: ProviderId::from_uuid(r.provider_id),
            alert_type: r
                .alert_type
                .map(|t| AlertType::parse(&t, "alert_type"))
                .transpose()
                .map_err(corrupt)?,
            alert_data: AlertData::parse(r.alert_data, "alert_data").map_err(corrupt)?,
            dedup_key: DedupKey::parse(&r.dedup_key, "dedup_key").map_err(corrupt)?,
            occurred_at: r.occurred_at,
            assignee_id: r
                .assignee_id
                .map(|a| UserId::parse(&a, "assignee_id"))
                .transpose()
                .map_err(corrupt)?,
            alert_count: r.alert_count,
            first_alert_at: r.first_alert_at,
            last_alert_at: r.last_alert_at,
            first_response_due_at: r.first_response_due_at,
            first_responded_at: r.first_responded_at,
            resolution_due_at: r.resolution_due_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            hold,
            sla_paused_seconds: r.sla_paused_seconds,
            sla_policy_id: r.sla_policy_id.map(SlaPolicyId::from_uuid),
            sla_calendar: r
                .sla_calendar
                .as_ref()
                .map(BusinessCalendar::parse)
                .transpose()
                .map_err(|e| DbError::Corrupt(format!("ticket {}: sla_calendar: {e}", r.id)))?
                .map(Arc::new),
            escalation: r
                .escalation
                .as_ref()
                .map(Escalation::parse)
                .transpose()
                .map_err(|e| DbError::Corrupt(format!("ticket {}: escalation: {e}", r.id)))?
                .map(Arc::new),
            auto_resolve: r
                .auto_resolve
                .as_ref()
                .map(AutoResolve::parse)
                .transpose()
                .map_err(|e| DbError::Corrupt(format!("ticket {}: auto_resolve: {e}", r.id)))?
                .map(Arc::new),
            reopen_count: r.reopen_count,
            resolved_by: r
                .resolved_by
                .map(|a| Actor::parse(&a, "resolved_by"))
                .transpose()
                .map_err(corrupt)?,
            flapping: r
                .flapping
                .as_ref()
                .map(Flapping::parse)
                .transpose()
                .map_err(corrupt)?,
            suppressed: match (
                r.suppression_window_id,
                r.suppressed_window_end,
                r.suppressed_until,
            ) {
                (Some(window), Some(window_end), Some(until)) => Some(Suppressed {
                    window_id: SuppressionWindowId::from_uuid(window),
                    window_end,
                    until,
                }),
                (None, None, None) => None,
                _ => {
                    return Err(DbError::Corrupt(format!(
                        "ticket {}: suppressed: some columns set, not all",
                        r.id
                    )));
                }
            },
            inhibited: match (r.inhibited_by, r.inhibited_on_end) {
                (Some(by), Some(on_end)) => Some(Inhibited {
                    by: TicketId::from_uuid(by),
                    on_end: OnEnd::parse(&on_end, "inhibited_on_end").map_err(corrupt)?,
                }),
                (None, None) => None,
                _ => {
                    return Err(DbError::Corrupt(format!(
                        "ticket {}: inhibited: one column set, not both",
                        r.id
                    )));
                }
            },
            first_response_warn_at: r.first_response_warn_at,
            resolution_warn_at: r.resolution_warn_at,
            first_response_warned_at: r.first_response_warned_at,
            resolution_warned_at: r.resolution_warned_at,
            first_response_breach_notified_at: r.first_response_breach_notified_at,
            resolution_breach_notified_at: r.resolution_breach_notified_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
        .map_err(corrupt)
    }
}

/// A new ticket; `number` comes from the sequence.
#[derive(Debug, Insertable)]
#[diesel(table_name = tickets)]
pub(crate) struct NewTicketRow<'a> {
    id: Uuid,
    org_id: Uuid,
    title: &'a str,
    description: Option<&'a str>,
    severity: &'static str,
    status: &'static str,
    camera_id: i64,
    provider_id: Uuid,
    alert_type: Option<&'a str>,
    alert_data: &'a serde_json::Value,
    dedup_key: &'a str,
    occurred_at: DateTime<Utc>,
    assignee_id: Option<&'a str>,
    alert_count: i32,
    first_alert_at: DateTime<Utc>,
    last_alert_at: DateTime<Utc>,
    first_response_due_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    resolution_due_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    first_response_warn_at: Option<DateTime<Utc>>,
    resolution_warn_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    sla_policy_id: Option<Uuid>,
    sla_calendar: Option<serde_json::Value>,
    escalation: Option<serde_json::Value>,
    auto_resolve: Option<serde_json::Value>,
    reopen_count: i32,
    suppression_window_id: Option<Uuid>,
    suppressed_window_end: Option<DateTime<Utc>>,
    suppressed_until: Option<DateTime<Utc>>,
    inhibited_by: Option<Uuid>,
    inhibited_on_end: Option<&'static str>,
}

impl<'a> From<&'a Ticket> for NewTicketRow<'a> {
    fn from(t: &'a Ticket) -> Self {
        Self {
            id: t.id().as_uuid(),
            org_id: t.org_id().as_uuid(),
            title: t.title().as_str(),
            description: t.description().map(Description::as_str),
            severity: t.severity().as_str(),
            status: t.status().as_str(),
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
            first_response_warn_at: t.first_response_warn_at(),
            resolution_warn_at: t.resolution_warn_at(),
            created_at: t.created_at(),
            updated_at: t.updated_at(),
            version: t.version(),
            sla_policy_id: t.sla_policy_id().map(SlaPolicyId::as_uuid),
            sla_calendar: t.sla_calendar().map(BusinessCalendar::to_json),
            escalation: t.escalation().map(Escalation::to_json),
            auto_resolve: t.auto_resolve().map(AutoResolve::to_json),
            reopen_count: t.reopen_count(),
            suppression_window_id: t.suppressed().map(|s| s.window_id.as_uuid()),
            suppressed_window_end: t.suppressed().map(|s| s.window_end),
            suppressed_until: t.suppressed().map(|s| s.until),
            inhibited_by: t.inhibited().map(|i| i.by.as_uuid()),
            inhibited_on_end: t.inhibited().map(|i| i.on_end.as_str()),
        }
    }
}

/// Everything a change may move on a stored ticket. `None` writes NULL. The notification
/// stamps (breach, warning) and the escalation chain's progress are not here: workers set
/// them without a change of version, and a concurrent change must not write them back (a
/// step would run twice).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub(crate) struct TicketChanges<'a> {
    severity: &'static str,
    status: &'static str,
    assignee_id: Option<&'a str>,
    alert_count: i32,
    first_alert_at: DateTime<Utc>,
    last_alert_at: DateTime<Utc>,
    first_response_due_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    resolution_due_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    held_since: Option<DateTime<Utc>>,
    hold_until: Option<DateTime<Utc>>,
    held_from: Option<&'static str>,
    hold_reason: Option<&'a str>,
    sla_paused_seconds: i64,
    first_response_warn_at: Option<DateTime<Utc>>,
    resolution_warn_at: Option<DateTime<Utc>>,
    reopen_count: i32,
    resolved_by: Option<String>,
    flapping: Option<serde_json::Value>,
    suppression_window_id: Option<Uuid>,
    suppressed_window_end: Option<DateTime<Utc>>,
    suppressed_until: Option<DateTime<Utc>>,
    inhibited_by: Option<Uuid>,
    inhibited_on_end: Option<&'static str>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl<'a> From<&'a Ticket> for TicketChanges<'a> {
    fn from(t: &'a Ticket) -> Self {
        Self {
            severity: t.severity().as_str(),
            status: t.status().as_str(),
            assignee_id: t.assignee_id().map(UserId::as_str),
            alert_count: t.alert_count(),
            first_alert_at: t.first_alert_at(),
            last_alert_at: t.last_alert_at(),
            first_response_due_at: t.first_response_due_at(),
            first_responded_at: t.first_responded_at(),
            resolution_due_at: t.resolution_due_at(),
            resolved_at: t.resolved_at(),
            closed_at: t.closed_at(),
            held_since: t.hold().map(|h| h.since),
            hold_until: t.hold().and_then(|h| h.until),
            held_from: t.hold().map(|h| h.from.as_str()),
            hold_reason: t.hold().map(|h| h.reason.as_str()),
            sla_paused_seconds: t.sla_paused_seconds(),
            first_response_warn_at: t.first_response_warn_at(),
            resolution_warn_at: t.resolution_warn_at(),
            reopen_count: t.reopen_count(),
            resolved_by: t.resolved_by().map(ToString::to_string),
            flapping: t.flapping().map(Flapping::to_json),
            suppression_window_id: t.suppressed().map(|s| s.window_id.as_uuid()),
            suppressed_window_end: t.suppressed().map(|s| s.window_end),
            suppressed_until: t.suppressed().map(|s| s.until),
            inhibited_by: t.inhibited().map(|i| i.by.as_uuid()),
            inhibited_on_end: t.inhibited().map(|i| i.on_end.as_str()),
            updated_at: t.updated_at(),
            version: t.version(),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ticket_alerts)]
pub(crate) struct NewAlertRow<'a> {
    org_id: Uuid,
    ticket_id: Uuid,
    provider_id: Uuid,
    external_id: Option<&'a str>,
    title: &'a str,
    severity: &'static str,
    alert_type: Option<&'a str>,
    payload: &'a serde_json::Value,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

impl<'a> NewAlertRow<'a> {
    /// The alert row, filed under `ticket_id` (the draft's own id, or the merge target's).
    pub(crate) fn new(org: OrgId, a: &'a AlertRecord, ticket_id: TicketId) -> Self {
        Self {
            org_id: org.as_uuid(),
            ticket_id: ticket_id.as_uuid(),
            provider_id: a.provider_id.as_uuid(),
            external_id: a.external_id.as_ref().map(|e| e.as_str()),
            title: a.title.as_str(),
            severity: a.severity.as_str(),
            alert_type: a.alert_type.as_ref().map(AlertType::as_str),
            payload: a.payload.as_json(),
            occurred_at: a.occurred_at,
            received_at: a.received_at,
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_comments, check_for_backend(diesel::pg::Pg))]
pub(crate) struct CommentRow {
    id: Uuid,
    org_id: Uuid,
    ticket_id: Uuid,
    author_id: String,
    body: String,
    visibility: String,
    created_at: DateTime<Utc>,
}

impl CommentRow {
    /// The row of `c`, a comment of organization `org`.
    pub(crate) fn new(org: OrgId, c: &Comment) -> Self {
        Self {
            id: c.id.as_uuid(),
            org_id: org.as_uuid(),
            ticket_id: c.ticket_id.as_uuid(),
            author_id: c.author_id.to_string(),
            body: c.body.as_str().to_owned(),
            visibility: c.visibility.as_str().to_owned(),
            created_at: c.created_at,
        }
    }
}

impl TryFrom<CommentRow> for Comment {
    type Error = DbError;

    fn try_from(r: CommentRow) -> Result<Self, DbError> {
        Ok(Comment {
            id: CommentId::from_uuid(r.id),
            ticket_id: TicketId::from_uuid(r.ticket_id),
            author_id: Actor::parse(&r.author_id, "author_id").map_err(corrupt)?,
            body: CommentBody::parse(&r.body, "body").map_err(corrupt)?,
            visibility: Visibility::parse(&r.visibility, "visibility").map_err(corrupt)?,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = ticket_state_history, check_for_backend(diesel::pg::Pg))]
pub(crate) struct HistoryRow {
    ticket_id: Uuid,
    from_status: Option<String>,
    to_status: String,
    actor: Option<String>,
    reason: Option<String>,
    changed_at: DateTime<Utc>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = DbError;

    fn try_from(r: HistoryRow) -> Result<Self, DbError> {
        Ok(HistoryEntry {
            ticket_id: TicketId::from_uuid(r.ticket_id),
            from_status: r
                .from_status
                .map(|s| Status::parse(&s, "from_status"))
                .transpose()
                .map_err(corrupt)?,
            to_status: Status::parse(&r.to_status, "to_status").map_err(corrupt)?,
            actor: r
                .actor
                .map(|a| Actor::parse(&a, "actor"))
                .transpose()
                .map_err(corrupt)?,
            reason: r
                .reason
                .map(|a| Reason::parse(&a, "reason"))
                .transpose()
                .map_err(corrupt)?,
            changed_at: r.changed_at,
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ticket_state_history)]
pub(crate) struct NewHistoryRow<'a> {
    org_id: Uuid,
    ticket_id: Uuid,
    from_status: Option<&'static str>,
    to_status: &'static str,
    actor: Option<String>,
    reason: Option<&'a str>,
    changed_at: DateTime<Utc>,
}

impl<'a> NewHistoryRow<'a> {
    /// The row of `h`, a change of a ticket of organization `org`.
    pub(crate) fn new(org: OrgId, h: &'a HistoryEntry) -> Self {
        Self {
            org_id: org.as_uuid(),
            ticket_id: h.ticket_id.as_uuid(),
            from_status: h.from_status.map(Status::as_str),
            to_status: h.to_status.as_str(),
            actor: h.actor.as_ref().map(ToString::to_string),
            reason: h.reason.as_ref().map(Reason::as_str),
            changed_at: h.changed_at,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = notification_logs)]
pub(crate) struct NewNotificationRow<'a> {
    pub(crate) org_id: Uuid,
    pub(crate) ticket_id: Uuid,
    pub(crate) event_type: &'static str,
    pub(crate) payload: &'a serde_json::Value,
    pub(crate) next_attempt_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
}

impl<'a> NewNotificationRow<'a> {
    /// The row of `e`, an event of a ticket of organization `org`.
    pub(crate) fn new(org: OrgId, e: &'a OutboxEvent) -> Self {
        Self {
            org_id: org.as_uuid(),
            ticket_id: e.ticket_id.as_uuid(),
            event_type: e.kind.as_str(),
            payload: &e.payload,
            next_attempt_at: e.at,
            created_at: e.at,
        }
    }
}

#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = notification_logs, check_for_backend(diesel::pg::Pg))]
pub(crate) struct NotificationRow {
    id: i64,
    ticket_id: Uuid,
    event_type: String,
    payload: serde_json::Value,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl NotificationRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

impl TryFrom<NotificationRow> for Notification {
    type Error = DbError;

    fn try_from(r: NotificationRow) -> Result<Self, DbError> {
        let event_type = EventType::parse(&r.event_type, "event_type").map_err(corrupt)?;
        Ok(Notification {
            id: r.id,
            ticket_id: TicketId::from_uuid(r.ticket_id),
            event_type,
            payload: r.payload,
            status: DeliveryStatus::parse(&r.status, "status").map_err(corrupt)?,
            attempts: r.attempts,
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = ticket_alerts, check_for_backend(diesel::pg::Pg))]
pub(crate) struct AlertRow {
    id: i64,
    ticket_id: Uuid,
    provider_id: Uuid,
    external_id: Option<String>,
    title: String,
    severity: String,
    alert_type: Option<String>,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

impl TryFrom<AlertRow> for StoredAlert {
    type Error = DbError;

    fn try_from(r: AlertRow) -> Result<Self, DbError> {
        Ok(StoredAlert {
            id: r.id,
            alert: AlertRecord {
                ticket_id: TicketId::from_uuid(r.ticket_id),
                provider_id: ProviderId::from_uuid(r.provider_id),
                external_id: r
                    .external_id
                    .map(|e| ExternalId::parse(&e, "external_id"))
                    .transpose()
                    .map_err(corrupt)?,
                title: Title::parse(&r.title, "title").map_err(corrupt)?,
                severity: Severity::parse(&r.severity, "severity").map_err(corrupt)?,
                alert_type: r
                    .alert_type
                    .map(|t| AlertType::parse(&t, "alert_type"))
                    .transpose()
                    .map_err(corrupt)?,
                payload: AlertData::parse(r.payload, "payload").map_err(corrupt)?,
                occurred_at: r.occurred_at,
                received_at: r.received_at,
            },
        })
    }
}

/// An alert a `drop` window took (`dropped_alerts`).
#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = dropped_alerts, check_for_backend(diesel::pg::Pg))]
pub(crate) struct DroppedAlertRow {
    id: i64,
    window_id: Uuid,
    provider_id: Uuid,
    external_id: Option<String>,
    camera_id: i64,
    title: String,
    severity: String,
    alert_type: Option<String>,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

impl TryFrom<DroppedAlertRow> for DroppedAlert {
    type Error = DbError;

    /// Read as a ticket's alert is (the same columns, checked the same way), without the
    /// ticket.
    fn try_from(r: DroppedAlertRow) -> Result<Self, DbError> {
        let stored = StoredAlert::try_from(AlertRow {
            id: r.id,
            ticket_id: Uuid::nil(),
            provider_id: r.provider_id,
            external_id: r.external_id,
            title: r.title,
            severity: r.severity,
            alert_type: r.alert_type,
            payload: r.payload,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
        })?;
        let mut dropped = DroppedAlert::new(
            SuppressionWindowId::from_uuid(r.window_id),
            CameraId::parse(r.camera_id, "camera_id").map_err(corrupt)?,
            &stored.alert,
        );
        dropped.id = stored.id;
        Ok(dropped)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = dropped_alerts)]
pub(crate) struct NewDroppedAlertRow<'a> {
    org_id: Uuid,
    window_id: Uuid,
    provider_id: Uuid,
    external_id: Option<&'a str>,
    camera_id: i64,
    title: &'a str,
    severity: &'static str,
    alert_type: Option<&'a str>,
    payload: &'a serde_json::Value,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

impl<'a> NewDroppedAlertRow<'a> {
    pub(crate) fn new(org: OrgId, a: &'a DroppedAlert) -> Self {
        Self {
            org_id: org.as_uuid(),
            window_id: a.window_id.as_uuid(),
            provider_id: a.provider_id.as_uuid(),
            external_id: a.external_id.as_ref().map(|e| e.as_str()),
            camera_id: a.camera_id.get(),
            title: a.title.as_str(),
            severity: a.severity.as_str(),
            alert_type: a.alert_type.as_ref().map(AlertType::as_str),
            payload: a.payload.as_json(),
            occurred_at: a.occurred_at,
            received_at: a.received_at,
        }
    }
}
