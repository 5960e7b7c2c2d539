//! SLA breach claims ([`TicketRepository::record_sla_breaches`]), the outbox
//! ([`OutboxRepository`]) and readiness ([`HealthCheck`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::fixtures::*;
use crate::EventType;
use crate::model::OrgId;
use crate::model::{Severity, Status, TicketId, Visibility};
use crate::notification::{DeliveryStatus, Notification, NotificationFilter, OutboxRepository};
use crate::ports::{HealthCheck, TicketRepository};
use crate::ticket::{NewAlert, Ticket};

/// No event claimed.
const NONE: [i64; 0] = [];

/// How many `sla_breached` events each ticket has.
pub(crate) async fn breach_events<O: OutboxRepository>(
    outbox: &O,
    org: OrgId,
    ids: &[TicketId],
) -> Vec<usize> {
    let mut counts = Vec::new();
    for id in ids {
        let written = kinds(&events(outbox, org, *id).await);
        counts.push(
            written
                .iter()
                .filter(|k| **k == EventType::SlaBreached)
                .count(),
        );
    }
    counts
}

/// Records the breaches of `now`, `limit` a call, until a call records none; checks every
/// call keeps to `limit`, and returns how many were recorded.
async fn record_until_done<R: TicketRepository>(
    tickets: &R,
    now: DateTime<Utc>,
    limit: i64,
) -> usize {
    let mut total = 0;
    for call in 0..1000 {
        let recorded = tickets
            .record_sla_breaches(now, limit)
            .await
            .expect("record_sla_breaches");
        assert!(
            recorded as i64 <= limit,
            "call {call} recorded {recorded} breaches with limit {limit}"
        );
        if recorded == 0 {
            return total;
        }
        total += recorded;
    }
    panic!("record_sla_breaches never ran out of breaches");
}

/// Critical tickets created at [`t0`], never answered: first response due at +5 min,
/// resolution at +1 h.
pub(crate) async fn unanswered<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    n: usize,
) -> Vec<Ticket> {
    let mut created = Vec::new();
    for i in 0..n {
        let alert = NewAlert {
            severity: Severity::Critical,
            ..alert(&format!("late-{i}"))
        };
        created.push(create(tickets, org, alert, t0()).await);
    }
    created
}

/// Each target breached by `now` and not yet recorded is recorded once, with one
/// `sla_breached` event: a target whose event came late counts, one met in time does not,
/// and a due time not yet passed (or just reached) does not.
pub async fn record_sla_breaches_records_each_breach_once<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let [never, in_time, late] =
        <[Ticket; 3]>::try_from(unanswered(tickets, org, 3).await).expect("three tickets");
    let calm = create(
        tickets,
        org,
        NewAlert {
            severity: Severity::Info,
            ..alert("calm")
        },
        t0(),
    )
    .await;
    let (in_time, _) = comment(tickets, org, &in_time, Visibility::Internal, at(MINUTE)).await;
    let ids = [never.id(), in_time.id(), late.id(), calm.id()];

    let record = |now: DateTime<Utc>| async move {
        tickets
            .record_sla_breaches(now, 100)
            .await
            .expect("record_sla_breaches")
    };
    assert_eq!(
        record(at(5 * MINUTE)).await,
        0,
        "a due time reached is not passed"
    );
    assert_eq!(breach_events(outbox, org, &ids).await, [0, 0, 0, 0]);
    comment(tickets, org, &late, Visibility::Internal, at(10 * MINUTE)).await;
    assert_eq!(
        record(at(10 * MINUTE)).await,
        2,
        "never answered, and answered late"
    );
    assert_eq!(breach_events(outbox, org, &ids).await, [1, 0, 1, 0]);
    assert_eq!(record(at(10 * MINUTE)).await, 0, "recorded once");
    assert_eq!(record(at(30 * MINUTE)).await, 0, "recorded once, later too");

    transition(
        tickets,
        org,
        &in_time,
        Status::Resolved,
        None,
        at(20 * MINUTE),
    )
    .await;
    assert_eq!(record(at(2 * HOUR)).await, 2, "two resolutions missed");
    assert_eq!(breach_events(outbox, org, &ids).await, [2, 0, 2, 0]);
    assert_eq!(record(at(3 * HOUR)).await, 0, "recorded once");
    assert_eq!(
        record(at(30 * HOUR)).await,
        1,
        "the info ticket's first response"
    );
    assert_eq!(breach_events(outbox, org, &ids).await, [2, 0, 2, 1]);
}

/// One call records at most `limit` breached targets (counting both targets of a ticket),
/// and calls until one records none record each breach once.
pub async fn record_sla_breaches_respects_the_limit<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ids: Vec<TicketId> = unanswered(tickets, org, 3)
        .await
        .iter()
        .map(Ticket::id)
        .collect();
    let total = record_until_done(tickets, at(2 * HOUR), 2).await;
    assert_eq!(total, 6, "three tickets, two targets each");
    assert_eq!(breach_events(outbox, org, &ids).await, [2, 2, 2]);
}

/// Several callers recording at once (as on several instances) record each breach exactly
/// once between them.
pub async fn concurrent_breach_recorders_record_each_breach_once<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ids: Vec<TicketId> = unanswered(tickets, org, 8)
        .await
        .iter()
        .map(Ticket::id)
        .collect();
    let callers = [1, 2, 3, 5].map(|limit| record_until_done(tickets, at(2 * HOUR), limit));
    let totals = join_all(callers).await;
    assert_eq!(
        totals.iter().sum::<usize>(),
        16,
        "each breach once: {totals:?}"
    );
    assert_eq!(breach_events(outbox, org, &ids).await, [2; 8]);
}

/// Claims due events (`tickets` tickets, `per_ticket` events each) and returns their ids in
/// id order (a claim may return them in any order), checking both limits.
async fn claim<O: OutboxRepository>(
    outbox: &O,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    tickets: i64,
    per_ticket: i64,
) -> Vec<i64> {
    let claimed = outbox
        .claim_due(now, lease_until, tickets, per_ticket)
        .await
        .expect("claim_due");
    let mut per = std::collections::BTreeMap::<TicketId, i64>::new();
    for e in &claimed {
        *per.entry(e.ticket_id).or_default() += 1;
    }
    assert!(
        per.len() as i64 <= tickets,
        "more than {tickets} tickets: {per:?}"
    );
    assert!(
        per.values().all(|n| *n <= per_ticket),
        "more than {per_ticket} events of one ticket: {per:?}"
    );
    let mut ids: Vec<i64> = claimed.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids
}

/// Asserts event `id` is pending, due at `due`, with `attempts` attempts counted, and returns
/// it.
async fn assert_pending<O: OutboxRepository>(
    outbox: &O,
    org: OrgId,
    id: i64,
    attempts: i32,
    due: DateTime<Utc>,
    what: &str,
) -> Notification {
    let e = event(outbox, org, id).await;
    let got = (e.status, e.attempts, e.next_attempt_at);
    let expected = (DeliveryStatus::Pending, attempts, due);
    assert_eq!(got, expected, "{what}: event {id} (status, attempts, due)");
    e
}

/// A claim takes, for up to `tickets` tickets (earliest due oldest pending event first), a
/// prefix of each one's pending events up to `per_ticket`; it counts an attempt on each and
/// leases it until `lease_until`, before which neither it nor a later event of its ticket is
/// claimed again. A lease that ran out makes the events claimable again; a delivery lets the
/// ticket's next events go.
pub async fn claim_due_leases_a_prefix_of_each_ticket<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let a = create(tickets, org, alert("a"), t0()).await;
    create(tickets, org, alert("b"), at(30)).await;
    let (a, _) = comment(tickets, org, &a, Visibility::Internal, at(MINUTE)).await;
    comment(tickets, org, &a, Visibility::Internal, at(2 * MINUTE)).await;
    create(tickets, org, alert("c"), at(20 * MINUTE)).await;
    let written = all_events(outbox, org).await;
    let [a1, b1, a2, a3, c1] = <[Notification; 5]>::try_from(written).expect("five events");
    assert_eq!([a1.ticket_id, a2.ticket_id, a3.ticket_id], [a.id(); 3]);

    assert_eq!(
        claim(outbox, at(-1), at(MINUTE), 10, 10).await,
        NONE,
        "nothing due yet"
    );

    let now = at(10 * MINUTE);
    let lease = at(11 * MINUTE);
    assert_eq!(
        claim(outbox, now, lease, 1, 2).await,
        [a1.id, a2.id],
        "one ticket, the earliest due, two events of it in order"
    );
    for id in [a1.id, a2.id] {
        assert_pending(outbox, org, id, 1, lease, "an attempt counted, leased").await;
    }
    assert_eq!(
        event(outbox, org, a3.id).await,
        a3,
        "the rest of the ticket is untouched"
    );
    assert_eq!(
        claim(outbox, now, lease, 10, 10).await,
        [b1.id],
        "a's next event waits behind its leased ones; c is not due"
    );
    let before_lease_ends = lease - chrono::TimeDelta::seconds(1);
    assert_eq!(
        claim(outbox, before_lease_ends, at(HOUR), 10, 10).await,
        NONE
    );

    // The leases ran out (nothing was recorded): claimable again, whole prefixes.
    let lease = at(12 * MINUTE);
    assert_eq!(
        claim(outbox, at(11 * MINUTE), lease, 10, 10).await,
        [a1.id, b1.id, a2.id, a3.id]
    );
    assert_eq!(event(outbox, org, a1.id).await.attempts, 2);
    assert_eq!(event(outbox, org, a3.id).await.attempts, 1);

    for id in [a1.id, a2.id] {
        outbox.mark_sent(id, lease).await.expect("mark_sent");
    }
    assert_eq!(
        claim(outbox, at(21 * MINUTE), at(22 * MINUTE), 10, 10).await,
        [b1.id, a3.id, c1.id],
        "each ticket's remaining events once the leases ran out, and c now due"
    );
}

/// A ticket's claim stops before its first event not due (one backing off, or given back
/// for later), so no event is claimed ahead of an earlier one; a ticket whose oldest pending
/// event is not due is not claimed at all.
pub async fn claim_due_stops_at_the_first_event_not_due<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let t = create(tickets, org, alert("a"), t0()).await;
    let (t, _) = comment(tickets, org, &t, Visibility::Internal, at(MINUTE)).await;
    comment(tickets, org, &t, Visibility::Internal, at(2 * MINUTE)).await;
    let [e1, e2, e3] =
        <[Notification; 3]>::try_from(events(outbox, org, t.id()).await).expect("three events");

    let lease = at(11 * MINUTE);
    assert_eq!(
        claim(outbox, at(10 * MINUTE), lease, 10, 2).await,
        [e1.id, e2.id]
    );
    outbox
        .mark_failed(e1.id, "busy", Some(at(12 * MINUTE)))
        .await
        .expect("mark_failed");
    outbox
        .release(&[e2.id], lease, at(HOUR))
        .await
        .expect("release");
    assert_eq!(
        claim(outbox, at(12 * MINUTE), at(13 * MINUTE), 10, 10).await,
        [e1.id],
        "the ticket's claim stops before e2, due only in an hour"
    );
    outbox
        .mark_sent(e1.id, at(13 * MINUTE))
        .await
        .expect("mark_sent");
    assert_eq!(
        claim(outbox, at(14 * MINUTE), at(15 * MINUTE), 10, 10).await,
        NONE,
        "the oldest pending event is not due: the ticket waits, e3 with it"
    );
    assert_eq!(
        claim(outbox, at(HOUR), at(2 * HOUR), 10, 10).await,
        [e2.id, e3.id]
    );
}

/// `release` gives claimed, unsent events back: due again at `at`, the claim's attempt taken
/// back; it leaves alone an event whose lease ran out and that was claimed again since (under
/// another lease), and one already recorded.
pub async fn release_gives_back_claimed_events<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let mut firsts = Vec::new();
    for key in ["a", "b", "c"] {
        let t = create(tickets, org, alert(key), t0()).await;
        firsts.push(events(outbox, org, t.id()).await[0].clone());
    }
    let [a, b, c] = <[Notification; 3]>::try_from(firsts).expect("three events");
    let lease = at(11 * MINUTE);
    let all = [a.id, b.id, c.id];
    assert_eq!(claim(outbox, at(10 * MINUTE), lease, 10, 10).await, all);
    outbox
        .mark_sent(c.id, at(10 * MINUTE))
        .await
        .expect("mark_sent");
    let sent = event(outbox, org, c.id).await;

    let again_at = at(10 * MINUTE + 30);
    outbox
        .release(&[a.id, c.id], lease, again_at)
        .await
        .expect("release");
    let what = "released: the attempt taken back, due again at `at`";
    assert_pending(outbox, org, a.id, 0, again_at, what).await;
    assert_eq!(
        event(outbox, org, c.id).await,
        sent,
        "a recorded event is left alone"
    );
    let just_before = again_at - chrono::TimeDelta::seconds(1);
    assert_eq!(claim(outbox, just_before, at(HOUR), 10, 10).await, NONE);
    assert_eq!(
        claim(outbox, again_at, at(20 * MINUTE), 10, 10).await,
        [a.id],
        "a is due again; b is still leased"
    );
    assert_eq!(event(outbox, org, a.id).await.attempts, 1);

    // b's lease ran out and another caller claimed it: the first lease's release is late.
    let second_lease = at(40 * MINUTE);
    assert_eq!(claim(outbox, lease, second_lease, 10, 10).await, [b.id]);
    outbox
        .release(&[b.id], lease, at(12 * MINUTE))
        .await
        .expect("release");
    let what = "a late release: the later lease stands";
    assert_pending(outbox, org, b.id, 2, second_lease, what).await;
}

/// Claims made at once (as by dispatchers on several instances) are disjoint: no event is
/// claimed twice, and no ticket's events are split between two claims.
pub async fn concurrent_claims_are_disjoint<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    const TICKETS: usize = 12;
    for i in 0..TICKETS {
        let t = create(tickets, org, alert(&format!("t{i}")), at(i as i64)).await;
        comment(tickets, org, &t, Visibility::Internal, at(MINUTE)).await;
    }
    let written: BTreeSet<i64> = all_events(outbox, org).await.iter().map(|e| e.id).collect();
    let mut claims: Vec<Vec<Notification>> = Vec::new();
    loop {
        let calls = (0..4).map(|_| outbox.claim_due(at(HOUR), at(2 * HOUR), 2, 10));
        let round: Vec<Vec<Notification>> = join_all(calls)
            .await
            .into_iter()
            .map(|r| r.expect("claim_due"))
            .filter(|claim| !claim.is_empty())
            .collect();
        if round.is_empty() {
            break;
        }
        claims.extend(round);
        assert!(claims.len() <= 2 * TICKETS, "claims never end");
    }
    let ids: Vec<i64> = claims.iter().flatten().map(|e| e.id).collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an event claimed twice");
    assert_eq!(unique, written, "every event claimed");
    let mut owners = std::collections::BTreeMap::new();
    for (n, claim) in claims.iter().enumerate() {
        for e in claim {
            let owner = *owners.entry(e.ticket_id).or_insert(n);
            assert_eq!(owner, n, "ticket {} split between two claims", e.ticket_id);
        }
    }
    assert_eq!(owners.len(), TICKETS);
}

/// `mark_failed` with a retry time puts the event back as pending from then, with the error;
/// without one, it is failed for good and no longer holds up its ticket; `mark_sent` records
/// the delivery. Delivered and failed events are never claimed again.
pub async fn mark_sent_and_mark_failed_record_the_outcome<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let a = create(tickets, org, alert("a"), t0()).await;
    comment(tickets, org, &a, Visibility::Internal, at(MINUTE)).await;
    let [first, second] =
        <[Notification; 2]>::try_from(events(outbox, org, a.id()).await).expect("two events");
    let heads = |now, lease_until| claim(outbox, now, lease_until, 10, 1);

    assert_eq!(heads(at(10 * MINUTE), at(11 * MINUTE)).await, [first.id]);
    outbox
        .mark_failed(first.id, "receiver said 500", Some(at(15 * MINUTE)))
        .await
        .expect("mark_failed");
    let retry = "failed with a retry time: pending from then";
    let retried = assert_pending(outbox, org, first.id, 1, at(15 * MINUTE), retry).await;
    assert_eq!(retried.last_error.as_deref(), Some("receiver said 500"));
    assert_eq!(retried.delivered_at, None);
    assert_eq!(
        heads(at(15 * MINUTE) - chrono::TimeDelta::seconds(1), at(HOUR)).await,
        NONE,
        "not before its retry time, and its ticket's next event waits"
    );
    assert_eq!(heads(at(15 * MINUTE), at(16 * MINUTE)).await, [first.id]);
    assert_eq!(event(outbox, org, first.id).await.attempts, 2);

    outbox
        .mark_failed(first.id, "gave up", None)
        .await
        .expect("mark_failed");
    let failed = event(outbox, org, first.id).await;
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("gave up"));
    assert_eq!(
        heads(at(17 * MINUTE), at(18 * MINUTE)).await,
        [second.id],
        "a failed event no longer holds up its ticket"
    );

    outbox
        .mark_sent(second.id, at(17 * MINUTE))
        .await
        .expect("mark_sent");
    let sent = event(outbox, org, second.id).await;
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.delivered_at, Some(at(17 * MINUTE)));
    assert_eq!(
        heads(at(100 * HOUR), at(101 * HOUR)).await,
        NONE,
        "never again"
    );
}

/// `purge_delivered` deletes `sent` events delivered before the cutoff, earliest deliveries
/// first, at most `limit` a call; never `pending` or `failed` ones, nor one delivered at the
/// cutoff or after.
pub async fn purge_delivered_deletes_only_sent_events_before_the_cutoff<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let mut ids = Vec::new();
    for i in 0..8 {
        let t = create(tickets, org, alert(&format!("t{i}")), at(i)).await;
        ids.push(events(outbox, org, t.id()).await[0].id);
    }
    let claimed = outbox
        .claim_due(at(MINUTE), at(2 * MINUTE), 100, 100)
        .await
        .expect("claim_due");
    assert_eq!(claimed.len(), 8);
    let cutoff = at(HOUR);
    let [
        old_1,
        old_3,
        old_2,
        at_cutoff,
        recent,
        failed,
        retrying,
        _leased,
    ] = <[i64; 8]>::try_from(ids).expect("eight events");
    for (id, delivered) in [
        (old_1, at(10 * MINUTE)),
        (old_2, at(30 * MINUTE)),
        (old_3, at(50 * MINUTE)),
        (at_cutoff, cutoff),
        (recent, at(2 * HOUR)),
    ] {
        outbox.mark_sent(id, delivered).await.expect("mark_sent");
    }
    outbox
        .mark_failed(failed, "gave up", None)
        .await
        .expect("mark_failed");
    let retry = Some(at(3 * MINUTE));
    outbox
        .mark_failed(retrying, "busy", retry)
        .await
        .expect("mark_failed");

    let remaining = || async {
        let mut ids: Vec<i64> = all_events(outbox, org).await.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids
    };
    let everything = remaining().await;
    assert_eq!(outbox.purge_delivered(cutoff, 2).await.expect("purge"), 2);
    let expected: Vec<i64> = everything
        .iter()
        .copied()
        .filter(|id| ![old_1, old_2].contains(id))
        .collect();
    assert_eq!(
        remaining().await,
        expected,
        "the two earliest deliveries go first"
    );
    assert_eq!(outbox.purge_delivered(cutoff, 2).await.expect("purge"), 1);
    assert_eq!(outbox.purge_delivered(cutoff, 2).await.expect("purge"), 0);
    let expected: Vec<i64> = expected.into_iter().filter(|id| *id != old_3).collect();
    assert_eq!(
        remaining().await,
        expected,
        "only sent events before the cutoff"
    );
    assert_eq!(
        outbox
            .purge_delivered(at(100 * HOUR), 100)
            .await
            .expect("purge"),
        2,
        "later, the ones delivered at and after the cutoff"
    );
    let left = all_events(outbox, org).await;
    assert!(
        left.iter().all(|e| e.status != DeliveryStatus::Sent),
        "only pending and failed events stay: {left:?}"
    );
    assert_eq!(left.len(), 3);
}

/// The outbox list is newest first, filtered by ticket and by status, at most `limit`, below
/// `before` when given.
pub async fn outbox_list_filters_and_pages<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let a = create(tickets, org, alert("a"), t0()).await;
    let b = create(tickets, org, alert("b"), at(1)).await;
    let (a, _) = comment(tickets, org, &a, Visibility::Internal, at(MINUTE)).await;
    transition(tickets, org, &a, Status::InProgress, None, at(2 * MINUTE)).await;
    comment(tickets, org, &b, Visibility::External, at(3 * MINUTE)).await;
    let claimed = outbox
        .claim_due(at(HOUR), at(2 * HOUR), 10, 1)
        .await
        .expect("claim_due");
    for e in &claimed {
        outbox.mark_sent(e.id, at(HOUR)).await.expect("mark_sent");
    }

    let all = outbox
        .list(org, &NotificationFilter::default(), 100, None)
        .await
        .expect("list");
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let ids = |events: &[Notification]| events.iter().map(|e| e.id).collect::<Vec<_>>();
    let expect = |keep: &dyn Fn(&Notification) -> bool| {
        all.iter()
            .filter(|e| keep(e))
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    let cases = [
        (Some(a.id()), None),
        (Some(b.id()), None),
        (None, Some(DeliveryStatus::Sent)),
        (None, Some(DeliveryStatus::Pending)),
        (Some(a.id()), Some(DeliveryStatus::Pending)),
        (None, Some(DeliveryStatus::Failed)),
    ];
    for (ticket_id, status) in cases {
        let filter = NotificationFilter { ticket_id, status };
        let listed = outbox.list(org, &filter, 100, None).await.expect("list");
        let wanted = expect(&|e| {
            ticket_id.is_none_or(|t| t == e.ticket_id) && status.is_none_or(|s| s == e.status)
        });
        assert_eq!(ids(&listed), wanted, "list of {filter:?}");
    }
    assert_eq!(
        ids(&outbox
            .list(org, &NotificationFilter::default(), 2, None)
            .await
            .expect("list")),
        ids(&all[..2])
    );
    assert_eq!(
        ids(&outbox
            .list(org, &NotificationFilter::default(), 2, Some(all[1].id))
            .await
            .expect("list")),
        ids(&all[2..4])
    );
    assert_eq!(
        ids(&events_where(outbox, org, &NotificationFilter::default()).await),
        ids(&all).into_iter().rev().collect::<Vec<_>>(),
        "pages of 100 and `before` walk the same list"
    );
}

/// A store reachable now reports ready.
pub async fn health_check_reports_ready<H: HealthCheck>(health: &H) {
    if let Err(e) = health.ready().await {
        panic!("a reachable store must be ready: {e:?}");
    }
}
