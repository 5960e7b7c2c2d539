//! `on_hold` and the durable timers: the hold's rules, the SLA clocks it stops, the
//! automatic return at `hold_until`, and the warnings (DESIGN.md, "Lifecycle" and "SLA").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use ticket_domain::lifecycle::{self, release_hold};
use ticket_domain::timer::fire;
use ticket_domain::{
    Actor, AlertData, CameraId, EventType, Fired, NewAlert, OrgId, ProviderId, Reason, Severity,
    SlaPolicy, SlaState, SlaTarget, Status, StatusChange, SystemActor, SystemKind, Ticket,
    TicketDraft, TimerKind, Title, TransitionError, UserId,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn micro() -> TimeDelta {
    TimeDelta::microseconds(1)
}

fn user(name: &str) -> UserId {
    UserId::parse(name, "user").unwrap()
}

fn reason(text: &str) -> Reason {
    Reason::parse(text, "reason").unwrap()
}

/// A critical ticket (first response 5 min, resolution 1 h; warnings at 80 %) made at t0.
fn created() -> Ticket {
    let alert = NewAlert {
        title: Title::parse("Person in zone", "title").unwrap(),
        description: None,
        severity: Severity::Critical,
        camera_id: CameraId::parse(3, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    };
    TicketDraft::new(ORG, alert, &SlaPolicy::default(), t0()).ticket
}

fn to(
    ticket: &Ticket,
    target: Status,
    why: Option<&str>,
    until: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<Ticket, TransitionError> {
    let change = StatusChange {
        target,
        assignee_id: None,
        reason: why.map(reason),
        hold_until: until,
    };
    lifecycle::apply(ticket, &change, &user("alice"), at).map(|(t, _)| t)
}

/// Created at t0, taken in progress by alice at t0 + 1 min.
fn working() -> Ticket {
    to(&created(), Status::InProgress, None, None, t0() + secs(60)).unwrap()
}

fn held(at: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Ticket {
    to(
        &working(),
        Status::OnHold,
        Some("guard on the way"),
        until,
        at,
    )
    .unwrap()
}

#[test]
fn a_hold_needs_a_reason() {
    let err = to(&working(), Status::OnHold, None, None, t0() + secs(120));
    assert_eq!(err, Err(TransitionError::ReasonRequired));
}

#[test]
fn hold_until_must_be_later_and_only_with_a_hold() {
    let at = t0() + secs(120);
    let err = to(&working(), Status::OnHold, Some("x"), Some(at), at);
    assert_eq!(err, Err(TransitionError::HoldUntilPast));
    let err = to(&working(), Status::Resolved, None, Some(at + secs(5)), at);
    assert_eq!(
        err,
        Err(TransitionError::HoldUntilNotApplicable(Status::Resolved))
    );
    assert!(
        to(
            &working(),
            Status::OnHold,
            Some("x"),
            Some(at + secs(1)),
            at
        )
        .is_ok()
    );
}

#[test]
fn a_hold_is_only_entered_from_work_in_hand() {
    for from in Status::ALL {
        let allowed = from.can_transition_to(Status::OnHold);
        assert_eq!(allowed, Status::HOLD_FROM.contains(from), "{from}");
    }
    assert_eq!(Status::HOLD_FROM, [Status::Assigned, Status::InProgress]);
    let err = to(&created(), Status::OnHold, Some("x"), None, t0());
    assert!(matches!(err, Err(TransitionError::NotAllowed { .. })));
}

#[test]
fn a_held_ticket_is_active_and_keeps_its_assignee() {
    assert!(Status::OnHold.is_active());
    assert!(!Status::OnHold.is_resolution());
    let t = held(t0() + secs(120), None);
    assert_eq!(t.status(), Status::OnHold);
    assert_eq!(t.assignee_id(), Some(&user("alice")));
    let hold = t.hold().unwrap();
    assert_eq!(hold.since, t0() + secs(120));
    assert_eq!(hold.from, Status::InProgress);
    assert_eq!(hold.reason, reason("guard on the way"));
    assert_eq!(hold.until, None);
}

#[test]
fn a_held_ticket_never_breaches() {
    let t = held(t0() + secs(120), None);
    // A day later the resolution target (1 h) is still pending: its clock stopped.
    let later = t0() + TimeDelta::days(1);
    assert_eq!(t.sla_state(SlaTarget::Resolution, later), SlaState::Pending);
    assert!(!t.sla_status(later).any_breached());
    assert_eq!(t.sla_clock(later), t0() + secs(120));
}

#[test]
fn leaving_a_hold_moves_pending_due_times_by_the_time_held() {
    let before = working();
    let t = held(t0() + secs(120), None);
    let back = to(&t, Status::InProgress, None, None, t0() + secs(130)).unwrap();
    assert!(back.hold().is_none());
    assert_eq!(
        back.resolution_due_at(),
        before.resolution_due_at() + secs(10)
    );
    assert_eq!(
        back.resolution_warn_at(),
        before.resolution_warn_at().map(|w| w + secs(10))
    );
    assert_eq!(back.sla_paused_seconds(), 10);
    // The first response came before the hold: met targets are never rewritten.
    assert_eq!(back.first_response_due_at(), before.first_response_due_at());
    assert_eq!(back.first_responded_at(), Some(t0() + secs(60)));
}

#[test]
fn a_target_breached_before_the_hold_is_not_rewritten() {
    // Held two hours in: the 1 h resolution target was breached already.
    let late = t0() + TimeDelta::hours(2);
    let t = held(late, None);
    assert_eq!(t.sla_state(SlaTarget::Resolution, late), SlaState::Breached);
    let back = to(&t, Status::Resolved, None, None, late + secs(600)).unwrap();
    assert_eq!(back.resolution_due_at(), working().resolution_due_at());
    assert_eq!(back.sla_paused_seconds(), 0);
}

#[test]
fn back_to_assigned_keeps_or_replaces_the_assignee() {
    let t = held(t0() + secs(120), None);
    let back = to(&t, Status::Assigned, None, None, t0() + secs(130)).unwrap();
    assert_eq!(back.assignee_id(), Some(&user("alice")));
    let change = StatusChange {
        target: Status::Assigned,
        assignee_id: Some(user("bob")),
        reason: None,
        hold_until: None,
    };
    let (back, _) = lifecycle::apply(&t, &change, &user("carol"), t0() + secs(130)).unwrap();
    assert_eq!(back.assignee_id(), Some(&user("bob")));
}

#[test]
fn hold_until_returns_the_ticket_where_it_came_from() {
    for from in Status::HOLD_FROM {
        let start = to(&created(), Status::Assigned, None, None, t0());
        let start = start.unwrap_or_else(|_| {
            let change = StatusChange {
                target: Status::Assigned,
                assignee_id: Some(user("alice")),
                reason: None,
                hold_until: None,
            };
            lifecycle::apply(&created(), &change, &user("carol"), t0())
                .unwrap()
                .0
        });
        let start = if *from == Status::InProgress {
            to(&start, Status::InProgress, None, None, t0() + secs(60)).unwrap()
        } else {
            start
        };
        let since = t0() + secs(120);
        let until = since + secs(30);
        let t = to(&start, Status::OnHold, Some("guard"), Some(until), since).unwrap();
        assert_eq!(t.timer(TimerKind::HoldEnd), Some(until));
        assert_eq!(release_hold(&t, until - secs(1)), None, "not yet");
        let (back, entry) = release_hold(&t, until + secs(2)).unwrap();
        assert_eq!(back.status(), *from);
        assert_eq!(back.assignee_id(), t.assignee_id());
        assert!(back.hold().is_none());
        assert_eq!(back.version(), t.version() + 1);
        // Fired 2 s late: the hold still lasted the 30 s asked for; the history says when.
        assert_eq!(back.resolution_due_at(), t.resolution_due_at() + secs(30));
        assert_eq!(back.sla_paused_seconds(), 30);
        assert_eq!(entry.changed_at, until + secs(2));
        assert_eq!(entry.from_status, Some(Status::OnHold));
        assert_eq!(entry.to_status, *from);
        let actor = SystemActor::new(SystemKind::Hold, "hold_until").unwrap();
        assert_eq!(entry.actor, Some(Actor::System(actor)));
        assert!(entry.reason.is_some());
        assert_eq!(back.first_responded_at(), t.first_responded_at());
    }
}

#[test]
fn a_hold_without_an_end_or_already_left_is_not_released() {
    let t = held(t0() + secs(120), None);
    assert_eq!(release_hold(&t, t0() + TimeDelta::days(9)), None);
    assert_eq!(t.timer(TimerKind::HoldEnd), None);
    let t = held(t0() + secs(120), Some(t0() + secs(150)));
    let back = to(&t, Status::InProgress, None, None, t0() + secs(130)).unwrap();
    assert_eq!(release_hold(&back, t0() + secs(150)), None);
    assert_eq!(fire(&back, TimerKind::HoldEnd, t0() + secs(150)), None);
}

#[test]
fn the_hold_end_timer_fires_a_status_change_with_its_event() {
    let t = held(t0() + secs(120), Some(t0() + secs(150)));
    let Some(Fired::Transition {
        ticket,
        history,
        event,
    }) = fire(&t, TimerKind::HoldEnd, t0() + secs(150))
    else {
        panic!("the hold should end");
    };
    assert_eq!(ticket.status(), Status::InProgress);
    assert_eq!(event.kind, EventType::StatusChanged);
    assert_eq!(event.ticket_id, ticket.id());
    assert_eq!(history.to_status, Status::InProgress);
    assert_eq!(event.payload["data"]["actor"], "system:hold:hold_until");
}

#[test]
fn warnings_are_due_at_the_share_of_each_pending_target() {
    let t = created();
    // 80 % of 5 min, then of 1 h.
    assert_eq!(t.first_response_warn_at(), Some(t0() + secs(240)));
    assert_eq!(t.resolution_warn_at(), Some(t0() + secs(2880)));
    assert_eq!(t.timer(TimerKind::SlaWarning), Some(t0() + secs(240)));
    assert_eq!(
        t.timers(),
        vec![
            (TimerKind::SlaWarning, t0() + secs(240)),
            (TimerKind::SlaBreach, t0() + secs(300) + micro()),
        ]
    );
    // Once the first response came, only the resolution's warning is left.
    assert_eq!(
        working().timer(TimerKind::SlaWarning),
        Some(t0() + secs(2880))
    );
    // Held: no warning until the hold ends.
    assert_eq!(
        held(t0() + secs(120), None).timer(TimerKind::SlaWarning),
        None
    );
}

#[test]
fn the_warning_share_is_configurable() {
    let mut policy = SlaPolicy::default();
    assert_eq!(policy.warn_percent(), 80);
    assert!(policy.set_warn_percent(0).is_err());
    assert!(policy.set_warn_percent(100).is_err());
    policy.set_warn_percent(50).unwrap();
    let due = policy.due_times(Severity::Critical, t0());
    assert_eq!(due.first_response_warn, t0() + secs(150));
    assert_eq!(due.resolution_warn, t0() + secs(1800));
}

#[test]
fn a_warning_fires_once_per_target() {
    let t = created();
    assert_eq!(fire(&t, TimerKind::SlaWarning, t0() + secs(239)), None);
    let Some(Fired::Warned { ticket, events }) = fire(&t, TimerKind::SlaWarning, t0() + secs(240))
    else {
        panic!("the first response warning is due");
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventType::SlaWarning);
    assert_eq!(events[0].payload["data"]["target"], "first_response");
    assert_eq!(ticket.first_response_warned_at(), Some(t0() + secs(240)));
    assert_eq!(ticket.resolution_warned_at(), None);
    assert_eq!(ticket.version(), t.version(), "a warning is not a change");
    assert_eq!(fire(&ticket, TimerKind::SlaWarning, t0() + secs(241)), None);
    // The next one is the resolution's.
    assert_eq!(ticket.timer(TimerKind::SlaWarning), Some(t0() + secs(2880)));
    let view = ticket_domain::TargetView::of(&ticket, SlaTarget::FirstResponse, t0() + secs(241));
    assert!(view.warned);
}

#[test]
fn a_late_timer_warns_every_due_target_but_not_a_breached_one() {
    // Instances were down for 10 minutes: the first response target (5 min) is breached,
    // the resolution's warning not due yet.
    let t = created();
    let Some(Fired::Warned { ticket, events }) = fire(&t, TimerKind::SlaWarning, t0() + secs(600))
    else {
        panic!("the stamp is due");
    };
    assert!(events.is_empty(), "the breach says more: {events:?}");
    assert!(ticket.first_response_warned_at().is_some());
    let view = ticket_domain::TargetView::of(&ticket, SlaTarget::FirstResponse, t0() + secs(600));
    assert!(!view.warned, "no warning went out");
    // Much later, both are due and only the pending one warns.
    let Some(Fired::Warned { events, .. }) = fire(&t, TimerKind::SlaWarning, t0() + secs(3000))
    else {
        panic!("both stamps are due");
    };
    let targets: Vec<_> = events
        .iter()
        .map(|e| e.payload["data"]["target"].clone())
        .collect();
    assert_eq!(targets, ["resolution"]);
}

#[test]
fn no_warning_while_held_and_none_for_a_met_target() {
    let t = held(t0() + secs(120), None);
    assert_eq!(fire(&t, TimerKind::SlaWarning, t0() + secs(5000)), None);
    let resolved = to(&working(), Status::Resolved, None, None, t0() + secs(90)).unwrap();
    assert_eq!(resolved.timer(TimerKind::SlaWarning), None);
    assert_eq!(
        fire(&resolved, TimerKind::SlaWarning, t0() + secs(5000)),
        None
    );
}

#[test]
fn the_target_view_counts_without_the_time_held() {
    let t = held(t0() + secs(120), None);
    let at = t0() + secs(1000);
    let view = ticket_domain::TargetView::of(&t, SlaTarget::Resolution, at);
    assert!(view.paused);
    assert_eq!(view.state, SlaState::Pending);
    assert_eq!(view.elapsed_seconds, 120);
    assert_eq!(view.remaining_seconds, Some(3600 - 120));
    let back = to(&t, Status::InProgress, None, None, at).unwrap();
    let view = ticket_domain::TargetView::of(&back, SlaTarget::Resolution, at + secs(10));
    assert!(!view.paused);
    assert_eq!(view.elapsed_seconds, 130);
    assert_eq!(view.remaining_seconds, Some(3600 - 130));
    assert_eq!(view.due_at, t0() + secs(3600 + 880));
    let first = ticket_domain::TargetView::of(&back, SlaTarget::FirstResponse, at);
    assert_eq!(first.state, SlaState::Met);
    assert_eq!(first.elapsed_seconds, 60);
    assert_eq!(first.remaining_seconds, None);
}

#[test]
fn a_hold_beginning_at_the_due_time_still_moves_it() {
    // Held exactly when the resolution target (1 h) comes due: it was not breached yet
    // (a target breaches after its due time), so the hold stops its clock.
    let due = working().resolution_due_at();
    let t = held(due, None);
    assert_eq!(
        t.sla_state(SlaTarget::Resolution, due + secs(600)),
        SlaState::Pending
    );
    let back = to(&t, Status::InProgress, None, None, due + secs(600)).unwrap();
    assert_eq!(back.resolution_due_at(), due + secs(600));
    assert_eq!(back.sla_paused_seconds(), 600);
}

#[test]
fn hold_until_is_kept_to_the_microsecond() {
    let at = t0() + secs(120);
    let until = at + TimeDelta::nanoseconds(60_000_000_789);
    let t = to(&working(), Status::OnHold, Some("guard"), Some(until), at).unwrap();
    assert_eq!(
        t.hold().unwrap().until,
        Some(at + TimeDelta::microseconds(60_000_000))
    );
    // Less than a microsecond ahead is no time ahead.
    let err = to(
        &working(),
        Status::OnHold,
        Some("guard"),
        Some(at + TimeDelta::nanoseconds(999)),
        at,
    );
    assert_eq!(err, Err(TransitionError::HoldUntilPast));
}

#[test]
fn the_breach_timer_is_due_just_after_the_earliest_unrecorded_pending_target() {
    let t = created();
    assert_eq!(
        t.timer(TimerKind::SlaBreach),
        Some(t0() + secs(300) + micro())
    );
    // First response met: the resolution's due time is next.
    assert_eq!(
        working().timer(TimerKind::SlaBreach),
        Some(t0() + secs(3600) + micro())
    );
    // Held: none; the hold's end schedules it again, moved by the time held.
    let h = held(t0() + secs(120), None);
    assert_eq!(h.timer(TimerKind::SlaBreach), None);
    let back = to(&h, Status::InProgress, None, None, t0() + secs(130)).unwrap();
    assert_eq!(
        back.timer(TimerKind::SlaBreach),
        Some(t0() + secs(3610) + micro())
    );
    // Resolved in time: nothing left to breach.
    let done = to(&working(), Status::Resolved, None, None, t0() + secs(600)).unwrap();
    assert_eq!(done.timer(TimerKind::SlaBreach), None);
}

#[test]
fn a_breach_is_recorded_once_per_target_and_not_before_its_due_time() {
    let t = created();
    assert_eq!(
        fire(&t, TimerKind::SlaBreach, t0() + secs(300)),
        None,
        "due, not past"
    );
    let Some(Fired::Breached { ticket, events }) =
        fire(&t, TimerKind::SlaBreach, t0() + secs(300) + micro())
    else {
        panic!("the first response has breached");
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventType::SlaBreached);
    assert_eq!(events[0].payload["data"]["target"], "first_response");
    assert_eq!(
        ticket.first_response_breach_notified_at(),
        Some(t0() + secs(300) + micro())
    );
    assert_eq!(ticket.resolution_breach_notified_at(), None);
    assert_eq!(ticket.version(), t.version(), "a breach is not a change");
    assert_eq!(fire(&ticket, TimerKind::SlaBreach, t0() + secs(400)), None);
    assert_eq!(
        ticket.timer(TimerKind::SlaBreach),
        Some(t0() + secs(3600) + micro())
    );
    // A late timer records both at once.
    let Some(Fired::Breached { ticket, events }) =
        fire(&t, TimerKind::SlaBreach, t0() + secs(4000))
    else {
        panic!("both have breached");
    };
    assert_eq!(events.len(), 2);
    assert!(ticket.resolution_breach_notified_at().is_some());
    assert_eq!(ticket.timer(TimerKind::SlaBreach), None);
}

#[test]
fn a_late_breach_timer_records_a_target_met_late_but_not_one_met_in_time_or_held() {
    // Responded after 10 min (due 5), the timer comes later still.
    let late = to(&created(), Status::InProgress, None, None, t0() + secs(600)).unwrap();
    let Some(Fired::Breached { events, .. }) = fire(&late, TimerKind::SlaBreach, t0() + secs(700))
    else {
        panic!("met late is breached");
    };
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].payload["data"]["event_at"],
        "2026-03-01T12:10:00Z"
    );
    assert_eq!(
        fire(&working(), TimerKind::SlaBreach, t0() + secs(700)),
        None
    );
    // Held at 2 min: the resolution's clock stands still, whenever the timer runs.
    let h = held(t0() + secs(120), None);
    assert_eq!(fire(&h, TimerKind::SlaBreach, t0() + secs(7200)), None);
}
