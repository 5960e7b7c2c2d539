//! The ticket lifecycle: which status may follow which, and what a change does to the
//! ticket (assignee, first response, resolution). Mirrors the table of `DESIGN.md`.

use chrono::{DateTime, Utc};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::model::{Reason, Status, UserId};
use crate::sla::SlaTarget;
use crate::ticket::{HistoryEntry, Hold, Ticket};

impl Status {
    /// Statuses in which a ticket is still being worked and takes repeated alerts of its
    /// incident (deduplication). The store's partial unique index on the dedup key restates
    /// this list; `crates/persistence/tests/rules.rs` checks that they agree.
    pub const ACTIVE: &'static [Status] = &[
        Status::Open,
        Status::Assigned,
        Status::InProgress,
        Status::OnHold,
    ];

    /// Statuses a ticket may be put on hold from, and so may return to when the hold ends.
    pub const HOLD_FROM: &'static [Status] = &[Status::Assigned, Status::InProgress];

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Statuses that end the work (the resolution event of the SLA).
    pub fn is_resolution(self) -> bool {
        matches!(
            self,
            Status::Resolved | Status::Closed | Status::FalsePositive
        )
    }

    /// Every status this one may change to. `Assigned -> Assigned` is a re-assignment.
    pub fn allowed_targets(self) -> &'static [Status] {
        use Status::*;
        match self {
            Open => &[Assigned, InProgress, Resolved, Closed, FalsePositive],
            Assigned => &[
                Open,
                Assigned,
                InProgress,
                OnHold,
                Resolved,
                Closed,
                FalsePositive,
            ],
            InProgress => &[Open, Assigned, OnHold, Resolved, Closed, FalsePositive],
            OnHold => &[Assigned, InProgress, Resolved, Closed, FalsePositive],
            Resolved => &[Open, InProgress, Closed],
            Closed => &[],
            FalsePositive => &[Open, Closed],
        }
    }

    pub fn can_transition_to(self, target: Status) -> bool {
        self.allowed_targets().contains(&target)
    }

    /// Whether a change to this status takes an `assignee_id`.
    pub fn assignee_rule(self) -> AssigneeRule {
        match self {
            Status::Assigned => AssigneeRule::Required,
            Status::InProgress => AssigneeRule::Optional,
            Status::Open
            | Status::OnHold
            | Status::Resolved
            | Status::Closed
            | Status::FalsePositive => AssigneeRule::NotApplicable,
        }
    }
}

/// Whether a status change names an assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeRule {
    /// Assigning and re-assigning name the user (`assigned`); back from a hold, the
    /// ticket may keep the one it has.
    Required,
    /// The change may name one; else the ticket keeps its assignee, or the acting user
    /// takes it (`in_progress`).
    Optional,
    /// The change must not name one (`open` un-assigns; the others keep the assignee).
    NotApplicable,
}

/// A requested status change, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub target: Status,
    pub assignee_id: Option<UserId>,
    pub reason: Option<Reason>,
    /// Only with `on_hold`: when the ticket goes back by itself.
    pub hold_until: Option<DateTime<Utc>>,
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Not in the table (including a change to the current status).
    #[error("a ticket in status {from} cannot move to {to}")]
    NotAllowed {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    /// Moving to `assigned` needs someone to assign it to.
    #[error("moving to assigned needs an assignee_id")]
    AssigneeRequired,
    /// A re-assignment to the user who already has the ticket.
    #[error("the ticket is already assigned to {0}")]
    AlreadyAssigned(UserId),
    /// An assignee was given for a status that has none to set.
    #[error("assignee_id is only accepted when moving to assigned or in_progress, not {0}")]
    AssigneeNotApplicable(Status),
    /// A hold says why the ticket waits.
    #[error("moving to on_hold needs a reason")]
    ReasonRequired,
    /// `hold_until` was given for another status than `on_hold`.
    #[error("hold_until is only accepted when moving to on_hold, not {0}")]
    HoldUntilNotApplicable(Status),
    /// A hold that would end before it begins.
    #[error("hold_until must be in the future")]
    HoldUntilPast,
}

/// Applies `change` by `actor` at `now` to `ticket`, giving the changed ticket and its
/// history row, or the reason it is refused. Pure: the caller stores both atomically.
pub fn apply(
    ticket: &Ticket,
    change: &StatusChange,
    actor: &UserId,
    now: DateTime<Utc>,
) -> Result<(Ticket, HistoryEntry), TransitionError> {
    apply_as(ticket, change, Actor::User(actor.clone()), now)
}

/// [`apply`], by any actor: a rule's system actor changes a ticket by the same table, but
/// its change is no first response (no user acted), and with no assignee to take, moving
/// to `in_progress` keeps the ticket's.
pub fn apply_as(
    ticket: &Ticket,
    change: &StatusChange,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(Ticket, HistoryEntry), TransitionError> {
    let from = ticket.status;
    let to = change.target;
    let not_allowed = || TransitionError::NotAllowed {
        from,
        to,
        allowed: from.allowed_targets(),
    };
    if !from.can_transition_to(to) {
        return Err(not_allowed());
    }

    let mut next = ticket.clone();
    next.assignee_id = match to.assignee_rule() {
        AssigneeRule::NotApplicable if change.assignee_id.is_some() => {
            return Err(TransitionError::AssigneeNotApplicable(to));
        }
        AssigneeRule::Required => {
            // Assigning and re-assigning both name the user (DESIGN.md notes 1 and 4); back
            // from a hold, the ticket keeps the one it had unless another is named.
            let kept = (from == Status::OnHold)
                .then(|| ticket.assignee_id.clone())
                .flatten();
            let assignee = change
                .assignee_id
                .clone()
                .or(kept)
                .ok_or(TransitionError::AssigneeRequired)?;
            if from == to && ticket.assignee_id.as_ref() == Some(&assignee) {
                return Err(TransitionError::AlreadyAssigned(assignee));
            }
            Some(assignee)
        }
        AssigneeRule::Optional => change
            .assignee_id
            .clone()
            .or_else(|| ticket.assignee_id.clone())
            .or_else(|| actor.user().cloned()),
        // An open ticket is nobody's: moving back to open un-assigns.
        AssigneeRule::NotApplicable if to == Status::Open => None,
        AssigneeRule::NotApplicable => ticket.assignee_id.clone(),
    };

    if to == Status::OnHold {
        let reason = change
            .reason
            .clone()
            .ok_or(TransitionError::ReasonRequired)?;
        // Kept to the microsecond, as stores keep time.
        let until = change.hold_until.map(crate::ports::to_micros);
        if until.is_some_and(|until| until <= now) {
            return Err(TransitionError::HoldUntilPast);
        }
        next.hold = Some(Hold {
            since: now,
            until,
            from,
            reason,
        });
    } else if change.hold_until.is_some() {
        return Err(TransitionError::HoldUntilNotApplicable(to));
    } else {
        resume_clocks(&mut next, now);
    }

    // Any user action is a first response; it is recorded once.
    if actor.user().is_some() {
        next.first_responded_at.get_or_insert(now);
    }
    if to.is_resolution() {
        // Moving between resolution statuses (resolved -> closed) keeps the resolution time
        // (a resolved ticket always has one: `Ticket::restore`); reaching one from an active
        // status sets it.
        if !from.is_resolution() {
            next.resolved_at = Some(now);
            next.resolved_by = Some(actor.clone());
        }
    } else {
        // A reopen: the SLA due times stay where they are.
        next.resolved_at = None;
        next.resolved_by = None;
        if from.is_resolution() {
            next.reopen_count = next.reopen_count.saturating_add(1);
        }
    }
    if to == Status::Closed {
        next.closed_at = Some(now);
    }
    next.status = to;
    next.touch(now);

    let entry = HistoryEntry {
        ticket_id: ticket.id,
        from_status: Some(from),
        to_status: to,
        actor: Some(actor),
        reason: change.reason.clone(),
        changed_at: next.updated_at,
    };
    Ok((next, entry))
}

/// Ends a hold at `now`, if there is one: every target still pending when the hold began
/// (and its warning, if not sent) moves later by the time held; a met or breached target
/// is never rewritten.
fn resume_clocks(ticket: &mut Ticket, now: DateTime<Utc>) {
    let Some(hold) = ticket.hold.take() else {
        return;
    };
    let held = (now - hold.since).max(chrono::TimeDelta::zero());
    // Each pending time keeps the clock time it had left when the hold began: on a business
    // calendar, the calendar time from the hold's start to it, counted again from now;
    // around the clock, simply the time held later.
    let since = hold.since;
    let calendar = ticket.sla_calendar.clone();
    let moved =
        |calendar: Option<&crate::calendar::BusinessCalendar>, at: DateTime<Utc>| match calendar {
            Some(c) => c.add(now, c.between(since, at)).unwrap_or(at + held),
            None => at + held,
        };
    for target in SlaTarget::ALL.iter().copied() {
        if target.event(ticket).is_some() || target.due(ticket) < hold.since {
            continue;
        }
        let warned = target.warned_at(ticket).is_some();
        let (due, warn) = match target {
            SlaTarget::FirstResponse => (
                &mut ticket.first_response_due_at,
                &mut ticket.first_response_warn_at,
            ),
            SlaTarget::Resolution => {
                // Only the resolution can be pending through a hold (entering one is a
                // first response): this is the time its elapsed figure leaves out.
                ticket.sla_paused_seconds += held.num_seconds();
                (
                    &mut ticket.resolution_due_at,
                    &mut ticket.resolution_warn_at,
                )
            }
        };
        *due = moved(calendar.as_deref(), *due);
        if !warned {
            *warn = warn.map(|w| moved(calendar.as_deref(), w));
        }
    }
}

/// The automatic end of a hold: at `hold_until` the ticket returns to the status it came
/// from, with the clocks resumed as of `hold_until`: the hold lasted as long as asked,
/// however late the timer fires (the history row says when it did). `None` when the ticket
/// is not held, has no end, or the end has not come. Not a first response: no user acted.
pub fn release_hold(ticket: &Ticket, now: DateTime<Utc>) -> Option<(Ticket, HistoryEntry)> {
    let hold = ticket.hold.as_ref()?;
    let until = hold.until?;
    if ticket.status != Status::OnHold || until > now {
        return None;
    }
    let to = hold.from;
    let mut next = ticket.clone();
    resume_clocks(&mut next, until);
    next.status = to;
    next.touch(now);
    let entry = HistoryEntry {
        ticket_id: ticket.id,
        from_status: Some(Status::OnHold),
        to_status: to,
        actor: Some(Actor::System(SystemActor::builtin(
            SystemKind::Hold,
            "hold_until",
        ))),
        reason: Reason::parse("hold_until reached", "reason").ok(),
        changed_at: next.updated_at,
    };
    Some((next, entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;
    use crate::model::*;
    use crate::sla::SlaPolicy;
    use crate::ticket::{NewAlert, TicketDraft};
    use Status::*;
    use chrono::{TimeDelta, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name, "user").unwrap_or_else(|e| panic!("{e}"))
    }

    fn ticket_in(status: Status, assignee: Option<&str>) -> Ticket {
        let alert = NewAlert {
            title: Title::parse("Person in zone", "title").unwrap_or_else(|e| panic!("{e}")),
            description: None,
            severity: Severity::High,
            camera_id: cam(1),
            provider_id: ProviderId::from_uuid(uuid::Uuid::nil()),
            alert_type: None,
            alert_data: AlertData::empty(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        };
        let mut t = TicketDraft::new(
            crate::Organization::DEFAULT_ID,
            alert,
            &SlaPolicy::default(),
            t0(),
        )
        .ticket;
        t.status = status;
        t.assignee_id = assignee.map(user);
        if status == OnHold {
            t.hold = Some(Hold {
                since: t0(),
                until: None,
                from: InProgress,
                reason: reason("guard on the way"),
            });
            t.first_responded_at = Some(t0());
        }
        if status.is_resolution() {
            t.resolved_at = Some(t0() + TimeDelta::minutes(1));
            t.first_responded_at = Some(t0() + TimeDelta::minutes(1));
        }
        t
    }

    fn reason(text: &str) -> Reason {
        Reason::parse(text, "reason").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The change to `target`, with the reason a hold needs.
    fn change(target: Status, assignee: Option<&str>) -> StatusChange {
        StatusChange {
            target,
            assignee_id: assignee.map(user),
            reason: (target == OnHold).then(|| reason("waiting on the site contact")),
            hold_until: None,
        }
    }

    /// The table of DESIGN.md, row by row: `true` where a change is allowed.
    const TABLE: [(Status, [bool; 7]); 7] = [
        //           open   assigned in_prog on_hold resolved closed false_pos
        (Open, [false, true, true, false, true, true, true]),
        (Assigned, [true, true, true, true, true, true, true]),
        (InProgress, [true, true, false, true, true, true, true]),
        (OnHold, [false, true, true, false, true, true, true]),
        (Resolved, [true, false, true, false, false, true, false]),
        (Closed, [false, false, false, false, false, false, false]),
        (
            FalsePositive,
            [true, false, false, false, false, true, false],
        ),
    ];
    const COLUMNS: [Status; 7] = [
        Open,
        Assigned,
        InProgress,
        OnHold,
        Resolved,
        Closed,
        FalsePositive,
    ];

    #[test]
    fn the_table_covers_every_status() {
        assert_eq!(COLUMNS.len(), Status::ALL.len());
        for status in Status::ALL {
            assert!(TABLE.iter().any(|(from, _)| from == status), "{status}");
        }
    }

    #[test]
    fn every_cell_of_the_transition_table() {
        for (from, row) in TABLE {
            for (to, allowed) in COLUMNS.into_iter().zip(row) {
                assert_eq!(from.can_transition_to(to), allowed, "{from} -> {to}");
                // Apply it too, with what each cell needs (an assignee to assign to).
                let current = if from == Open { None } else { Some("alice") };
                let t = ticket_in(from, current);
                let assignee = (to == Assigned).then_some("bob");
                let result = apply(&t, &change(to, assignee), &user("carol"), t0());
                assert_eq!(result.is_ok(), allowed, "{from} -> {to}: {result:?}");
                if let Err(TransitionError::NotAllowed { allowed, .. }) = result {
                    assert_eq!(allowed, from.allowed_targets());
                }
            }
        }
    }

    #[test]
    fn closed_is_terminal() {
        assert!(Closed.allowed_targets().is_empty());
    }

    #[test]
    fn assigning_needs_an_assignee() {
        let t = ticket_in(Open, None);
        let err = apply(&t, &change(Assigned, None), &user("carol"), t0());
        assert_eq!(err, Err(TransitionError::AssigneeRequired));
        let (next, _) = apply(&t, &change(Assigned, Some("bob")), &user("carol"), t0())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.assignee_id, Some(user("bob")));
    }

    #[test]
    fn starting_work_unassigned_makes_the_actor_the_assignee() {
        let t = ticket_in(Open, None);
        let (next, _) = apply(&t, &change(InProgress, None), &user("carol"), t0())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.assignee_id, Some(user("carol")));
        // An assignee already there stays.
        let t = ticket_in(Assigned, Some("alice"));
        let (next, _) = apply(&t, &change(InProgress, None), &user("carol"), t0())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.assignee_id, Some(user("alice")));
    }

    #[test]
    fn back_to_open_unassigns() {
        for from in [Assigned, InProgress] {
            let t = ticket_in(from, Some("alice"));
            let (next, _) = apply(&t, &change(Open, None), &user("carol"), t0())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(next.assignee_id, None, "{from}");
        }
    }

    #[test]
    fn reassignment_needs_another_user() {
        let t = ticket_in(Assigned, Some("alice"));
        let err = apply(&t, &change(Assigned, Some("alice")), &user("carol"), t0());
        assert_eq!(err, Err(TransitionError::AlreadyAssigned(user("alice"))));
        let (next, entry) = apply(&t, &change(Assigned, Some("bob")), &user("carol"), t0())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.assignee_id, Some(user("bob")));
        assert_eq!(
            (entry.from_status, entry.to_status),
            (Some(Assigned), Assigned)
        );
    }

    #[test]
    fn same_status_is_refused_except_reassignment() {
        for status in [Open, InProgress, OnHold, Resolved, Closed, FalsePositive] {
            let t = ticket_in(status, Some("alice"));
            let err = apply(&t, &change(status, None), &user("carol"), t0());
            assert!(
                matches!(err, Err(TransitionError::NotAllowed { .. })),
                "{status}: {err:?}"
            );
        }
    }

    #[test]
    fn leaving_for_a_status_without_an_assignee_rule_keeps_the_assignee_except_open() {
        let alice = Some(user("alice"));
        for from in [Assigned, InProgress] {
            for to in [Resolved, Closed, FalsePositive] {
                let t = ticket_in(from, Some("alice"));
                let (next, _) = apply(&t, &change(to, None), &user("bob"), t0())
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(next.assignee_id, alice, "{from} -> {to}");
            }
            let t = ticket_in(from, Some("alice"));
            let (next, _) = apply(&t, &change(Open, None), &user("bob"), t0())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(next.assignee_id, None, "{from} -> open un-assigns");
        }
        let t = ticket_in(Resolved, Some("alice"));
        let (next, _) =
            apply(&t, &change(Closed, None), &user("bob"), t0()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.assignee_id, alice, "resolved -> closed");
    }

    #[test]
    fn assignee_is_refused_where_it_means_nothing() {
        let t = ticket_in(Assigned, Some("alice"));
        let err = apply(&t, &change(Resolved, Some("bob")), &user("carol"), t0());
        assert_eq!(err, Err(TransitionError::AssigneeNotApplicable(Resolved)));
    }

    #[test]
    fn a_change_is_a_first_response_recorded_once() {
        let t = ticket_in(Open, None);
        let later = t0() + TimeDelta::minutes(3);
        let (next, _) = apply(&t, &change(Assigned, Some("bob")), &user("carol"), later)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.first_responded_at, Some(later));
        let (again, _) = apply(
            &next,
            &change(InProgress, None),
            &user("bob"),
            later + TimeDelta::minutes(5),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.first_responded_at, Some(later));
    }

    #[test]
    fn resolution_is_set_on_resolve_kept_on_close_and_cleared_on_reopen() {
        let t = ticket_in(InProgress, Some("alice"));
        let t1 = t0() + TimeDelta::minutes(10);
        let (resolved, _) = apply(&t, &change(Resolved, None), &user("alice"), t1)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resolved.resolved_at, Some(t1));

        let t2 = t1 + TimeDelta::minutes(10);
        let (closed, _) = apply(&resolved, &change(Closed, None), &user("alice"), t2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(closed.resolved_at, Some(t1));
        assert_eq!(closed.closed_at, Some(t2));

        let (reopened, _) = apply(&resolved, &change(InProgress, None), &user("alice"), t2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.first_response_due_at, t.first_response_due_at);
        assert_eq!(reopened.resolution_due_at, t.resolution_due_at);

        let t3 = t2 + TimeDelta::minutes(10);
        let (again, _) = apply(&reopened, &change(Resolved, None), &user("alice"), t3)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.resolved_at, Some(t3), "the last resolution counts");
    }

    #[test]
    fn closing_an_open_ticket_resolves_it() {
        let t = ticket_in(Open, None);
        let (closed, _) = apply(&t, &change(Closed, None), &user("carol"), t0())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(closed.resolved_at, Some(t0()));
        assert_eq!(closed.closed_at, Some(t0()));
    }

    #[test]
    fn every_change_bumps_the_version_and_writes_history() {
        let t = ticket_in(Open, None);
        let reason = Reason::parse("on it", "reason").unwrap_or_else(|e| panic!("{e}"));
        let c = StatusChange {
            target: InProgress,
            assignee_id: None,
            reason: Some(reason.clone()),
            hold_until: None,
        };
        let (next, entry) = apply(&t, &c, &user("carol"), t0()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.version, t.version + 1);
        assert_eq!(entry.from_status, Some(Open));
        assert_eq!(entry.to_status, InProgress);
        assert_eq!(entry.actor, Some(Actor::User(user("carol"))));
        assert_eq!(entry.reason, Some(reason));
    }

    fn cam(n: i64) -> CameraId {
        CameraId::parse(n, "camera_id").unwrap_or_else(|e| panic!("{e}"))
    }
}
