//! Automatic assignment over HTTP: groups, rules and availability, and new tickets
//! assigned in their creation's transaction: round robin fair under concurrent creates on
//! three instances, capacities kept, unavailable members skipped, `assignment_failed`.

use std::collections::BTreeMap;

use awc::http::StatusCode;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::harness::{TestApp, alert};

async fn group(app: &TestApp, members: Value) -> String {
    let reply = app
        .as_admin(
            "POST",
            "/api/operator-groups",
            Some(&json!({"name": "Night shift", "members": members})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn rule(app: &TestApp, body: Value) -> Value {
    let reply = app
        .as_admin("POST", "/api/assignment-rules", Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

/// How many of `tickets` each assignee got (`None`: unassigned).
fn tally(tickets: &[Value]) -> BTreeMap<Option<String>, usize> {
    let mut counts = BTreeMap::new();
    for t in tickets {
        *counts
            .entry(t["assignee_id"].as_str().map(str::to_owned))
            .or_default() += 1;
    }
    counts
}

async fn failures(app: &TestApp, ticket: &str) -> usize {
    app.events_of(ticket)
        .await
        .iter()
        .filter(|e| e["event_type"] == "assignment_failed")
        .count()
}

#[actix_web::test]
async fn round_robin_is_fair_under_concurrent_creates_on_three_instances() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(&a.database_url, |_| {}).await;
    let c = TestApp::spawn_on(&a.database_url, |_| {}).await;
    let group = group(
        &a,
        json!([{"user_id": "ann"}, {"user_id": "ben"}, {"user_id": "cat"}]),
    )
    .await;
    rule(
        &a,
        json!({"name": "All to the night shift", "strategy": "round_robin", "group_id": group}),
    )
    .await;
    // The other instances see the rule within their cache's second.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let apps = [&a, &b, &c];
    let replies = join_all((0..30).map(|i| {
        let app = apps[i % 3];
        async move { app.post("/api/tickets", None, &alert(json!({}))).await }
    }))
    .await;
    let tickets: Vec<Value> = replies
        .into_iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body
        })
        .collect();
    let counts = tally(&tickets);
    assert_eq!(
        counts,
        BTreeMap::from([
            (Some("ann".to_owned()), 10),
            (Some("ben".to_owned()), 10),
            (Some("cat".to_owned()), 10)
        ])
    );
    let t = &tickets[0];
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["first_responded_at"], Value::Null, "not a first response");
    let details = a
        .get(&format!("/api/tickets/{}", t["id"].as_str().unwrap()))
        .await
        .body;
    let history = details["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(
        history[1]["actor"]
            .as_str()
            .unwrap()
            .starts_with("system:assignment:")
    );
    let kinds: Vec<String> = a
        .events_of(t["id"].as_str().unwrap())
        .await
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"ticket_created".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"status_changed".to_owned()), "{kinds:?}");
}

#[actix_web::test]
async fn capacities_are_kept_and_the_rest_fails_with_an_event() {
    let app = TestApp::spawn().await;
    let group = group(
        &app,
        json!([
            {"user_id": "ann", "capacity": 2},
            {"user_id": "ben", "capacity": 2},
            {"user_id": "cat", "capacity": 2}
        ]),
    )
    .await;
    rule(
        &app,
        json!({"name": "Least loaded", "strategy": "least_loaded", "group_id": group}),
    )
    .await;
    let replies =
        join_all((0..7).map(|_| async { app.post("/api/tickets", None, &alert(json!({}))).await }))
            .await;
    let tickets: Vec<Value> = replies.into_iter().map(|r| r.body).collect();
    let counts = tally(&tickets);
    assert_eq!(
        counts,
        BTreeMap::from([
            (None, 1),
            (Some("ann".to_owned()), 2),
            (Some("ben".to_owned()), 2),
            (Some("cat".to_owned()), 2)
        ]),
        "{tickets:?}"
    );
    let unassigned = tickets.iter().find(|t| t["assignee_id"].is_null()).unwrap();
    assert_eq!(unassigned["status"], "open");
    let id = unassigned["id"].as_str().unwrap();
    assert_eq!(failures(&app, id).await, 1);
    let event = app
        .events_of(id)
        .await
        .into_iter()
        .find(|e| e["event_type"] == "assignment_failed")
        .unwrap();
    assert_eq!(event["payload"]["data"]["group_id"], group.as_str());

    // A resolved ticket frees its member's capacity.
    let ann = tickets.iter().find(|t| t["assignee_id"] == "ann").unwrap();
    app.transition(
        ann["id"].as_str().unwrap(),
        "ann",
        json!({"status": "resolved"}),
    )
    .await;
    let next = app.create(json!({})).await;
    assert_eq!(next["assignee_id"], "ann");
}

#[actix_web::test]
async fn round_robin_keeps_capacities_under_concurrent_creates_on_two_instances() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(&a.database_url, |_| {}).await;
    let group = group(
        &a,
        json!([{"user_id": "ann", "capacity": 3}, {"user_id": "ben", "capacity": 3}]),
    )
    .await;
    rule(
        &a,
        json!({"name": "Two seats", "strategy": "round_robin", "group_id": group}),
    )
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let apps = [&a, &b];
    let replies = join_all((0..7).map(|i| {
        let app = apps[i % 2];
        async move { app.post("/api/tickets", None, &alert(json!({}))).await }
    }))
    .await;
    let tickets: Vec<Value> = replies.into_iter().map(|r| r.body).collect();
    assert_eq!(
        tally(&tickets),
        BTreeMap::from([
            (None, 1),
            (Some("ann".to_owned()), 3),
            (Some("ben".to_owned()), 3)
        ]),
        "{tickets:?}"
    );
    let unassigned = tickets.iter().find(|t| t["assignee_id"].is_null()).unwrap();
    assert_eq!(failures(&a, unassigned["id"].as_str().unwrap()).await, 1);
}

#[actix_web::test]
async fn an_unavailable_member_is_skipped_and_a_fixed_rule_assigns_its_user() {
    let app = TestApp::spawn().await;
    let group = group(&app, json!([{"user_id": "ann"}, {"user_id": "ben"}])).await;
    rule(
        &app,
        json!({"name": "Critical to sup", "strategy": "fixed", "user_id": "sup",
               "filter": {"field": "severity", "op": "eq", "value": "critical"}}),
    )
    .await;
    rule(
        &app,
        json!({"name": "The rest", "strategy": "round_robin", "group_id": group}),
    )
    .await;
    // Ann sets herself away; another operator may not set Ben's.
    let away = app
        .request(
            "PUT",
            "/api/operators/ann/availability",
            Some("ann"),
            &[("X-Roles", "operator")],
            Some(json!({"available": false}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(away.status, StatusCode::OK, "{}", away.body);
    assert_eq!(away.body["available"], false);
    let refused = app
        .request(
            "PUT",
            "/api/operators/ben/availability",
            Some("ann"),
            &[("X-Roles", "operator")],
            Some(json!({"available": false}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let ben = app.get("/api/operators/ben/availability").await;
    assert_eq!(ben.body["available"], true, "never recorded: available");

    for _ in 0..3 {
        let t = app.create(json!({})).await;
        assert_eq!(t["assignee_id"], "ben", "ann is away");
    }
    let critical = app.create(json!({"severity": "critical"})).await;
    assert_eq!(critical["assignee_id"], "sup");

    // Nobody available: the ticket stays open, with an event.
    app.with_headers(
        "PUT",
        "/api/operators/ben/availability",
        &[("X-Roles", "supervisor")],
        Some(&json!({"available": false})),
    )
    .await;
    let t = app.create(json!({})).await;
    assert_eq!(t["status"], "open");
    assert_eq!(failures(&app, t["id"].as_str().unwrap()).await, 1);
}

#[actix_web::test]
async fn groups_and_rules_are_validated_versioned_and_kept_while_referred_to() {
    let app = TestApp::spawn().await;
    let bad = app
        .as_admin(
            "POST",
            "/api/assignment-rules",
            Some(&json!({"name": "x", "strategy": "round_robin",
                         "group_id": "0192f0c4-8d3e-7a1b-9c2d-3e4f5a6b7c8d"})),
        )
        .await;
    assert_eq!(bad.problem(422)["errors"][0]["field"], "group_id");
    let bad = app
        .as_admin(
            "POST",
            "/api/operator-groups",
            Some(&json!({"name": "g", "members": [{"user_id": "a", "capacity": "two"}]})),
        )
        .await;
    assert_eq!(
        bad.problem(422)["errors"][0]["field"],
        "members[0].capacity"
    );

    let group = group(&app, json!([{"user_id": "ann"}])).await;
    let created = rule(
        &app,
        json!({"name": "All", "strategy": "round_robin", "group_id": group}),
    )
    .await;
    let rule_path = format!("/api/assignment-rules/{}", created["id"].as_str().unwrap());
    let group_path = format!("/api/operator-groups/{group}");
    let in_use = app.as_admin("DELETE", &group_path, None).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.body);
    let stale = app
        .with_headers(
            "PUT",
            &group_path,
            &[("X-Roles", "admin"), ("If-Match", "\"3\"")],
            Some(&json!({"name": "g2", "members": []})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let elsewhere = app
        .with_headers(
            "GET",
            &rule_path,
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

    // The rule assigned a ticket: removing it archives it, and then the group (used only
    // by an archived rule) is archived too.
    assert_eq!(app.create(json!({})).await["assignee_id"], "ann");
    let archived = app.as_admin("DELETE", &rule_path, None).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert!(archived.body["archived_at"].is_string());
    assert!(
        app.create(json!({})).await["assignee_id"].is_null(),
        "an archived rule no longer applies"
    );
    let group_gone = app.as_admin("DELETE", &group_path, None).await;
    assert_eq!(group_gone.status, StatusCode::OK, "{}", group_gone.body);
    // A rule that never assigned anything is deleted.
    let unused = rule(
        &app,
        json!({"name": "Never", "strategy": "fixed", "user_id": "x",
               "filter": {"field": "camera_id", "op": "eq", "value": 999_999}}),
    )
    .await;
    let deleted = app
        .as_admin(
            "DELETE",
            &format!("/api/assignment-rules/{}", unused["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}
