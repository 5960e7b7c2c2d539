//! Durable timers: what a ticket waits for (the end of a hold, an SLA warning or breach,
//! the next escalation step), as due
//! times a store keeps, one per kind per ticket. A timer that fires re-decides from the
//! ticket as it then is, so a stale one (the hold ended by hand, the target met) does
//! nothing, and the store's row lock makes each fire once however many instances run.

use chrono::{DateTime, TimeDelta, Utc};

use crate::auto_resolve::{AutoResolved, Cause, auto_resolve, quiet_until};
use crate::escalation::{Escalated, escalate};
use crate::event::OutboxEvent;
use crate::lifecycle::release_hold;
use crate::model::name_enum;
use crate::sla::{SlaState, SlaTarget};
use crate::suppression::{Released, release};
use crate::ticket::{HistoryEntry, Ticket};

name_enum!(
    /// What a timer does when due: `hold_end` returns a held ticket to where it came
    /// from at `hold_until`; `sla_warning` warns that a pending target's share has elapsed;
    /// `sla_breach` records a target's breach once its due time has passed; `escalation`
    /// runs the chain's next step; `auto_resolve` ends the quiet period of the ticket's
    /// auto-resolve rule; `release` ends a suppressed ticket's silence when its window ends
    /// (a cancel of the window moves it to that moment).
    TimerKind {
        HoldEnd = "hold_end",
        SlaWarning = "sla_warning",
        Escalation = "escalation",
        SlaBreach = "sla_breach",
        AutoResolve = "auto_resolve",
        Release = "release",
    }
);

impl Ticket {
    /// When the timer of `kind` is due for this ticket as it is, if it needs one.
    pub fn timer(&self, kind: TimerKind) -> Option<DateTime<Utc>> {
        match kind {
            TimerKind::HoldEnd => self.hold.as_ref().and_then(|h| h.until),
            // A silent ticket warns, breaches and escalates only once released (a window's
            // due times come after its end anyway; an inhibited ticket's do not).
            TimerKind::SlaWarning | TimerKind::SlaBreach | TimerKind::Escalation
                if self.is_silent() =>
            {
                None
            }
            // Held, the clocks stand still: leaving the hold schedules the warning again.
            TimerKind::SlaWarning if self.hold.is_some() => None,
            TimerKind::SlaWarning => SlaTarget::ALL
                .iter()
                .filter(|t| t.event(self).is_none() && t.warned_at(self).is_none())
                .filter_map(|t| t.warn_at(self))
                .min(),
            // As the warning: a held ticket does not breach; leaving the hold reschedules.
            TimerKind::SlaBreach if self.hold.is_some() => None,
            // A target breaches strictly after its due time (`SlaState::evaluate`): the
            // timer is due one microsecond (the store's resolution) later, so it does not
            // fire at a moment when nothing has breached yet.
            TimerKind::SlaBreach => SlaTarget::ALL
                .iter()
                .filter(|t| t.event(self).is_none() && t.breach_notified_at(self).is_none())
                .map(|t| t.due(self) + TimeDelta::microseconds(1))
                .min(),
            // Resolving stops the chain.
            TimerKind::Escalation if !self.status.is_active() => None,
            TimerKind::Escalation => self.escalation.as_ref().and_then(|e| e.next_due()),
            // Due at the last alert plus the quiet period as it stands: a merged alert
            // moves the due time, and a timer that finds an alert came since moves on.
            TimerKind::AutoResolve => quiet_until(self),
            TimerKind::Release => self.suppressed.map(|s| s.until),
        }
    }

    /// Every timer this ticket needs, with its due time.
    pub fn timers(&self) -> Vec<(TimerKind, DateTime<Utc>)> {
        TimerKind::ALL
            .iter()
            .filter_map(|&kind| self.timer(kind).map(|at| (kind, at)))
            .collect()
    }
}

/// What a due timer does to its ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum Fired {
    /// The ticket changed status (a hold ended): store it like a user's change, with its
    /// history row and event.
    Transition {
        ticket: Ticket,
        history: HistoryEntry,
        event: OutboxEvent,
    },
    /// Warnings were recorded: the ticket's warning stamps and one event per target. Not a
    /// change of the ticket (its version stays), as breaches are not.
    Warned {
        ticket: Ticket,
        events: Vec<OutboxEvent>,
    },
    /// Escalation steps ran: the ticket as changed (its chain moved on), with the rows and
    /// events of what the steps did.
    Escalated(Escalated),
    /// Breaches were recorded: the ticket's breach stamps and one `sla_breached` event
    /// per target. Not a change of the ticket either.
    Breached {
        ticket: Ticket,
        events: Vec<OutboxEvent>,
    },
    /// The auto-resolve rule's quiet period ended: the ticket resolved, or left with a
    /// system comment.
    AutoResolved(AutoResolved),
    /// A suppressed ticket's silence ended: the ticket as if created then, and its
    /// `ticket_created` event if it is still active.
    Released(Released),
}

/// Fires the timer of `kind` on `ticket` at `now`; `None` when nothing is due any more.
pub fn fire(ticket: &Ticket, kind: TimerKind, now: DateTime<Utc>) -> Option<Fired> {
    match kind {
        // A silent ticket's clocks wait for its release (a row left from before it was
        // silenced does nothing; the release schedules them again).
        TimerKind::SlaWarning | TimerKind::SlaBreach | TimerKind::Escalation
            if ticket.is_silent() =>
        {
            None
        }
        TimerKind::HoldEnd => release_hold(ticket, now).map(|(ticket, history)| {
            let event = OutboxEvent::status_changed(&ticket, &history);
            Fired::Transition {
                ticket,
                history,
                event,
            }
        }),
        TimerKind::SlaWarning => warn(ticket, now),
        TimerKind::Escalation => escalate(ticket, now).map(Fired::Escalated),
        TimerKind::SlaBreach => breach(ticket, now),
        TimerKind::AutoResolve => auto_resolve(ticket, Cause::Quiet, now).map(Fired::AutoResolved),
        TimerKind::Release => release(ticket, now).map(Fired::Released),
    }
}

/// Stamps and announces every target breached at `now` and not yet recorded: pending past
/// its due time, or met late (a timer that fires late, after the event, still records
/// it). A held ticket's clock stands at the start of the hold, so only what breached
/// before the hold counts (`Ticket::sla_clock`).
pub fn breach(ticket: &Ticket, now: DateTime<Utc>) -> Option<Fired> {
    let mut next = ticket.clone();
    let mut events = Vec::new();
    for &target in SlaTarget::ALL {
        if target.breach_notified_at(ticket).is_some() {
            continue;
        }
        let Some(event) = OutboxEvent::sla_breached(ticket, target, now) else {
            continue;
        };
        match target {
            SlaTarget::FirstResponse => next.first_response_breach_notified_at = Some(now),
            SlaTarget::Resolution => next.resolution_breach_notified_at = Some(now),
        }
        events.push(event);
    }
    (!events.is_empty()).then_some(Fired::Breached {
        ticket: next,
        events,
    })
}

/// Stamps every pending target whose warning time has come. One already breached gets the
/// stamp (warning once, and never after the breach) but no event: its `sla_breached` says
/// more.
fn warn(ticket: &Ticket, now: DateTime<Utc>) -> Option<Fired> {
    if ticket.hold.is_some() {
        return None;
    }
    let mut next = ticket.clone();
    let mut events = Vec::new();
    for &target in SlaTarget::ALL {
        let due = target.event(ticket).is_none()
            && target.warned_at(ticket).is_none()
            && target.warn_at(ticket).is_some_and(|at| at <= now);
        if !due {
            continue;
        }
        match target {
            SlaTarget::FirstResponse => next.first_response_warned_at = Some(now),
            SlaTarget::Resolution => next.resolution_warned_at = Some(now),
        }
        if ticket.sla_state(target, now) == SlaState::Pending {
            events.push(OutboxEvent::sla_warning(&next, target, now));
        }
    }
    (next != *ticket).then_some(Fired::Warned {
        ticket: next,
        events,
    })
}
