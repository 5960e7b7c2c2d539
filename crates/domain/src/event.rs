//! Ticket events: what goes into the notification outbox with each change, and the JSON a
//! receiver gets. Built here, once, so every adapter writes the same documents.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::model::{TicketId, name_enum};
use crate::sla::SlaTarget;
use crate::ticket::{AlertRecord, Comment, HistoryEntry, Ticket};

name_enum!(
    /// The kinds of ticket event written to the notification outbox.
    EventType {
        TicketCreated = "ticket_created",
        StatusChanged = "status_changed",
        CommentAdded = "comment_added",
        AlertMerged = "alert_merged",
        SlaBreached = "sla_breached",
        SlaWarning = "sla_warning",
        TicketEscalated = "ticket_escalated",
        AssignmentFailed = "assignment_failed",
    }
);

/// One event to write to the outbox in the transaction of its change.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub ticket_id: TicketId,
    pub kind: EventType,
    /// The document delivered: the ticket's summary plus the event's own `data`.
    pub payload: Value,
    /// When it happened; also when it is first due for delivery.
    pub at: DateTime<Utc>,
}

impl OutboxEvent {
    /// The common envelope: what a receiver needs to act without calling back. `number`
    /// is null on a ticket not yet stored; the store fills it in the same transaction.
    fn new(kind: EventType, ticket: &Ticket, at: DateTime<Utc>, data: Value) -> Self {
        let payload = json!({
            "event_type": kind.as_str(),
            "ticket_id": ticket.id(),
            "org_id": ticket.org_id(),
            "number": ticket.number().map(|n| n.to_string()),
            "status": ticket.status().as_str(),
            "severity": ticket.severity().as_str(),
            "camera_id": ticket.camera_id().get(),
            "provider_id": ticket.provider_id(),
            "assignee_id": ticket.assignee_id().map(|a| a.as_str()),
            "version": ticket.version(),
            "at": at,
            "data": data,
        });
        Self {
            ticket_id: ticket.id(),
            kind,
            payload,
            at,
        }
    }

    /// A new ticket, as created.
    pub fn ticket_created(ticket: &Ticket) -> Self {
        let data = json!({ "title": ticket.title().as_str() });
        Self::new(EventType::TicketCreated, ticket, ticket.updated_at(), data)
    }

    /// `alert` was merged into `ticket` (as it is after the merge).
    pub fn alert_merged(ticket: &Ticket, alert: &AlertRecord) -> Self {
        let data = json!({
            "alert_count": ticket.alert_count(),
            "alert_severity": alert.severity.as_str(),
            "external_id": alert.external_id.as_ref().map(|e| e.as_str()),
        });
        Self::new(EventType::AlertMerged, ticket, ticket.updated_at(), data)
    }

    /// `ticket` (as it is after the change) went through `entry`.
    pub fn status_changed(ticket: &Ticket, entry: &HistoryEntry) -> Self {
        let data = json!({
            "from_status": entry.from_status.map(|s| s.as_str()),
            "to_status": entry.to_status.as_str(),
            "actor": entry.actor.as_ref().map(ToString::to_string),
            "reason": entry.reason.as_ref().map(|r| r.as_str()),
        });
        Self::new(EventType::StatusChanged, ticket, ticket.updated_at(), data)
    }

    /// `comment` was added to `ticket` (as it is after the comment).
    pub fn comment_added(ticket: &Ticket, comment: &Comment) -> Self {
        let data = json!({
            "comment_id": comment.id,
            "author_id": comment.author_id.to_string(),
            "visibility": comment.visibility.as_str(),
        });
        Self::new(EventType::CommentAdded, ticket, ticket.updated_at(), data)
    }

    /// An escalation step ran on `ticket` (as it is after the step) at `now`; `data` names
    /// the step, its targets and what its actions did.
    pub fn ticket_escalated(ticket: &Ticket, now: DateTime<Utc>, data: Value) -> Self {
        Self::new(EventType::TicketEscalated, ticket, now, data)
    }

    /// A new ticket's assignment rule found nobody eligible; `data` names the rule and why.
    pub fn assignment_failed(ticket: &Ticket, now: DateTime<Utc>, data: Value) -> Self {
        Self::new(EventType::AssignmentFailed, ticket, now, data)
    }

    /// The warning share of `target` of `ticket` has elapsed, as recorded at `now`.
    pub fn sla_warning(ticket: &Ticket, target: SlaTarget, now: DateTime<Utc>) -> Self {
        let data = json!({
            "target": target.as_str(),
            "due_at": target.due(ticket),
            "warn_at": target.warn_at(ticket),
        });
        Self::new(EventType::SlaWarning, ticket, now, data)
    }

    /// `target` of `ticket` is breached, as recorded at `now`; `None` when it is not
    /// breached at `now` (see [`crate::SlaState::evaluate`]).
    pub fn sla_breached(ticket: &Ticket, target: SlaTarget, now: DateTime<Utc>) -> Option<Self> {
        if !ticket.sla_state(target, now).is_breached() {
            return None;
        }
        let data = json!({
            "target": target.as_str(),
            "due_at": target.due(ticket),
            "event_at": target.event(ticket),
        });
        Some(Self::new(EventType::SlaBreached, ticket, now, data))
    }
}
