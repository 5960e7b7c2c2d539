//! Where SQL restates a domain rule, the two agree on every boundary.
//!
//! * The SLA breach rule, [`SlaState::evaluate`], is restated by the list filter
//!   (`sla_breached`), the statistics, the breach monitor's scan (`record_sla_breaches`) and
//!   the predicates of the partial watch indexes that serve that scan. One table of cases
//!   (each target, each boundary, each status) is run through all four.
//! * The time a target is measured by, [`ticket_domain::TargetView`]'s `elapsed_seconds`
//!   (time held left out), is restated by the statistics' durations.
//! * [`Status::is_active`] is restated by the partial unique index `tickets_org_active_key`;
//!   ingest must merge a repeated alert into exactly the tickets it names active.
//! * [`ticket_domain::flapping::reopens`] is restated by ingest's lookup of a ticket to
//!   reopen, and `Ticket::resolved_automatically` by the statistics' split of resolutions.
//! * The enum CHECK constraints restate the domain's lists of values (`Status::ALL`, ...),
//!   and `resolution_has_resolved_at` restates [`Status::is_resolution`].
//!
//! Rows are written with raw SQL rather than built as domain `Ticket`s, so each case puts
//! exactly its instants in the database, to the microsecond (PostgreSQL's precision).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use diesel::QueryableByName;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
/// The organization the raw rows go to: the column's default.
const ORG: OrgId = Organization::DEFAULT_ID;

use ticket_domain::flapping::{self, FlapPolicy};
use ticket_domain::{
    AlertData, CameraId, CommentBody, DedupKey, DeliveryStatus, EventType, Ingested, ListQuery,
    NewAlert, OrgId, Organization, ProviderId, Severity, SlaPolicy, SlaState, SlaTarget, Status,
    TargetStats, TicketDraft, TicketFilter, TicketId, TicketRef, TicketRepository, TicketStats,
    TimerKind, Title, UserId, Visibility,
};
use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{PgTicketRepository, PoolSettings, build_pool};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------
// The case table
// ---------------------------------------------------------------------------------------

/// The column where the monitor stamps when it recorded `target`'s breach.
fn notified_column(target: SlaTarget) -> &'static str {
    match target {
        SlaTarget::FirstResponse => "first_response_breach_notified_at",
        SlaTarget::Resolution => "resolution_breach_notified_at",
    }
}

fn target_stats(stats: &TicketStats, target: SlaTarget) -> &TargetStats {
    match target {
        SlaTarget::FirstResponse => &stats.first_response,
        SlaTarget::Resolution => &stats.resolution,
    }
}

/// One target of a ticket: its due time and when it was met, if it was.
#[derive(Debug, Clone, Copy)]
struct Sla {
    due: DateTime<Utc>,
    event: Option<DateTime<Utc>>,
}

/// What a ticket row is made of, for the columns the rules read.
#[derive(Debug, Clone)]
struct Seed {
    status: Status,
    /// Unique per ticket, so a camera filter isolates it; also makes its dedup key.
    camera: i64,
    first_response: Sla,
    resolution: Sla,
    /// When its hold began: set exactly for `on_hold` (the CHECKs require it).
    held_since: Option<DateTime<Utc>>,
}

impl Seed {
    fn sla(&self, target: SlaTarget) -> Sla {
        match target {
            SlaTarget::FirstResponse => self.first_response,
            SlaTarget::Resolution => self.resolution,
        }
    }

    fn dedup_key(&self) -> String {
        format!("rules/{}", self.camera)
    }
}

/// One ticket judged at one moment.
#[derive(Debug, Clone)]
struct Case {
    label: String,
    seed: Seed,
    now: DateTime<Utc>,
}

impl Case {
    /// The domain's verdict: what every SQL restatement must agree with.
    fn state(&self, target: SlaTarget, now: DateTime<Utc>) -> SlaState {
        let sla = self.seed.sla(target);
        // `Ticket::sla_clock`: held, the clocks stopped when the hold began.
        let clock = self.seed.held_since.map_or(now, |since| since.min(now));
        SlaState::evaluate(sla.due, sla.event, clock)
    }

    fn breached(&self, target: SlaTarget) -> bool {
        self.state(target, self.now).is_breached()
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The due time of the target under test. It has microseconds, so "one microsecond later"
/// is another instant in PostgreSQL as well as in chrono.
fn due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap() + TimeDelta::microseconds(654_321)
}

fn created() -> DateTime<Utc> {
    due() - TimeDelta::hours(4)
}

const MICROSECOND: TimeDelta = TimeDelta::microseconds(1);

/// How long after a case's `now` the monitor test looks again; the neutral target must
/// still be pending then.
const LATER: TimeDelta = TimeDelta::days(30);

/// The target a case does not test: never breached within any case's time (due a year out),
/// so the case alone decides the ticket-wide list filter. Pending where the CHECKs allow; a
/// ticket in a resolution status must have `resolved_at`, so its resolution is met instead.
fn neutral(target: SlaTarget, status: Status) -> Sla {
    let event = (target == SlaTarget::Resolution && status.is_resolution())
        .then(|| created() + TimeDelta::minutes(1));
    Sla {
        due: due() + TimeDelta::days(365),
        event,
    }
}

/// Every target, boundary and status: an event before, at, a microsecond after and long
/// after its due time; no event with `now` before, at, a microsecond after and long after it.
/// An event is stamped when it happens, so `now` is never before it: those cases are judged
/// at the event itself and two days after the due time.
fn cases() -> Vec<Case> {
    let d = due();
    let long_after = d + TimeDelta::days(2);
    let events = [
        ("event an hour before due", d - TimeDelta::hours(1)),
        ("event at due", d),
        ("event 1us after due", d + MICROSECOND),
        ("event a day after due", d + TimeDelta::days(1)),
    ];
    let nows_without_event = [
        ("now an hour before due", d - TimeDelta::hours(1)),
        ("now 1us before due", d - MICROSECOND),
        ("now at due", d),
        ("now 1us after due", d + MICROSECOND),
        ("now two days after due", long_after),
    ];
    let mut shapes = Vec::new();
    for (what, at) in events {
        shapes.push((format!("{what}, now at the event"), Some(at), at));
        shapes.push((
            format!("{what}, now two days after due"),
            Some(at),
            long_after,
        ));
    }
    for (what, now) in nows_without_event {
        shapes.push((format!("no event, {what}"), None, now));
    }

    let mut cases = Vec::new();
    for &target in SlaTarget::ALL {
        for &status in Status::ALL {
            for (what, event, now) in &shapes {
                // A resolved, closed or false-positive ticket has a resolution event.
                if target == SlaTarget::Resolution && status.is_resolution() && event.is_none() {
                    continue;
                }
                let tested = Sla {
                    due: d,
                    event: *event,
                };
                let (first_response, resolution) = match target {
                    SlaTarget::FirstResponse => (tested, neutral(SlaTarget::Resolution, status)),
                    SlaTarget::Resolution => (neutral(SlaTarget::FirstResponse, status), tested),
                };
                // A held ticket: held since before its due time (the clock stops short
                // of it) and since just after it (breached before the hold).
                let holds: &[(&str, Option<DateTime<Utc>>)] = if status == Status::OnHold {
                    &[
                        (
                            ", held since 30 min before due",
                            Some(d - TimeDelta::minutes(30)),
                        ),
                        (", held since 1us after due", Some(d + MICROSECOND)),
                    ]
                } else {
                    &[("", None)]
                };
                for (held, held_since) in holds {
                    let camera = 1_000 + cases.len() as i64;
                    cases.push(Case {
                        label: format!(
                            "#{camera} {} {}: {what}{held}",
                            target.as_str(),
                            status.as_str()
                        ),
                        seed: Seed {
                            status,
                            camera,
                            first_response,
                            resolution,
                            held_since: *held_since,
                        },
                        now: *now,
                    });
                }
            }
        }
    }
    cases
}

/// The table reaches every verdict of each target, in every status; otherwise a rule could
/// disagree where no case looks.
#[test]
fn the_case_table_covers_every_state_and_status() {
    let cases = cases();
    for &target in SlaTarget::ALL {
        for state in [SlaState::Met, SlaState::Breached, SlaState::Pending] {
            assert!(
                cases.iter().any(|c| c.state(target, c.now) == state),
                "no {state:?} {} case",
                target.as_str()
            );
        }
    }
    for status in Status::ALL {
        assert!(
            cases.iter().any(|c| c.seed.status == *status),
            "no case in {status}"
        );
    }
    // Unique cameras: a camera filter finds one case's ticket.
    let cameras: BTreeSet<i64> = cases.iter().map(|c| c.seed.camera).collect();
    assert_eq!(cameras.len(), cases.len());
}

// ---------------------------------------------------------------------------------------
// Database helpers
// ---------------------------------------------------------------------------------------

/// A repository over a private database; the repository (and its pool) is dropped before
/// the database.
struct Fixture {
    repo: PgTicketRepository,
    _db: TestDatabase,
}

async fn fixture() -> Fixture {
    let db = TestDatabase::new().await;
    let settings = PoolSettings {
        max_size: 2,
        ..PoolSettings::default()
    };
    let repo = PgTicketRepository::new(build_pool(&db.url(), &settings).unwrap());
    Fixture { repo, _db: db }
}

const PROVIDER: Uuid = Uuid::from_u128(0x5eed);

async fn try_insert_ticket(conn: &mut AsyncPgConnection, seed: &Seed) -> Result<Uuid, DieselError> {
    let id = Uuid::now_v7();
    let status = seed.status;
    // Filled in for the CHECKs tying other columns to the status.
    let assignee = (status != Status::Open).then_some("op-1");
    let closed_at = (status == Status::Closed).then(|| seed.resolution.event.unwrap_or(created()));
    diesel::sql_query(
        "INSERT INTO tickets (id, title, severity, status, camera_id, provider_id, alert_data, \
           dedup_key, occurred_at, assignee_id, first_alert_at, last_alert_at, \
           first_response_due_at, first_responded_at, resolution_due_at, resolved_at, \
           closed_at, created_at, updated_at, held_since, held_from, hold_reason) \
         VALUES ($1, 'SLA rule case', 'high', $2, $3, $4, '{}', $5, $6, $7, $6, $6, \
           $8, $9, $10, $11, $12, $6, $6, $13, \
           CASE WHEN $13 IS NOT NULL THEN 'in_progress' END, \
           CASE WHEN $13 IS NOT NULL THEN 'rules case' END)",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<Text, _>(status.as_str())
    .bind::<BigInt, _>(seed.camera)
    .bind::<diesel::sql_types::Uuid, _>(PROVIDER)
    .bind::<Text, _>(seed.dedup_key())
    .bind::<Timestamptz, _>(created())
    .bind::<Nullable<Text>, _>(assignee)
    .bind::<Timestamptz, _>(seed.first_response.due)
    .bind::<Nullable<Timestamptz>, _>(seed.first_response.event)
    .bind::<Timestamptz, _>(seed.resolution.due)
    .bind::<Nullable<Timestamptz>, _>(seed.resolution.event)
    .bind::<Nullable<Timestamptz>, _>(closed_at)
    .bind::<Nullable<Timestamptz>, _>(seed.held_since)
    .execute(conn)
    .await?;
    Ok(id)
}

async fn insert_ticket(conn: &mut AsyncPgConnection, seed: &Seed) -> Uuid {
    try_insert_ticket(conn, seed)
        .await
        .unwrap_or_else(|e| panic!("insert {seed:?}: {e}"))
}

#[derive(QueryableByName)]
struct Predicate {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    predicate: String,
}

/// The predicates of the partial indexes on `tickets`, as PostgreSQL reads them.
async fn partial_indexes(conn: &mut AsyncPgConnection) -> Vec<Predicate> {
    diesel::sql_query(
        "SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'tickets'::regclass AND i.indpred IS NOT NULL ORDER BY 1",
    )
    .load(conn)
    .await
    .unwrap()
}

#[derive(QueryableByName)]
struct Holds {
    #[diesel(sql_type = Bool)]
    holds: bool,
}

/// Whether a row is in a partial index: its predicate is true (NULL leaves it out).
async fn predicate_holds(conn: &mut AsyncPgConnection, predicate: &str, id: Uuid) -> bool {
    diesel::sql_query(format!(
        "SELECT ({predicate}) IS TRUE AS holds FROM tickets WHERE id = $1"
    ))
    .bind::<diesel::sql_types::Uuid, _>(id)
    .get_result::<Holds>(conn)
    .await
    .unwrap()
    .holds
}

fn filter_for(seed: &Seed, sla_breached: Option<bool>) -> TicketFilter {
    TicketFilter {
        camera_id: Some(CameraId::parse(seed.camera, "camera_id").unwrap()),
        sla_breached,
        ..TicketFilter::default()
    }
}

// ---------------------------------------------------------------------------------------
// The SLA rule
// ---------------------------------------------------------------------------------------

/// Fails listing every disagreement, so one run shows the whole pattern rather than the
/// first case.
fn assert_agree(wrong: &[String], cases: usize) {
    assert!(
        wrong.is_empty(),
        "{} disagreements over {cases} cases:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Inserts each case's ticket, runs `check` on it, and fails on any disagreement reported.
async fn check_each_case(
    fx: &Fixture,
    mut check: impl AsyncFnMut(&mut AsyncPgConnection, &Case, Uuid) -> Vec<String>,
) {
    let mut conn = fx.repo.pool().get().await.unwrap();
    let cases = cases();
    let mut wrong = Vec::new();
    for case in &cases {
        let id = insert_ticket(&mut conn, &case.seed).await;
        wrong.extend(check(&mut conn, case, id).await);
    }
    assert_agree(&wrong, cases.len());
}

/// `sla_breached=true` lists a ticket iff the domain finds either target breached at the
/// query's `now`, and `sla_breached=false` iff it finds neither.
#[tokio::test]
async fn list_filter_agrees_with_sla_state() {
    let fx = fixture().await;
    check_each_case(&fx, async |_, case, id| {
        let breached = SlaTarget::ALL.iter().any(|t| case.breached(*t));
        let mut wrong = Vec::new();
        for asked in [true, false] {
            let query = ListQuery {
                filter: filter_for(&case.seed, Some(asked)),
                ..ListQuery::default()
            };
            let page = fx.repo.list(ORG, &query, case.now).await.unwrap();
            let listed = page.items.iter().any(|t| t.id().as_uuid() == id);
            if listed != (asked == breached) {
                wrong.push(format!(
                    "{case}: sla_breached={asked} lists it: {listed}; domain breached: {breached}"
                ));
            }
        }
        wrong
    })
    .await;
}

/// The statistics count each target of a ticket once, as met, breached or pending, exactly
/// as the domain judges it at the query's `now`.
#[tokio::test]
async fn stats_agree_with_sla_state() {
    let fx = fixture().await;
    check_each_case(&fx, async |_, case, _| {
        let filter = filter_for(&case.seed, None);
        let stats = fx.repo.stats(ORG, &filter, case.now).await.unwrap();
        let mut wrong = Vec::new();
        for &target in SlaTarget::ALL {
            let counted = target_stats(&stats, target);
            let counted = (counted.met, counted.breached, counted.pending);
            let expected = match case.state(target, case.now) {
                SlaState::Met => (1, 0, 0),
                SlaState::Breached => (0, 1, 0),
                SlaState::Pending => (0, 0, 1),
            };
            if counted != expected {
                wrong.push(format!(
                    "{case}: {} (met, breached, pending) counted {counted:?}, domain {expected:?}",
                    target.as_str()
                ));
            }
        }
        wrong
    })
    .await;
}

#[derive(QueryableByName)]
struct Monitored {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    notified_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    events: i64,
}

/// When the monitor marked `target` of ticket `id`, and how many `sla_breached` events it
/// wrote for that target.
async fn monitored(conn: &mut AsyncPgConnection, id: Uuid, target: SlaTarget) -> Monitored {
    diesel::sql_query(format!(
        "SELECT {} AS notified_at, \
           (SELECT count(*) FROM notification_logs n \
            WHERE n.ticket_id = t.id AND n.event_type = 'sla_breached' \
              AND n.payload #>> '{{data,target}}' = $2) AS events \
         FROM tickets t WHERE t.id = $1",
        notified_column(target)
    ))
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<Text, _>(target.as_str())
    .get_result(conn)
    .await
    .unwrap()
}

/// The monitor records a target (marks it and writes one `sla_breached` event) iff the
/// domain finds it breached at the monitor's `now`, and never records one twice: not when
/// run again at once, nor a month later, when it records only what has breached since.
///
/// Each case's ticket is deleted after its runs: it is alone in the database while the
/// monitor runs, so what the monitor records is that case's doing.
#[tokio::test]
async fn breach_monitor_records_each_breach_once() {
    let fx = fixture().await;
    check_each_case(&fx, async |conn, case, id| {
        let later = case.now + LATER;
        // When each target should be recorded: at `now`, a month later, or not at all.
        let recorded_at = |target: SlaTarget| {
            if case.breached(target) {
                Some(case.now)
            } else if case.state(target, later).is_breached() {
                Some(later)
            } else {
                None
            }
        };
        let mut counted = Vec::new();
        let mut wrong = Vec::new();
        for (run, at) in [("first", case.now), ("again", case.now), ("later", later)] {
            let recorded = fx.repo.record_sla_breaches(at, 1_000).await.unwrap();
            let by_then = |t: SlaTarget| recorded_at(t).filter(|r| *r <= at);
            // The targets this run should add to those recorded before.
            let new = SlaTarget::ALL
                .iter()
                .filter(|t| by_then(**t).is_some() && !counted.contains(*t))
                .copied()
                .collect::<Vec<_>>();
            if recorded != new.len() {
                wrong.push(format!(
                    "{case}: {run} run at {at} recorded {recorded} targets, domain expects {}",
                    new.len()
                ));
            }
            counted.extend(new);
            for &target in SlaTarget::ALL {
                let seen = monitored(conn, id, target).await;
                let expected = by_then(target);
                let events = i64::from(expected.is_some());
                if seen.notified_at != expected || seen.events != events {
                    wrong.push(format!(
                        "{case}: after the {run} run {} notified at {:?} with {} events; \
                         domain expects {expected:?} with {events}",
                        target.as_str(),
                        seen.notified_at,
                        seen.events
                    ));
                }
            }
        }
        diesel::sql_query("DELETE FROM tickets WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(id)
            .execute(conn)
            .await
            .unwrap();
        wrong
    })
    .await;
}

/// Every target the monitor records (one the domain finds breached, not yet notified) is
/// in each watch index of that target. PostgreSQL uses a partial index only for a query
/// whose WHERE implies its predicate: an index that left out a row the monitor selects
/// could not serve the monitor, which would scan the whole table on every run.
#[tokio::test]
async fn watch_indexes_hold_every_breach_the_monitor_records() {
    let fx = fixture().await;
    let indexes = partial_indexes(&mut fx.repo.pool().get().await.unwrap()).await;
    // A watch index is one whose predicate reads the target's "notified" column.
    let watch = |target: SlaTarget| {
        indexes
            .iter()
            .filter(move |i| i.predicate.contains(notified_column(target)))
            .collect::<Vec<_>>()
    };
    for &target in SlaTarget::ALL {
        assert!(
            !watch(target).is_empty(),
            "no watch index for {}",
            target.as_str()
        );
    }
    let mut checked = 0;
    check_each_case(&fx, async |conn, case, id| {
        let mut wrong = Vec::new();
        for &target in SlaTarget::ALL.iter().filter(|t| case.breached(**t)) {
            for index in watch(target) {
                checked += 1;
                if !predicate_holds(conn, &index.predicate, id).await {
                    wrong.push(format!(
                        "{case}: {} breached but not in {} ({})",
                        target.as_str(),
                        index.name,
                        index.predicate
                    ));
                }
            }
        }
        wrong
    })
    .await;
    assert!(checked > 0, "no case breaches a target");
}

// ---------------------------------------------------------------------------------------
// Active statuses
// ---------------------------------------------------------------------------------------

fn neutral_seed(status: Status, camera: i64) -> Seed {
    Seed {
        status,
        camera,
        first_response: neutral(SlaTarget::FirstResponse, status),
        resolution: neutral(SlaTarget::Resolution, status),
        held_since: (status == Status::OnHold).then(|| created() + TimeDelta::minutes(1)),
    }
}

/// Another alert of `seed`'s incident.
fn repeated(seed: &Seed) -> NewAlert {
    NewAlert {
        title: Title::parse("Repeated alert", "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(seed.camera, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(PROVIDER),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: Some(DedupKey::parse(&seed.dedup_key(), "dedup_key").unwrap()),
    }
}

/// The statuses the active dedup index holds, and those ingest merges a repeated alert
/// into, are exactly those `Status::is_active` names.
#[tokio::test]
async fn active_statuses_agree_with_is_active() {
    #[derive(QueryableByName)]
    struct Indexed {
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Bool)]
        holds: bool,
    }

    let fx = fixture().await;
    let mut conn = fx.repo.pool().get().await.unwrap();
    let index = partial_indexes(&mut conn)
        .await
        .into_iter()
        .find(|i| i.name == "tickets_org_active_key")
        .expect("the active dedup index");
    // The predicate over each status alone: it must read nothing but the status.
    let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let indexed: Vec<Indexed> = diesel::sql_query(format!(
        "SELECT status, ({}) IS TRUE AS holds FROM unnest($1::text[]) AS tickets(status)",
        index.predicate
    ))
    .bind::<Array<Text>, _>(&names)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(indexed.len(), Status::ALL.len());
    for row in &indexed {
        let status = Status::parse(&row.status, "status").unwrap();
        assert_eq!(
            row.holds,
            status.is_active(),
            "{status}: in the active dedup index ({}) but is_active says otherwise",
            index.predicate
        );
    }

    // A repeated alert joins the ticket of its dedup key iff that ticket is active.
    let now = Utc::now();
    for (i, &status) in Status::ALL.iter().enumerate() {
        let seed = neutral_seed(status, i as i64);
        let id = insert_ticket(&mut conn, &seed).await;
        let draft = TicketDraft::new(ORG, repeated(&seed), &SlaPolicy::default(), now);
        let merged = match fx.repo.ingest(ORG, draft, now).await {
            Ok(Ingested::Merged(ticket)) => ticket.id().as_uuid() == id,
            Ok(Ingested::Created(_)) => false,
            other => panic!("{status}: unexpected ingest result {other:?}"),
        };
        assert_eq!(
            merged,
            status.is_active(),
            "{status}: ingest merged into it: {merged}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// CHECK constraints
// ---------------------------------------------------------------------------------------

fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> BTreeSet<&'static str> {
    all.iter().map(|v| as_str(*v)).collect()
}

/// Each enum column and the values the domain has for it.
fn domain_enums() -> BTreeMap<(&'static str, &'static str), BTreeSet<&'static str>> {
    let statuses = names(Status::ALL, Status::as_str);
    let severities = names(Severity::ALL, Severity::as_str);
    BTreeMap::from([
        (("tickets", "status"), statuses.clone()),
        (
            ("tickets", "held_from"),
            names(Status::HOLD_FROM, Status::as_str),
        ),
        (
            ("ticket_timers", "kind"),
            names(TimerKind::ALL, TimerKind::as_str),
        ),
        (("tickets", "severity"), severities.clone()),
        (("ticket_alerts", "severity"), severities.clone()),
        (("dropped_alerts", "severity"), severities),
        (
            ("tickets", "inhibited_on_end"),
            names(
                ticket_domain::inhibition::OnEnd::ALL,
                ticket_domain::inhibition::OnEnd::as_str,
            ),
        ),
        (
            ("ticket_comments", "visibility"),
            names(Visibility::ALL, Visibility::as_str),
        ),
        (("ticket_state_history", "from_status"), statuses.clone()),
        (("ticket_state_history", "to_status"), statuses),
        (
            ("notification_logs", "event_type"),
            names(EventType::ALL, EventType::as_str),
        ),
        (
            ("notification_logs", "status"),
            names(DeliveryStatus::ALL, DeliveryStatus::as_str),
        ),
        (
            ("auto_resolve_rules", "target_status"),
            names(ticket_domain::auto_resolve::TARGET_STATUSES, Status::as_str),
        ),
        (
            ("suppression_windows", "mode"),
            names(
                ticket_domain::suppression::Mode::ALL,
                ticket_domain::suppression::Mode::as_str,
            ),
        ),
        (
            ("assignment_rules", "strategy"),
            names(
                ticket_domain::Strategy::ALL,
                ticket_domain::Strategy::as_str,
            ),
        ),
    ])
}

/// Whether `result` is a refusal by a CHECK constraint named `constraint`, or by any CHECK.
fn is_check_violation(result: &Result<usize, DieselError>, constraint: Option<&str>) -> bool {
    match result {
        Err(DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info)) => {
            constraint.is_none() || info.constraint_name() == constraint
        }
        _ => false,
    }
}

/// Each enum CHECK allows exactly the domain's values (no enum CHECK is left unmatched, no
/// enum column goes unchecked), each of them can be stored, and anything else is refused.
#[tokio::test]
async fn enum_checks_allow_exactly_the_domain_values() {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        definition: String,
    }

    let fx = fixture().await;
    let mut conn = fx.repo.pool().get().await.unwrap();
    let checks: Vec<Check> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS table_name, a.attname::text AS column_name, \
           pg_get_constraintdef(c.oid) AS definition \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 \
           AND c.connamespace = 'public'::regnamespace",
    )
    .load(&mut conn)
    .await
    .unwrap();
    // A list of allowed values is how PostgreSQL prints `column IN (...)`; the values are
    // the quoted literals of the definition.
    let mut allowed: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for check in checks
        .iter()
        .filter(|c| c.definition.contains("= ANY (ARRAY["))
    {
        let literals = check.definition.split('\'').skip(1).step_by(2);
        allowed
            .entry((check.table_name.clone(), check.column_name.clone()))
            .or_default()
            .extend(literals.map(str::to_owned));
    }
    let domain = domain_enums();
    let domain: BTreeMap<(String, String), BTreeSet<String>> = domain
        .iter()
        .map(|((t, c), values)| {
            let values = values.iter().map(|v| (*v).to_owned()).collect();
            (((*t).to_owned(), (*c).to_owned()), values)
        })
        .collect();
    assert_eq!(allowed, domain, "enum CHECKs against the domain's values");

    // One row in each table, whose every value of every enum column passes the CHECKs: a
    // closed ticket has an assignee, `resolved_at` and `closed_at`, so any status fits it.
    let seed = neutral_seed(Status::Closed, 1);
    let ticket = insert_ticket(&mut conn, &seed).await;
    let rows = [
        "INSERT INTO ticket_alerts (ticket_id, provider_id, title, severity, payload, \
           occurred_at, received_at) VALUES ($1, $1, 'alert', 'high', '{}', now(), now())",
        "INSERT INTO ticket_comments (id, ticket_id, author_id, body, visibility, created_at) \
           VALUES ($1, $1, 'op-1', 'body', 'internal', now())",
        "INSERT INTO ticket_state_history (ticket_id, from_status, to_status, changed_at) \
           VALUES ($1, 'open', 'closed', now())",
        "INSERT INTO notification_logs (ticket_id, event_type, payload, next_attempt_at, \
           created_at) VALUES ($1, 'ticket_created', '{}', now(), now())",
        "INSERT INTO ticket_timers (ticket_id, kind, org_id, due_at) \
           VALUES ($1, 'hold_end', '00000000-0000-0000-0000-000000000001', now())",
        "INSERT INTO operator_groups (org_id, id, name, members, created_at, updated_at) \
           VALUES ('00000000-0000-0000-0000-000000000001', $1, 'g', '[]', now(), now())",
        "INSERT INTO assignment_rules (org_id, id, name, position, strategy, group_id, \
           created_at, updated_at) VALUES ('00000000-0000-0000-0000-000000000001', $1, 'r', 1, \
           'round_robin', $1, now(), now())",
        "INSERT INTO auto_resolve_rules (org_id, id, name, position, quiet_seconds, end_event, \
           target_status, only_if_untouched, created_at, updated_at) \
           VALUES ('00000000-0000-0000-0000-000000000001', $1, 'q', 1, 60, true, 'resolved', \
           true, now(), now())",
        "INSERT INTO suppression_windows (org_id, id, reason, mode, starts_at, \
           duration_seconds, created_by, created_at, updated_at) \
           VALUES ('00000000-0000-0000-0000-000000000001', $1, 'r', 'drop', now(), 60, 'op', \
           now(), now())",
        "INSERT INTO dropped_alerts (org_id, window_id, provider_id, camera_id, title, severity, \
           payload, occurred_at, received_at) \
           VALUES ('00000000-0000-0000-0000-000000000001', $1, $1, 9, 'alert', 'high', '{}', \
           now(), now())",
    ];
    for sql in rows {
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::Uuid, _>(ticket)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    for ((table, column), values) in &domain {
        // A ticket is on hold exactly when it has a hold (CHECK held_has_hold).
        let set = if (table.as_str(), column.as_str()) == ("tickets", "status") {
            "UPDATE tickets SET status = $1, \
               held_since = CASE WHEN $1 = 'on_hold' THEN now() END, \
               held_from = CASE WHEN $1 = 'on_hold' THEN 'in_progress' END, \
               hold_reason = CASE WHEN $1 = 'on_hold' THEN 'rules case' END"
                .to_owned()
        } else if (table.as_str(), column.as_str()) == ("tickets", "inhibited_on_end") {
            // Both inhibition columns or neither (CHECK tickets_inhibited_check).
            "UPDATE tickets SET inhibited_on_end = $1, inhibited_by = id".to_owned()
        } else if (table.as_str(), column.as_str()) == ("assignment_rules", "strategy") {
            // A fixed rule names a user, the others a group (CHECK assignment_rule_target).
            "UPDATE assignment_rules SET strategy = $1, \
               user_id = CASE WHEN $1 = 'fixed' THEN 'op-1' END, \
               group_id = CASE WHEN $1 <> 'fixed' THEN id END"
                .to_owned()
        } else {
            format!("UPDATE {table} SET {column} = $1")
        };
        for value in values.iter().map(String::as_str).chain(["not_a_value"]) {
            let result = diesel::sql_query(&set)
                .bind::<Text, _>(value)
                .execute(&mut conn)
                .await;
            if values.contains(value) {
                assert!(
                    matches!(result, Ok(1)),
                    "{table}.{column} = {value}: {result:?}"
                );
            } else {
                assert!(
                    is_check_violation(&result, None),
                    "{table}.{column} = {value} is not refused: {result:?}"
                );
            }
        }
    }
}

/// A ticket may lack `resolved_at` iff its status is not a resolution
/// (`resolution_has_resolved_at` against `Status::is_resolution`).
#[tokio::test]
async fn resolution_check_agrees_with_is_resolution() {
    let fx = fixture().await;
    let mut conn = fx.repo.pool().get().await.unwrap();
    for (i, &status) in Status::ALL.iter().enumerate() {
        let mut seed = neutral_seed(status, i as i64);
        seed.resolution.event = None;
        let result = try_insert_ticket(&mut conn, &seed).await.map(|_| 1);
        if status.is_resolution() {
            assert!(
                is_check_violation(&result, Some("resolution_has_resolved_at")),
                "{status} without resolved_at is not refused: {result:?}"
            );
        } else {
            assert!(result.is_ok(), "{status} without resolved_at: {result:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Comments
// ---------------------------------------------------------------------------------------

/// `save_comment` applies the rule of `Ticket::add_comment` in one UPDATE, so concurrent
/// comments never conflict: the ticket it stores is the one the domain computes (version
/// + 1, `updated_at` moved up to the comment, the first response set if there was none).
#[tokio::test]
async fn save_comment_agrees_with_add_comment() {
    let fx = fixture().await;
    let mut conn = fx.repo.pool().get().await.unwrap();
    let author = UserId::parse("op-1", "author_id").unwrap();
    let body = CommentBody::parse("on my way", "body").unwrap();
    let responded = created() + TimeDelta::hours(1);
    let mut cases: usize = 0;
    let mut wrong = Vec::new();
    for &status in Status::ALL {
        for first_response in [None, Some(responded)] {
            // Before, at and after `updated_at` (the creation time) and the first response.
            let times = [
                created() - MICROSECOND,
                created(),
                responded,
                responded + TimeDelta::hours(1),
            ];
            // A comment older than the recorded first response reaches the store when
            // comments commit out of order: both keep the earliest.
            for at in times {
                let mut seed = neutral_seed(status, 10_000 + cases as i64);
                seed.first_response.event = first_response;
                cases += 1;
                let id = insert_ticket(&mut conn, &seed).await;
                let ticket = TicketRef::Id(TicketId::from_uuid(id));
                let ticket = fx.repo.find(ORG, ticket).await.unwrap().unwrap();
                let (expected, comment) =
                    ticket.add_comment(author.clone(), body.clone(), Visibility::Internal, at);
                let stored = fx.repo.save_comment(ORG, &comment, None).await.unwrap();
                if stored != expected {
                    wrong.push(format!(
                        "{status}, first response {first_response:?}, comment at {at}:\n  \
                         stored {stored:?}\n  domain {expected:?}"
                    ));
                }
            }
        }
    }
    assert_agree(&wrong, cases);
}

/// The statistics' durations restate [`ticket_domain::TargetView`]'s `elapsed_seconds`:
/// from creation to the target's event, time held while it was pending left out. Tickets
/// made and changed through the domain and the repository, held or not, per camera.
#[tokio::test]
async fn stats_durations_agree_with_elapsed_seconds() {
    use ticket_domain::lifecycle::{self, StatusChange};
    use ticket_domain::{Reason, TargetView, Ticket};

    let fx = fixture().await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap();
    let at = |s: i64| t0 + TimeDelta::seconds(s);
    let operator = UserId::parse("operator", "user").unwrap();
    let change = |target: Status, reason: Option<&str>| StatusChange {
        target,
        assignee_id: None,
        reason: reason.map(|r| Reason::parse(r, "reason").unwrap()),
        hold_until: None,
    };
    // (camera, seconds held; None: never held), each taken at 60 s and resolved at 3,000 s;
    // holds begin at 600 s.
    let plans = [(701, None), (702, Some(10)), (703, Some(900))];
    let mut expected = Vec::new();
    for (camera, held) in plans {
        let alert = NewAlert {
            title: Title::parse(&format!("Camera {camera}"), "title").unwrap(),
            description: None,
            severity: Severity::Critical,
            camera_id: CameraId::parse(camera, "camera_id").unwrap(),
            provider_id: ProviderId::from_uuid(PROVIDER),
            alert_type: None,
            alert_data: AlertData::empty(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        };
        let draft = TicketDraft::new(ORG, alert, &SlaPolicy::default(), t0);
        let Ingested::Created(mut ticket) = fx.repo.ingest(ORG, draft, t0).await.unwrap() else {
            panic!("a new ticket");
        };
        let step = |ticket: &Ticket, c: StatusChange, now| {
            let (next, entry) = lifecycle::apply(ticket, &c, &operator, now).unwrap();
            (next, entry, ticket.version())
        };
        let mut moves = vec![(change(Status::InProgress, None), at(60))];
        if let Some(held) = held {
            moves.push((change(Status::OnHold, Some("guard")), at(600)));
            moves.push((change(Status::InProgress, None), at(600 + held)));
        }
        moves.push((change(Status::Resolved, None), at(3_000)));
        for (c, now) in moves {
            let (next, entry, version) = step(&ticket, c, now);
            fx.repo
                .save_transition(ORG, &next, version, &entry)
                .await
                .unwrap();
            ticket = next;
        }
        let stored = fx
            .repo
            .find(ORG, TicketRef::Id(ticket.id()))
            .await
            .unwrap()
            .unwrap();
        let view = TargetView::of(&stored, SlaTarget::Resolution, at(4_000));
        assert_eq!(
            view.elapsed_seconds,
            3_000 - held.unwrap_or(0),
            "camera {camera}"
        );
        expected.push((camera, view.elapsed_seconds));
    }
    for (camera, elapsed) in &expected {
        let filter = TicketFilter {
            camera_id: Some(CameraId::parse(*camera, "camera_id").unwrap()),
            ..TicketFilter::default()
        };
        let stats = fx.repo.stats(ORG, &filter, at(4_000)).await.unwrap();
        let resolution = target_stats(&stats, SlaTarget::Resolution);
        assert_eq!(
            resolution.mean_seconds,
            Some(*elapsed as f64),
            "camera {camera}"
        );
        assert_eq!(
            resolution.p50_seconds,
            Some(*elapsed as f64),
            "camera {camera}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Flapping and who resolved
// ---------------------------------------------------------------------------------------

/// Ingest's lookup of a ticket to reopen (`tickets_auto_resolved_key_idx` and the query
/// over it) restates `flapping::reopens`; the statistics' split of resolutions restates
/// `Ticket::resolved_automatically`. One table of tickets, each judged by both.
#[tokio::test]
async fn flap_reopen_and_resolution_split_agree_with_the_domain() {
    let fx = fixture().await;
    let mut conn = fx.repo.pool().get().await.unwrap();
    let now = Utc::now();
    let policy = FlapPolicy {
        reopen_window: TimeDelta::seconds(60),
        ..FlapPolicy::default()
    };
    let rule = "system:auto_resolve:0190a1b2-c3d4-7000-8000-00000000000a";
    let ago = |micros: i64| now - TimeDelta::microseconds(micros);
    let cases: Vec<(&str, Status, Option<&str>, DateTime<Utc>)> = vec![
        (
            "by a rule, 30 s ago",
            Status::Resolved,
            Some(rule),
            ago(30_000_000),
        ),
        (
            "by a rule, just inside",
            Status::Resolved,
            Some(rule),
            ago(59_999_999),
        ),
        (
            "by a rule, the window's end",
            Status::Resolved,
            Some(rule),
            ago(60_000_000),
        ),
        (
            "by a rule, after",
            Status::Resolved,
            Some(rule),
            ago(61_000_000),
        ),
        ("by a user", Status::Resolved, Some("ann"), ago(30_000_000)),
        ("unrecorded", Status::Resolved, None, ago(30_000_000)),
        (
            "by escalation",
            Status::Resolved,
            Some("system:escalation:x"),
            ago(1),
        ),
        (
            "closed after a rule",
            Status::Closed,
            Some(rule),
            ago(30_000_000),
        ),
        (
            "false positive by a rule",
            Status::FalsePositive,
            Some(rule),
            ago(30_000_000),
        ),
        (
            "false positive by a user",
            Status::FalsePositive,
            Some("ann"),
            ago(1),
        ),
        ("closed by a user", Status::Closed, Some("ann"), ago(1)),
    ];
    let mut wrong = Vec::new();
    for (i, (label, status, by, at)) in cases.iter().enumerate() {
        let seed = neutral_seed(*status, 9_000 + i as i64);
        let id = insert_ticket(&mut conn, &seed).await;
        diesel::sql_query("UPDATE tickets SET resolved_by = $1, resolved_at = $2 WHERE id = $3")
            .bind::<Nullable<Text>, _>(*by)
            .bind::<Timestamptz, _>(*at)
            .bind::<diesel::sql_types::Uuid, _>(id)
            .execute(&mut conn)
            .await
            .unwrap();
        let stored = fx
            .repo
            .find(ORG, TicketRef::Id(TicketId::from_uuid(id)))
            .await
            .unwrap()
            .unwrap();
        let expected = flapping::reopens(&stored, &policy, now);
        let mut draft = TicketDraft::new(ORG, repeated(&seed), &SlaPolicy::default(), now);
        draft.flap = policy;
        let reopened = match fx.repo.ingest(ORG, draft, now).await.unwrap() {
            Ingested::Reopened(t) => t.id().as_uuid() == id,
            Ingested::Created(_) => false,
            other => panic!("{label}: {other:?}"),
        };
        if reopened != expected {
            wrong.push(format!("{label}: reopened {reopened}, domain {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // The split of resolutions, over every ticket now stored.
    let page = fx
        .repo
        .list(
            ORG,
            &ListQuery {
                limit: ticket_domain::PageLimit::parse(500, "limit").unwrap(),
                ..ListQuery::default()
            },
            now,
        )
        .await
        .unwrap();
    let automatic = page
        .items
        .iter()
        .filter(|t| t.resolved_automatically() == Some(true))
        .count() as i64;
    let by_operators = page
        .items
        .iter()
        .filter(|t| t.resolved_automatically() == Some(false))
        .count() as i64;
    let stats = fx
        .repo
        .stats(ORG, &TicketFilter::default(), now)
        .await
        .unwrap();
    assert_eq!(
        (stats.resolutions.automatic, stats.resolutions.by_operators),
        (automatic, by_operators)
    );
    assert!(automatic > 0 && by_operators > 0, "both kinds are counted");
}
