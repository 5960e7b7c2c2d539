//! `Dispatcher` against a mocked outbox and sender and a fixed clock: what a round claims,
//! the order of sends and records within a ticket's batch, and where a batch stops.
//!
//! The mocks write every call into one journal (`send 3`, `sent 3`, `failed 3`,
//! `release [4, 5]`), so a test reads the interleaving of sends and records at a glance.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use ticket_domain::notification::{MockNotificationSender, MockOutboxRepository};
use ticket_domain::{
    DeliveryStatus, DispatchReport, Dispatcher, EventType, FixedClock, Notification,
    RepositoryError, RetryPolicy, TicketId,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

/// The lease a dispatcher with the default 60 s lease takes at `t0()`.
fn lease_end() -> DateTime<Utc> {
    t0() + TimeDelta::seconds(60)
}

fn ticket(n: u128) -> TicketId {
    TicketId::from_uuid(uuid::Uuid::from_u128(n))
}

/// A claimed event: pending, leased, its claim counted in `attempts`.
fn event(id: i64, ticket: TicketId, attempts: i32) -> Notification {
    Notification {
        id,
        ticket_id: ticket,
        event_type: EventType::AlertMerged,
        payload: json!({"n": id}),
        status: DeliveryStatus::Pending,
        attempts,
        last_error: None,
        next_attempt_at: lease_end(),
        created_at: t0() - TimeDelta::minutes(1),
        delivered_at: None,
    }
}

/// `count` claimed events of `ticket`, ids from `first` on, first attempts.
fn events(ticket: TicketId, first: i64, count: i64) -> Vec<Notification> {
    (first..first + count)
        .map(|id| event(id, ticket, 1))
        .collect()
}

/// A call: the events it was about, and how it reads.
type Entry = (Vec<i64>, String);

/// Every call, in order.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<Entry>>>);

impl Journal {
    fn push(&self, ids: &[i64], entry: String) {
        self.0.lock().unwrap().push((ids.to_vec(), entry));
    }

    fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The entries about any of `ids`, in order.
    fn about(&self, ids: &[i64]) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(about, _)| about.iter().any(|id| ids.contains(id)))
            .map(|(_, e)| e.clone())
            .collect()
    }
}

fn strings(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|&e| e.to_owned()).collect()
}

/// An outbox whose one claim answers `claimed`, and which journals every record. `broken`
/// events fail to be marked sent.
fn outbox(claimed: Vec<Notification>, journal: &Journal, broken: &[i64]) -> MockOutboxRepository {
    let mut outbox = MockOutboxRepository::new();
    let mut claimed = Some(claimed);
    outbox
        .expect_claim_due()
        .times(1)
        .returning(move |_, _, _, _| Ok(claimed.take().unwrap_or_default()));
    let (j, broken) = (journal.clone(), broken.to_vec());
    outbox.expect_mark_sent().returning(move |id, at| {
        assert_eq!(at, t0(), "recorded at the clock's time");
        if broken.contains(&id) {
            return Err(RepositoryError::Unavailable("connection refused".into()));
        }
        j.push(&[id], format!("sent {id}"));
        Ok(())
    });
    let j = journal.clone();
    outbox
        .expect_mark_failed()
        .returning(move |id, error, retry_at| {
            assert_eq!(error, format!("HTTP 500 for {id}"));
            let retry = retry_at.map_or("never".to_owned(), |at| {
                format!("in {}s", (at - t0()).num_seconds())
            });
            j.push(&[id], format!("failed {id}, retry {retry}"));
            Ok(())
        });
    let j = journal.clone();
    outbox
        .expect_release()
        .returning(move |ids, lease_until, at| {
            assert_eq!(lease_until, lease_end(), "only this claim's lease");
            assert_eq!(at, t0(), "due again at once");
            j.push(ids, format!("release {ids:?}"));
            Ok(())
        });
    outbox
}

/// A sender that answers 500 for the `failing` events and accepts the others.
fn sender(journal: &Journal, failing: &[i64]) -> MockNotificationSender {
    let mut sender = MockNotificationSender::new();
    let (j, failing) = (
        journal.clone(),
        failing.iter().copied().collect::<HashSet<_>>(),
    );
    sender.expect_send().returning(move |event| {
        j.push(&[event.id], format!("send {}", event.id));
        if failing.contains(&event.id) {
            Err(format!("HTTP 500 for {}", event.id))
        } else {
            Ok(())
        }
    });
    sender
}

type TestDispatcher = Dispatcher<MockOutboxRepository, MockNotificationSender, FixedClock>;

fn dispatcher(outbox: MockOutboxRepository, sender: MockNotificationSender) -> TestDispatcher {
    Dispatcher::new(outbox, sender, FixedClock(t0()), RetryPolicy::default())
}

/// One round over `claimed`, with the sends of `failing` answered 500.
async fn round(claimed: Vec<Notification>, failing: &[i64]) -> (DispatchReport, Journal) {
    let journal = Journal::default();
    let d = dispatcher(outbox(claimed, &journal, &[]), sender(&journal, failing));
    (d.dispatch_once().await.unwrap(), journal)
}

#[tokio::test]
async fn the_claim_asks_for_tickets_and_events_per_ticket_under_a_lease() {
    let mut outbox = MockOutboxRepository::new();
    outbox
        .expect_claim_due()
        .withf(|now, lease_until, tickets, per_ticket| {
            (*now, *lease_until, *tickets, *per_ticket)
                == (t0(), t0() + TimeDelta::seconds(90), 7, 120)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Vec::new()));
    // Nothing claimed: the sender is never called (the mock would fail the test).
    let mut d = dispatcher(outbox, MockNotificationSender::new());
    d.lease = Duration::from_secs(90);
    d.tickets_per_round = 7;
    d.events_per_ticket = 120;
    assert_eq!(d.dispatch_once().await.unwrap(), DispatchReport::default());
}

#[test]
fn defaults_take_fifty_tickets_of_fifty_events_under_a_minute_long_lease() {
    let d = dispatcher(MockOutboxRepository::new(), MockNotificationSender::new());
    assert_eq!((d.tickets_per_round, d.events_per_ticket), (50, 50));
    assert_eq!(d.lease, Duration::from_secs(60));
    assert!(
        d.send_timeout < d.lease,
        "the first send of a batch must end within its lease"
    );
}

#[tokio::test]
async fn a_tickets_batch_goes_out_in_order_each_recorded_before_the_next_send() {
    let t = ticket(1);
    // The store may hand the batch back in any order.
    let claimed = vec![event(12, t, 1), event(10, t, 1), event(11, t, 1)];
    let (report, journal) = round(claimed, &[]).await;
    assert_eq!(
        journal.entries(),
        strings(&[
            "send 10", "sent 10", "send 11", "sent 11", "send 12", "sent 12"
        ])
    );
    assert_eq!(
        report,
        DispatchReport {
            claimed: 3,
            sent: 3,
            failed: 0,
            released: 0
        }
    );
}

#[tokio::test]
async fn a_failed_send_stops_its_ticket_and_releases_the_rest_unsent() {
    let t = ticket(1);
    let (report, journal) = round(events(t, 1, 5), &[3]).await;
    assert_eq!(
        journal.entries(),
        strings(&[
            "send 1",
            "sent 1",
            "send 2",
            "sent 2",
            "send 3",
            // attempts 1: the back-off's base.
            "failed 3, retry in 1s",
            "release [4, 5]",
        ]),
        "4 and 5 are neither sent nor marked failed"
    );
    assert_eq!(
        report,
        DispatchReport {
            claimed: 5,
            sent: 2,
            failed: 1,
            released: 2
        }
    );
}

#[tokio::test]
async fn a_failed_send_backs_off_by_its_own_attempts() {
    let t = ticket(1);
    // The head has failed three times before; the events behind it never were tried.
    let claimed = vec![event(1, t, 4), event(2, t, 1)];
    let (_, journal) = round(claimed, &[1]).await;
    assert_eq!(
        journal.entries(),
        strings(&["send 1", "failed 1, retry in 8s", "release [2]"])
    );
}

#[tokio::test]
async fn the_last_attempt_gives_up_and_still_releases_the_rest() {
    let t = ticket(1);
    let last = RetryPolicy::default().max_attempts;
    let claimed = vec![event(1, t, last), event(2, t, 1), event(3, t, 1)];
    let (report, journal) = round(claimed, &[1]).await;
    assert_eq!(
        journal.entries(),
        strings(&["send 1", "failed 1, retry never", "release [2, 3]"])
    );
    assert_eq!((report.failed, report.released), (1, 2));
}

#[tokio::test]
async fn a_failure_at_the_end_of_a_batch_releases_nothing() {
    let (report, journal) = round(events(ticket(1), 1, 2), &[2]).await;
    assert_eq!(
        journal.entries(),
        strings(&["send 1", "sent 1", "send 2", "failed 2, retry in 1s"])
    );
    assert_eq!(report.released, 0);
}

#[tokio::test]
async fn a_failing_ticket_does_not_hold_back_another() {
    let (failing, healthy) = (ticket(1), ticket(2));
    let mut claimed = events(failing, 1, 3);
    claimed.extend(events(healthy, 4, 3));
    let (report, journal) = round(claimed, &[1]).await;
    assert_eq!(
        journal.about(&[1, 2, 3]),
        strings(&["send 1", "failed 1, retry in 1s", "release [2, 3]"])
    );
    assert_eq!(
        journal.about(&[4, 5, 6]),
        strings(&["send 4", "sent 4", "send 5", "sent 5", "send 6", "sent 6"])
    );
    assert_eq!(
        report,
        DispatchReport {
            claimed: 6,
            sent: 3,
            failed: 1,
            released: 2
        }
    );
}

#[tokio::test]
async fn events_of_interleaved_tickets_keep_each_tickets_order() {
    let (a, b) = (ticket(1), ticket(2));
    let claimed = vec![
        event(7, b, 1),
        event(2, a, 1),
        event(5, b, 1),
        event(1, a, 1),
        event(6, b, 1),
        event(3, a, 1),
    ];
    let (report, journal) = round(claimed, &[]).await;
    let sends = |ids: &[i64]| -> Vec<String> {
        journal
            .about(ids)
            .into_iter()
            .filter(|e| e.starts_with("send "))
            .collect()
    };
    assert_eq!(sends(&[1, 2, 3]), strings(&["send 1", "send 2", "send 3"]));
    assert_eq!(sends(&[5, 6, 7]), strings(&["send 5", "send 6", "send 7"]));
    assert_eq!(report.sent, 6);
}

#[tokio::test]
async fn no_send_starts_that_could_outlast_the_lease() {
    // The clock stands still: a send as long as the lease would end exactly when it does.
    let journal = Journal::default();
    let mut d = dispatcher(
        outbox(events(ticket(1), 1, 3), &journal, &[]),
        sender(&journal, &[]),
    );
    d.send_timeout = d.lease;
    let report = d.dispatch_once().await.unwrap();
    assert_eq!(
        journal.entries(),
        strings(&["send 1", "sent 1", "release [2, 3]"]),
        "the first send follows the claim; the others are given back for the next round"
    );
    assert_eq!((report.sent, report.released), (1, 2));
}

#[tokio::test]
async fn a_store_error_stops_that_ticket_and_fails_the_round_once_the_others_are_done() {
    let (broken, healthy) = (ticket(1), ticket(2));
    let mut claimed = events(broken, 1, 3);
    claimed.extend(events(healthy, 4, 2));
    let journal = Journal::default();
    // Recording the delivery of 1 fails: 2 and 3 are not sent (their leases run out and
    // they are claimed again), nor given back through the store that just failed.
    let d = dispatcher(outbox(claimed, &journal, &[1]), sender(&journal, &[]));
    let result = d.dispatch_once().await;
    assert!(
        matches!(result, Err(RepositoryError::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(journal.about(&[1, 2, 3]), strings(&["send 1"]));
    assert_eq!(
        journal.about(&[4, 5]),
        strings(&["send 4", "sent 4", "send 5", "sent 5"])
    );
}

#[tokio::test]
async fn a_failed_claim_sends_nothing() {
    let mut outbox = MockOutboxRepository::new();
    outbox
        .expect_claim_due()
        .times(1)
        .returning(|_, _, _, _| Err(RepositoryError::Unavailable("connection refused".into())));
    let d = dispatcher(outbox, MockNotificationSender::new());
    assert!(matches!(
        d.dispatch_once().await,
        Err(RepositoryError::Unavailable(_))
    ));
}
