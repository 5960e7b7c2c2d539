//! The notification outbox: ticket events written with each change, delivered at least once
//! to the Notification Service, in order per ticket, with exponential back-off.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;
use serde::Serialize;

use crate::model::TicketId;
use crate::ports::{Clock, RepositoryError};
use crate::ticket::EventType;

/// Delivery state of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet; will be tried (again) at `next_attempt_at`.
    Pending,
    Sent,
    /// Given up after the maximum number of attempts.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: &'static [DeliveryStatus] = &[
        DeliveryStatus::Pending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, crate::FieldError> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| crate::FieldError::new(field, "must be one of: pending, sent, failed"))
    }
}

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
    /// Claims up to `limit` pending events due at `now`, oldest first, each the oldest
    /// pending event of its ticket (so at most one per ticket, and order per ticket), and
    /// leases them until `lease_until`: MUST count the attempt and move `next_attempt_at` to
    /// `lease_until` atomically, so that no other caller (on any instance) claims a leased
    /// event, or a later event of the same ticket, before the lease ends.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
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

    /// Events matching `filter`, newest first, at most `limit`, before id `before` if given.
    async fn list(
        &self,
        filter: &NotificationFilter,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<Notification>, RepositoryError>;
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
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
}

/// Moves due outbox events to the Notification Service.
#[derive(Debug)]
pub struct Dispatcher<O, S, C> {
    outbox: O,
    sender: S,
    clock: C,
    pub retry: RetryPolicy,
    /// How long a claimed event is reserved for this dispatcher (longer than a send).
    pub lease: Duration,
    pub batch: i64,
}

impl<O: OutboxRepository, S: NotificationSender, C: Clock> Dispatcher<O, S, C> {
    pub fn new(outbox: O, sender: S, clock: C, retry: RetryPolicy) -> Self {
        Self {
            outbox,
            sender,
            clock,
            retry,
            lease: Duration::from_secs(60),
            batch: 50,
        }
    }

    /// One round: claim due events and deliver each, recording the outcome.
    pub async fn dispatch_once(&self) -> Result<DispatchReport, RepositoryError> {
        let now = self.clock.now();
        let lease_until = now + TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::MAX);
        let claimed = self.outbox.claim_due(now, lease_until, self.batch).await?;
        // Sent side by side: one slow or unreachable receiver costs one timeout per round,
        // not one per event. Claims hold at most one event per ticket, so order per ticket
        // is kept.
        let outcomes = join_all(claimed.iter().map(|event| self.sender.send(event))).await;
        let mut report = DispatchReport {
            claimed: claimed.len(),
            ..DispatchReport::default()
        };
        for (event, outcome) in claimed.iter().zip(outcomes) {
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
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn gives_up_after_the_last_attempt() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(p.retry_at(1, now), Some(now + TimeDelta::seconds(1)));
        assert_eq!(p.retry_at(p.max_attempts, now), None);
    }
}
