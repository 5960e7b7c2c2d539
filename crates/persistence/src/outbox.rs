//! [`OutboxRepository`] on PostgreSQL: the `notification_logs` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Timestamptz};
use diesel_async::RunQueryDsl;
use ticket_domain::{Notification, NotificationFilter, OrgId, OutboxRepository, RepositoryError};

use crate::error::{DbError, pool_error};
use crate::pool::PgPool;
use crate::prepared::Prepared;
use crate::rows::NotificationRow;
use crate::schema::notification_logs;

/// Claims due events ($1 now, $2 lease end) of up to $3 tickets, up to $4 events each: the
/// batch of a ticket is a prefix of its pending events in id order, all due.
///
/// - `heads`: the oldest pending event of each ticket, if due, earliest due first. Its row
///   lock stands for the whole ticket: `SKIP LOCKED` lets dispatchers on several instances
///   claim disjoint tickets, and while one claims a ticket, another sees that head as
///   pending (its snapshot predates the claim) and so finds no later event of that ticket
///   that is oldest pending either. A head leased meanwhile by another is re-checked after
///   its lock and left out.
/// - `batches`: from each head on, the ticket's pending events (the partial index on
///   `(ticket_id, id)`, in order), up to $4, stopping before the first one not due: a
///   later event is never claimed ahead of one still leased or backing off. Once committed,
///   the lease (`next_attempt_at` past now) keeps every claimed event, and so every later
///   one of its ticket, out of other claims until it is recorded or released.
/// - The `UPDATE` counts the attempt and moves `next_attempt_at` to the lease's end. Its
///   own conditions are re-checked on rows changed since the snapshot, so an event recorded
///   meanwhile (by a dispatcher whose lease ran out) is not claimed again.
const CLAIM_SQL: &str = "\
    WITH heads AS MATERIALIZED ( \
        SELECT n.id, n.ticket_id FROM notification_logs n \
        WHERE n.status = 'pending' AND n.next_attempt_at <= $1 \
          AND NOT EXISTS ( \
              SELECT 1 FROM notification_logs p \
              WHERE p.ticket_id = n.ticket_id AND p.status = 'pending' AND p.id < n.id) \
        ORDER BY n.next_attempt_at, n.id \
        LIMIT $3 \
        FOR UPDATE SKIP LOCKED \
    ), batches AS ( \
        SELECT b.id FROM heads h \
        CROSS JOIN LATERAL ( \
            SELECT w.id FROM ( \
                SELECT f.id, bool_and(f.due) OVER (ORDER BY f.id) AS all_due_so_far \
                FROM ( \
                    SELECT n.id, n.next_attempt_at <= $1 AS due FROM notification_logs n \
                    WHERE n.ticket_id = h.ticket_id AND n.status = 'pending' AND n.id >= h.id \
                    ORDER BY n.id \
                    LIMIT $4 \
                ) f \
            ) w \
            WHERE w.all_due_so_far \
        ) b \
    ) \
    UPDATE notification_logs n \
    SET attempts = n.attempts + 1, next_attempt_at = $2 \
    FROM batches b \
    WHERE n.id = b.id AND n.status = 'pending' AND n.next_attempt_at <= $1 \
    RETURNING n.id, n.ticket_id, n.event_type, n.payload, n.status, n.attempts, n.last_error, \
        n.next_attempt_at, n.created_at, n.delivered_at";

/// Gives back claimed events ($1 ids) still under the lease ending at $2: due again at $3,
/// their claim's attempt taken back. The lease's end tells this claim from a later one by
/// another dispatcher, after this lease ran out, whose lease must stand.
const RELEASE_SQL: &str = "\
    UPDATE notification_logs \
    SET attempts = GREATEST(attempts - 1, 0), next_attempt_at = $3 \
    WHERE id = ANY($1) AND status = 'pending' AND next_attempt_at = $2";

/// Deletes one batch of delivered events past the retention: `sent`, delivered before $1,
/// earliest deliveries first, at most $2. Served by the partial index
/// `notification_logs_sent_idx` (`delivered_at` of `sent` rows): the batch is read off the
/// front of the index and never scans `pending` or `failed` rows. `SKIP LOCKED` lets purgers
/// on several instances delete disjoint batches without waiting for each other; a row
/// changed meanwhile is re-checked after its lock and left out if it no longer qualifies.
const PURGE_SQL: &str = "\
    WITH doomed AS ( \
        SELECT id FROM notification_logs \
        WHERE status = 'sent' AND delivered_at < $1 \
        ORDER BY delivered_at \
        LIMIT $2 \
        FOR UPDATE SKIP LOCKED \
    ) \
    DELETE FROM notification_logs n USING doomed d WHERE n.id = d.id";

/// The PostgreSQL outbox. Cheap to clone: it holds the pool.
#[derive(Clone)]
pub struct PgOutbox {
    pool: PgPool,
}

impl std::fmt::Debug for PgOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOutbox").finish_non_exhaustive()
    }
}

impl PgOutbox {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// How many events wait for delivery (pending), for the backlog gauge.
    pub async fn backlog(&self) -> Result<i64, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        notification_logs::table
            .filter(notification_logs::status.eq("pending"))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(|e| DbError::from(e).into())
    }
}

#[async_trait]
impl OutboxRepository for PgOutbox {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        tickets: i64,
        per_ticket: i64,
    ) -> Result<Vec<Notification>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut rows: Vec<NotificationRow> = Prepared(
            diesel::sql_query(CLAIM_SQL)
                .bind::<Timestamptz, _>(now)
                .bind::<Timestamptz, _>(lease_until)
                .bind::<BigInt, _>(tickets)
                .bind::<BigInt, _>(per_ticket),
        )
        .load(&mut conn)
        .await
        .map_err(DbError::from)?;
        // RETURNING has no order; deliver oldest first.
        rows.sort_by_key(NotificationRow::id);
        Ok(rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        Prepared(diesel::update(notification_logs::table.find(id)).set((
            notification_logs::status.eq("sent"),
            notification_logs::delivered_at.eq(at),
            notification_logs::last_error.eq(None::<String>),
        )))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        metrics::counter!("notifications_sent_total").increment(1);
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let error: String = error.chars().take(2000).collect();
        let update = diesel::update(notification_logs::table.find(id));
        match retry_at {
            Some(at) => {
                update
                    .set((
                        notification_logs::last_error.eq(error),
                        notification_logs::next_attempt_at.eq(at),
                    ))
                    .execute(&mut conn)
                    .await
            }
            None => {
                update
                    .set((
                        notification_logs::status.eq("failed"),
                        notification_logs::last_error.eq(error),
                    ))
                    .execute(&mut conn)
                    .await
            }
        }
        .map_err(DbError::from)?;
        let outcome = if retry_at.is_some() {
            "retry"
        } else {
            "gave_up"
        };
        metrics::counter!("notification_delivery_failures_total", "outcome" => outcome)
            .increment(1);
        Ok(())
    }

    async fn release(
        &self,
        ids: &[i64],
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        Prepared(
            diesel::sql_query(RELEASE_SQL)
                .bind::<Array<BigInt>, _>(ids)
                .bind::<Timestamptz, _>(lease_until)
                .bind::<Timestamptz, _>(at),
        )
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    async fn purge_delivered(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let deleted = Prepared(
            diesel::sql_query(PURGE_SQL)
                .bind::<Timestamptz, _>(before)
                .bind::<BigInt, _>(limit),
        )
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        metrics::counter!("notifications_purged_total").increment(deleted as u64);
        Ok(deleted)
    }

    async fn list(
        &self,
        org: OrgId,
        filter: &NotificationFilter,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<Notification>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut query = notification_logs::table
            .filter(notification_logs::org_id.eq(org.as_uuid()))
            .order(notification_logs::id.desc())
            .limit(limit)
            .select(NotificationRow::as_select())
            .into_boxed();
        if let Some(ticket) = filter.ticket_id {
            query = query.filter(notification_logs::ticket_id.eq(ticket.as_uuid()));
        }
        if let Some(status) = filter.status {
            query = query.filter(notification_logs::status.eq(status.as_str()));
        }
        if let Some(before) = before {
            query = query.filter(notification_logs::id.lt(before));
        }
        let rows: Vec<NotificationRow> = query.load(&mut conn).await.map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<_, _>>()?)
    }
}

/// Against a private PostgreSQL database each (`test_db`).
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::pool::{PoolSettings, build_pool};
    use crate::test_db::TestDatabase;
    use chrono::TimeDelta;
    use diesel::sql_types::{Nullable, Text};
    use diesel_async::SimpleAsyncConnection;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use uuid::Uuid;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    /// The cutoff the tests purge at.
    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    async fn outbox(db: &TestDatabase) -> PgOutbox {
        PgOutbox::new(build_pool(&db.url(), &PoolSettings::default()).unwrap())
    }

    /// A ticket for events to belong to (the foreign key).
    async fn ticket(outbox: &PgOutbox) -> Uuid {
        let mut conn = outbox.pool.get().await.unwrap();
        let id = Uuid::new_v4();
        diesel::sql_query(
            "INSERT INTO tickets (id, title, severity, status, camera_id, provider_id, \
             alert_data, dedup_key, occurred_at, first_alert_at, last_alert_at, \
             first_response_due_at, resolution_due_at, created_at, updated_at) \
             VALUES ($1, 'purge test', 'low', 'open', 1, $1, '{}', $1::text, \
                     $2, $2, $2, $2, $2, $2, $2)",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<Timestamptz, _>(t0() - TimeDelta::days(90))
        .execute(&mut conn)
        .await
        .unwrap();
        id
    }

    /// Writes an event of `ticket` in `status`, delivered at `delivered_at`; returns its id.
    async fn event(
        outbox: &PgOutbox,
        ticket: Uuid,
        status: &str,
        delivered_at: Option<DateTime<Utc>>,
    ) -> i64 {
        let mut conn = outbox.pool.get().await.unwrap();
        let created_at = t0() - TimeDelta::days(60);
        diesel::sql_query(
            "INSERT INTO notification_logs (ticket_id, event_type, payload, status, attempts, \
             next_attempt_at, created_at, delivered_at) \
             VALUES ($1, 'ticket_created', '{}', $2, 1, $3, $3, $4) RETURNING id",
        )
        .bind::<diesel::sql_types::Uuid, _>(ticket)
        .bind::<Text, _>(status)
        .bind::<Timestamptz, _>(created_at)
        .bind::<Nullable<Timestamptz>, _>(delivered_at)
        .get_result::<Id>(&mut conn)
        .await
        .unwrap()
        .id
    }

    async fn remaining(outbox: &PgOutbox) -> Vec<i64> {
        let mut conn = outbox.pool.get().await.unwrap();
        notification_logs::table
            .select(notification_logs::id)
            .order(notification_logs::id)
            .load(&mut conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn purge_deletes_only_sent_events_delivered_before_the_cutoff() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let t = ticket(&outbox).await;
        let day = TimeDelta::days(1);
        let old = event(&outbox, t, "sent", Some(t0() - day * 30)).await;
        let just_before = event(&outbox, t, "sent", Some(t0() - TimeDelta::microseconds(1))).await;
        let at_cutoff = event(&outbox, t, "sent", Some(t0())).await;
        let recent = event(&outbox, t, "sent", Some(t0() + TimeDelta::hours(1))).await;
        // Never delivered, however old: waiting, and dead-lettered.
        let pending = event(&outbox, t, "pending", None).await;
        let failed = event(&outbox, t, "failed", None).await;
        // Old delivery times on rows that are not `sent` (put back by hand): the status
        // decides, not the timestamp.
        let requeued = event(&outbox, t, "pending", Some(t0() - day * 40)).await;
        let failed_stamped = event(&outbox, t, "failed", Some(t0() - day * 40)).await;

        assert_eq!(outbox.purge_delivered(t0(), 100).await.unwrap(), 2);
        let left = remaining(&outbox).await;
        assert!(
            !left.contains(&old) && !left.contains(&just_before),
            "{left:?}"
        );
        assert_eq!(
            left,
            vec![at_cutoff, recent, pending, failed, requeued, failed_stamped]
        );
        assert_eq!(outbox.purge_delivered(t0(), 100).await.unwrap(), 0);
        assert_eq!(remaining(&outbox).await.len(), 6);
    }

    #[tokio::test]
    async fn purge_deletes_in_batches_earliest_delivery_first() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let t = ticket(&outbox).await;
        // Ids in another order than delivery times.
        let mut by_delivery = Vec::new();
        for days_ago in [3, 5, 1, 4, 2] {
            let id = event(&outbox, t, "sent", Some(t0() - TimeDelta::days(days_ago))).await;
            by_delivery.push((days_ago, id));
        }
        by_delivery.sort_by_key(|(days_ago, _)| -days_ago);
        let ids: Vec<i64> = by_delivery.iter().map(|(_, id)| *id).collect();
        let kept = |from: usize| {
            let mut rest = ids[from..].to_vec();
            rest.sort_unstable();
            rest
        };

        assert_eq!(outbox.purge_delivered(t0(), 2).await.unwrap(), 2);
        assert_eq!(
            remaining(&outbox).await,
            kept(2),
            "the two earliest go first"
        );
        assert_eq!(outbox.purge_delivered(t0(), 2).await.unwrap(), 2);
        assert_eq!(remaining(&outbox).await, kept(4));
        assert_eq!(
            outbox.purge_delivered(t0(), 2).await.unwrap(),
            1,
            "short: done"
        );
        assert_eq!(outbox.purge_delivered(t0(), 2).await.unwrap(), 0);
        assert!(remaining(&outbox).await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_purges_share_the_work_and_delete_each_event_once() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let t = ticket(&outbox).await;
        let mut conn = outbox.pool.get().await.unwrap();
        diesel::sql_query(
            "INSERT INTO notification_logs (ticket_id, event_type, payload, status, attempts, \
             next_attempt_at, created_at, delivered_at) \
             SELECT $1, 'ticket_created', '{}', 'sent', 1, $2, $2, \
                    $2 + make_interval(secs => i) \
             FROM generate_series(1, 600) AS i",
        )
        .bind::<diesel::sql_types::Uuid, _>(t)
        .bind::<Timestamptz, _>(t0() - TimeDelta::days(30))
        .execute(&mut conn)
        .await
        .unwrap();
        drop(conn);

        // Three purgers, as on three instances, each until its batch comes back short.
        let purgers = (0..3).map(|_| {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                let mut purged = 0;
                loop {
                    let n = outbox.purge_delivered(t0(), 25).await.unwrap();
                    purged += n;
                    if n < 25 {
                        return purged;
                    }
                }
            })
        });
        let mut total = 0;
        for purger in purgers.collect::<Vec<_>>() {
            total += purger.await.unwrap();
        }
        assert_eq!(total, 600, "every event counted once");
        assert!(remaining(&outbox).await.is_empty());
    }

    /// Writes a pending event of `ticket`, never tried, due at `due`; returns its id.
    async fn pending(outbox: &PgOutbox, ticket: Uuid, due: DateTime<Utc>) -> i64 {
        let mut conn = outbox.pool.get().await.unwrap();
        diesel::sql_query(
            "INSERT INTO notification_logs (ticket_id, event_type, payload, status, attempts, \
             next_attempt_at, created_at) \
             VALUES ($1, 'alert_merged', '{}', 'pending', 0, $2, $3) RETURNING id",
        )
        .bind::<diesel::sql_types::Uuid, _>(ticket)
        .bind::<Timestamptz, _>(due)
        .bind::<Timestamptz, _>(t0() - TimeDelta::days(1))
        .get_result::<Id>(&mut conn)
        .await
        .unwrap()
        .id
    }

    /// `count` pending events of `ticket`, due an hour before `t0()`.
    async fn backlog_of(outbox: &PgOutbox, ticket: Uuid, count: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        for _ in 0..count {
            ids.push(pending(outbox, ticket, t0() - TimeDelta::hours(1)).await);
        }
        ids
    }

    /// (attempts, next_attempt_at) of event `id`.
    async fn lease_of(outbox: &PgOutbox, id: i64) -> (i32, DateTime<Utc>) {
        let mut conn = outbox.pool.get().await.unwrap();
        notification_logs::table
            .find(id)
            .select((
                notification_logs::attempts,
                notification_logs::next_attempt_at,
            ))
            .first(&mut conn)
            .await
            .unwrap()
    }

    fn ids(claimed: &[Notification]) -> Vec<i64> {
        let mut ids: Vec<i64> = claimed.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        ids
    }

    /// The end of the lease the tests claim under, at `t0()`.
    fn lease_end() -> DateTime<Utc> {
        t0() + TimeDelta::minutes(1)
    }

    async fn claim(outbox: &PgOutbox, tickets: i64, per_ticket: i64) -> Vec<Notification> {
        outbox
            .claim_due(t0(), lease_end(), tickets, per_ticket)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_claim_takes_a_due_prefix_of_each_tickets_pending_events() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let later = t0() + TimeDelta::seconds(30);
        let (a, b, c) = (
            ticket(&outbox).await,
            ticket(&outbox).await,
            ticket(&outbox).await,
        );
        // Delivered and dead-lettered events are not part of a ticket's queue.
        event(&outbox, a, "sent", Some(t0())).await;
        event(&outbox, a, "failed", None).await;
        let of_a = backlog_of(&outbox, a, 5).await;
        // b: the second event backs off (a requeued one, say); the third waits behind it.
        let b1 = pending(&outbox, b, t0() - TimeDelta::hours(1)).await;
        pending(&outbox, b, later).await;
        pending(&outbox, b, t0() - TimeDelta::hours(1)).await;
        // c: the oldest backs off, so nothing of c goes.
        pending(&outbox, c, later).await;
        backlog_of(&outbox, c, 2).await;

        let claimed = claim(&outbox, 10, 3).await;
        assert_eq!(ids(&claimed), [of_a[0], of_a[1], of_a[2], b1]);
        for event in &claimed {
            assert_eq!(event.attempts, 1, "the claim counts the attempt");
            assert_eq!(event.next_attempt_at, lease_end(), "and leases the event");
            assert_eq!(lease_of(&outbox, event.id).await, (1, lease_end()));
        }
        assert_eq!(
            lease_of(&outbox, of_a[3]).await,
            (0, t0() - TimeDelta::hours(1))
        );
    }

    #[tokio::test]
    async fn a_claim_takes_the_tickets_due_earliest_first() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let (late, early) = (ticket(&outbox).await, ticket(&outbox).await);
        let late_event = pending(&outbox, late, t0() - TimeDelta::minutes(1)).await;
        let early_event = pending(&outbox, early, t0() - TimeDelta::minutes(2)).await;
        assert_eq!(ids(&claim(&outbox, 1, 50).await), [early_event]);
        assert_eq!(ids(&claim(&outbox, 1, 50).await), [late_event]);
        assert!(claim(&outbox, 1, 50).await.is_empty());
    }

    #[tokio::test]
    async fn a_leased_ticket_goes_to_no_other_claim_until_recorded_or_released() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let t = ticket(&outbox).await;
        let of_t = backlog_of(&outbox, t, 6).await;
        assert_eq!(ids(&claim(&outbox, 10, 3).await), of_t[..3]);
        // Due events 4 to 6 sit behind leased ones.
        assert!(claim(&outbox, 10, 3).await.is_empty());
        outbox.mark_sent(of_t[0], t0()).await.unwrap();
        assert!(
            claim(&outbox, 10, 3).await.is_empty(),
            "2 and 3 still leased"
        );

        // The dispatcher gives back 2 and 3 (behind a failure, say): not under another
        // lease, nothing happens; under this one, they are due again, attempt taken back.
        let other_lease = lease_end() + TimeDelta::seconds(1);
        outbox
            .release(&of_t[1..3], other_lease, t0())
            .await
            .unwrap();
        assert_eq!(lease_of(&outbox, of_t[1]).await, (1, lease_end()));
        outbox
            .release(&of_t[1..3], lease_end(), t0())
            .await
            .unwrap();
        assert_eq!(lease_of(&outbox, of_t[1]).await, (0, t0()));
        assert_eq!(lease_of(&outbox, of_t[2]).await, (0, t0()));
        assert_eq!(ids(&claim(&outbox, 10, 3).await), of_t[1..4]);

        // A failed event backing off holds back the released ones behind it.
        outbox
            .mark_failed(of_t[1], "HTTP 500", Some(t0() + TimeDelta::seconds(1)))
            .await
            .unwrap();
        outbox
            .release(&of_t[2..4], lease_end(), t0())
            .await
            .unwrap();
        assert!(claim(&outbox, 10, 3).await.is_empty());
        // Given up on, it holds nothing back.
        outbox.mark_failed(of_t[1], "HTTP 500", None).await.unwrap();
        assert_eq!(ids(&claim(&outbox, 10, 3).await), of_t[2..5]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_claims_keep_each_tickets_order_and_take_each_event_once() {
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let mut expected = Vec::new();
        for _ in 0..4 {
            let t = ticket(&outbox).await;
            expected.push((t, backlog_of(&outbox, t, 40).await));
        }
        // What each ticket's receiver got, in the order it got it.
        let received: Arc<Mutex<HashMap<Uuid, Vec<i64>>>> = Arc::default();
        // Six dispatchers, as on six instances, until claims come back empty: each sends
        // (appends) a batch one event at a time, recording each before the next.
        let dispatchers = (0..6).map(|_| {
            let (outbox, received) = (outbox.clone(), received.clone());
            tokio::spawn(async move {
                loop {
                    let mut claimed = claim(&outbox, 2, 3).await;
                    if claimed.is_empty() {
                        return;
                    }
                    claimed.sort_by_key(|n| n.id);
                    for event in claimed {
                        received
                            .lock()
                            .unwrap()
                            .entry(event.ticket_id.as_uuid())
                            .or_default()
                            .push(event.id);
                        tokio::task::yield_now().await;
                        outbox.mark_sent(event.id, t0()).await.unwrap();
                    }
                }
            })
        });
        for dispatcher in dispatchers.collect::<Vec<_>>() {
            dispatcher.await.unwrap();
        }
        let received = received.lock().unwrap();
        for (t, ids) in &expected {
            assert_eq!(&received[t], ids, "ticket {t}: in order, each once");
        }
    }

    #[tokio::test]
    async fn purge_reads_the_partial_index_of_sent_events() {
        #[derive(QueryableByName)]
        struct Plan {
            #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
            line: String,
        }
        let db = TestDatabase::new().await;
        let outbox = outbox(&db).await;
        let mut conn = outbox.pool.get().await.unwrap();
        // An empty table would be scanned whole; say what a large one makes the planner do.
        conn.batch_execute("SET enable_seqscan = off")
            .await
            .unwrap();
        let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN {PURGE_SQL}"))
            .bind::<Timestamptz, _>(t0())
            .bind::<BigInt, _>(1000)
            .load(&mut conn)
            .await
            .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|p| p.line).collect();
        assert!(
            plan.iter()
                .any(|l| l.contains("Index Scan using notification_logs_sent_idx")),
            "{plan:#?}"
        );
        assert!(!plan.iter().any(|l| l.contains("Sort")), "{plan:#?}");
        conn.batch_execute("RESET enable_seqscan").await.unwrap();
    }
}
