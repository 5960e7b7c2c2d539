//! SLA rules: per-severity targets, due times fixed at creation, and breach evaluation as a
//! pure function of the ticket's recorded times and the current time.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::model::{Severity, name_enum};
use crate::ticket::Ticket;

name_enum!(
    /// One of a ticket's two SLA targets.
    SlaTarget {
        FirstResponse = "first_response",
        Resolution = "resolution",
    }
);

impl SlaTarget {
    /// When the target is due.
    pub fn due(self, ticket: &Ticket) -> DateTime<Utc> {
        match self {
            SlaTarget::FirstResponse => ticket.first_response_due_at(),
            SlaTarget::Resolution => ticket.resolution_due_at(),
        }
    }

    /// When the target's event came, if it did: the first response, or the resolution.
    pub fn event(self, ticket: &Ticket) -> Option<DateTime<Utc>> {
        match self {
            SlaTarget::FirstResponse => ticket.first_responded_at(),
            SlaTarget::Resolution => ticket.resolved_at(),
        }
    }

    /// When the target's warning is due (`None` on tickets older than warnings).
    pub fn warn_at(self, ticket: &Ticket) -> Option<DateTime<Utc>> {
        match self {
            SlaTarget::FirstResponse => ticket.first_response_warn_at(),
            SlaTarget::Resolution => ticket.resolution_warn_at(),
        }
    }

    /// When the target's warning went out, if it did.
    pub fn warned_at(self, ticket: &Ticket) -> Option<DateTime<Utc>> {
        match self {
            SlaTarget::FirstResponse => ticket.first_response_warned_at(),
            SlaTarget::Resolution => ticket.resolution_warned_at(),
        }
    }

    /// When the target's breach was recorded (its `sla_breached` went out), if it was.
    pub fn breach_notified_at(self, ticket: &Ticket) -> Option<DateTime<Utc>> {
        match self {
            SlaTarget::FirstResponse => ticket.first_response_breach_notified_at(),
            SlaTarget::Resolution => ticket.resolution_breach_notified_at(),
        }
    }
}

/// The two targets of one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    pub first_response: TimeDelta,
    pub resolution: TimeDelta,
}

/// Targets for every severity, and when to warn; read when a ticket is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    critical: SlaTargets,
    high: SlaTargets,
    medium: SlaTargets,
    low: SlaTargets,
    info: SlaTargets,
    warn_percent: u8,
}

/// The warning share of a target when none is configured.
pub const DEFAULT_WARN_PERCENT: u8 = 80;

/// A warning share: a whole 1..=99 percent (a warning at 0 or at the due time would say
/// nothing). The one rule for the environment's share and a policy's.
pub fn warn_percent(percent: i64, field: &str) -> Result<u8, crate::FieldError> {
    u8::try_from(percent)
        .ok()
        .filter(|p| (1..=99).contains(p))
        .ok_or_else(|| crate::FieldError::new(field, "must be a whole number from 1 to 99"))
}

impl Default for SlaPolicy {
    /// The table of `DESIGN.md`.
    fn default() -> Self {
        let t = |first_response: TimeDelta, resolution: TimeDelta| SlaTargets {
            first_response,
            resolution,
        };
        Self {
            critical: t(TimeDelta::minutes(5), TimeDelta::hours(1)),
            high: t(TimeDelta::minutes(15), TimeDelta::hours(4)),
            medium: t(TimeDelta::hours(1), TimeDelta::hours(24)),
            low: t(TimeDelta::hours(4), TimeDelta::hours(72)),
            info: t(TimeDelta::hours(24), TimeDelta::days(7)),
            warn_percent: DEFAULT_WARN_PERCENT,
        }
    }
}

impl SlaPolicy {
    pub fn targets(&self, severity: Severity) -> SlaTargets {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    pub fn targets_mut(&mut self, severity: Severity) -> &mut SlaTargets {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    /// The share of a target, in percent, after which its warning goes out.
    pub fn warn_percent(&self) -> u8 {
        self.warn_percent
    }

    /// Sets the warning share (see [`warn_percent`]).
    pub fn set_warn_percent(&mut self, percent: u8) -> Result<(), crate::FieldError> {
        self.warn_percent = warn_percent(i64::from(percent), "warn_percent")?;
        Ok(())
    }

    /// Due and warning times of a ticket of `severity` created at `created_at`. They move
    /// only by time spent on hold.
    pub fn due_times(&self, severity: Severity, created_at: DateTime<Utc>) -> DueTimes {
        crate::policy::due_times(self.targets(severity), self.warn_percent, None, created_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: DateTime<Utc>,
    pub resolution: DateTime<Utc>,
    pub first_response_warn: DateTime<Utc>,
    pub resolution_warn: DateTime<Utc>,
}

/// One target of one ticket as a reader sees it at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetView {
    pub target: SlaTarget,
    pub state: SlaState,
    pub due_at: DateTime<Utc>,
    /// Time counted against the target: from creation to its event (or now, or the start
    /// of the current hold), less the time held while it was pending.
    pub elapsed_seconds: i64,
    /// Until the due time on the target's clock; negative once past; `None` once met or
    /// breached by its event.
    pub remaining_seconds: Option<i64>,
    /// The ticket is on hold and the target pending: its clock stands still.
    pub paused: bool,
    /// Its `sla_warning` went out.
    pub warned: bool,
}

impl TargetView {
    pub fn of(ticket: &Ticket, target: SlaTarget, now: DateTime<Utc>) -> Self {
        let clock = ticket.sla_clock(now);
        let due_at = target.due(ticket);
        let event = target.event(ticket);
        let state = SlaState::evaluate(due_at, event, clock);
        let end = event.unwrap_or(clock);
        // Only the resolution can be pending through a hold (entering one is a first
        // response), so only its figure leaves time held out.
        let paused = match target {
            SlaTarget::FirstResponse => 0,
            SlaTarget::Resolution => ticket.sla_paused_seconds(),
        };
        let elapsed_seconds = ((end - ticket.created_at()).num_seconds() - paused).max(0);
        Self {
            target,
            state,
            due_at,
            elapsed_seconds,
            remaining_seconds: event.is_none().then(|| (due_at - clock).num_seconds()),
            paused: ticket.hold().is_some() && state == SlaState::Pending,
            // A late timer stamps a target already breached without sending anything: only
            // a stamp by the due time was a warning.
            warned: target.warned_at(ticket).is_some_and(|w| w <= due_at),
        }
    }
}

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// The event came on or before its due time.
    Met,
    /// The event came after its due time, or has not come and the due time has passed.
    Breached,
    /// The event has not come and the due time has not passed yet.
    Pending,
}

impl SlaState {
    /// Evaluates one target: `event` is when it was met (if it was), `now` the current time.
    pub fn evaluate(due: DateTime<Utc>, event: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match event {
            Some(at) if at <= due => SlaState::Met,
            Some(_) => SlaState::Breached,
            None if now > due => SlaState::Breached,
            None => SlaState::Pending,
        }
    }

    pub fn is_breached(self) -> bool {
        self == SlaState::Breached
    }
}

/// Both targets of a ticket at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaStatus {
    pub first_response: SlaState,
    pub resolution: SlaState,
}

impl SlaStatus {
    pub fn any_breached(self) -> bool {
        self.first_response.is_breached() || self.resolution.is_breached()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn default_targets_match_the_design_table() {
        let p = SlaPolicy::default();
        let expect = [
            (Severity::Critical, 5 * 60, 3600),
            (Severity::High, 15 * 60, 4 * 3600),
            (Severity::Medium, 3600, 24 * 3600),
            (Severity::Low, 4 * 3600, 72 * 3600),
            (Severity::Info, 24 * 3600, 7 * 24 * 3600),
        ];
        for (severity, first, resolution) in expect {
            let t = p.targets(severity);
            assert_eq!(t.first_response.num_seconds(), first, "{severity}");
            assert_eq!(t.resolution.num_seconds(), resolution, "{severity}");
        }
    }

    #[test]
    fn due_times_are_creation_plus_target() {
        let p = SlaPolicy::default();
        let due = p.due_times(Severity::Critical, at(0));
        assert_eq!(due.first_response, at(300));
        assert_eq!(due.resolution, at(3600));
    }

    #[test]
    fn targets_can_be_overridden_per_severity() {
        let mut p = SlaPolicy::default();
        p.targets_mut(Severity::Low).first_response = TimeDelta::seconds(90);
        assert_eq!(p.due_times(Severity::Low, at(0)).first_response, at(90));
        assert_eq!(p.due_times(Severity::High, at(0)).first_response, at(900));
    }

    #[test]
    fn event_on_the_due_time_meets_the_target() {
        assert_eq!(
            SlaState::evaluate(at(300), Some(at(300)), at(10_000)),
            SlaState::Met
        );
        assert_eq!(
            SlaState::evaluate(at(300), Some(at(0)), at(10_000)),
            SlaState::Met
        );
    }

    #[test]
    fn event_after_the_due_time_breaches_even_if_read_early() {
        assert_eq!(
            SlaState::evaluate(at(300), Some(at(301)), at(301)),
            SlaState::Breached
        );
    }

    #[test]
    fn no_event_is_pending_up_to_and_on_the_due_time() {
        assert_eq!(SlaState::evaluate(at(300), None, at(0)), SlaState::Pending);
        assert_eq!(
            SlaState::evaluate(at(300), None, at(300)),
            SlaState::Pending
        );
    }

    #[test]
    fn no_event_past_the_due_time_breaches_without_any_action() {
        assert_eq!(
            SlaState::evaluate(at(300), None, at(301)),
            SlaState::Breached
        );
    }

    #[test]
    fn any_breached_looks_at_both_targets() {
        let s = |first_response, resolution| SlaStatus {
            first_response,
            resolution,
        };
        assert!(!s(SlaState::Met, SlaState::Pending).any_breached());
        assert!(s(SlaState::Breached, SlaState::Met).any_breached());
        assert!(s(SlaState::Met, SlaState::Breached).any_breached());
    }
}
