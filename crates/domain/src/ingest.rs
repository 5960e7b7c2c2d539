//! The ingest decision: what one alert from a provider does, given what the store found for
//! it. The store looks up (atomically, under its own locks) the ticket of an earlier alert
//! with the same (`provider_id`, `external_id`) and the active ticket with the same
//! (`provider_id`, `dedup_key`); [`decide`] says what to write.

use chrono::{DateTime, TimeDelta, Utc};

use crate::auto_resolve::{AutoResolved, Cause, auto_resolve};
use crate::event::OutboxEvent;
use crate::flapping::{Reopened, flap_reopen};
use crate::inhibition::Inhibited;
use crate::model::{AlertType, CameraId, DedupKey, ExternalId, ProviderId, Status};
use crate::suppression::{DroppedAlert, Mode};
use crate::ticket::{Ticket, TicketDraft};

/// What the store must find for a draft before [`decide`] can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLookup<'a> {
    pub provider_id: ProviderId,
    /// Look for an earlier alert with this id, when the provider sent one.
    pub external_id: Option<&'a ExternalId>,
    /// Look for it among the alerts `drop` windows took too: the organization has had a
    /// `drop` window.
    pub dropped_too: bool,
    pub dedup_key: &'a DedupKey,
    /// A ticket in one of these statuses takes the alert ([`Status::ACTIVE`]).
    pub active_statuses: &'static [Status],
    /// Without an active ticket, one resolved by an auto-resolve rule after this time is
    /// reopened ([`crate::flapping`]); `None`: never.
    pub reopen_resolved_after: Option<DateTime<Utc>>,
    /// Look for an active ticket of this camera of one of these alert types (compared
    /// without regard to ASCII case), which would silence a new ticket
    /// ([`crate::inhibition`]); `None`: the draft cannot be silenced so.
    pub inhibitors: Option<(CameraId, &'a [AlertType])>,
}

/// What the store found under the alert's (`provider_id`, `external_id`).
#[derive(Debug, Clone, PartialEq)]
// The ticket is the common case: boxing it would allocate on every alert.
#[allow(clippy::large_enum_variant)]
pub enum Earlier {
    /// The ticket an earlier alert went to.
    Ticket(Ticket),
    /// The earlier alert a `drop` window took.
    Dropped(DroppedAlert),
}

/// What to write for one alert.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestDecision {
    /// The same (`provider_id`, `external_id`) came before: answer with that alert's ticket
    /// as it is now, and write nothing.
    Replay(Ticket),
    /// The same (`provider_id`, `external_id`) was dropped before: answer with it, and
    /// write nothing.
    ReplayDropped(DroppedAlert),
    /// Fold the alert into the active ticket: store `ticket` (the merged state), the
    /// draft's alert under the ticket's id, and `event` (none while the ticket is silent).
    Merge {
        ticket: Ticket,
        event: Option<OutboxEvent>,
    },
    /// A `drop` window took the alert: store it with the window, and no ticket.
    Drop(DroppedAlert),
    /// Reopen the ticket an auto-resolve rule resolved a moment ago (flapping): store the
    /// reopened ticket, the draft's alert under its id, the history row and the events.
    Reopen(Box<Reopened>),
    /// Open the draft's ticket: store it, its first alert, its creation history row and
    /// `event` (none for a silent ticket: its release announces it).
    Create { event: Option<OutboxEvent> },
    /// Open this ticket, the draft's silenced by an active ticket of its camera
    /// ([`crate::inhibition`]): store it, its first alert and creation history row, with
    /// no event and no assignment.
    CreateInhibited(Box<Ticket>),
}

impl TicketDraft {
    /// What the store must look up for this draft.
    pub fn lookup(&self, now: DateTime<Utc>) -> IngestLookup<'_> {
        let window = self.flap.reopen_window;
        IngestLookup {
            provider_id: self.ticket.provider_id(),
            external_id: self.alert.external_id.as_ref(),
            dropped_too: self.drops_seen && self.alert.external_id.is_some(),
            dedup_key: self.ticket.dedup_key(),
            active_statuses: Status::ACTIVE,
            reopen_resolved_after: (window > TimeDelta::zero())
                .then(|| now.checked_sub_signed(window))
                .flatten(),
            inhibitors: (self.inhibit.may_silence(self.ticket.alert_type())
                && !self.ticket.is_silent()
                && self.window.is_none_or(|w| w.mode != Mode::Drop))
            .then(|| (self.ticket.camera_id(), &*self.inhibit.alert_types)),
        }
    }
}

/// Decides what `draft` does at `now`, given `earlier`, what an earlier alert with the
/// same (`provider_id`, `external_id`) became, and `candidate`, the ticket the store found
/// for the draft's (`provider_id`, `dedup_key`): the active one, else the one an
/// auto-resolve rule resolved most recently within the window ([`IngestLookup`]):
/// - a replay wins over everything (providers retry; a retry never changes anything);
/// - else an active ticket of the same incident takes the alert ([`Ticket::merge_alert`]);
///   a ticket active before a window started is left as it was, not silenced or dropped;
/// - else a `drop` window keeps the alert without a ticket;
/// - else, unless a `suppress` window makes the new ticket silent, a ticket of the incident
///   resolved automatically within the organization's reopen window is reopened with it
///   ([`flap_reopen`]);
/// - else the draft becomes a new ticket, announced unless it is silent.
///
/// A candidate of another incident, or neither active nor reopenable, is ignored, so a
/// store that over-fetches cannot merge into the wrong ticket.
pub fn decide(
    draft: &TicketDraft,
    earlier: Option<Earlier>,
    candidate: Option<Ticket>,
    now: DateTime<Utc>,
) -> IngestDecision {
    decide_among(draft, earlier, candidate, None, now)
}

/// [`decide`], given also `inhibitor`, an active ticket of the draft's camera of an
/// inhibiting alert type ([`IngestLookup::inhibitors`]): where a new ticket would be made
/// and announced, it is made silent instead, until that ticket ends.
pub fn decide_among(
    draft: &TicketDraft,
    earlier: Option<Earlier>,
    candidate: Option<Ticket>,
    inhibitor: Option<&Ticket>,
    now: DateTime<Utc>,
) -> IngestDecision {
    match earlier {
        Some(Earlier::Ticket(ticket)) => return IngestDecision::Replay(ticket),
        Some(Earlier::Dropped(alert)) => return IngestDecision::ReplayDropped(alert),
        None => {}
    }
    let same_incident = |t: &Ticket| {
        t.org_id() == draft.ticket.org_id()
            && t.provider_id() == draft.ticket.provider_id()
            && t.dedup_key() == draft.ticket.dedup_key()
    };
    let inhibitor = inhibitor.filter(|t| {
        t.org_id() == draft.ticket.org_id()
            && t.camera_id() == draft.ticket.camera_id()
            && t.status().is_active()
            && t.alert_type().is_some_and(|a| draft.inhibit.inhibits(a))
            && draft.inhibit.may_silence(draft.ticket.alert_type())
            && !draft.ticket.is_silent()
    });
    let create = || match inhibitor {
        Some(by) => {
            let mut ticket = draft.ticket.clone();
            ticket.inhibited = Some(Inhibited {
                by: by.id(),
                on_end: draft.inhibit.on_end,
            });
            IngestDecision::CreateInhibited(Box::new(ticket))
        }
        None => IngestDecision::Create {
            event: (!draft.ticket.is_silent()).then(|| OutboxEvent::ticket_created(&draft.ticket)),
        },
    };
    let candidate = candidate.filter(same_incident);
    if let Some(active) = candidate.as_ref().filter(|t| t.status().is_active()) {
        let ticket = active.merge_alert(&draft.alert, now);
        let event = (!ticket.is_silent()).then(|| OutboxEvent::alert_merged(&ticket, &draft.alert));
        return IngestDecision::Merge { ticket, event };
    }
    if let Some(window) = draft.window.filter(|w| w.mode == Mode::Drop) {
        return IngestDecision::Drop(DroppedAlert::new(
            window.window_id,
            draft.ticket.camera_id(),
            &draft.alert,
        ));
    }
    match candidate.filter(|_| !draft.ticket.is_silent() && inhibitor.is_none()) {
        Some(resolved) => match flap_reopen(&resolved, &draft.alert, &draft.flap, now) {
            Some(mut reopened) => {
                // A reopen starts the chain of the escalation policy that selects the
                // incident now: the draft's, made for the same incident at the same time.
                reopened.ticket.escalation = draft.ticket.escalation.clone();
                IngestDecision::Reopen(Box::new(reopened))
            }
            None => create(),
        },
        None => create(),
    }
}

/// A provider's end event (`"event_action": "resolve"`): the incident of an earlier alert
/// is over. It names the incident by the earlier alert's `external_id`, or by its dedup
/// key, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndEvent {
    pub provider_id: ProviderId,
    pub external_id: Option<ExternalId>,
    pub dedup_key: Option<DedupKey>,
}

/// What an end event did.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The ticket's auto-resolve rule moved it to its target status.
    Resolved(Ticket),
    /// An operator had worked on the ticket: the rule commented instead and declined.
    Declined(Ticket),
    /// The ticket's rule does not act on end events (or it has none, or it declined
    /// before): the ticket, unchanged.
    Ignored(Ticket),
    /// No active ticket for the event: nothing to do (a replayed end event lands here).
    NothingActive,
}

/// What to write for an end event.
#[derive(Debug, Clone, PartialEq)]
pub enum EndDecision {
    /// Store the rule's outcome; `before` is the ticket as read (under its row lock).
    Apply {
        before: Box<Ticket>,
        outcome: Box<AutoResolved>,
    },
    /// Write nothing and answer [`Ended::Ignored`] with the ticket.
    Ignore(Box<Ticket>),
    /// Write nothing and answer [`Ended::NothingActive`].
    NothingActive,
}

/// Decides what `event` does at `now`, given `by_external`, the ticket of an earlier alert
/// with the event's (`provider_id`, `external_id`), and `by_key`, the active ticket with
/// its (`provider_id`, `dedup_key`):
/// - an earlier alert named by `external_id` says which incident ended: its ticket if still
///   active, else nothing (a later ticket with the same key is another incident);
/// - else the active ticket of the key;
/// - that ticket's rule acts with [`Cause::EndEvent`] ([`auto_resolve`]), or ignores it.
///
/// A candidate of another provider, or (for `by_key`) of another key or not active, is
/// ignored, so a store that over-fetches cannot end the wrong ticket.
pub fn decide_end(
    event: &EndEvent,
    by_external: Option<Ticket>,
    by_key: Option<Ticket>,
    now: DateTime<Utc>,
) -> EndDecision {
    let provider = |t: &Ticket| t.provider_id() == event.provider_id;
    let target = match (&event.external_id, by_external.filter(provider)) {
        (Some(_), Some(earlier)) => Some(earlier),
        _ => by_key
            .filter(provider)
            .filter(|t| event.dedup_key.as_ref() == Some(t.dedup_key())),
    };
    let Some(ticket) = target.filter(|t| t.status().is_active()) else {
        return EndDecision::NothingActive;
    };
    match auto_resolve(&ticket, Cause::EndEvent, now) {
        Some(outcome) => EndDecision::Apply {
            before: Box::new(ticket),
            outcome: Box::new(outcome),
        },
        None => EndDecision::Ignore(Box::new(ticket)),
    }
}

impl EndDecision {
    /// The answer once the decision is stored.
    pub fn ended(self) -> Ended {
        match self {
            EndDecision::Apply { outcome, .. } => match *outcome {
                AutoResolved::Resolved { ticket, .. } => Ended::Resolved(ticket),
                AutoResolved::Declined { ticket, .. } => Ended::Declined(ticket),
            },
            EndDecision::Ignore(ticket) => Ended::Ignored(*ticket),
            EndDecision::NothingActive => Ended::NothingActive,
        }
    }
}
