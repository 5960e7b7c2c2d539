//! Escalation policies over HTTP: CRUD with versions and archive, the simulation, and
//! chains run by the timers of three instances: steps in order, once each, a skipped
//! step, resolving stopping the chain, policy edits leaving running chains alone.

use std::time::Duration;

use awc::http::StatusCode;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::harness::TestApp;

/// Timers every 30 ms.
fn fast(c: &mut ticket_server::Config) {
    c.timer_poll_interval = Duration::from_millis(30);
    c.sla_check_interval = Duration::from_millis(30);
}

async fn sleep(ms: u64) {
    actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
}

/// Steps at 2 s (nobody answered: notify alice) and 4 s (not resolved: notify the night
/// shift, comment).
fn two_steps(name: &str) -> Value {
    json!({
        "name": name,
        "steps": [
            {"after": 2, "condition": "not_acknowledged",
             "actions": [{"type": "notify", "users": ["alice"]}]},
            {"after": "4s", "condition": "not_resolved",
             "actions": [{"type": "notify", "groups": ["night shift"]},
                         {"type": "comment", "body": "still open", "visibility": "internal"}]}
        ]
    })
}

async fn create_policy(app: &TestApp, body: &Value) -> Value {
    let reply = app
        .as_admin("POST", "/api/escalation-policies", Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

/// `(step, round)` of the `ticket_escalated` events of a ticket, oldest first.
async fn escalations(app: &TestApp, ticket: &str) -> Vec<(u64, u64)> {
    let mut steps: Vec<(i64, u64, u64)> = app
        .events_of(ticket)
        .await
        .iter()
        .filter(|e| e["event_type"] == "ticket_escalated")
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["payload"]["data"]["step"].as_u64().unwrap(),
                e["payload"]["data"]["round"].as_u64().unwrap(),
            )
        })
        .collect();
    steps.sort();
    steps.into_iter().map(|(_, s, r)| (s, r)).collect()
}

#[actix_web::test]
async fn a_policy_is_validated_versioned_and_archived_once_used() {
    let app = TestApp::spawn().await;
    let bad = app
        .as_admin(
            "POST",
            "/api/escalation-policies",
            Some(&json!({"name": "x", "steps": [{"after": 0, "actions": [{"type": "page"}]}], "repeat": 9})),
        )
        .await;
    let fields = bad.fields();
    for field in ["steps[0].after", "steps[0].actions[0].type", "repeat"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let created = create_policy(&app, &two_steps("Nag")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["version"], 1);
    assert_eq!(created["repeat"], 0);
    assert_eq!(
        created["steps"][1]["after"], 4,
        "durations read back in seconds"
    );
    let path = format!("/api/escalation-policies/{id}");
    let got = app.as_admin("GET", &path, None).await;
    assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(got.body, created);

    let stale = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"7\"")],
            Some(&two_steps("Nag 2")),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let replaced = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"1\"")],
            Some(&two_steps("Nag 2")),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);

    // Operators neither read nor write it; another organization does not see it.
    let as_operator = app
        .with_headers("GET", &path, &[("X-Roles", "operator")], None)
        .await;
    assert_eq!(as_operator.status, StatusCode::FORBIDDEN);
    let elsewhere = app
        .with_headers(
            "GET",
            &path,
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let listed = app
        .with_headers(
            "GET",
            "/api/escalation-policies",
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(listed.body["items"], json!([]));

    // A ticket takes it: deleting it archives it; archived, it is listed only on request
    // and no longer applies.
    let ticket = app.create(json!({})).await;
    assert!(ticket["id"].is_string());
    let removed = app.as_admin("DELETE", &path, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body["archived_at"].is_string());
    let active = app.as_admin("GET", "/api/escalation-policies", None).await;
    assert_eq!(active.body["items"], json!([]));
    let all = app
        .as_admin(
            "GET",
            "/api/escalation-policies?include_archived=true",
            None,
        )
        .await;
    assert_eq!(all.body["items"][0]["id"], id.as_str());
    // An unused policy is deleted.
    let unused = create_policy(
        &app,
        &json!({"name": "critical only",
                "filter": {"field": "severity", "op": "eq", "value": "critical"},
                "steps": [{"after": 60, "actions": [{"type": "raise_severity"}]}]}),
    )
    .await;
    app.create(json!({"severity": "low"})).await;
    let deleted = app
        .as_admin(
            "DELETE",
            &format!(
                "/api/escalation-policies/{}",
                unused["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
}

#[actix_web::test]
async fn the_simulation_shows_the_timeline_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let mut body = two_steps("Nag");
    body["repeat"] = json!(1);
    let policy = create_policy(&app, &body).await;
    let path = format!(
        "/api/escalation-policies/{}/simulate",
        policy["id"].as_str().unwrap()
    );
    // An alert as POST /api/tickets takes it: a ticket made now.
    let sim = app
        .as_admin(
            "POST",
            &path,
            Some(&json!({"ticket": crate::harness::alert(json!({}))})),
        )
        .await;
    assert_eq!(sim.status, StatusCode::OK, "{}", sim.body);
    assert_eq!(sim.body["matches"], true);
    let steps = sim.body["steps"].as_array().unwrap();
    let shape: Vec<(u64, u64, bool)> = steps
        .iter()
        .map(|s| {
            (
                s["round"].as_u64().unwrap(),
                s["step"].as_u64().unwrap(),
                s["runs"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![(1, 1, true), (1, 2, true), (2, 1, true), (2, 2, true)]
    );
    assert_eq!(
        steps[1]["outcome"]["targets"]["groups"],
        json!(["night shift"])
    );

    // A stored ticket someone answered: the not_acknowledged steps would be skipped.
    let ticket = app.create(json!({})).await;
    let id = ticket["id"].as_str().unwrap();
    let reply = app
        .post(
            &format!("/api/tickets/{id}/comments"),
            Some("bob"),
            &json!({"body": "on it"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let sim = app
        .as_admin("POST", &path, Some(&json!({"ticket": ticket["number"]})))
        .await;
    assert_eq!(sim.status, StatusCode::OK, "{}", sim.body);
    let runs: Vec<bool> = sim.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["runs"].as_bool().unwrap())
        .collect();
    assert_eq!(runs, vec![false, true, false, true]);
    assert_eq!(sim.body["started_at"], ticket["created_at"]);
    assert!(escalations(&app, id).await.is_empty(), "nothing was sent");

    let unknown = app
        .as_admin("POST", &path, Some(&json!({"ticket": "TCK-999"})))
        .await;
    assert_eq!(unknown.problem(422)["errors"][0]["field"], "ticket");
    let missing = app.as_admin("POST", &path, Some(&json!({}))).await;
    assert_eq!(missing.problem(422)["errors"][0]["field"], "ticket");
}

#[actix_web::test]
async fn steps_fire_in_order_once_each_with_three_instances() {
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    let c = TestApp::spawn_on(&a.database_url, fast).await;
    let policy = create_policy(&a, &two_steps("Nag")).await;

    let quiet = a.create(json!({})).await;
    let quiet_id = quiet["id"].as_str().unwrap().to_owned();
    // Answered before step 1: it is skipped, step 2 still runs.
    let answered = b.create(json!({})).await;
    let answered_id = answered["id"].as_str().unwrap().to_owned();
    let reply = b
        .post(
            &format!("/api/tickets/{answered_id}/comments"),
            Some("bob"),
            &json!({"body": "looking"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    // Resolved before step 1: the chain stops.
    let resolved = c.create(json!({})).await;
    let resolved_id = resolved["id"].as_str().unwrap().to_owned();
    c.transition(&resolved_id, "carol", json!({"status": "resolved"}))
        .await;
    // The policy edited mid-chain: running chains keep their steps.
    let mut edited = two_steps("Nag, edited");
    edited["steps"][0]["after"] = json!(1);
    edited["steps"][1]["actions"] = json!([{"type": "raise_severity", "severity": "critical"}]);
    let replaced = a
        .as_admin(
            "PUT",
            &format!(
                "/api/escalation-policies/{}",
                policy["id"].as_str().unwrap()
            ),
            Some(&edited),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);

    sleep(2_700).await;
    assert_eq!(
        escalations(&a, &quiet_id).await,
        vec![(1, 1)],
        "step 1 only, so far"
    );
    sleep(2_300).await;
    assert_eq!(escalations(&a, &quiet_id).await, vec![(1, 1), (2, 1)]);
    assert_eq!(escalations(&a, &answered_id).await, vec![(2, 1)]);
    assert!(escalations(&a, &resolved_id).await.is_empty());

    let details = a.get(&format!("/api/tickets/{quiet_id}")).await.body;
    assert_eq!(
        details["severity"], "high",
        "the edit did not reach the chain"
    );
    assert_eq!(details["first_responded_at"], Value::Null);
    let comments = details["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(
        comments[0]["author_id"],
        format!("system:escalation:{}", policy["id"].as_str().unwrap())
    );
    let event = a
        .events_of(&quiet_id)
        .await
        .into_iter()
        .find(|e| e["event_type"] == "ticket_escalated" && e["payload"]["data"]["step"] == 2)
        .unwrap();
    assert_eq!(
        event["payload"]["data"]["targets"],
        json!({"users": [], "groups": ["night shift"]})
    );

    // A ticket made after the edit runs the new steps.
    let fresh = a.create(json!({})).await;
    let fresh_id = fresh["id"].as_str().unwrap().to_owned();
    sleep(4_600).await;
    assert_eq!(escalations(&a, &fresh_id).await, vec![(1, 1), (2, 1)]);
    let details = a.get(&format!("/api/tickets/{fresh_id}")).await.body;
    assert_eq!(details["severity"], "critical");
    // Nothing ran twice meanwhile.
    assert_eq!(escalations(&a, &quiet_id).await, vec![(1, 1), (2, 1)]);
}

#[actix_web::test]
async fn instances_killed_mid_chain_leave_it_to_the_others_and_nothing_doubles() {
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    let c = TestApp::spawn_on(&a.database_url, fast).await;
    create_policy(&a, &two_steps("Nag")).await;
    let ids: Vec<String> = join_all([&a, &b, &c, &a, &b, &c].map(|app| async move {
        app.create(json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }))
    .await;
    // After step 1 (due at 2 s) one instance goes; another just as step 2 (4 s) falls
    // due, in the middle of its rounds for all we know.
    sleep(2_500).await;
    a.killer.kill().await;
    sleep(1_480).await;
    b.killer.kill().await;
    sleep(1_800).await;
    for id in &ids {
        assert_eq!(
            escalations(&c, id).await,
            vec![(1, 1), (2, 1)],
            "ticket {id}: each step once, in order"
        );
        let details = c.get(&format!("/api/tickets/{id}")).await.body;
        assert_eq!(
            details["comments"].as_array().unwrap().len(),
            1,
            "step 2's comment once"
        );
    }
}

#[actix_web::test]
async fn a_reopen_starts_the_chain_again() {
    let app = TestApp::spawn_with(fast).await;
    create_policy(
        &app,
        &json!({"name": "Reopened", "steps": [
            {"after": 1, "condition": "not_resolved", "actions": [{"type": "notify", "users": ["sup"]}]}
        ]}),
    )
    .await;
    let ticket = app.create(json!({})).await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    app.transition(&id, "alice", json!({"status": "resolved"}))
        .await;
    sleep(1_500).await;
    assert!(escalations(&app, &id).await.is_empty(), "resolved: stopped");
    let reopened = app
        .with_headers(
            "PATCH",
            &format!("/api/tickets/{id}/status"),
            &[("X-Roles", "supervisor")],
            Some(&json!({"status": "open"})),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    sleep(1_600).await;
    assert_eq!(escalations(&app, &id).await, vec![(1, 1)]);
}
