//! Durable timers (`ticket_timers`, migration 000035): one row per ticket and kind, due at
//! `due_at`. Writers keep a ticket's rows as [`Ticket::timers`] says; workers find due
//! rows across organizations and fire each inside its own.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ticket_domain::suppression::Released;
use ticket_domain::timer::fire;
use ticket_domain::{AssignmentRules, Status};
use ticket_domain::{
    AutoResolve, AutoResolved, DueTimer, Escalated, Escalation, Fired, OrgId, OutboxEvent, Ticket,
    TicketId, TimerKind,
};

use crate::assignment::assign_new;
use crate::error::DbError;
use crate::prepared::Prepared;
use crate::repo::{TICKET_COLUMNS, set_org, store_transition};
use crate::rows::{CommentRow, NewHistoryRow, NewNotificationRow, TicketChanges, TicketRow};
use crate::schema::{notification_logs, ticket_comments, ticket_state_history, tickets};

/// Upserts every timer `ticket` needs now. A row whose due time is unchanged is not
/// rewritten; timers it no longer needs stay and fire as no-ops (cheaper than deleting on
/// every change). One statement, to pipeline with the change that computed them.
pub(crate) async fn keep(conn: &AsyncPgConnection, ticket: &Ticket) -> Result<(), DbError> {
    let timers = ticket.timers();
    let kinds: Vec<&str> = timers.iter().map(|(k, _)| k.as_str()).collect();
    let due: Vec<DateTime<Utc>> = timers.iter().map(|(_, at)| *at).collect();
    Prepared(
        diesel::sql_query(
            "INSERT INTO ticket_timers (ticket_id, kind, org_id, due_at) \
             SELECT $1, kind, $2, due_at FROM unnest($3::text[], $4::timestamptz[]) \
               AS t(kind, due_at) \
             ON CONFLICT (ticket_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at \
               WHERE ticket_timers.due_at IS DISTINCT FROM EXCLUDED.due_at",
        )
        .bind::<diesel::sql_types::Uuid, _>(ticket.id().as_uuid())
        .bind::<diesel::sql_types::Uuid, _>(ticket.org_id().as_uuid())
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Timestamptz>, _>(due),
    )
    .execute(&mut &*conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct TimerRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    org_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    ticket_id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamptz)]
    due_at: DateTime<Utc>,
}

/// Timers due at `now` across organizations (the worker role's view), in (`due_at`,
/// `ticket_id`, `kind`) order, past `after` when given. With a cursor, the repeated
/// `due_at >= $2` bounds the scan of the `due_at` index (a row comparison alone would not);
/// the rest of the order is an incremental sort within equal due times.
pub(crate) async fn due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    after: Option<DueTimer>,
    limit: i64,
) -> Result<Vec<DueTimer>, DbError> {
    use diesel::sql_types::{Nullable, Uuid as SqlUuid};
    let rows: Vec<TimerRow> = Prepared(
        diesel::sql_query(
            "SELECT org_id, ticket_id, kind, due_at FROM ticket_timers \
             WHERE due_at <= $1 AND ($2::timestamptz IS NULL \
                 OR (due_at >= $2 AND (due_at, ticket_id, kind) > ($2, $3, $4))) \
             ORDER BY due_at, ticket_id, kind LIMIT $5",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<Timestamptz>, _>(after.map(|t| t.due_at))
        .bind::<Nullable<SqlUuid>, _>(after.map(|t| t.ticket_id.as_uuid()))
        .bind::<Nullable<Text>, _>(after.map(|t| t.kind.as_str()))
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DueTimer {
                org: OrgId::from_uuid(r.org_id),
                ticket_id: TicketId::from_uuid(r.ticket_id),
                kind: TimerKind::parse(&r.kind, "kind")
                    .map_err(|e| DbError::Corrupt(e.to_string()))?,
                due_at: r.due_at,
            })
        })
        .collect()
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Timestamptz)]
    #[allow(dead_code)]
    due_at: DateTime<Utc>,
}

/// Fires `timer` at `now`, inside a transaction on `conn`: see
/// `TicketRepository::fire_timer`. Returns whether this caller took the timer.
pub(crate) async fn fire_one(
    conn: &AsyncPgConnection,
    timer: &DueTimer,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let org = timer.org;
    // The worker finds timers across organizations; it fires each as a request of the
    // timer's organization would act (ticket_app, under its row-level security), for this
    // transaction only. The timer's row lock, taken or skipped, makes one caller fire it;
    // its due time is read again under the lock, so one fired and moved meanwhile is left.
    let (role, scoped, taken) = tokio::join!(
        Prepared(diesel::sql_query("SET LOCAL ROLE ticket_app")).execute(&mut &*conn),
        set_org(conn, org),
        Prepared(
            diesel::sql_query(
                "SELECT due_at FROM ticket_timers \
                 WHERE ticket_id = $1 AND kind = $2 AND due_at <= $3 \
                 FOR UPDATE SKIP LOCKED",
            )
            .bind::<diesel::sql_types::Uuid, _>(timer.ticket_id.as_uuid())
            .bind::<Text, _>(timer.kind.as_str())
            .bind::<Timestamptz, _>(now)
        )
        .load::<Taken>(&mut &*conn),
    );
    role?;
    scoped?;
    if taken?.is_empty() {
        return Ok(false);
    }
    // Writers lock the ticket, then its timers (`keep`); this takes them the other way
    // round, so it must not wait: a ticket being changed right now is left, and its timer
    // with it, for the next round.
    let row: Option<TicketRow> = Prepared(
        diesel::sql_query(format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 AND org_id = $2 \
             FOR UPDATE SKIP LOCKED"
        ))
        .bind::<diesel::sql_types::Uuid, _>(timer.ticket_id.as_uuid())
        .bind::<diesel::sql_types::Uuid, _>(org.as_uuid()),
    )
    .get_result(&mut &*conn)
    .await
    .optional()?;
    let Some(row) = row else {
        return Ok(false);
    };
    let ticket = Ticket::try_from(row)?;
    let after = match fire(&ticket, timer.kind, now) {
        None => ticket,
        Some(Fired::Transition {
            ticket: next,
            history,
            event,
        }) => {
            // Stored as a user's change is; the row is locked, so its version holds.
            store_transition(
                conn,
                org,
                &next,
                ticket.version(),
                &history,
                std::slice::from_ref(&event),
            )
            .await?;
            metrics::counter!("ticket_transitions_total", "to_status" => history.to_status.as_str())
                .increment(1);
            next
        }
        Some(
            Fired::Warned {
                ticket: next,
                events,
            }
            | Fired::Breached {
                ticket: next,
                events,
            },
        ) => {
            store_stamps(conn, org, &next, &events).await?;
            let counter = match timer.kind {
                TimerKind::SlaBreach => "sla_breaches_total",
                _ => "sla_warnings_total",
            };
            metrics::counter!(counter).increment(events.len() as u64);
            next
        }
        Some(Fired::Escalated(escalated)) => {
            store_escalated(conn, org, &ticket, &escalated).await?;
            escalated.ticket
        }
        Some(Fired::AutoResolved(AutoResolved::Resolved {
            ticket: next,
            history,
            event,
        })) => {
            store_transition(
                conn,
                org,
                &next,
                ticket.version(),
                &history,
                event.as_slice(),
            )
            .await?;
            metrics::counter!("ticket_transitions_total", "to_status" => history.to_status.as_str())
                .increment(1);
            next
        }
        Some(Fired::Released(released)) => {
            store_released(conn, org, &ticket, released, now).await?
        }
        Some(Fired::AutoResolved(AutoResolved::Declined {
            ticket: next,
            comment,
            event,
        })) => {
            store_declined(conn, org, &next, &comment, &event).await?;
            metrics::counter!("comments_added_total").increment(1);
            next
        }
    };
    // This timer moves to the ticket's next need of its kind, or goes; the others follow
    // the change.
    let (kept, dropped) = tokio::join!(keep(conn, &after), async {
        if after.timer(timer.kind).is_some() {
            return Ok(0);
        }
        Prepared(
            diesel::sql_query("DELETE FROM ticket_timers WHERE ticket_id = $1 AND kind = $2")
                .bind::<diesel::sql_types::Uuid, _>(timer.ticket_id.as_uuid())
                .bind::<Text, _>(timer.kind.as_str()),
        )
        .execute(&mut &*conn)
        .await
    },);
    kept?;
    dropped?;
    Ok(true)
}

/// Stores a suppressed ticket's release (see [`ticket_domain::suppression::release`]): the
/// ticket as if created now, its `ticket_created` event and, still active, what the
/// organization's assignment rules do to a new ticket now (as at creation: the history
/// row and event of the assignment, or `assignment_failed`). Returns the ticket as stored.
async fn store_released(
    conn: &AsyncPgConnection,
    org: OrgId,
    before: &Ticket,
    released: Released,
    now: DateTime<Utc>,
) -> Result<Ticket, DbError> {
    let Released {
        ticket,
        history: resolution,
        event,
    } = released;
    // As at creation: only a ticket still open is assigned by a rule.
    let assigned = match &event {
        Some(_) if ticket.status() == Status::Open => {
            let rules = AssignmentRules::new(crate::assignment::active_rules(conn, org).await?);
            match rules.plan_for(&ticket) {
                Some(plan) => Some(assign_new(conn, org, &ticket, &plan, now).await?),
                None => None,
            }
        }
        _ => None,
    };
    let (after, history, mut events) = match assigned {
        Some(a) => (a.ticket, a.history, vec![a.event]),
        None => (ticket, resolution, Vec::new()),
    };
    if let Some(h) = &history {
        metrics::counter!("ticket_transitions_total", "to_status" => h.to_status.as_str())
            .increment(1);
    }
    events.splice(0..0, event);
    let history: Vec<NewHistoryRow> = history.iter().map(|h| NewHistoryRow::new(org, h)).collect();
    let notifications: Vec<NewNotificationRow> = events
        .iter()
        .map(|e| NewNotificationRow::new(org, e))
        .collect();
    let (updated, logged, evented) = tokio::join!(
        Prepared(
            diesel::update(
                tickets::table
                    .find(after.id().as_uuid())
                    .filter(tickets::org_id.eq(org.as_uuid()))
                    .filter(tickets::version.eq(before.version())),
            )
            .set((
                TicketChanges::from(&after),
                tickets::created_at.eq(after.created_at()),
                tickets::escalation.eq(after.escalation().map(Escalation::to_json)),
            )),
        )
        .execute(&mut &*conn),
        async {
            if history.is_empty() {
                return Ok(0);
            }
            Prepared(diesel::insert_into(ticket_state_history::table).values(&history))
                .execute(&mut &*conn)
                .await
        },
        async {
            if notifications.is_empty() {
                return Ok(0);
            }
            Prepared(diesel::insert_into(notification_logs::table).values(&notifications))
                .execute(&mut &*conn)
                .await
        },
    );
    if updated? != 1 {
        return Err(DbError::Corrupt(
            "a locked ticket changed under its release".to_owned(),
        ));
    }
    logged?;
    evented?;
    metrics::counter!("tickets_released_total").increment(1);
    Ok(after)
}

/// Stores a locked ticket's warning and breach stamps with their events (none for a
/// target stamped without a warning: already breached).
async fn store_stamps(
    conn: &AsyncPgConnection,
    org: OrgId,
    next: &Ticket,
    events: &[OutboxEvent],
) -> Result<(), DbError> {
    let rows: Vec<NewNotificationRow> = events
        .iter()
        .map(|e| NewNotificationRow::new(org, e))
        .collect();
    let (stamped, evented) = tokio::join!(
        Prepared(
            diesel::update(
                tickets::table
                    .find(next.id().as_uuid())
                    .filter(tickets::org_id.eq(org.as_uuid()))
            )
            .set((
                tickets::first_response_warned_at.eq(next.first_response_warned_at()),
                tickets::resolution_warned_at.eq(next.resolution_warned_at()),
                tickets::first_response_breach_notified_at
                    .eq(next.first_response_breach_notified_at()),
                tickets::resolution_breach_notified_at.eq(next.resolution_breach_notified_at()),
            ))
        )
        .execute(&mut &*conn),
        async {
            if rows.is_empty() {
                return Ok(0);
            }
            diesel::insert_into(notification_logs::table)
                .values(&rows)
                .execute(&mut &*conn)
                .await
        },
    );
    stamped?;
    evented?;
    Ok(())
}

/// Stores an auto-resolve rule's comment on a locked ticket it left open: the ticket's new
/// version with the rule marked declined, the comment and its event, in one pipeline.
pub(crate) async fn store_declined(
    conn: &AsyncPgConnection,
    org: OrgId,
    next: &Ticket,
    comment: &ticket_domain::Comment,
    event: &OutboxEvent,
) -> Result<(), DbError> {
    let (updated, commented, evented) = tokio::join!(
        Prepared(
            diesel::update(
                tickets::table
                    .find(next.id().as_uuid())
                    .filter(tickets::org_id.eq(org.as_uuid()))
            )
            .set((
                TicketChanges::from(next),
                tickets::auto_resolve.eq(next.auto_resolve().map(AutoResolve::to_json)),
            ))
        )
        .execute(&mut &*conn),
        Prepared(diesel::insert_into(ticket_comments::table).values(CommentRow::new(org, comment)))
            .execute(&mut &*conn),
        async {
            // A silent ticket's comments make no event.
            if next.is_silent() {
                return Ok(0);
            }
            Prepared(
                diesel::insert_into(notification_logs::table)
                    .values(NewNotificationRow::new(org, event)),
            )
            .execute(&mut &*conn)
            .await
        },
    );
    if updated? != 1 {
        return Err(DbError::Corrupt(format!(
            "auto-resolved ticket {} not updated",
            next.id()
        )));
    }
    commented?;
    evented?;
    Ok(())
}

/// Stores what escalation steps did to a locked ticket, in one pipeline: the ticket's
/// changes (if any) and its chain's progress, then history rows, comments and events.
async fn store_escalated(
    conn: &AsyncPgConnection,
    org: OrgId,
    before: &Ticket,
    escalated: &Escalated,
) -> Result<(), DbError> {
    let next = &escalated.ticket;
    let key = tickets::table
        .find(next.id().as_uuid())
        .filter(tickets::org_id.eq(org.as_uuid()));
    let chain = next.escalation().map(Escalation::to_json);
    let history: Vec<NewHistoryRow> = escalated
        .history
        .iter()
        .map(|h| NewHistoryRow::new(org, h))
        .collect();
    let comments: Vec<CommentRow> = escalated
        .comments
        .iter()
        .map(|c| CommentRow::new(org, c))
        .collect();
    let events: Vec<NewNotificationRow> = escalated
        .events
        .iter()
        .map(|e| NewNotificationRow::new(org, e))
        .collect();
    let changed = next.version() != before.version();
    let (updated, logged, commented, evented) = tokio::join!(
        async {
            if changed {
                diesel::update(key)
                    .set((TicketChanges::from(next), tickets::escalation.eq(&chain)))
                    .execute(&mut &*conn)
                    .await
            } else {
                diesel::update(key)
                    .set(tickets::escalation.eq(&chain))
                    .execute(&mut &*conn)
                    .await
            }
        },
        async {
            if history.is_empty() {
                return Ok(0);
            }
            diesel::insert_into(ticket_state_history::table)
                .values(&history)
                .execute(&mut &*conn)
                .await
        },
        async {
            if comments.is_empty() {
                return Ok(0);
            }
            diesel::insert_into(ticket_comments::table)
                .values(&comments)
                .execute(&mut &*conn)
                .await
        },
        async {
            if events.is_empty() {
                return Ok(0);
            }
            diesel::insert_into(notification_logs::table)
                .values(&events)
                .execute(&mut &*conn)
                .await
        },
    );
    if updated? != 1 {
        return Err(DbError::Corrupt(format!(
            "escalated ticket {} not updated",
            next.id()
        )));
    }
    logged?;
    commented?;
    evented?;
    for entry in &escalated.history {
        metrics::counter!("ticket_transitions_total", "to_status" => entry.to_status.as_str())
            .increment(1);
    }
    metrics::counter!("comments_added_total").increment(escalated.comments.len() as u64);
    metrics::counter!("escalation_steps_total").increment(
        escalated
            .events
            .iter()
            .filter(|e| e.kind == ticket_domain::EventType::TicketEscalated)
            .count() as u64,
    );
    Ok(())
}
