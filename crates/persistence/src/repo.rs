//! [`TicketRepository`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use ticket_domain::suppression::DroppedAlert;
use ticket_domain::{
    AutoResolved, CameraId, Comment, Cursor, DueTimer, Earlier, EndDecision, EndEvent, Ended,
    Escalation, HealthCheck, HistoryEntry, IngestDecision, Ingested, ListQuery, OrgId, OutboxEvent,
    Page, ProviderId, Reopened, RepositoryError, ResolutionCounts, Severity, SlaTarget, Status,
    StoredAlert, TargetStats, Ticket, TicketDetails, TicketDraft, TicketFilter, TicketRef,
    TicketRepository, TicketStats, Visibility, decide_among, decide_end,
};
use uuid::Uuid;

use crate::assignment::assign_new;
use crate::error::{DbError, pool_error};
use crate::filter::{Bind, Conditions, sla_clock_sql};
use crate::pool::PgPool;
use crate::prepared::Prepared;
use crate::rows::{
    AlertRow, CommentRow, DroppedAlertRow, HistoryRow, NewAlertRow, NewDroppedAlertRow,
    NewHistoryRow, NewNotificationRow, NewTicketRow, TicketChanges, TicketRow,
};
use crate::schema::{
    dropped_alerts, notification_logs, ticket_alerts, ticket_comments, ticket_state_history,
    tickets,
};
use crate::timers;

/// How often an ingest transaction is retried after losing a uniqueness race to a
/// concurrent identical alert (the retry then finds the winner's ticket).
const INGEST_ATTEMPTS: usize = 5;

/// The PostgreSQL adapter. Cheap to clone: it holds the pool.
#[derive(Clone)]
pub struct PgTicketRepository {
    pool: PgPool,
}

impl std::fmt::Debug for PgTicketRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTicketRepository")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgTicketRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn conn(
        &self,
    ) -> Result<diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>, RepositoryError>
    {
        self.pool.get().await.map_err(pool_error)
    }
}

#[async_trait]
impl HealthCheck for PgTicketRepository {
    /// Whether the database answers a trivial query now.
    async fn ready(&self) -> Result<(), RepositoryError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(|e| DbError::from(e).into())
            .map(|_| ())
    }
}

/// Names the organization of the current transaction for row-level security (migration
/// 000032): `set_config(.., true)` is transaction-local, so a pooled connection never
/// carries it to another request, and a query outside such a transaction fails. Awaited
/// together with the transaction's first statements, it goes out in their pipeline and
/// costs no round trip of its own.
pub(crate) async fn set_org(conn: &AsyncPgConnection, org: OrgId) -> Result<(), DbError> {
    Prepared(
        diesel::sql_query("SELECT set_config('app.org_id', $1, true)")
            .bind::<Text, _>(org.as_uuid().to_string()),
    )
    .execute(&mut &*conn)
    .await?;
    Ok(())
}

/// The ticket `ticket` names in organization `org`, as a query to select from.
fn by_ref(org: OrgId, ticket: TicketRef) -> tickets::BoxedQuery<'static, Pg> {
    let query = tickets::table
        .filter(tickets::org_id.eq(org.as_uuid()))
        .into_boxed();
    match ticket {
        TicketRef::Id(id) => query.filter(tickets::id.eq(id.as_uuid())),
        TicketRef::Number(n) => query.filter(tickets::number.eq(n.get())),
    }
}

async fn find_row(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    ticket: TicketRef,
) -> Result<Option<TicketRow>, DbError> {
    find_row_shared(conn, org, ticket).await
}

/// [`find_row`] on a shared connection, to pipeline it with other statements.
async fn find_row_shared(
    conn: &AsyncPgConnection,
    org: OrgId,
    ticket: TicketRef,
) -> Result<Option<TicketRow>, DbError> {
    Ok(by_ref(org, ticket)
        .select(TicketRow::as_select())
        .first(&mut &*conn)
        .await
        .optional()?)
}

/// One ingest attempt, inside a transaction (see the port's contract): the lookups the
/// domain asks for ([`TicketDraft::lookup`]), then the writes of its [`decide`].
///
/// Statements that do not depend on each other's results go out as one pipeline:
/// diesel-async pipelines the futures of one connection that are polled together, and
/// PostgreSQL runs them in the order sent. Every request then costs two round trips plus
/// `BEGIN` and `COMMIT`, whatever its branch. `tokio::join!` (not `try_join!`) waits for
/// every answer, so the error reported is the first statement's, not a later
/// "transaction is aborted".
async fn ingest_once(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    draft: &TicketDraft,
    now: DateTime<Utc>,
) -> Result<Ingested, DbError> {
    let lookup = draft.lookup(now);
    let active_statuses: Vec<&str> = lookup.active_statuses.iter().map(|s| s.as_str()).collect();
    // Locked, so concurrent merges into one ticket serialise and each counts.
    let active = tickets::table
        .filter(tickets::org_id.eq(org.as_uuid()))
        .filter(tickets::provider_id.eq(lookup.provider_id.as_uuid()))
        .filter(tickets::dedup_key.eq(lookup.dedup_key.as_str()))
        .filter(tickets::status.eq_any(active_statuses))
        .select(TicketRow::as_select())
        .for_update()
        .first::<TicketRow>(&mut &*conn);
    // Concurrent first alerts of one incident queue here, before the lookup, so the later
    // ones find the ticket the first made and merge into it. Without it they all insert,
    // all but one fail on the active-key index and retry as merges, and each failed insert
    // has used up a ticket number (a burst into a new organization could make its first
    // ticket TCK-2). Sent in the lookup's pipeline: no round trip of its own. Merges into
    // an existing ticket queue on its row lock anyway.
    let incident = Prepared(
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind::<Text, _>(
            format!(
                "ingest/{}/{}/{}",
                org.as_uuid(),
                lookup.provider_id.as_uuid(),
                lookup.dedup_key.as_str()
            ),
        ),
    )
    .execute(&mut &*conn);
    // Without an active ticket, the incident's latest automatic resolution within the
    // reopen window (flapping): one more statement in the same pipeline, on a small
    // partial index (000054).
    let resolved = async {
        let Some(after) = lookup.reopen_resolved_after else {
            return Ok(None);
        };
        Prepared(
            diesel::sql_query(format!(
                "SELECT {TICKET_COLUMNS} FROM tickets \
                 WHERE org_id = $1 AND provider_id = $2 AND dedup_key = $3 \
                   AND status = 'resolved' AND resolved_by LIKE 'system:auto\\_resolve:%' \
                   AND resolved_at > $4 \
                 ORDER BY resolved_at DESC LIMIT 1 FOR UPDATE"
            ))
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(lookup.provider_id.as_uuid())
            .bind::<Text, _>(lookup.dedup_key.as_str())
            .bind::<Timestamptz, _>(after),
        )
        .get_result::<TicketRow>(&mut &*conn)
        .await
        .optional()
    };
    // An alert a `drop` window took keeps its id too: looked for only in organizations
    // that have had such a window (one more statement in the same pipeline).
    let dropped = async {
        let (Some(external_id), true) = (lookup.external_id, lookup.dropped_too) else {
            return Ok(None);
        };
        Prepared(
            dropped_alerts::table
                .filter(dropped_alerts::org_id.eq(org.as_uuid()))
                .filter(dropped_alerts::provider_id.eq(lookup.provider_id.as_uuid()))
                .filter(dropped_alerts::external_id.eq(external_id.as_str()))
                .select(DroppedAlertRow::as_select()),
        )
        .get_result::<DroppedAlertRow>(&mut &*conn)
        .await
        .optional()
    };
    // An active ticket of the camera that would silence a new one (inhibition): one more
    // statement in the same pipeline, on a small partial index (000061). Share-locked, so
    // its end waits for this alert's ticket and then finds it to release.
    let inhibitor = async {
        let Some((camera, types)) = lookup.inhibitors else {
            return Ok(None);
        };
        let types: Vec<String> = types.iter().map(|t| t.as_str().to_lowercase()).collect();
        Prepared(
            diesel::sql_query(format!(
                "SELECT {TICKET_COLUMNS} FROM tickets \
                 WHERE org_id = $1 AND camera_id = $2 AND {} \
                   AND lower(alert_type) = ANY($3) \
                 ORDER BY created_at, id LIMIT 1 FOR SHARE",
                &*ACTIVE_SQL
            ))
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::BigInt, _>(camera.get())
            .bind::<Array<Text>, _>(types),
        )
        .get_result::<TicketRow>(&mut &*conn)
        .await
        .optional()
    };
    let (earlier, active, resolved, dropped, inhibitor) = match lookup.external_id {
        Some(external_id) => {
            let earlier = ticket_alerts::table
                .inner_join(tickets::table)
                .filter(ticket_alerts::org_id.eq(org.as_uuid()))
                .filter(ticket_alerts::provider_id.eq(lookup.provider_id.as_uuid()))
                .filter(ticket_alerts::external_id.eq(external_id.as_str()))
                .select(TicketRow::as_select())
                .first::<TicketRow>(&mut &*conn);
            let (scoped, locked, earlier, active, resolved, dropped, inhibitor) = tokio::join!(
                set_org(conn, org),
                incident,
                earlier,
                active,
                resolved,
                dropped,
                inhibitor
            );
            scoped?;
            locked?;
            (
                earlier.optional()?,
                active.optional()?,
                resolved?,
                dropped?,
                inhibitor?,
            )
        }
        None => {
            let (scoped, locked, active, resolved, inhibitor) =
                tokio::join!(set_org(conn, org), incident, active, resolved, inhibitor);
            scoped?;
            locked?;
            (None, active.optional()?, resolved?, None, inhibitor?)
        }
    };
    let inhibitor = inhibitor.map(Ticket::try_from).transpose()?;
    let earlier = match (earlier, dropped) {
        (Some(row), _) => Some(Earlier::Ticket(Ticket::try_from(row)?)),
        (None, Some(row)) => Some(Earlier::Dropped(DroppedAlert::try_from(row)?)),
        (None, None) => None,
    };
    let candidate = active.or(resolved).map(Ticket::try_from).transpose()?;
    let alert = &draft.alert;

    // A ticket silenced by an inhibitor is made as any other, without its event or
    // assignment.
    let (inhibited, decision) =
        match decide_among(draft, earlier, candidate, inhibitor.as_ref(), now) {
            IngestDecision::CreateInhibited(ticket) => {
                (Some(*ticket), IngestDecision::Create { event: None })
            }
            decision => (None, decision),
        };
    match decision {
        IngestDecision::Replay(ticket) => Ok(Ingested::Replayed(ticket)),
        IngestDecision::CreateInhibited(_) => Err(DbError::Corrupt(
            "an inhibited creation left unconverted".to_owned(),
        )),
        IngestDecision::ReplayDropped(alert) => Ok(Ingested::DropReplayed(alert)),
        IngestDecision::Drop(alert) => {
            let row = Prepared(
                diesel::insert_into(dropped_alerts::table)
                    .values(NewDroppedAlertRow::new(org, &alert))
                    .returning(DroppedAlertRow::as_returning()),
            )
            .get_result::<DroppedAlertRow>(&mut &*conn)
            .await?;
            Ok(Ingested::Dropped(DroppedAlert::try_from(row)?))
        }
        IngestDecision::Merge { ticket, event } => {
            let (updated, stored, evented) = tokio::join!(
                Prepared(
                    diesel::update(
                        tickets::table
                            .find(ticket.id().as_uuid())
                            .filter(tickets::org_id.eq(org.as_uuid()))
                    )
                    .set(TicketChanges::from(&ticket))
                )
                .execute(&mut &*conn),
                Prepared(
                    diesel::insert_into(ticket_alerts::table).values(NewAlertRow::new(
                        org,
                        alert,
                        ticket.id()
                    ))
                )
                .execute(&mut &*conn),
                async {
                    // A silent ticket's merges make no event.
                    let Some(event) = &event else { return Ok(0) };
                    Prepared(
                        diesel::insert_into(notification_logs::table)
                            .values(NewNotificationRow::new(org, event)),
                    )
                    .execute(&mut &*conn)
                    .await
                },
            );
            updated?;
            stored?;
            evented?;
            Ok(Ingested::Merged(ticket))
        }
        IngestDecision::Reopen(reopened) => {
            let Reopened {
                ticket,
                history,
                events,
            } = *reopened;
            let before = ticket.version() - 1;
            let (stored, kept, timed) = tokio::join!(
                store_transition(conn, org, &ticket, before, &history, &events),
                Prepared(
                    diesel::insert_into(ticket_alerts::table).values(NewAlertRow::new(
                        org,
                        alert,
                        ticket.id()
                    ))
                )
                .execute(&mut &*conn),
                timers::keep(conn, &ticket),
            );
            stored?;
            kept?;
            timed?;
            Ok(Ingested::Reopened(ticket))
        }
        IngestDecision::Create { event } => {
            let made = inhibited.as_ref().unwrap_or(&draft.ticket);
            // An assignment rule assigns it in this transaction (one or two more round
            // trips, only for tickets a rule takes).
            let plan = draft.assignment.as_ref().filter(|_| !made.is_silent());
            let assigned = match plan {
                Some(plan) => Some(assign_new(conn, org, made, plan, now).await?),
                None => None,
            };
            let ticket = assigned.as_ref().map_or(made, |a| &a.ticket);
            let mut history = vec![draft.history()];
            let mut events: Vec<&OutboxEvent> = event.iter().collect();
            if let Some(a) = &assigned {
                history.extend(a.history.clone());
                events.push(&a.event);
            }
            let history: Vec<NewHistoryRow> =
                history.iter().map(|h| NewHistoryRow::new(org, h)).collect();
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
            let payloads: Vec<&serde_json::Value> = events.iter().map(|e| &e.payload).collect();
            let times: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
            // The events' payloads need the ticket's number, which the database assigns:
            // the INSERT … SELECT reads it from the row inserted just before in the same
            // pipeline.
            let (row, stored, logged, evented, timed) = tokio::join!(
                Prepared(
                    diesel::insert_into(tickets::table)
                        .values(NewTicketRow::from(ticket))
                        .returning(TicketRow::as_returning())
                )
                .get_result::<TicketRow>(&mut &*conn),
                Prepared(
                    diesel::insert_into(ticket_alerts::table).values(NewAlertRow::new(
                        org,
                        alert,
                        draft.ticket.id()
                    ))
                )
                .execute(&mut &*conn),
                Prepared(diesel::insert_into(ticket_state_history::table).values(&history))
                    .execute(&mut &*conn),
                Prepared(
                    diesel::sql_query(
                        "INSERT INTO notification_logs \
                           (org_id, ticket_id, event_type, payload, next_attempt_at, created_at) \
                         SELECT t.org_id, t.id, e.kind, \
                           jsonb_set(e.payload, '{number}', to_jsonb('TCK-' || t.number)), \
                           e.at, e.at \
                         FROM tickets t, unnest($2::text[], $3::jsonb[], $4::timestamptz[]) \
                           WITH ORDINALITY AS e(kind, payload, at, n) \
                         WHERE t.id = $1 AND t.org_id = $5 ORDER BY e.n",
                    )
                    .bind::<diesel::sql_types::Uuid, _>(ticket.id().as_uuid())
                    .bind::<Array<Text>, _>(&kinds)
                    .bind::<Array<Jsonb>, _>(&payloads)
                    .bind::<Array<Timestamptz>, _>(&times)
                    .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
                )
                .execute(&mut &*conn),
                timers::keep(conn, ticket),
            );
            let created = Ticket::try_from(row?)?;
            stored?;
            logged?;
            timed?;
            // The events read the ticket inserted before them in the pipeline: none means
            // the statements ran out of order, which must not pass unnoticed.
            if evented? != events.len() {
                return Err(DbError::Corrupt(
                    "ticket_created event not written".to_owned(),
                ));
            }
            Ok(Ingested::Created(created))
        }
    }
}

/// One end event, inside a transaction (see the port's contract): both lookups, locked,
/// in the pipeline that scopes the transaction, then what [`decide_end`] decides, stored as
/// a timer stores the same outcome.
async fn end_once(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    event: &EndEvent,
    now: DateTime<Utc>,
) -> Result<EndDecision, DbError> {
    let active_statuses: Vec<&str> = Status::ACTIVE.iter().map(|s| s.as_str()).collect();
    let by_external = async {
        let Some(external_id) = &event.external_id else {
            return Ok(None);
        };
        Prepared(
            diesel::sql_query(format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE org_id = $1 AND id = \
                   (SELECT ticket_id FROM ticket_alerts \
                    WHERE org_id = $1 AND provider_id = $2 AND external_id = $3) \
                 FOR UPDATE"
            ))
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(event.provider_id.as_uuid())
            .bind::<Text, _>(external_id.as_str()),
        )
        .get_result::<TicketRow>(&mut &*conn)
        .await
        .optional()
    };
    let by_key = async {
        let Some(key) = &event.dedup_key else {
            return Ok(None);
        };
        tickets::table
            .filter(tickets::org_id.eq(org.as_uuid()))
            .filter(tickets::provider_id.eq(event.provider_id.as_uuid()))
            .filter(tickets::dedup_key.eq(key.as_str()))
            .filter(tickets::status.eq_any(&active_statuses))
            .select(TicketRow::as_select())
            .for_update()
            .first::<TicketRow>(&mut &*conn)
            .await
            .optional()
    };
    let (scoped, by_external, by_key) = tokio::join!(set_org(conn, org), by_external, by_key);
    scoped?;
    let by_external = by_external?.map(Ticket::try_from).transpose()?;
    let by_key = by_key?.map(Ticket::try_from).transpose()?;
    let decision = decide_end(event, by_external, by_key, now);
    if let EndDecision::Apply { before, outcome } = &decision {
        let (stored, timed) = match outcome.as_ref() {
            AutoResolved::Resolved {
                ticket,
                history,
                event,
            } => tokio::join!(
                store_transition(
                    conn,
                    org,
                    ticket,
                    before.version(),
                    history,
                    event.as_slice()
                ),
                timers::keep(conn, ticket),
            ),
            AutoResolved::Declined {
                ticket,
                comment,
                event,
            } => tokio::join!(
                timers::store_declined(conn, org, ticket, comment, event),
                timers::keep(conn, ticket),
            ),
        };
        stored?;
        timed?;
    }
    Ok(decision)
}

/// The filter as one sub-filter per (status, severity) pair when it names several of either,
/// so each can walk the (status, severity, created_at, id) index, or the (status, …) or
/// (severity, …) one, in order: `= ANY` over several values would make the planner scan
/// by date and filter, which is slow past the newest tickets when they are all of another
/// status (a burst of fresh open tickets in front of the resolved ones).
fn split_for_index(filter: &TicketFilter) -> Vec<TicketFilter> {
    fn one_each<T: Copy>(values: &[T]) -> Vec<Vec<T>> {
        match values {
            [_, _, ..] => values.iter().map(|v| vec![*v]).collect(),
            _ => vec![values.to_vec()],
        }
    }
    let severities = one_each(&filter.severities);
    one_each(&filter.statuses)
        .into_iter()
        .flat_map(|statuses| {
            severities.iter().map(move |severities| TicketFilter {
                statuses: statuses.clone(),
                severities: severities.clone(),
                ..filter.clone()
            })
        })
        .collect()
}

#[derive(Debug, QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    severity: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    provider_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<BigInt>)]
    camera_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Debug, QueryableByName)]
struct SlaRow {
    #[diesel(sql_type = BigInt)]
    fr_met: i64,
    #[diesel(sql_type = BigInt)]
    fr_breached: i64,
    #[diesel(sql_type = BigInt)]
    fr_pending: i64,
    #[diesel(sql_type = Nullable<Double>)]
    fr_mean: Option<f64>,
    #[diesel(sql_type = Nullable<Array<Double>>)]
    fr_pct: Option<Vec<f64>>,
    #[diesel(sql_type = BigInt)]
    res_met: i64,
    #[diesel(sql_type = BigInt)]
    res_breached: i64,
    #[diesel(sql_type = BigInt)]
    res_pending: i64,
    #[diesel(sql_type = Nullable<Double>)]
    res_mean: Option<f64>,
    #[diesel(sql_type = Nullable<Array<Double>>)]
    res_pct: Option<Vec<f64>>,
    #[diesel(sql_type = BigInt)]
    resolved_by_operators: i64,
    #[diesel(sql_type = BigInt)]
    resolved_automatically: i64,
}

/// Tickets in a resolution status by who put them there: `Ticket::resolved_automatically`
/// (a system actor) in SQL. `resolved_at` is set exactly while the status is a resolution.
pub(crate) const RESOLVED_BY_SQL: &str = "count(*) FILTER (WHERE resolved_at IS NOT NULL AND resolved_by LIKE 'system:%') \
       AS resolved_automatically, \
     count(*) FILTER (WHERE resolved_at IS NOT NULL \
       AND (resolved_by IS NULL OR resolved_by NOT LIKE 'system:%')) AS resolved_by_operators";

/// The columns of one SLA target.
struct Columns {
    event: &'static str,
    due: &'static str,
    /// When its breach was recorded (by its timer or the monitor), once.
    notified: &'static str,
}

fn columns(target: SlaTarget) -> Columns {
    match target {
        SlaTarget::FirstResponse => Columns {
            event: "first_responded_at",
            due: "first_response_due_at",
            notified: "first_response_breach_notified_at",
        },
        SlaTarget::Resolution => Columns {
            event: "resolved_at",
            due: "resolution_due_at",
            notified: "resolution_breach_notified_at",
        },
    }
}

impl Columns {
    /// Locks up to `$2` tickets whose target is breached at `$1` and not yet recorded (a
    /// ticket on hold counts only what breached before the hold):
    /// `SlaState::evaluate` restated so the partial watch index serves the scan (the domain
    /// decides again on each row). `SKIP LOCKED` lets instances share the work; a row
    /// another instance just marked is re-checked after its lock and left out, so a breach
    /// is recorded once.
    fn candidates_sql(&self) -> String {
        let Columns {
            event,
            due,
            notified,
        } = self;
        format!(
            "SELECT {TICKET_COLUMNS} FROM tickets \
             WHERE {notified} IS NULL AND ({event} IS NULL OR {event} > {due}) AND {due} < $1 \
               AND ({event} IS NOT NULL OR held_since IS NULL OR {due} < held_since) \
               AND suppression_window_id IS NULL AND inhibited_by IS NULL \
             ORDER BY {due} LIMIT $2 FOR UPDATE SKIP LOCKED"
        )
    }

    /// Marks the target of tickets `$2` recorded at `$1`.
    fn mark_sql(&self) -> String {
        format!(
            "UPDATE tickets SET {} = $1 WHERE id = ANY($2)",
            self.notified
        )
    }
}

/// Stores a status change, whoever made it (a user through `save_transition`, a timer through
/// `timers::fire_one`): the ticket as changed from `expected_version`, its history row and
/// its `status_changed` event, sent in one pipeline inside the caller's transaction.
/// [`DbError::VersionConflict`] when the stored version differs (changed or gone since it
/// was read); the caller's transaction then rolls back the rows sent after it.
pub(crate) async fn store_transition(
    conn: &AsyncPgConnection,
    org: OrgId,
    ticket: &Ticket,
    expected_version: i64,
    entry: &HistoryEntry,
    events: &[OutboxEvent],
) -> Result<(), DbError> {
    // A reopen starts a new escalation chain; other changes leave the chain to the timers
    // that run it (see `TicketChanges`).
    let reopened =
        entry.from_status.is_some_and(Status::is_resolution) && entry.to_status.is_active();
    let chained = async {
        if !reopened {
            return Ok(0);
        }
        Prepared(
            diesel::update(
                tickets::table
                    .find(ticket.id().as_uuid())
                    .filter(tickets::org_id.eq(org.as_uuid())),
            )
            .set(tickets::escalation.eq(ticket.escalation().map(Escalation::to_json))),
        )
        .execute(&mut &*conn)
        .await
    };
    // A ticket that stops being active releases the tickets it kept silent
    // (`inhibition`): their release timers are due now. Sent after the update, whose row
    // lock waits for any alert share-locking this ticket as their inhibitor, so the
    // statement's snapshot sees that alert's ticket too.
    let ended = entry.from_status.is_none_or(Status::is_active) && !entry.to_status.is_active();
    let releasing = async {
        if !ended {
            return Ok(0);
        }
        Prepared(
            diesel::sql_query(
                "INSERT INTO ticket_timers (ticket_id, kind, org_id, due_at) \
                 SELECT id, 'release', org_id, $3 FROM tickets \
                 WHERE org_id = $1 AND inhibited_by = $2 \
                 ON CONFLICT (ticket_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at",
            )
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(ticket.id().as_uuid())
            .bind::<Timestamptz, _>(entry.changed_at),
        )
        .execute(&mut &*conn)
        .await
    };
    // A silent ticket's changes, a user's or a timer's, make no event.
    let events = if ticket.is_silent() { &[][..] } else { events };
    let (updated, releasing, chained, logged, evented) = tokio::join!(
        Prepared(
            diesel::update(
                tickets::table
                    .find(ticket.id().as_uuid())
                    .filter(tickets::org_id.eq(org.as_uuid()))
                    .filter(tickets::version.eq(expected_version)),
            )
            .set(TicketChanges::from(ticket))
        )
        .execute(&mut &*conn),
        releasing,
        chained,
        Prepared(
            diesel::insert_into(ticket_state_history::table).values(NewHistoryRow::new(org, entry))
        )
        .execute(&mut &*conn),
        async {
            match events {
                [] => Ok(0),
                [event] => {
                    Prepared(
                        diesel::insert_into(notification_logs::table)
                            .values(NewNotificationRow::new(org, event)),
                    )
                    .execute(&mut &*conn)
                    .await
                }
                _ => {
                    let rows: Vec<NewNotificationRow> = events
                        .iter()
                        .map(|e| NewNotificationRow::new(org, e))
                        .collect();
                    diesel::insert_into(notification_logs::table)
                        .values(&rows)
                        .execute(&mut &*conn)
                        .await
                }
            }
        },
    );
    if updated.map_err(DbError::from_update)? != 1 {
        return Err(DbError::VersionConflict);
    }
    releasing?;
    chained?;
    logged?;
    evented?;
    Ok(())
}

/// `status IN (<the active statuses>)`, spelled as the partial indexes over active tickets
/// (000061) spell it, so a prepared statement's plan can use them.
static ACTIVE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let list: Vec<String> = Status::ACTIVE
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("status IN ({})", list.join(", "))
});

/// Every column of `tickets` the domain reads, named: cached statements must not use `*`
/// (see `prepared`).
pub(crate) const TICKET_COLUMNS: &str = "id, org_id, number, title, description, severity, status, camera_id, \
    provider_id, alert_type, alert_data, dedup_key, occurred_at, assignee_id, alert_count, \
    first_alert_at, last_alert_at, first_response_due_at, first_responded_at, \
    resolution_due_at, resolved_at, closed_at, held_since, hold_until, held_from, hold_reason, \
    sla_paused_seconds, first_response_warn_at, resolution_warn_at, first_response_warned_at, \
    resolution_warned_at, first_response_breach_notified_at, resolution_breach_notified_at, \
    created_at, updated_at, version, sla_policy_id, sla_calendar, escalation, auto_resolve, reopen_count, resolved_by, \
    flapping, suppression_window_id, suppressed_window_end, suppressed_until, inhibited_by, \
    inhibited_on_end";

/// Records one target's breaches at `now` (at most `limit`), inside a transaction.
async fn record_breaches(
    conn: &mut AsyncPgConnection,
    target: SlaTarget,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, DbError> {
    let columns = columns(target);
    let rows: Vec<TicketRow> = Prepared(
        diesel::sql_query(columns.candidates_sql())
            .bind::<Timestamptz, _>(now)
            .bind::<BigInt, _>(limit),
    )
    .load(&mut *conn)
    .await?;
    // Each event goes to its ticket's organization.
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let ticket = Ticket::try_from(row)?;
        if let Some(event) = OutboxEvent::sla_breached(&ticket, target, now) {
            events.push((ticket.org_id(), event));
        }
    }
    if events.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = events.iter().map(|(_, e)| e.ticket_id.as_uuid()).collect();
    let rows: Vec<NewNotificationRow> = events
        .iter()
        .map(|(org, e)| NewNotificationRow::new(*org, e))
        .collect();
    let (marked, evented) = tokio::join!(
        Prepared(
            diesel::sql_query(columns.mark_sql())
                .bind::<Timestamptz, _>(now)
                .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        )
        .execute(&mut &*conn),
        diesel::insert_into(notification_logs::table)
            .values(&rows)
            .execute(&mut &*conn),
    );
    marked?;
    Ok(evented?)
}

/// Aggregates for one target: `event` and `due` are its columns, `now` a placeholder.
/// Both percentiles come from one sort (the array form of `percentile_cont`).
fn target_sql(prefix: &str, target: SlaTarget, now: &str) -> String {
    let Columns { event, due, .. } = columns(target);
    // date_part is float8 arithmetic; EXTRACT returns numeric, which made the SLA statement
    // two to three times slower over many rows.
    // Time held does not count (`TargetView::elapsed_seconds`): only the resolution can be
    // pending through a hold.
    let held = match target {
        SlaTarget::FirstResponse => "",
        SlaTarget::Resolution => " - sla_paused_seconds",
    };
    let seconds = format!("(date_part('epoch', {event} - created_at){held})");
    let clock = sla_clock_sql(now);
    format!(
        "count(*) FILTER (WHERE {event} <= {due}) AS {prefix}_met, \
         count(*) FILTER (WHERE COALESCE({event} > {due}, {due} < {clock})) AS {prefix}_breached, \
         count(*) FILTER (WHERE {event} IS NULL AND {due} >= {clock}) AS {prefix}_pending, \
         avg({seconds}) AS {prefix}_mean, \
         percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {seconds}) AS {prefix}_pct"
    )
}

/// How long a search (a list with a tree of the filter language) may run.
const SEARCH_TIMEOUT: &str = "SET LOCAL statement_timeout = '5s'";

/// `work_mem` of a stats transaction: room to sort a million durations in memory.
const STATS_WORK_MEM: &str = "SET LOCAL work_mem = '64MB'";

/// The `i`th value of a `percentile_cont(ARRAY[…])` result (NULL over no rows).
fn percentile(values: &Option<Vec<f64>>, i: usize) -> Option<f64> {
    values.as_ref().and_then(|v| v.get(i).copied())
}

async fn stats_in(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    filter: &TicketFilter,
    now: DateTime<Utc>,
) -> Result<TicketStats, DbError> {
    let conditions = Conditions::from_filter(org, filter, now);
    let counts_sql = format!(
        "SELECT status, severity, provider_id, camera_id, count(*) AS n FROM tickets {} \
         GROUP BY GROUPING SETS ((status), (severity), (provider_id), (camera_id))",
        conditions.where_sql()
    );
    let mut sla_conditions = Conditions::from_filter(org, filter, now);
    let now_p = sla_conditions.bind(Bind::Timestamp(now));
    let sla_sql = format!(
        "SELECT {}, {}, {RESOLVED_BY_SQL} FROM tickets {}",
        target_sql("fr", SlaTarget::FirstResponse, &now_p),
        target_sql("res", SlaTarget::Resolution, &now_p),
        sla_conditions.where_sql()
    );
    // One pipeline in one snapshot. The percentiles sort every measured duration: with the
    // default 4 MB they spill to disk past ~100,000 tickets. Cached by text (a few dozen
    // filter shapes), so no statement waits for its own prepare; they name their columns.
    let (scoped, set, counts, sla) = tokio::join!(
        set_org(conn, org),
        Prepared(diesel::sql_query(STATS_WORK_MEM)).execute(&mut &*conn),
        Prepared(conditions.query(counts_sql)).load::<CountRow>(&mut &*conn),
        Prepared(sla_conditions.query(sla_sql)).get_result::<SlaRow>(&mut &*conn),
    );
    scoped?;
    set?;
    let (counts, sla) = (counts?, sla?);

    let mut stats = TicketStats::default();
    for row in counts {
        let corrupt = |e: ticket_domain::FieldError| DbError::Corrupt(e.to_string());
        if let Some(s) = row.status {
            stats.total += row.n;
            stats
                .by_status
                .insert(Status::parse(&s, "status").map_err(corrupt)?, row.n);
        } else if let Some(s) = row.severity {
            stats
                .by_severity
                .insert(Severity::parse(&s, "severity").map_err(corrupt)?, row.n);
        } else if let Some(p) = row.provider_id {
            stats.by_provider.insert(ProviderId::from_uuid(p), row.n);
        } else if let Some(c) = row.camera_id {
            let camera = CameraId::parse(c, "camera_id").map_err(corrupt)?;
            stats.by_camera.insert(camera, row.n);
        }
    }
    stats.first_response = TargetStats {
        met: sla.fr_met,
        breached: sla.fr_breached,
        pending: sla.fr_pending,
        compliance_pct: None,
        mean_seconds: sla.fr_mean,
        p50_seconds: percentile(&sla.fr_pct, 0),
        p90_seconds: percentile(&sla.fr_pct, 1),
    }
    .with_compliance();
    stats.resolution = TargetStats {
        met: sla.res_met,
        breached: sla.res_breached,
        pending: sla.res_pending,
        compliance_pct: None,
        mean_seconds: sla.res_mean,
        p50_seconds: percentile(&sla.res_pct, 0),
        p90_seconds: percentile(&sla.res_pct, 1),
    }
    .with_compliance();
    stats.resolutions = ResolutionCounts {
        by_operators: sla.resolved_by_operators,
        automatic: sla.resolved_automatically,
    };
    Ok(stats)
}

#[async_trait]
impl TicketRepository for PgTicketRepository {
    async fn ingest(
        &self,
        org: OrgId,
        draft: TicketDraft,
        now: DateTime<Utc>,
    ) -> Result<Ingested, RepositoryError> {
        if draft.ticket.org_id() != org {
            return Err(DbError::Corrupt("a draft of another organization".to_owned()).into());
        }
        let mut conn = self.conn().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = conn
                .transaction(async |c| ingest_once(c, org, &draft, now).await)
                .await;
            match result {
                Err(e) if e.is_unique_violation() && attempt < INGEST_ATTEMPTS => continue,
                Ok(ingested) => {
                    let counter = match &ingested {
                        Ingested::Created(_) => "tickets_created_total",
                        Ingested::Merged(_) => "alerts_merged_total",
                        Ingested::Replayed(_) => "alerts_replayed_total",
                        Ingested::Reopened(_) => "flap_reopens_total",
                        Ingested::Dropped(_) => "alerts_dropped_total",
                        Ingested::DropReplayed(_) => "alerts_replayed_total",
                    };
                    metrics::counter!(counter).increment(1);
                    // A new ticket an assignment rule assigned made one transition more.
                    if let Ingested::Created(t) = &ingested
                        && t.status() == Status::Assigned
                    {
                        metrics::counter!("ticket_transitions_total", "to_status" => "assigned")
                            .increment(1);
                    }
                    return Ok(ingested);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn end_event(
        &self,
        org: OrgId,
        event: &EndEvent,
        now: DateTime<Utc>,
    ) -> Result<Ended, RepositoryError> {
        let mut conn = self.conn().await?;
        let decision = conn
            .transaction(async |c| end_once(c, org, event, now).await)
            .await?;
        let ended = decision.ended();
        let outcome = match &ended {
            Ended::Resolved(t) => {
                metrics::counter!("ticket_transitions_total", "to_status" => t.status().as_str())
                    .increment(1);
                "resolved"
            }
            Ended::Declined(_) => {
                metrics::counter!("comments_added_total").increment(1);
                "declined"
            }
            Ended::Ignored(_) => "ignored",
            Ended::NothingActive => "nothing_active",
        };
        metrics::counter!("end_events_total", "outcome" => outcome).increment(1);
        Ok(ended)
    }

    async fn find(&self, org: OrgId, ticket: TicketRef) -> Result<Option<Ticket>, RepositoryError> {
        let mut conn = self.conn().await?;
        let row = conn
            .transaction(async |c| {
                let (scoped, row) = tokio::join!(set_org(c, org), find_row_shared(c, org, ticket));
                scoped?;
                row
            })
            .await?;
        Ok(row.map(Ticket::try_from).transpose()?)
    }

    async fn details(
        &self,
        org: OrgId,
        ticket: TicketRef,
        visibility: Option<Visibility>,
    ) -> Result<Option<TicketDetails>, RepositoryError> {
        let mut conn = self.conn().await?;
        let details = conn
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run(async |c| {
                // The ticket, its comments and its history in one pipeline and one snapshot;
                // the two lists find the ticket by sub-select, not by waiting for its row.
                let mut comments = ticket_comments::table
                    .filter(
                        ticket_comments::ticket_id.eq_any(by_ref(org, ticket).select(tickets::id)),
                    )
                    .order((ticket_comments::created_at, ticket_comments::id))
                    .select(CommentRow::as_select())
                    .into_boxed();
                if let Some(v) = visibility {
                    comments = comments.filter(ticket_comments::visibility.eq(v.as_str()));
                }
                let (scoped, row, comments, history) = tokio::join!(
                    set_org(c, org),
                    by_ref(org, ticket)
                        .select(TicketRow::as_select())
                        .first::<TicketRow>(&mut &*c),
                    comments.load::<CommentRow>(&mut &*c),
                    ticket_state_history::table
                        .filter(
                            ticket_state_history::ticket_id
                                .eq_any(by_ref(org, ticket).select(tickets::id))
                        )
                        .order(ticket_state_history::id)
                        .select(HistoryRow::as_select())
                        .load::<HistoryRow>(&mut &*c),
                );
                scoped?;
                let Some(row) = row.optional()? else {
                    return Ok(None);
                };
                let ticket = Ticket::try_from(row)?;
                let (comments, history) = (comments?, history?);
                Ok::<_, DbError>(Some(TicketDetails {
                    ticket,
                    comments: comments
                        .into_iter()
                        .map(Comment::try_from)
                        .collect::<Result<_, _>>()?,
                    history: history
                        .into_iter()
                        .map(HistoryEntry::try_from)
                        .collect::<Result<_, _>>()?,
                }))
            })
            .await?;
        Ok(details)
    }

    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<Ticket>, RepositoryError> {
        let mut conditions = Conditions::default();
        let limit = i64::from(query.limit.get());
        let limit_p = conditions.bind(Bind::Int8(limit + 1));
        let cursor = query.cursor.map(|c| {
            let at = conditions.bind(Bind::Timestamp(c.created_at));
            let id = conditions.bind(Bind::Uuid(c.id));
            format!("(created_at, id) < ({at}, {id})")
        });
        // Several statuses or severities are one ordered index walk per pair, merged.
        let parts: Vec<String> = split_for_index(&query.filter)
            .iter()
            .map(|filter| {
                let mut clauses = conditions.filter_clauses(org, filter, now);
                clauses.extend(cursor.clone());
                let where_sql = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                format!(
                    "SELECT * FROM tickets {where_sql} \
                     ORDER BY created_at DESC, id DESC LIMIT {limit_p}"
                )
            })
            .collect();
        let sql = match parts.as_slice() {
            [one] => one.clone(),
            many => format!(
                "SELECT * FROM ({}) AS merged ORDER BY created_at DESC, id DESC LIMIT {limit_p}",
                many.iter()
                    .map(|p| format!("({p})"))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ")
            ),
        };
        let mut conn = self.conn().await?;
        let rows: Vec<TicketRow> = conn
            .build_transaction()
            .read_only()
            .run(async |c| {
                // A tree of the filter language can ask for any scan: bounded, so one
                // search cannot hold a connection for long.
                let bounded = async {
                    if query.filter.expr.is_some() {
                        Prepared(diesel::sql_query(SEARCH_TIMEOUT))
                            .execute(&mut &*c)
                            .await?;
                    }
                    Ok::<_, diesel::result::Error>(())
                };
                let (scoped, bounded, rows) = tokio::join!(
                    set_org(c, org),
                    bounded,
                    conditions.query(sql).load(&mut &*c)
                );
                scoped?;
                bounded?;
                Ok::<_, DbError>(rows?)
            })
            .await?;
        let mut items = rows
            .into_iter()
            .map(Ticket::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|t| Cursor {
                created_at: t.created_at(),
                id: t.id().as_uuid(),
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn save_transition(
        &self,
        org: OrgId,
        ticket: &Ticket,
        expected_version: i64,
        entry: &HistoryEntry,
    ) -> Result<(), RepositoryError> {
        // A silent ticket's changes make no event (`Ticket::is_silent`).
        let changed_event =
            (!ticket.is_silent()).then(|| OutboxEvent::status_changed(ticket, entry));
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // One pipeline (see `ingest_once`); if the version check matched nothing, the
            // rows written after it are rolled back with the transaction.
            let (scoped, stored, timed) = tokio::join!(
                set_org(c, org),
                store_transition(
                    c,
                    org,
                    ticket,
                    expected_version,
                    entry,
                    changed_event.as_slice()
                ),
                timers::keep(c, ticket),
            );
            scoped?;
            stored?;
            timed?;
            Ok::<_, DbError>(())
        })
        .await
        .map_err(RepositoryError::from)?;
        metrics::counter!("ticket_transitions_total", "to_status" => entry.to_status.as_str())
            .increment(1);
        Ok(())
    }

    async fn save_comment(
        &self,
        org: OrgId,
        comment: &Comment,
        expected_version: Option<i64>,
    ) -> Result<Ticket, RepositoryError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // The rule of `Ticket::add_comment`, applied in place: these changes commute,
            // so concurrent comments serialise on the row lock instead of conflicting. LEAST
            // (which skips NULL) keeps the earliest comment as the first response even when
            // concurrent comments commit out of order.
            let (scoped, row) = tokio::join!(
                set_org(c, org),
                Prepared(
                    diesel::sql_query(format!(
                        "UPDATE tickets SET version = version + 1, \
                   updated_at = GREATEST(updated_at, $2), \
                   first_responded_at = LEAST(first_responded_at, $2) \
                 WHERE id = $1 AND org_id = $4 AND ($3::bigint IS NULL OR version = $3) \
                 RETURNING {TICKET_COLUMNS}",
                    ))
                    .bind::<diesel::sql_types::Uuid, _>(comment.ticket_id.as_uuid())
                    .bind::<Timestamptz, _>(comment.created_at)
                    .bind::<Nullable<BigInt>, _>(expected_version)
                    .bind::<diesel::sql_types::Uuid, _>(org.as_uuid()),
                )
                .get_result::<TicketRow>(&mut &**c)
            );
            scoped?;
            let row = row.optional()?;
            let ticket = match row {
                Some(row) => Ticket::try_from(row)?,
                None => {
                    let exists = find_row(c, org, TicketRef::Id(comment.ticket_id)).await?;
                    return Err(exists.map_or(DbError::NotFound, |_| DbError::VersionConflict));
                }
            };
            let comment_event =
                (!ticket.is_silent()).then(|| OutboxEvent::comment_added(&ticket, comment));
            let (stored, evented) = tokio::join!(
                Prepared(
                    diesel::insert_into(ticket_comments::table)
                        .values(CommentRow::new(org, comment))
                )
                .execute(&mut &**c),
                async {
                    let Some(event) = &comment_event else {
                        return Ok(0);
                    };
                    Prepared(
                        diesel::insert_into(notification_logs::table)
                            .values(NewNotificationRow::new(org, event)),
                    )
                    .execute(&mut &**c)
                    .await
                },
            );
            stored?;
            evented?;
            Ok(ticket)
        })
        .await
        .map_err(RepositoryError::from)
        .inspect(|_| metrics::counter!("comments_added_total").increment(1))
    }

    async fn alerts(
        &self,
        org: OrgId,
        ticket: TicketRef,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Option<Vec<StoredAlert>>, RepositoryError> {
        let mut conn = self.conn().await?;
        let rows = conn
            .build_transaction()
            .read_only()
            .run(async |c| {
                let (scoped, row) = tokio::join!(set_org(c, org), find_row_shared(c, org, ticket));
                scoped?;
                let Some(row) = row? else {
                    return Ok::<_, DbError>(None);
                };
                let mut query = ticket_alerts::table
                    .filter(ticket_alerts::ticket_id.eq(Ticket::try_from(row)?.id().as_uuid()))
                    .order(ticket_alerts::id.desc())
                    .limit(limit)
                    .select(AlertRow::as_select())
                    .into_boxed();
                if let Some(before) = before {
                    query = query.filter(ticket_alerts::id.lt(before));
                }
                Ok(Some(query.load::<AlertRow>(c).await?))
            })
            .await?;
        let Some(rows) = rows else {
            return Ok(None);
        };
        let alerts = rows
            .into_iter()
            .map(StoredAlert::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Some(alerts))
    }

    async fn record_sla_breaches(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, RepositoryError> {
        let mut conn = self.conn().await?;
        let recorded = conn
            .transaction(async |c| {
                let mut total = 0;
                for target in SlaTarget::ALL {
                    // `limit` counts the targets of both kinds together.
                    let left = limit - total as i64;
                    if left <= 0 {
                        break;
                    }
                    total += record_breaches(c, *target, now, left).await?;
                }
                Ok::<_, DbError>(total)
            })
            .await?;
        metrics::counter!("sla_breaches_total").increment(recorded as u64);
        Ok(recorded)
    }

    async fn due_timers(
        &self,
        now: DateTime<Utc>,
        after: Option<DueTimer>,
        limit: i64,
    ) -> Result<Vec<DueTimer>, RepositoryError> {
        let mut conn = self.conn().await?;
        Ok(timers::due(&mut conn, now, after, limit).await?)
    }

    async fn fire_timer(
        &self,
        timer: &DueTimer,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let mut conn = self.conn().await?;
        Ok(conn
            .transaction(async |c| timers::fire_one(c, timer, now).await)
            .await?)
    }

    async fn stats(
        &self,
        org: OrgId,
        filter: &TicketFilter,
        now: DateTime<Utc>,
    ) -> Result<TicketStats, RepositoryError> {
        let mut conn = self.conn().await?;
        let stats = conn
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run(async |c| stats_in(c, org, filter, now).await)
            .await?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_statuses_and_severities_split_into_every_pair() {
        let filter = TicketFilter {
            statuses: vec![Status::Open, Status::Assigned],
            severities: vec![Severity::Critical, Severity::High],
            ..TicketFilter::default()
        };
        let pairs: Vec<(Vec<Status>, Vec<Severity>)> = split_for_index(&filter)
            .into_iter()
            .map(|f| (f.statuses, f.severities))
            .collect();
        assert_eq!(
            pairs,
            [
                (vec![Status::Open], vec![Severity::Critical]),
                (vec![Status::Open], vec![Severity::High]),
                (vec![Status::Assigned], vec![Severity::Critical]),
                (vec![Status::Assigned], vec![Severity::High]),
            ]
        );
        let one = TicketFilter {
            statuses: vec![Status::Open],
            ..TicketFilter::default()
        };
        assert_eq!(split_for_index(&one), vec![one]);
    }
}
