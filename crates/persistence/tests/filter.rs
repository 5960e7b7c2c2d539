//! The filter language has two back ends: the domain's evaluator (`Filter::matches`, for
//! rules at ingest) and the store's SQL (`Conditions::expr_sql`, for lists). Random trees
//! (proptest, a fixed seed) over a varied set of stored tickets must select the same ones
//! through both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use ticket_domain::lifecycle;
use ticket_domain::{
    AlertData, AlertType, CameraId, DedupKey, Filter, Ingested, ListQuery, NewAlert, OrgId,
    Organization, PageLimit, ProviderId, Severity, SlaPolicy, Status, StatusChange, Ticket,
    TicketDraft, TicketFilter, TicketRepository, Title, UserId,
};
use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{PgTicketRepository, PoolSettings, build_pool};
use uuid::Uuid;

const ORG: OrgId = Organization::DEFAULT_ID;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap()
}

fn provider(n: u128) -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(n))
}

/// The alert data of ticket `i`: every shape a path can meet (a string, a number, a
/// boolean, `null`, an array of objects, nothing, a number where others have a string).
fn data(i: usize) -> Value {
    match i % 8 {
        0 => json!({"zone": "dock", "score": 0.9, "armed": true}),
        1 => json!({"zone": "gate", "score": 0.5, "cams": [{"id": 3}, {"id": 4}]}),
        2 => json!({"zone": 7, "score": -2.5, "armed": false, "n": null}),
        3 => json!({}),
        4 => json!({"score": 1, "cams": [{"id": 4}], "zone": {"x": 1}}),
        5 => json!({"zone": "dock", "score": 3, "armed": "true"}),
        6 => json!({"n": 0, "cams": []}),
        _ => json!({"zone": "Dock", "score": 0.9}),
    }
}

/// Thirty-two tickets over severities, statuses, cameras, providers, alert types,
/// assignees, creation times and alert data.
async fn seed(repo: &PgTicketRepository) -> Vec<Ticket> {
    let types = [Some("intrusion"), Some("loitering"), None, Some("tamper")];
    let mut tickets = Vec::new();
    for i in 0..32usize {
        let now = t0() + TimeDelta::minutes(i as i64) + TimeDelta::microseconds(i as i64 * 7);
        let alert = NewAlert {
            title: Title::parse(&format!("Ticket {i}"), "title").unwrap(),
            description: None,
            severity: Severity::ALL[i % Severity::ALL.len()],
            camera_id: CameraId::parse((i % 5) as i64, "camera_id").unwrap(),
            provider_id: provider(1 + (i % 2) as u128),
            alert_type: types[i % types.len()].map(|t| AlertType::parse(t, "t").unwrap()),
            alert_data: AlertData::parse(data(i), "alert_data").unwrap(),
            occurred_at: None,
            external_id: None,
            dedup_key: Some(DedupKey::parse(&format!("filter-{i}"), "dedup_key").unwrap()),
        };
        let draft = TicketDraft::new(ORG, alert, &SlaPolicy::default(), now);
        let Ok(Ingested::Created(mut ticket)) = repo.ingest(ORG, draft, now).await else {
            panic!("ticket {i} not created");
        };
        // Move some along: assigned to alice or bob, in progress, resolved.
        let moves: &[(Status, Option<&str>)] = match i % 4 {
            0 => &[],
            1 => &[(Status::Assigned, Some("alice"))],
            2 => &[(Status::Assigned, Some("bob")), (Status::InProgress, None)],
            _ => &[(Status::Resolved, None)],
        };
        for (target, assignee) in moves {
            let change = StatusChange {
                target: *target,
                assignee_id: assignee.map(|a| UserId::parse(a, "a").unwrap()),
                reason: None,
                hold_until: None,
            };
            let (next, entry) =
                lifecycle::apply(&ticket, &change, &UserId::parse("carol", "a").unwrap(), now)
                    .unwrap();
            repo.save_transition(ORG, &next, ticket.version(), &entry)
                .await
                .unwrap();
            ticket = next;
        }
        tickets.push(ticket);
    }
    tickets
}

/// One condition, drawn from every field, operator and kind of value (some draws are
/// invalid, e.g. `lt` on a status: the parser refuses those and they are skipped).
fn condition() -> impl Strategy<Value = Value> {
    let ops = ["eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte"];
    let fields = [
        "severity",
        "status",
        "camera_id",
        "provider_id",
        "alert_type",
        "assignee_id",
        "created_at",
        "alert_data.zone",
        "alert_data.score",
        "alert_data.armed",
        "alert_data.n",
        "alert_data.cams.0.id",
        "alert_data.cams.1.id",
        "alert_data.cams",
        "alert_data.missing",
        "alert_data.zone.x",
    ];
    (0..fields.len(), 0..ops.len(), 0usize..8, 0usize..3).prop_map(move |(f, o, v, n)| {
        let field = fields[f];
        let op = ops[o];
        let one = |k: usize| -> Value {
            match field {
                "severity" => json!(Severity::ALL[k % 5].as_str()),
                "status" => json!(Status::ALL[k % Status::ALL.len()].as_str()),
                "camera_id" => json!((k % 6) as i64),
                "provider_id" => json!(Uuid::from_u128(1 + (k % 3) as u128)),
                "alert_type" => [
                    json!("intrusion"),
                    json!("loitering"),
                    json!("tamper"),
                    Value::Null,
                ][k % 4]
                    .clone(),
                "assignee_id" => {
                    [json!("alice"), json!("bob"), json!("zed"), Value::Null][k % 4].clone()
                }
                "created_at" => json!(
                    t0() + TimeDelta::minutes((k * 5) as i64)
                        + TimeDelta::microseconds((k % 2) as i64 * 35)
                ),
                _ => [
                    json!("dock"),
                    json!(0.9),
                    json!(1),
                    json!(true),
                    json!(-2.5),
                    json!("gate"),
                    json!(3),
                    Value::Null,
                ][k % 8]
                    .clone(),
            }
        };
        let value = if op == "in" || op == "not_in" {
            Value::Array(
                (0..=n)
                    .map(|j| one(v + j * 3))
                    .filter(|x| !x.is_null())
                    .collect(),
            )
        } else if (op == "eq" || op == "ne") && n == 0 {
            // Absence is the edge where the back ends most easily part.
            Value::Null
        } else {
            one(v)
        };
        json!({"field": field, "op": op, "value": value})
    })
}

/// Trees of `all` / `any` / `not` up to four levels.
fn tree() -> impl Strategy<Value = Value> {
    condition().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|c| json!({ "all": c })),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|c| json!({ "any": c })),
            inner.prop_map(|c| json!({ "not": c })),
        ]
    })
}

async fn selected(repo: &PgTicketRepository, filter: Filter, now: DateTime<Utc>) -> BTreeSet<Uuid> {
    let query = ListQuery {
        filter: TicketFilter {
            expr: Some(filter),
            ..TicketFilter::default()
        },
        cursor: None,
        limit: PageLimit::parse(500, "limit").unwrap(),
    };
    let page = repo.list(ORG, &query, now).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items.iter().map(|t| t.id().as_uuid()).collect()
}

#[tokio::test]
async fn the_evaluator_and_the_sql_select_the_same_tickets() {
    let db = TestDatabase::new().await;
    let repo = PgTicketRepository::new(
        build_pool(
            &db.url(),
            &PoolSettings {
                max_size: 2,
                ..PoolSettings::default()
            },
        )
        .unwrap(),
    );
    let tickets = seed(&repo).await;
    let now = t0() + TimeDelta::hours(1);

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = tree();
    let (mut checked, mut selective) = (0, 0);
    for _ in 0..400 {
        let raw = strategy.new_tree(&mut runner).unwrap().current();
        let Ok(filter) = Filter::parse(&raw, "filter") else {
            continue;
        };
        // What is stored (an SLA policy's filter) reads back as the same filter.
        assert_eq!(
            Filter::parse(&filter.to_json(), "filter").as_ref().ok(),
            Some(&filter),
            "{raw} does not read back from {}",
            filter.to_json()
        );
        let expected: BTreeSet<Uuid> = tickets
            .iter()
            .filter(|t| filter.matches(t))
            .map(|t| t.id().as_uuid())
            .collect();
        let actual = selected(&repo, filter, now).await;
        assert_eq!(actual, expected, "the two back ends disagree on {raw}");
        checked += 1;
        if !expected.is_empty() && expected.len() < tickets.len() {
            selective += 1;
        }
    }
    // Enough valid trees, and enough that split the tickets, to mean something.
    assert!(checked >= 150, "only {checked} valid trees");
    assert!(selective >= 75, "only {selective} trees split the tickets");
}

#[tokio::test]
async fn a_search_filter_still_sees_only_the_callers_organization() {
    let db = TestDatabase::new().await;
    let repo = PgTicketRepository::new(build_pool(&db.url(), &PoolSettings::default()).unwrap());
    seed(&repo).await;
    let everything = Filter::parse(&json!({"all": []}), "filter").unwrap();
    let query = ListQuery {
        filter: TicketFilter {
            expr: Some(everything),
            ..TicketFilter::default()
        },
        cursor: None,
        limit: PageLimit::parse(500, "limit").unwrap(),
    };
    let other = OrgId::from_u128(99);
    let page = repo.list(other, &query, t0()).await.unwrap();
    assert!(page.items.is_empty());
}

/// The largest filter accepted stays a statement PostgreSQL takes (at most 65,535 bind
/// values): every condition of the kind that binds the most.
#[tokio::test]
async fn the_largest_filter_accepted_runs() {
    use ticket_domain::filter::{MAX_CHILDREN, MAX_CONDITIONS};
    let db = TestDatabase::new().await;
    let repo = PgTicketRepository::new(build_pool(&db.url(), &PoolSettings::default()).unwrap());
    let heavy = json!({"field": "alert_data.zone", "op": "in", "value": ["dock", 1, true]});
    let node = json!({"all": vec![heavy; MAX_CHILDREN]});
    let widest = json!({"any": vec![node; MAX_CONDITIONS / MAX_CHILDREN]});
    let filter = Filter::parse(&widest, "filter").unwrap();
    assert!(selected(&repo, filter, t0()).await.is_empty());
}
