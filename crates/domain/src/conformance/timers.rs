//! Durable timers ([`TicketRepository::due_timers`], [`TicketRepository::fire_timer`]):
//! kept with the ticket's writes, fired once under concurrent callers, stale ones taken
//! without effect.

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;

use super::fixtures::*;
use crate::actor::Actor;
use crate::event::EventType;
use crate::lifecycle::{self, StatusChange};
use crate::model::{OrgId, Reason, Status, TicketId};
use crate::notification::OutboxRepository;
use crate::ports::{DueTimer, TicketRepository};
use crate::ticket::Ticket;
use crate::timer::TimerKind;

fn minutes(n: i64) -> DateTime<Utc> {
    at(n * 60)
}

/// The timer of `kind` of ticket `id` among those due at `now`, if listed.
pub(super) async fn listed<R: TicketRepository>(
    tickets: &R,
    id: TicketId,
    kind: TimerKind,
    now: DateTime<Utc>,
) -> Option<DueTimer> {
    tickets
        .due_timers(now, None, 1_000)
        .await
        .expect("due_timers")
        .into_iter()
        .find(|t| t.ticket_id == id && t.kind == kind)
}

/// A ticket created at t0, taken in progress at 1 min and put on hold at 2 min until
/// `until`, as stored.
async fn held<R: TicketRepository>(tickets: &R, org: OrgId, until: DateTime<Utc>) -> Ticket {
    let created = create(tickets, org, alert("held"), t0()).await;
    let working = transition(tickets, org, &created, Status::InProgress, None, minutes(1)).await;
    let change = StatusChange {
        target: Status::OnHold,
        assignee_id: None,
        reason: Some(Reason::parse("guard on the way", "reason").expect("a reason")),
        hold_until: Some(until),
    };
    let (next, entry) = lifecycle::apply(&working, &change, &user("operator"), minutes(2))
        .expect("a hold from in_progress");
    tickets
        .save_transition(org, &next, working.version(), &entry)
        .await
        .expect("save the hold");
    next
}

/// Fires `timer` at `now` from `callers` concurrent callers; how many took it.
pub(super) async fn fire_from<R: TicketRepository>(
    tickets: &R,
    timer: &DueTimer,
    now: DateTime<Utc>,
    callers: usize,
) -> usize {
    let fired = join_all((0..callers).map(|_| tickets.fire_timer(timer, now))).await;
    fired
        .into_iter()
        .map(|r| r.expect("fire_timer"))
        .filter(|taken| *taken)
        .count()
}

/// Fires `timer` (due now) from four concurrent callers: one takes it, one `kind` event
/// for the first response goes out, and the ticket's version stays (a stamp is not a
/// change). The ticket as stored after.
async fn fires_once_with_a_first_response_event<R, O>(
    tickets: &R,
    outbox: &O,
    ticket: &Ticket,
    timer: &DueTimer,
    kind: EventType,
) -> Ticket
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let org = ticket.org_id();
    let taken = fire_from(tickets, timer, timer.due_at, 4).await;
    assert_eq!(taken, 1, "four callers at once: the timer fires once");
    let sent: Vec<_> = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == kind)
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].payload["data"]["target"], "first_response");
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(
        stored.version(),
        ticket.version(),
        "a stamp is not a change"
    );
    stored
}

pub async fn a_warning_timer_is_kept_with_the_ticket_and_fires_once<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    // High: first response due at 15 min, warned at 12 min; resolution 4 h, warned at 3 h 12.
    let ticket = create(tickets, org, alert("warned"), t0()).await;
    let warn = ticket.first_response_warn_at().expect("a warning time");
    assert_eq!(warn, minutes(12));
    assert!(
        listed(
            tickets,
            ticket.id(),
            TimerKind::SlaWarning,
            warn - TimeDelta::seconds(1)
        )
        .await
        .is_none(),
        "a timer listed before it is due"
    );
    let timer = listed(tickets, ticket.id(), TimerKind::SlaWarning, warn)
        .await
        .expect("the creation stores the warning timer");
    assert_eq!((timer.org, timer.due_at), (org, warn));

    let stored = fires_once_with_a_first_response_event(
        tickets,
        outbox,
        &ticket,
        &timer,
        EventType::SlaWarning,
    )
    .await;
    assert_eq!(stored.first_response_warned_at(), Some(warn));

    // The timer moved to the resolution's warning.
    assert!(
        listed(tickets, ticket.id(), TimerKind::SlaWarning, warn)
            .await
            .is_none()
    );
    let next = stored.resolution_warn_at().expect("a warning time");
    let moved = listed(tickets, ticket.id(), TimerKind::SlaWarning, next)
        .await
        .expect("the next warning");
    assert_eq!(moved.due_at, next);
}

pub async fn a_breach_timer_is_kept_with_the_ticket_and_fires_once<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    // High: first response due at 15 min, resolution at 4 h.
    let ticket = create(tickets, org, alert("breached"), t0()).await;
    let past = minutes(15) + TimeDelta::microseconds(1);
    assert!(
        listed(tickets, ticket.id(), TimerKind::SlaBreach, minutes(15))
            .await
            .is_none(),
        "listed at the due time, when nothing has breached yet"
    );
    let timer = listed(tickets, ticket.id(), TimerKind::SlaBreach, past)
        .await
        .expect("the creation stores the breach timer");
    assert_eq!((timer.org, timer.due_at), (org, past));

    let stored = fires_once_with_a_first_response_event(
        tickets,
        outbox,
        &ticket,
        &timer,
        EventType::SlaBreached,
    )
    .await;
    assert_eq!(stored.first_response_breach_notified_at(), Some(past));
    // The breach monitor, run after, finds it recorded.
    assert_eq!(
        tickets
            .record_sla_breaches(minutes(16), 100)
            .await
            .expect("record_sla_breaches"),
        0
    );

    // The timer moved to the resolution's due time.
    let next = listed(tickets, ticket.id(), TimerKind::SlaBreach, at(4 * 3600 + 1))
        .await
        .expect("the resolution's breach timer");
    assert_eq!(next.due_at, at(4 * 3600) + TimeDelta::microseconds(1));
}

pub async fn a_hold_end_timer_returns_the_ticket_once<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let until = minutes(10);
    let hold = held(tickets, org, until).await;
    let timer = listed(tickets, hold.id(), TimerKind::HoldEnd, until)
        .await
        .expect("the hold stores its end");
    assert_eq!(timer.due_at, until);
    assert_eq!(fire_from(tickets, &timer, until, 3).await, 1);

    let back = find(tickets, org, hold.id()).await;
    assert_eq!(back.status(), Status::InProgress);
    assert!(back.hold().is_none());
    assert_eq!(back.version(), hold.version() + 1);
    assert_eq!(
        back.resolution_due_at(),
        hold.resolution_due_at() + (until - minutes(2)),
        "the time held does not count"
    );
    let history = details(tickets, org, hold.id()).await.history;
    let last = history.last().expect("history");
    assert_eq!(last.from_status, Some(Status::OnHold));
    assert_eq!(last.to_status, Status::InProgress);
    assert!(matches!(last.actor, Some(Actor::System(_))), "{last:?}");
    let returns = events(outbox, org, hold.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::StatusChanged)
        .count();
    assert_eq!(returns, 3, "in_progress, on_hold and the return");
    assert!(
        listed(tickets, hold.id(), TimerKind::HoldEnd, minutes(60))
            .await
            .is_none(),
        "the fired timer is gone"
    );
}

pub async fn a_stale_timer_is_taken_and_changes_nothing<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let until = minutes(10);
    let hold = held(tickets, org, until).await;
    // A user ends the hold first.
    let back = transition(tickets, org, &hold, Status::InProgress, None, minutes(5)).await;
    let before = events(outbox, org, hold.id()).await.len();
    let timer = listed(tickets, hold.id(), TimerKind::HoldEnd, until)
        .await
        .expect("a hold end left behind");
    assert_eq!(fire_from(tickets, &timer, until, 1).await, 1);
    let stored = find(tickets, org, hold.id()).await;
    assert_eq!(stored.version(), back.version());
    assert_eq!(stored.status(), Status::InProgress);
    assert_eq!(events(outbox, org, hold.id()).await.len(), before);
    assert!(
        listed(tickets, hold.id(), TimerKind::HoldEnd, minutes(60))
            .await
            .is_none(),
        "the stale timer is gone"
    );
}

pub async fn a_late_warning_of_a_breached_target_is_stamped_without_an_event<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    // Every instance was down past the first response's due time (15 min).
    let ticket = create(tickets, org, alert("late"), t0()).await;
    let late = minutes(20);
    let timer = listed(tickets, ticket.id(), TimerKind::SlaWarning, late)
        .await
        .expect("the warning timer");
    assert_eq!(fire_from(tickets, &timer, late, 1).await, 1);
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.first_response_warned_at(), Some(late));
    let warnings = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::SlaWarning)
        .count();
    assert_eq!(warnings, 0, "a breached target gets no warning");
    assert!(
        listed(tickets, ticket.id(), TimerKind::SlaWarning, late)
            .await
            .is_none(),
        "the timer moved on to the resolution's warning"
    );
}

pub async fn due_timers_page_forward_past_a_given_timer<R, O>(tickets: &R, _outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    // Three warnings due at one instant (12 min), one a minute later; the four breach
    // timers of their first responses after them (15 and 16 min).
    for key in ["a", "b", "c"] {
        create(tickets, org, alert(key), t0()).await;
    }
    create(tickets, org, alert("d"), minutes(1)).await;
    let now = minutes(20);
    let all = tickets
        .due_timers(now, None, 1_000)
        .await
        .expect("due_timers");
    assert_eq!(all.len(), 8, "{all:?}");
    assert!(all[..4].iter().all(|t| t.kind == TimerKind::SlaWarning));
    assert!(all[4..].iter().all(|t| t.kind == TimerKind::SlaBreach));
    assert!(
        all.windows(2).all(|w| w[0].due_at <= w[1].due_at),
        "earliest first"
    );

    // Two at a time, each page past the last of the one before: every timer once, in order.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = tickets.due_timers(now, after, 2).await.expect("due_timers");
        paged.extend(page.iter().copied());
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(*last),
            _ => break,
        }
    }
    assert_eq!(paged, all, "pages skip or repeat nothing, ties included");
    assert!(
        tickets
            .due_timers(now, all.last().copied(), 10)
            .await
            .expect("due_timers")
            .is_empty(),
        "nothing past the last"
    );
}
