//! The ticket aggregate and the pure operations on it: creation from an alert, merging a
//! repeated alert, commenting. Status changes live in [`crate::lifecycle`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::actor::Actor;
use crate::assignment::AssignmentPlan;
use crate::auto_resolve::AutoResolve;
use crate::calendar::BusinessCalendar;
use crate::error::FieldError;
use crate::escalation::Escalation;
use crate::flapping::{FlapPolicy, Flapping};
use crate::inhibition::{InhibitPolicy, Inhibited};
use crate::model::{
    AlertData, AlertType, CameraId, CommentBody, CommentId, DedupKey, Description, ExternalId,
    OrgId, ProviderId, Reason, Severity, SlaPolicyId, Status, TicketId, TicketNumber, Title,
    UserId, Visibility,
};
use crate::policy::SlaRules;
use crate::sla::{SlaPolicy, SlaState, SlaStatus, SlaTarget, TargetView};
use crate::suppression::{Applied, DroppedAlert, Mode, Suppressed, collect_key};

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub(crate) id: TicketId,
    /// The organization the ticket belongs to.
    pub(crate) org_id: OrgId,
    /// Given by the store on insert; `None` only on a ticket not yet stored.
    pub(crate) number: Option<TicketNumber>,
    pub(crate) title: Title,
    pub(crate) description: Option<Description>,
    pub(crate) severity: Severity,
    pub(crate) status: Status,
    pub(crate) camera_id: CameraId,
    pub(crate) provider_id: ProviderId,
    pub(crate) alert_type: Option<AlertType>,
    pub(crate) alert_data: AlertData,
    pub(crate) dedup_key: DedupKey,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) assignee_id: Option<UserId>,
    pub(crate) alert_count: i32,
    pub(crate) first_alert_at: DateTime<Utc>,
    pub(crate) last_alert_at: DateTime<Utc>,
    pub(crate) first_response_due_at: DateTime<Utc>,
    pub(crate) first_responded_at: Option<DateTime<Utc>>,
    pub(crate) resolution_due_at: DateTime<Utc>,
    pub(crate) resolved_at: Option<DateTime<Utc>>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
    /// Set while the ticket is `on_hold`.
    pub(crate) hold: Option<Hold>,
    /// Time spent on hold while a target was pending: not counted against the SLA.
    pub(crate) sla_paused_seconds: i64,
    /// The organization's SLA policy the ticket was created under (`None`: the default).
    pub(crate) sla_policy_id: Option<SlaPolicyId>,
    /// That policy's business calendar, as it was then: holds are measured on it.
    pub(crate) sla_calendar: Option<Arc<BusinessCalendar>>,
    /// When each target's warning is due (its policy's share of the target elapsed);
    /// `None` on tickets older than warnings.
    pub(crate) first_response_warn_at: Option<DateTime<Utc>>,
    pub(crate) resolution_warn_at: Option<DateTime<Utc>>,
    /// When each target's warning went out, once.
    pub(crate) first_response_warned_at: Option<DateTime<Utc>>,
    pub(crate) resolution_warned_at: Option<DateTime<Utc>>,
    /// When each target's breach was recorded (its `sla_breached` went out), once.
    pub(crate) first_response_breach_notified_at: Option<DateTime<Utc>>,
    pub(crate) resolution_breach_notified_at: Option<DateTime<Utc>>,
    /// The escalation chain copied onto the ticket at creation or its last reopen, with
    /// how far it has run.
    pub(crate) escalation: Option<Arc<Escalation>>,
    /// The auto-resolve rule copied onto the ticket at creation.
    pub(crate) auto_resolve: Option<Arc<AutoResolve>>,
    /// How often it was reopened (by a user or by a flapping alert).
    pub(crate) reopen_count: i32,
    /// Who moved it to a resolution status, while it is in one; `None` on a ticket
    /// resolved before this was recorded.
    pub(crate) resolved_by: Option<Actor>,
    /// Set once it has been reopened by alerts often enough (see [`crate::flapping`]).
    pub(crate) flapping: Option<Flapping>,
    /// Set while a `suppress` window keeps it silent ([`crate::suppression`]).
    pub(crate) suppressed: Option<Suppressed>,
    /// Set while an active ticket of its camera keeps it silent ([`crate::inhibition`]).
    pub(crate) inhibited: Option<Inhibited>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// Increases on every change; the ETag.
    pub(crate) version: i64,
}

/// Every field of a stored ticket, for an adapter to rebuild a [`Ticket`] with
/// [`Ticket::restore`]; only the domain's rules change a ticket after that.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub id: TicketId,
    pub org_id: OrgId,
    pub number: Option<TicketNumber>,
    pub title: Title,
    pub description: Option<Description>,
    pub severity: Severity,
    pub status: Status,
    pub camera_id: CameraId,
    pub provider_id: ProviderId,
    pub alert_type: Option<AlertType>,
    pub alert_data: AlertData,
    pub dedup_key: DedupKey,
    pub occurred_at: DateTime<Utc>,
    pub assignee_id: Option<UserId>,
    pub alert_count: i32,
    pub first_alert_at: DateTime<Utc>,
    pub last_alert_at: DateTime<Utc>,
    pub first_response_due_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolution_due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub hold: Option<Hold>,
    pub sla_paused_seconds: i64,
    pub sla_policy_id: Option<SlaPolicyId>,
    pub sla_calendar: Option<Arc<BusinessCalendar>>,
    pub first_response_warn_at: Option<DateTime<Utc>>,
    pub resolution_warn_at: Option<DateTime<Utc>>,
    pub first_response_warned_at: Option<DateTime<Utc>>,
    pub resolution_warned_at: Option<DateTime<Utc>>,
    pub first_response_breach_notified_at: Option<DateTime<Utc>>,
    pub resolution_breach_notified_at: Option<DateTime<Utc>>,
    pub escalation: Option<Arc<Escalation>>,
    pub auto_resolve: Option<Arc<AutoResolve>>,
    pub reopen_count: i32,
    pub resolved_by: Option<Actor>,
    pub flapping: Option<Flapping>,
    pub suppressed: Option<Suppressed>,
    pub inhibited: Option<Inhibited>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Ticket {
    /// Every field, as a store keeps them.
    pub fn to_record(&self) -> TicketRecord {
        self.clone().into_record()
    }

    /// Every field, as a store keeps them, without copying.
    pub fn into_record(self) -> TicketRecord {
        let Ticket {
            id,
            org_id,
            number,
            title,
            description,
            severity,
            status,
            camera_id,
            provider_id,
            alert_type,
            alert_data,
            dedup_key,
            occurred_at,
            assignee_id,
            alert_count,
            first_alert_at,
            last_alert_at,
            first_response_due_at,
            first_responded_at,
            resolution_due_at,
            resolved_at,
            closed_at,
            hold,
            sla_paused_seconds,
            sla_policy_id,
            sla_calendar,
            first_response_warn_at,
            resolution_warn_at,
            first_response_warned_at,
            resolution_warned_at,
            first_response_breach_notified_at,
            resolution_breach_notified_at,
            escalation,
            auto_resolve,
            reopen_count,
            resolved_by,
            flapping,
            suppressed,
            inhibited,
            created_at,
            updated_at,
            version,
        } = self;
        TicketRecord {
            id,
            org_id,
            number,
            title,
            description,
            severity,
            status,
            camera_id,
            provider_id,
            alert_type,
            alert_data,
            dedup_key,
            occurred_at,
            assignee_id,
            alert_count,
            first_alert_at,
            last_alert_at,
            first_response_due_at,
            first_responded_at,
            resolution_due_at,
            resolved_at,
            closed_at,
            hold,
            sla_paused_seconds,
            sla_policy_id,
            sla_calendar,
            first_response_warn_at,
            resolution_warn_at,
            first_response_warned_at,
            resolution_warned_at,
            first_response_breach_notified_at,
            resolution_breach_notified_at,
            escalation,
            auto_resolve,
            reopen_count,
            resolved_by,
            flapping,
            suppressed,
            inhibited,
            created_at,
            updated_at,
            version,
        }
    }

    /// Rebuilds a stored ticket, refusing one that breaks the invariants every rule keeps
    /// (the store's CHECK constraints say the same), so a corrupt row is found on read.
    pub fn restore(record: TicketRecord) -> Result<Ticket, FieldError> {
        let TicketRecord {
            id,
            org_id,
            number,
            title,
            description,
            severity,
            status,
            camera_id,
            provider_id,
            alert_type,
            alert_data,
            dedup_key,
            occurred_at,
            assignee_id,
            alert_count,
            first_alert_at,
            last_alert_at,
            first_response_due_at,
            first_responded_at,
            resolution_due_at,
            resolved_at,
            closed_at,
            hold,
            sla_paused_seconds,
            sla_policy_id,
            sla_calendar,
            first_response_warn_at,
            resolution_warn_at,
            first_response_warned_at,
            resolution_warned_at,
            first_response_breach_notified_at,
            resolution_breach_notified_at,
            escalation,
            auto_resolve,
            reopen_count,
            resolved_by,
            flapping,
            suppressed,
            inhibited,
            created_at,
            updated_at,
            version,
        } = record;
        let broken = |field: &str, what: &str| Err(FieldError::new(field, what));
        if alert_count < 1 {
            return broken("alert_count", "must be at least 1");
        }
        if version < 1 {
            return broken("version", "must be at least 1");
        }
        if first_alert_at > last_alert_at {
            return broken("first_alert_at", "must not be after last_alert_at");
        }
        if status == Status::Assigned && assignee_id.is_none() {
            return broken("assignee_id", "an assigned ticket has an assignee");
        }
        if status.is_resolution() && resolved_at.is_none() {
            return broken(
                "resolved_at",
                "a resolved, closed or false positive ticket has it",
            );
        }
        if status == Status::Closed && closed_at.is_none() {
            return broken("closed_at", "a closed ticket has it");
        }
        match &hold {
            None if status == Status::OnHold => {
                return broken("hold", "a ticket on hold has its hold");
            }
            Some(_) if status != Status::OnHold => {
                return broken("hold", "only a ticket on hold has a hold");
            }
            Some(h) if !Status::HOLD_FROM.contains(&h.from) => {
                return broken("held_from", "a hold comes from assigned or in_progress");
            }
            _ => {}
        }
        if sla_paused_seconds < 0 {
            return broken("sla_paused_seconds", "must not be negative");
        }
        if reopen_count < 0 {
            return broken("reopen_count", "must not be negative");
        }
        if suppressed.is_some_and(|s| s.until > s.window_end) {
            return broken("suppressed_until", "must not be after the window's end");
        }
        if suppressed.is_some() && inhibited.is_some() {
            return broken(
                "inhibited_by",
                "a ticket is silenced by a window or a ticket",
            );
        }
        // Kept only while resolved: a store may hold a stale one on a reopened ticket (a
        // previous release reopened without clearing it).
        let resolved_by = resolved_by.filter(|_| status.is_resolution());
        Ok(Ticket {
            id,
            org_id,
            number,
            title,
            description,
            severity,
            status,
            camera_id,
            provider_id,
            alert_type,
            alert_data,
            dedup_key,
            occurred_at,
            assignee_id,
            alert_count,
            first_alert_at,
            last_alert_at,
            first_response_due_at,
            first_responded_at,
            resolution_due_at,
            resolved_at,
            closed_at,
            hold,
            sla_paused_seconds,
            sla_policy_id,
            sla_calendar,
            first_response_warn_at,
            resolution_warn_at,
            first_response_warned_at,
            resolution_warned_at,
            first_response_breach_notified_at,
            resolution_breach_notified_at,
            escalation,
            auto_resolve,
            reopen_count,
            resolved_by,
            flapping,
            suppressed,
            inhibited,
            created_at,
            updated_at,
            version,
        })
    }
}

/// A ticket waiting on someone outside (`on_hold`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// When the hold began: the SLA clocks stopped then.
    pub since: DateTime<Utc>,
    /// When the ticket goes back by itself, if set.
    pub until: Option<DateTime<Utc>>,
    /// The status it left (`assigned` or `in_progress`), to which `until` returns it.
    pub from: Status,
    pub reason: Reason,
}

/// An alert from a provider, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub title: Title,
    pub description: Option<Description>,
    pub severity: Severity,
    pub camera_id: CameraId,
    pub provider_id: ProviderId,
    pub alert_type: Option<AlertType>,
    pub alert_data: AlertData,
    /// When the provider saw it; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub external_id: Option<ExternalId>,
    pub dedup_key: Option<DedupKey>,
}

/// One alert as kept in a ticket's alert history.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub ticket_id: TicketId,
    pub provider_id: ProviderId,
    pub external_id: Option<ExternalId>,
    pub title: Title,
    pub severity: Severity,
    pub alert_type: Option<AlertType>,
    pub payload: AlertData,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// An alert as stored, with its position in the ticket's alert history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    pub id: i64,
    pub alert: AlertRecord,
}

/// What creating a ticket from an alert would write: the ticket, its first alert and its
/// creation history row. The store decides, atomically, whether it is written, merged into
/// an active ticket with the same key, or answered by the ticket of an earlier replay.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDraft {
    pub ticket: Ticket,
    pub alert: AlertRecord,
    /// The assignment rule that takes the new ticket, for the store to apply in the
    /// creation's transaction (see [`crate::assignment`]).
    pub assignment: Option<AssignmentPlan>,
    /// How the organization treats an alert for a ticket resolved automatically a moment
    /// ago ([`crate::flapping`]).
    pub flap: FlapPolicy,
    /// The suppression window that takes the alert, if one does.
    pub window: Option<Applied>,
    /// Whether the organization has had a `drop` window: a replay may name a dropped
    /// alert.
    pub drops_seen: bool,
    /// How the organization silences a camera's alerts while it is offline or tampered
    /// with.
    pub inhibit: InhibitPolicy,
}

impl TicketDraft {
    /// The ticket `alert` would open in organization `org` at `now`, with the default
    /// targets of `policy`.
    pub fn new(org: OrgId, alert: NewAlert, policy: &SlaPolicy, now: DateTime<Utc>) -> Self {
        Self::under(org, alert, policy, &SlaRules::default(), now)
    }

    /// The ticket `alert` would open in organization `org` at `now`: due and warning times
    /// from the first of the organization's `rules` that takes it (see
    /// [`SlaRules::select`]), counted on that policy's calendar, else from `default`.
    ///
    /// The first suppression window whose occurrence is running and whose filter selects
    /// the alert takes it ([`crate::suppression::Windows::applied`]): under `collect` the
    /// ticket's key is the occurrence's ([`collect_key`]); under `suppress` it is silent
    /// until the occurrence ends, and its clocks and escalation chain start then, with no
    /// assignment now; under `drop` the store keeps the alert without a ticket.
    pub fn under(
        org: OrgId,
        alert: NewAlert,
        default: &SlaPolicy,
        rules: &SlaRules,
        now: DateTime<Utc>,
    ) -> Self {
        let mut draft = Self::with_default(org, alert, default, now);
        draft.window = rules.windows().applied(&draft.ticket, now);
        draft.drops_seen = rules.windows().drops_seen();
        let start = match draft.window {
            Some(w) if w.mode == Mode::Suppress => {
                draft.ticket.suppressed = Some(Suppressed {
                    window_id: w.window_id,
                    window_end: w.ends_at,
                    until: w.ends_at,
                });
                let ticket = &mut draft.ticket;
                let due = default.due_times(ticket.severity, w.ends_at);
                ticket.first_response_due_at = due.first_response;
                ticket.resolution_due_at = due.resolution;
                ticket.first_response_warn_at = Some(due.first_response_warn);
                ticket.resolution_warn_at = Some(due.resolution_warn);
                w.ends_at
            }
            Some(w) if w.mode == Mode::Collect => {
                draft.ticket.dedup_key = collect_key(&w);
                now
            }
            _ => now,
        };
        if let Some((policy, targets)) = rules.select(&draft.ticket) {
            let ticket = &mut draft.ticket;
            let due = crate::policy::due_times(
                targets,
                policy.warn_percent.unwrap_or(default.warn_percent()),
                policy.calendar.as_deref(),
                start,
            );
            ticket.first_response_due_at = due.first_response;
            ticket.resolution_due_at = due.resolution;
            ticket.first_response_warn_at = Some(due.first_response_warn);
            ticket.resolution_warn_at = Some(due.resolution_warn);
            ticket.sla_policy_id = Some(policy.id);
            ticket.sla_calendar = policy.calendar.as_ref().map(|c| c.kept_from(now));
        }
        draft.ticket.escalation = rules
            .escalations()
            .chain_for(&draft.ticket, start)
            .map(Arc::new);
        if !draft.ticket.is_silent() {
            draft.assignment = rules.assignments().plan_for(&draft.ticket);
        }
        draft.ticket.auto_resolve = rules.auto_resolves().plan_for(&draft.ticket).map(Arc::new);
        draft.flap = *rules.flapping();
        draft.inhibit = rules.inhibition().clone();
        draft
    }

    fn with_default(org: OrgId, alert: NewAlert, policy: &SlaPolicy, now: DateTime<Utc>) -> Self {
        let id = TicketId::new_at(now);
        let occurred_at = alert.occurred_at.unwrap_or(now);
        let dedup_key = alert.dedup_key.clone().unwrap_or_else(|| {
            DedupKey::derive(
                alert.provider_id,
                alert.camera_id,
                alert.alert_type.as_ref(),
                &alert.title,
            )
        });
        let due = policy.due_times(alert.severity, now);
        let record = AlertRecord {
            ticket_id: id,
            provider_id: alert.provider_id,
            external_id: alert.external_id,
            title: alert.title.clone(),
            severity: alert.severity,
            alert_type: alert.alert_type.clone(),
            payload: alert.alert_data.clone(),
            occurred_at,
            received_at: now,
        };
        let ticket = Ticket {
            id,
            org_id: org,
            number: None,
            title: alert.title,
            description: alert.description,
            severity: alert.severity,
            status: Status::Open,
            camera_id: alert.camera_id,
            provider_id: alert.provider_id,
            alert_type: alert.alert_type,
            alert_data: alert.alert_data,
            dedup_key,
            occurred_at,
            assignee_id: None,
            alert_count: 1,
            first_alert_at: occurred_at,
            last_alert_at: occurred_at,
            first_response_due_at: due.first_response,
            first_responded_at: None,
            resolution_due_at: due.resolution,
            resolved_at: None,
            closed_at: None,
            hold: None,
            sla_paused_seconds: 0,
            sla_policy_id: None,
            sla_calendar: None,
            first_response_warn_at: Some(due.first_response_warn),
            resolution_warn_at: Some(due.resolution_warn),
            first_response_warned_at: None,
            resolution_warned_at: None,
            first_response_breach_notified_at: None,
            resolution_breach_notified_at: None,
            escalation: None,
            auto_resolve: None,
            reopen_count: 0,
            resolved_by: None,
            flapping: None,
            suppressed: None,
            inhibited: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Self {
            ticket,
            alert: record,
            assignment: None,
            flap: FlapPolicy::default(),
            window: None,
            drops_seen: false,
            inhibit: InhibitPolicy::default(),
        }
    }

    /// The history row that records the creation.
    pub fn history(&self) -> HistoryEntry {
        HistoryEntry {
            ticket_id: self.ticket.id,
            from_status: None,
            to_status: Status::Open,
            actor: None,
            reason: None,
            changed_at: self.ticket.created_at,
        }
    }
}

/// Read access. Fields are private so that only the domain's rules change a ticket; an
/// adapter rebuilds a stored one with [`Ticket::restore`].
impl Ticket {
    pub fn id(&self) -> TicketId {
        self.id
    }
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
    /// Given by the store on insert; `None` only on a ticket not yet stored.
    pub fn number(&self) -> Option<TicketNumber> {
        self.number
    }
    pub fn title(&self) -> &Title {
        &self.title
    }
    pub fn description(&self) -> Option<&Description> {
        self.description.as_ref()
    }
    pub fn severity(&self) -> Severity {
        self.severity
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn camera_id(&self) -> CameraId {
        self.camera_id
    }
    pub fn provider_id(&self) -> ProviderId {
        self.provider_id
    }
    pub fn alert_type(&self) -> Option<&AlertType> {
        self.alert_type.as_ref()
    }
    pub fn alert_data(&self) -> &AlertData {
        &self.alert_data
    }
    pub fn dedup_key(&self) -> &DedupKey {
        &self.dedup_key
    }
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    pub fn assignee_id(&self) -> Option<&UserId> {
        self.assignee_id.as_ref()
    }
    pub fn alert_count(&self) -> i32 {
        self.alert_count
    }
    pub fn first_alert_at(&self) -> DateTime<Utc> {
        self.first_alert_at
    }
    pub fn last_alert_at(&self) -> DateTime<Utc> {
        self.last_alert_at
    }
    pub fn first_response_due_at(&self) -> DateTime<Utc> {
        self.first_response_due_at
    }
    pub fn first_responded_at(&self) -> Option<DateTime<Utc>> {
        self.first_responded_at
    }
    pub fn resolution_due_at(&self) -> DateTime<Utc> {
        self.resolution_due_at
    }
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.resolved_at
    }
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.closed_at
    }
    /// Why, since when and until when the ticket waits; set only while `on_hold`.
    pub fn hold(&self) -> Option<&Hold> {
        self.hold.as_ref()
    }
    /// Time held while a target was pending, not counted against the SLA.
    pub fn sla_paused_seconds(&self) -> i64 {
        self.sla_paused_seconds
    }
    /// The SLA policy the ticket was created under; `None`: the service's default targets.
    pub fn sla_policy_id(&self) -> Option<SlaPolicyId> {
        self.sla_policy_id
    }
    /// The business calendar its SLA counts on; `None`: around the clock.
    pub fn sla_calendar(&self) -> Option<&BusinessCalendar> {
        self.sla_calendar.as_deref()
    }
    pub fn first_response_warn_at(&self) -> Option<DateTime<Utc>> {
        self.first_response_warn_at
    }
    pub fn resolution_warn_at(&self) -> Option<DateTime<Utc>> {
        self.resolution_warn_at
    }
    pub fn first_response_warned_at(&self) -> Option<DateTime<Utc>> {
        self.first_response_warned_at
    }
    pub fn resolution_warned_at(&self) -> Option<DateTime<Utc>> {
        self.resolution_warned_at
    }
    pub fn first_response_breach_notified_at(&self) -> Option<DateTime<Utc>> {
        self.first_response_breach_notified_at
    }
    pub fn resolution_breach_notified_at(&self) -> Option<DateTime<Utc>> {
        self.resolution_breach_notified_at
    }
    /// The escalation chain the ticket runs, if a policy took it.
    pub fn escalation(&self) -> Option<&Escalation> {
        self.escalation.as_deref()
    }
    /// The auto-resolve rule the ticket runs under, if one took it.
    pub fn auto_resolve(&self) -> Option<&AutoResolve> {
        self.auto_resolve.as_deref()
    }
    pub fn reopen_count(&self) -> i32 {
        self.reopen_count
    }
    /// Who resolved it, while it is resolved (see the field).
    pub fn resolved_by(&self) -> Option<&Actor> {
        self.resolved_by.as_ref()
    }
    /// Whether a rule, not a user, resolved it; `None` while it is not resolved.
    pub fn resolved_automatically(&self) -> Option<bool> {
        self.resolved_at
            .map(|_| matches!(self.resolved_by, Some(Actor::System(_))))
    }
    pub fn flapping(&self) -> Option<&Flapping> {
        self.flapping.as_ref()
    }
    pub fn suppressed(&self) -> Option<&Suppressed> {
        self.suppressed.as_ref()
    }
    pub fn inhibited(&self) -> Option<&Inhibited> {
        self.inhibited.as_ref()
    }
    /// Whether a `suppress` window or an inhibiting ticket keeps it silent: nothing it
    /// does makes an event until it is released.
    pub fn is_silent(&self) -> bool {
        self.suppressed.is_some() || self.inhibited.is_some()
    }

    /// Whether an automatic event of this ticket at `now` must stay unsent: it is silent,
    /// or flapping and one went out less than its interval ago.
    pub fn automatic_events_muted(&self, now: DateTime<Utc>) -> bool {
        self.is_silent() || self.flapping.is_some_and(|f| f.mutes(now))
    }

    /// Records that an automatic event of this ticket went out at `now` (for a flapping
    /// ticket's interval; nothing otherwise).
    pub(crate) fn automatic_events_sent(&mut self, now: DateTime<Utc>) {
        if let Some(f) = &mut self.flapping {
            f.notified_at = Some(now);
        }
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    /// Increases on every change; the ETag.
    pub fn version(&self) -> i64 {
        self.version
    }
}

impl Ticket {
    /// Folds a repeated alert into this (active) ticket: one more alert, a later
    /// `last_alert_at`, and a severity that can only go up. Due times stay where they are.
    pub fn merge_alert(&self, alert: &AlertRecord, now: DateTime<Utc>) -> Ticket {
        let mut merged = self.clone();
        merged.absorb(alert);
        merged.touch(now);
        merged
    }

    /// What a merged alert changes: the count, the alert times (never back), the severity
    /// (never lower). Not a change of its own: the caller's change carries it.
    pub(crate) fn absorb(&mut self, alert: &AlertRecord) {
        self.alert_count = self.alert_count.saturating_add(1);
        self.first_alert_at = self.first_alert_at.min(alert.occurred_at);
        self.last_alert_at = self.last_alert_at.max(alert.occurred_at);
        self.severity = self.severity.max(alert.severity);
    }

    /// Records a comment by `author`: a user comment is a first response.
    pub fn add_comment(
        &self,
        author: UserId,
        body: CommentBody,
        visibility: Visibility,
        now: DateTime<Utc>,
    ) -> (Ticket, Comment) {
        let mut updated = self.clone();
        // The earliest comment is the first response, even when comments are recorded out of
        // order (concurrent writers): the rule commutes, so comments never conflict.
        updated.first_responded_at = Some(self.first_responded_at.map_or(now, |t| t.min(now)));
        updated.touch(now);
        let comment = Comment {
            id: CommentId::new_at(now),
            ticket_id: self.id,
            author_id: Actor::User(author),
            body,
            visibility,
            created_at: now,
        };
        (updated, comment)
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now.max(self.updated_at);
        self.version += 1;
    }

    /// What the SLA clocks read at `now`: `now`, or while on hold the moment the hold
    /// began (time held does not count).
    pub fn sla_clock(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.hold.as_ref().map_or(now, |h| h.since.min(now))
    }

    /// Where one SLA target stands at `now`.
    pub fn sla_state(&self, target: SlaTarget, now: DateTime<Utc>) -> SlaState {
        SlaState::evaluate(target.due(self), target.event(self), self.sla_clock(now))
    }

    /// Both SLA targets as they stand at `now`.
    pub fn sla_status(&self, now: DateTime<Utc>) -> SlaStatus {
        SlaStatus {
            first_response: self.sla_state(SlaTarget::FirstResponse, now),
            resolution: self.sla_state(SlaTarget::Resolution, now),
        }
    }
}

/// A ticket together with its SLA evaluated at one moment: what readers are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketView {
    pub ticket: Ticket,
    pub sla: SlaStatus,
    pub first_response: TargetView,
    pub resolution: TargetView,
}

impl TicketView {
    pub fn at(ticket: Ticket, now: DateTime<Utc>) -> Self {
        let sla = ticket.sla_status(now);
        let first_response = TargetView::of(&ticket, SlaTarget::FirstResponse, now);
        let resolution = TargetView::of(&ticket, SlaTarget::Resolution, now);
        Self {
            ticket,
            sla,
            first_response,
            resolution,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: CommentId,
    pub ticket_id: TicketId,
    /// A user, or the system actor of a rule (an escalation step's comment).
    pub author_id: Actor,
    pub body: CommentBody,
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
}

/// One accepted status change (or the creation, with no `from_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub ticket_id: TicketId,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// Who made the change; `None` for the creation, which a provider's alert makes.
    pub actor: Option<Actor>,
    pub reason: Option<Reason>,
    pub changed_at: DateTime<Utc>,
}

/// How an alert was taken in.
#[derive(Debug, Clone, PartialEq)]
pub enum Ingested {
    /// A new ticket was opened.
    Created(Ticket),
    /// The alert joined an active ticket with the same dedup key.
    Merged(Ticket),
    /// The same (`provider_id`, `external_id`) was sent before: its ticket, unchanged.
    Replayed(Ticket),
    /// The alert reopened the ticket an auto-resolve rule had just resolved (flapping).
    Reopened(Ticket),
    /// A `drop` window took the alert: kept with the window, no ticket.
    Dropped(DroppedAlert),
    /// The same (`provider_id`, `external_id`) was dropped before: that alert, unchanged.
    DropReplayed(DroppedAlert),
}

/// A ticket with its comments and history, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDetails {
    pub ticket: Ticket,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEntry>,
}
