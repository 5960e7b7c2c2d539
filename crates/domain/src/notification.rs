//! The notification outbox: ticket events written with each change, delivered at least once
//! to the Notification Service, in order per ticket, with exponential back-off; delivered
//! events are deleted once they are older than the retention ([`OutboxPurger`]).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;

use crate::event::EventType;
use crate::model::name_enum;
use crate::model::{OrgId, TicketId};
use crate::ports::{Clock, RepositoryError};

name_enum!(
    /// Delivery state of one event: `pending` (not delivered yet; tried again at
    /// `next_attempt_at`), `sent`, or `failed` (given up after the last attempt).
    DeliveryStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
);

/// One outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: TicketId,
    pub event_type: EventType,
    /// The JSON document delivered, as stored.
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// When to try again after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// Attempts after which an event is marked failed.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after attempt number `attempts` (1-based) failed: `base * 2^(attempts-1)`,
    /// capped at `max_delay`.
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }

    /// The next attempt's time after attempt `attempts` failed at `now`, or `None` when it
    /// was the last one allowed.
    pub fn retry_at(&self, attempts: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (attempts < self.max_attempts).then(|| {
            now + TimeDelta::from_std(self.delay_after(attempts)).unwrap_or(TimeDelta::MAX)
        })
    }
}

/// Filters of the notification list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationFilter {
    pub ticket_id: Option<TicketId>,
    pub status: Option<DeliveryStatus>,
}

/// Storage of the outbox.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync + 'static {
    /// Claims the due events of up to `tickets` tickets, leased until `lease_until`. For
    /// each ticket, the claim is a prefix of its pending events in id order: the oldest
    /// pending event of the ticket, then the ticket's next pending events, up to
    /// `per_ticket` in all, stopping before the first one not due at `now` (a ticket whose
    /// oldest pending event is not due is not claimed at all). Tickets are taken by the due
    /// time of their oldest pending event, earliest first.
    ///
    /// MUST count an attempt on every claimed event and move its `next_attempt_at` to
    /// `lease_until`, atomically, so that no other caller (on any instance) claims a leased
    /// event, or any later event of the same ticket, before the lease ends or the event is
    /// recorded ([`mark_sent`](Self::mark_sent), [`mark_failed`](Self::mark_failed)) or
    /// given back ([`release`](Self::release)). The events may come in any order.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        tickets: i64,
        per_ticket: i64,
    ) -> Result<Vec<Notification>, RepositoryError>;

    /// Records a delivery.
    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Records a failed attempt: pending again from `retry_at`, or failed for good when
    /// `retry_at` is `None`.
    async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError>;

    /// Gives back claimed events that were not sent: each is due again at `at`, and the
    /// attempt its claim counted is taken back. Only events still pending and still under
    /// the lease `lease_until` are touched, so an event whose lease ran out and that another
    /// caller claimed since keeps that caller's lease.
    async fn release(
        &self,
        ids: &[i64],
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Events of organization `org` matching `filter`, newest first, at most `limit`,
    /// before id `before` if given. Claims, marks and purges work across organizations.
    async fn list(
        &self,
        org: OrgId,
        filter: &NotificationFilter,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<Notification>, RepositoryError>;

    /// Deletes up to `limit` `sent` events delivered before `before`, the earliest
    /// deliveries first, and returns how many it deleted. MUST NOT delete `pending` or
    /// `failed` events, whatever their age. MUST be safe with several callers at once (on any
    /// instance): an event another caller is deleting is skipped, not waited for, so a
    /// result below `limit` means nothing else was deletable when the call looked. Each
    /// call is a short transaction of its own.
    async fn purge_delivered(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, RepositoryError>;
}

/// Delivers one event to the Notification Service.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait(?Send)]
pub trait NotificationSender: 'static {
    /// Sends `notification`; `Err` carries a message for `last_error`.
    async fn send(&self, notification: &Notification) -> Result<(), String>;
}

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Events claimed, of every ticket.
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    /// Claimed events given back unsent: behind a failed one, or when the lease could not
    /// cover another send.
    pub released: usize,
}

impl std::ops::AddAssign for DispatchReport {
    fn add_assign(&mut self, other: Self) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.failed += other.failed;
        self.released += other.released;
    }
}

/// Moves due outbox events to the Notification Service.
#[derive(Debug)]
pub struct Dispatcher<O, S, C> {
    outbox: O,
    sender: S,
    clock: C,
    pub retry: RetryPolicy,
    /// How long claimed events are reserved for this dispatcher.
    pub lease: Duration,
    /// The longest one send may take: the sender's own timeout. No send starts unless it
    /// ends within the lease, so a ticket's batch never runs past its lease (when another
    /// instance could claim the rest and deliver it alongside).
    pub send_timeout: Duration,
    /// Tickets claimed per round; their batches go side by side.
    pub tickets_per_round: i64,
    /// Events of one ticket claimed per round, delivered one after another.
    pub events_per_ticket: i64,
}

impl<O: OutboxRepository, S: NotificationSender, C: Clock> Dispatcher<O, S, C> {
    pub fn new(outbox: O, sender: S, clock: C, retry: RetryPolicy) -> Self {
        Self {
            outbox,
            sender,
            clock,
            retry,
            lease: Duration::from_secs(60),
            // Until told the sender's own (the server sets the webhook sender's).
            send_timeout: Duration::from_secs(10),
            tickets_per_round: 50,
            events_per_ticket: 50,
        }
    }

    /// One round: claims the due events of several tickets and delivers each ticket's
    /// batch in order, the tickets side by side. A round that claimed nothing found no due
    /// work; after any other there may be more (a full batch, events written meanwhile).
    ///
    /// A repository error ends the round with that error once every ticket's batch has
    /// stopped; the events it left unrecorded are sent again when their lease ends.
    pub async fn dispatch_once(&self) -> Result<DispatchReport, RepositoryError> {
        let now = self.clock.now();
        let lease_until = now + TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::MAX);
        let mut claimed = self
            .outbox
            .claim_due(
                now,
                lease_until,
                self.tickets_per_round,
                self.events_per_ticket,
            )
            .await?;
        claimed.sort_by_key(|event| (event.ticket_id, event.id));
        // Side by side across tickets: one slow or failing receiver costs its own ticket a
        // timeout, not every ticket one.
        let outcomes = join_all(
            claimed
                .chunk_by(|a, b| a.ticket_id == b.ticket_id)
                .map(|batch| self.deliver(batch, lease_until)),
        )
        .await;
        let mut report = DispatchReport::default();
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Ok(delivered) => report += delivered,
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(report), Err)
    }

    /// Delivers one ticket's batch (its claimed events, oldest first) one event at a time,
    /// each only after the previous one was acknowledged and recorded, so the receiver
    /// gets them in order. A failed send ends the batch: that event backs off, and the
    /// ones behind it are released unsent, since sending them would overtake it.
    async fn deliver(
        &self,
        batch: &[Notification],
        lease_until: DateTime<Utc>,
    ) -> Result<DispatchReport, RepositoryError> {
        let mut report = DispatchReport {
            claimed: batch.len(),
            ..DispatchReport::default()
        };
        for (i, event) in batch.iter().enumerate() {
            // The first send starts right after the claim; a later one only if it is sure
            // to end before the lease does.
            if i > 0 && !self.ends_within(lease_until) {
                report.released = self.release(&batch[i..], lease_until).await?;
                break;
            }
            let outcome = self.sender.send(event).await;
            let at = self.clock.now();
            match outcome {
                Ok(()) => {
                    self.outbox.mark_sent(event.id, at).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let retry_at = self.retry.retry_at(event.attempts, at);
                    self.outbox.mark_failed(event.id, &error, retry_at).await?;
                    report.failed += 1;
                    report.released = self.release(&batch[i + 1..], lease_until).await?;
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Whether a send starting now ends before `lease_until`.
    fn ends_within(&self, lease_until: DateTime<Utc>) -> bool {
        TimeDelta::from_std(self.send_timeout)
            .ok()
            .and_then(|timeout| self.clock.now().checked_add_signed(timeout))
            .is_some_and(|end| end < lease_until)
    }

    /// Gives `events` back, due at once: they are next in their ticket's order, so whatever
    /// holds the ticket back (a failed event's back-off) holds them too. Returns how many.
    async fn release(
        &self,
        events: &[Notification],
        lease_until: DateTime<Utc>,
    ) -> Result<usize, RepositoryError> {
        if events.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
        self.outbox
            .release(&ids, lease_until, self.clock.now())
            .await?;
        Ok(ids.len())
    }
}

/// Deletes delivered (`sent`) events once they are older than the retention, counted from
/// their delivery. `pending` and `failed` events are never deleted.
#[derive(Debug)]
pub struct OutboxPurger<O, C> {
    outbox: O,
    clock: C,
    /// How long a `sent` event is kept after `delivered_at`.
    pub retention: Duration,
    /// Events deleted per call of [`OutboxRepository::purge_delivered`] (one short
    /// transaction each).
    pub batch: i64,
}

impl<O: OutboxRepository, C: Clock> OutboxPurger<O, C> {
    pub fn new(outbox: O, clock: C, retention: Duration) -> Self {
        Self {
            outbox,
            clock,
            retention,
            batch: 1000,
        }
    }

    /// The delivery time before which `sent` events go at `now`; `None` when the retention
    /// reaches back beyond any representable time (nothing is old enough).
    pub fn cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        now.checked_sub_signed(TimeDelta::from_std(self.retention).ok()?)
    }

    /// One round: deletes the events past the retention in batches, as long as batches
    /// come back full and `keep_going()` holds (checked between batches, so a stop request
    /// waits for one batch at most). Returns how many were deleted. The cutoff is taken
    /// once, at the start of the round.
    pub async fn purge(
        &self,
        mut keep_going: impl FnMut() -> bool,
    ) -> Result<usize, RepositoryError> {
        let Some(before) = self.cutoff(self.clock.now()) else {
            return Ok(0);
        };
        let mut purged = 0;
        loop {
            let deleted = self.outbox.purge_delivered(before, self.batch).await?;
            purged += deleted;
            if deleted == 0 || (deleted as i64) < self.batch || !keep_going() {
                return Ok(purged);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ports::FixedClock;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_attempts: 5,
        };
        let delays: Vec<u64> = (1..=6).map(|a| p.delay_after(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(p.delay_after(i32::MAX), Duration::from_secs(10));
    }

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000)
    }

    const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

    /// A purger over `outbox` at `t0()`, keeping a week, in batches of 3.
    fn purger(outbox: MockOutboxRepository) -> OutboxPurger<MockOutboxRepository, FixedClock> {
        let mut purger = OutboxPurger::new(outbox, FixedClock(t0()), WEEK);
        purger.batch = 3;
        purger
    }

    /// An outbox whose successive `purge_delivered` calls answer `answers`, each call
    /// checked for the cutoff (`t0()` less a week) and the batch size.
    fn outbox_answering(answers: Vec<Result<usize, RepositoryError>>) -> MockOutboxRepository {
        let mut outbox = MockOutboxRepository::new();
        let mut sequence = mockall::Sequence::new();
        for answer in answers {
            let mut answer = Some(answer);
            outbox
                .expect_purge_delivered()
                .withf(|before, limit| *before == t0() - TimeDelta::days(7) && *limit == 3)
                .times(1)
                .in_sequence(&mut sequence)
                .returning(move |_, _| answer.take().unwrap_or(Ok(0)));
        }
        outbox
    }

    #[tokio::test]
    async fn purge_repeats_full_batches_until_one_comes_back_short() {
        let outbox = outbox_answering(vec![Ok(3), Ok(3), Ok(1)]);
        assert_eq!(purger(outbox).purge(|| true).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn purge_with_nothing_past_the_retention_asks_once() {
        let outbox = outbox_answering(vec![Ok(0)]);
        assert_eq!(purger(outbox).purge(|| true).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn purge_stops_between_batches_when_told() {
        // Full batches forever, but the worker is stopping after the second one.
        let outbox = outbox_answering(vec![Ok(3), Ok(3)]);
        let mut asked = 0;
        let purged = purger(outbox)
            .purge(|| {
                asked += 1;
                asked < 2
            })
            .await;
        assert_eq!(purged.unwrap(), 6);
        assert_eq!(asked, 2);
    }

    #[tokio::test]
    async fn a_failed_batch_ends_the_round_with_the_error() {
        let unavailable = RepositoryError::Unavailable("connection refused".into());
        let outbox = outbox_answering(vec![Ok(3), Err(unavailable)]);
        let result = purger(outbox).purge(|| true).await;
        assert!(
            matches!(result, Err(RepositoryError::Unavailable(_))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_retention_beyond_any_date_purges_nothing() {
        // No call expected: the mock fails the test if the store is asked.
        let mut purger = purger(MockOutboxRepository::new());
        purger.retention = Duration::MAX;
        assert_eq!(purger.cutoff(t0()), None);
        assert_eq!(purger.purge(|| true).await.unwrap(), 0);
    }

    #[test]
    fn the_cutoff_is_now_less_the_retention() {
        let purger = purger(MockOutboxRepository::new());
        assert_eq!(purger.cutoff(t0()), Some(t0() - TimeDelta::days(7)));
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(p.retry_at(1, now), Some(now + TimeDelta::seconds(1)));
        assert_eq!(p.retry_at(p.max_attempts, now), None);
    }
}
