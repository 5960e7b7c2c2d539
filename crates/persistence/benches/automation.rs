//! What automation costs (issue 11), on the real adapters and a private database:
//!
//! 1. **Rules at ingest**: alerts → new tickets through `TicketService::ingest_under`, 8
//!    at a time, without rules and then with 20 escalation policies and 20 assignment rules
//!    in the organization (the last of each matching: every filter is evaluated; the
//!    assignment picks round robin from a group of 5, so each create takes the group's lock
//!    and counts the members' loads). Target: the rules cost the write path at most 15 %.
//! 2. **Timers**: 10,000 escalation steps due at once, fired by 2 "instances" (two
//!    services on their own pools) running `run_timers` side by side. Target: all within
//!    30 s, none twice (one `ticket_escalated` per ticket).
//!
//! `cargo bench -p ticket-persistence --bench automation` (needs PostgreSQL as the tests
//! do). `AUTOMATION_CREATES` (default 4000) sets the creates per measurement.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;
use serde_json::json;
use ticket_domain::{
    AlertData, AssignTo, AssignmentConfigRepository, AssignmentRuleSpec, CameraId,
    EscalationConfigRepository, EscalationPolicySpec, Filter, Member, NewAlert, OperatorGroupSpec,
    OrgRef, OrgSlug, OrganizationRepository, ProviderId, RuleName, Severity, SlaConfigRepository,
    SlaPolicy, Steps, Strategy, SystemClock, TicketService, Title, UserId,
};
use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{
    DbRole, PgOrganizations, PgSlaConfig, PgTicketRepository, PoolSettings, build_pool,
};

const CONCURRENCY: usize = 8;

fn alert(n: usize, camera: i64) -> NewAlert {
    NewAlert {
        title: Title::parse(&format!("Intrusion {n}"), "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(camera, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::parse(json!({"zone": "dock", "score": 0.9}), "alert_data").unwrap(),
        occurred_at: None,
        external_id: None,
        dedup_key: Some(ticket_domain::DedupKey::parse(&format!("bench/{n}"), "k").unwrap()),
    }
}

fn name(text: &str) -> RuleName {
    RuleName::parse(text, "name").unwrap()
}

/// A filter no bench ticket matches (another camera), so every rule before the last is
/// evaluated and passed over.
fn elsewhere(i: usize) -> Option<Filter> {
    Some(
        Filter::parse(
            &json!({"all": [{"field": "camera_id", "op": "eq", "value": 100_000 + i},
                           {"field": "severity", "op": "in", "value": ["critical", "high"]}]}),
            "filter",
        )
        .unwrap(),
    )
}

async fn install_rules(
    config: &PgSlaConfig,
    org: ticket_domain::OrgId,
    step_after: i64,
    assignments: bool,
) {
    let now = Utc::now();
    let steps = Steps::parse(&json!([
        {"after": step_after, "condition": "not_resolved",
         "actions": [{"type": "notify", "users": ["sup"]}]}
    ]))
    .unwrap();
    for i in 0..20 {
        config
            .create_escalation_policy(
                org,
                &EscalationPolicySpec {
                    name: name(&format!("escalation {i}")),
                    position: None,
                    filter: if i < 19 { elsewhere(i) } else { None },
                    steps: steps.clone(),
                    repeat: 0,
                },
                now,
            )
            .await
            .unwrap();
    }
    if !assignments {
        return;
    }
    let members: Vec<Member> = (0..5)
        .map(|i| Member {
            user_id: UserId::parse(&format!("op-{i}"), "user_id").unwrap(),
            capacity: None,
        })
        .collect();
    let group = config
        .create_operator_group(
            org,
            &OperatorGroupSpec {
                name: name("night"),
                members,
            },
            now,
        )
        .await
        .unwrap();
    for i in 0..20 {
        config
            .create_assignment_rule(
                org,
                &AssignmentRuleSpec {
                    name: name(&format!("assignment {i}")),
                    position: None,
                    filter: if i < 19 { elsewhere(i) } else { None },
                    target: AssignTo::Group {
                        group: group.id,
                        strategy: Strategy::RoundRobin,
                    },
                },
                now,
            )
            .await
            .unwrap();
    }
}

/// Creates `count` tickets in `org`, `CONCURRENCY` at a time, with the organization's rules
/// as ingest reads them; creates per second.
async fn creates(
    service: &Arc<TicketService<PgTicketRepository, SystemClock>>,
    config: &PgSlaConfig,
    org: ticket_domain::OrgId,
    first: usize,
    count: usize,
) -> f64 {
    let started = Instant::now();
    let workers = (0..CONCURRENCY).map(|w| {
        let service = Arc::clone(service);
        let config = config.clone();
        async move {
            let mut n = first + w;
            while n < first + count {
                let rules = config.sla_rules(org).await.unwrap();
                service
                    .ingest_under(org, alert(n, 1), &rules)
                    .await
                    .unwrap();
                n += CONCURRENCY;
            }
        }
    });
    join_all(workers.map(tokio::spawn)).await;
    count as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("AUTOMATION_CREATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000);
    let db = TestDatabase::new().await;
    let settings = PoolSettings {
        max_size: CONCURRENCY,
        role: Some(DbRole::App),
        ..PoolSettings::default()
    };
    let pool = build_pool(&db.url(), &settings).unwrap();
    let orgs = PgOrganizations::new(pool.clone());
    let resolve = |slug: &str| {
        let orgs = orgs.clone();
        let slug = OrgSlug::parse(slug, "org").unwrap();
        async move { orgs.resolve(&OrgRef::Slug(slug)).await.unwrap().unwrap() }
    };
    let plain = resolve("bench-plain").await;
    let escalating = resolve("bench-escalation").await;
    let ruled = resolve("bench-rules").await;
    let config = PgSlaConfig::new(pool.clone());
    // Steps an hour out: the ingest measurement fires none.
    install_rules(&config, escalating, 3600, false).await;
    install_rules(&config, ruled, 3600, true).await;
    let service = Arc::new(TicketService::new(
        PgTicketRepository::new(pool.clone()),
        SystemClock,
        SlaPolicy::default(),
    ));

    println!("# Automation bench ({count} creates per measurement, {CONCURRENCY} at a time)");
    // Warm both paths (connections, statement caches, the rules cache), then alternate.
    for org in [plain, escalating, ruled] {
        creates(&service, &config, org, 0, 400).await;
    }
    let (mut without, mut escalation, mut with) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        let base = 1_000 + round * count;
        without.push(creates(&service, &config, plain, base, count).await);
        escalation.push(creates(&service, &config, escalating, base, count).await);
        with.push(creates(&service, &config, ruled, base, count).await);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, e, b) = (
        median(&mut without),
        median(&mut escalation),
        median(&mut with),
    );
    println!("creates/s, median of 3 alternating rounds:");
    println!("  no rules: {a:.0}");
    println!(
        "  20 escalation policies: {e:.0} (cost {:.1} %)",
        (1.0 - e / a) * 100.0
    );
    println!(
        "  20 escalation policies + 20 assignment rules (round robin over 5): {b:.0} \
         (cost {:.1} %; target <= 15 %)",
        (1.0 - b / a) * 100.0
    );

    // Timers: 10,000 tickets whose escalation step is due in 1 s.
    let timed = resolve("bench-timers").await;
    install_rules(&config, timed, 1, false).await;
    let t0 = Instant::now();
    creates(&service, &config, timed, 0, 10_000).await;
    println!(
        "made 10,000 tickets with a step due in 1 s in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // Due for sure: every step is due one second after its ticket.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let worker_settings = PoolSettings {
        max_size: 2,
        role: Some(DbRole::Worker),
        ..PoolSettings::default()
    };
    let instances: Vec<_> = (0..2)
        .map(|_| {
            TicketService::new(
                PgTicketRepository::new(build_pool(&db.url(), &worker_settings).unwrap()),
                SystemClock,
                SlaPolicy::default(),
            )
        })
        .collect();
    let started = Instant::now();
    let rounds = join_all(instances.iter().map(|s| async move {
        let mut taken = 0;
        // Rounds until one finds nothing (as the worker's loop would, back to back).
        loop {
            let round = s.run_timers().await.unwrap();
            assert_eq!(round.failed, 0, "{:?}", round.first_error);
            if round.taken == 0 {
                return taken;
            }
            taken += round.taken;
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let escalated = count_escalations(&db).await;
    println!(
        "2 instances fired {} timers ({} + {}) in {:.1} s (target <= 30 s); \
         ticket_escalated events: {escalated} for 10,000 tickets",
        rounds.iter().sum::<usize>(),
        rounds[0],
        rounds[1],
        elapsed.as_secs_f64()
    );
    assert_eq!(escalated, 10_000, "each step once");
}

async fn count_escalations(db: &TestDatabase) -> i64 {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(&db.url()).await.unwrap();
    diesel::sql_query(
        "SELECT count(*) AS n FROM notification_logs WHERE event_type = 'ticket_escalated'",
    )
    .get_result::<N>(&mut conn)
    .await
    .unwrap()
    .n
}
