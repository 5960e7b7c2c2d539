//! [`OutboxRepository`] on PostgreSQL: the `notification_logs` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::RunQueryDsl;
use ticket_domain::{Notification, NotificationFilter, OutboxRepository, RepositoryError};

use crate::error::{DbError, pool_error};
use crate::pool::PgPool;
use crate::rows::NotificationRow;
use crate::schema::notification_logs;

/// Claims due events: pending, due, and the oldest pending event of their ticket; leased
/// by moving `next_attempt_at` past the lease and counting the attempt. `SKIP LOCKED`
/// lets dispatchers on several instances claim disjoint batches; a row leased meanwhile
/// by another is re-checked after its lock and left out.
const CLAIM_SQL: &str = "\
    WITH claimable AS ( \
        SELECT n.id FROM notification_logs n \
        WHERE n.status = 'pending' AND n.next_attempt_at <= $1 \
          AND NOT EXISTS ( \
              SELECT 1 FROM notification_logs p \
              WHERE p.ticket_id = n.ticket_id AND p.status = 'pending' AND p.id < n.id) \
        ORDER BY n.next_attempt_at, n.id \
        LIMIT $3 \
        FOR UPDATE SKIP LOCKED \
    ) \
    UPDATE notification_logs n \
    SET attempts = n.attempts + 1, next_attempt_at = $2 \
    FROM claimable c WHERE n.id = c.id \
    RETURNING n.*";

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
        limit: i64,
    ) -> Result<Vec<Notification>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut rows: Vec<NotificationRow> = diesel::sql_query(CLAIM_SQL)
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(lease_until)
            .bind::<BigInt, _>(limit)
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
        diesel::update(notification_logs::table.find(id))
            .set((
                notification_logs::status.eq("sent"),
                notification_logs::delivered_at.eq(at),
                notification_logs::last_error.eq(None::<String>),
            ))
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

    async fn list(
        &self,
        filter: &NotificationFilter,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<Notification>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut query = notification_logs::table
            .order(notification_logs::id.desc())
            .limit(limit)
            .select(NotificationRow::as_select())
            .into_boxed();
        if let Some(ticket) = filter.ticket_id {
            query = query.filter(notification_logs::ticket_id.eq(ticket.0));
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
