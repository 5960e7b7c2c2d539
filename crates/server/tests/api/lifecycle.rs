//! Status changes, history, comments and SLA over time.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::harness::TestApp;

fn statuses(history: &Value) -> Vec<(Value, Value)> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["from_status"].clone(), h["to_status"].clone()))
        .collect()
}

#[actix_web::test]
async fn full_lifecycle_with_history() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();

    let assigned = app
        .transition(
            id,
            "dispatcher",
            json!({"status": "assigned", "assignee_id": "alice"}),
        )
        .await;
    assert_eq!(assigned["status"], "assigned");
    assert_eq!(assigned["assignee_id"], "alice");
    assert!(assigned["first_responded_at"].is_string());
    let first_response = assigned["first_responded_at"].clone();

    let reassigned = app
        .transition(
            id,
            "dispatcher",
            json!({"status": "assigned", "assignee_id": "bob"}),
        )
        .await;
    assert_eq!(reassigned["assignee_id"], "bob");

    let working = app
        .transition(id, "bob", json!({"status": "in_progress"}))
        .await;
    assert_eq!(working["assignee_id"], "bob");
    let resolved = app
        .transition(
            id,
            "bob",
            json!({"status": "resolved", "reason": "intruder left"}),
        )
        .await;
    assert!(resolved["resolved_at"].is_string());
    let reopened = app.transition(id, "bob", json!({"status": "open"})).await;
    assert_eq!(reopened["resolved_at"], Value::Null);
    assert_eq!(reopened["assignee_id"], Value::Null);
    assert_eq!(
        reopened["first_response_due_at"],
        t["first_response_due_at"]
    );
    assert_eq!(reopened["resolution_due_at"], t["resolution_due_at"]);
    let closed = app.transition(id, "bob", json!({"status": "closed"})).await;
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["first_responded_at"], first_response);
    assert_eq!(closed["version"], 7);

    // Closed is terminal; the refusal lists where it could go (nowhere).
    let refused = app
        .patch(
            &format!("/api/tickets/{id}/status"),
            Some("bob"),
            &json!({"status": "open"}),
        )
        .await;
    let problem = refused.problem(409);
    assert_eq!(problem["allowed_transitions"], json!([]));

    let details = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(details.header("etag").as_deref(), Some("\"7\""));
    let history = &details.body["history"];
    assert_eq!(
        statuses(history),
        vec![
            (Value::Null, json!("open")),
            (json!("open"), json!("assigned")),
            (json!("assigned"), json!("assigned")),
            (json!("assigned"), json!("in_progress")),
            (json!("in_progress"), json!("resolved")),
            (json!("resolved"), json!("open")),
            (json!("open"), json!("closed")),
        ]
    );
    assert_eq!(history[4]["reason"], "intruder left");
    assert_eq!(history[4]["actor"], "bob");
}

#[actix_web::test]
async fn refused_transitions_list_the_allowed_targets_and_change_nothing() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/status");

    let reply = app
        .patch(&path, Some("alice"), &json!({"status": "open"}))
        .await;
    let problem = reply.problem(409);
    assert_eq!(
        problem["allowed_transitions"],
        json!([
            "assigned",
            "in_progress",
            "resolved",
            "closed",
            "false_positive"
        ])
    );
    let reply = app
        .patch(&path, Some("alice"), &json!({"status": "assigned"}))
        .await;
    let problem = reply.problem(422);
    assert_eq!(
        problem["type"],
        "urn:ticket-service:problem:assignee-required"
    );
    assert_eq!(reply.fields(), vec!["assignee_id".to_owned()]);
    let reply = app
        .patch(&path, Some("alice"), &json!({"status": "done"}))
        .await;
    reply.problem(422);
    assert_eq!(reply.fields(), vec!["status".to_owned()]);
    let reply = app.patch(&path, None, &json!({"status": "closed"})).await;
    reply.problem(401);
    let reply = app
        .patch(&path, Some("  "), &json!({"status": "closed"}))
        .await;
    reply.problem(401);

    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["version"], 1);
    assert_eq!(details["history"].as_array().unwrap().len(), 1);
    assert_eq!(details["first_responded_at"], Value::Null);
}

#[actix_web::test]
async fn starting_work_on_an_unassigned_ticket_assigns_the_actor() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let working = app
        .transition(
            t["id"].as_str().unwrap(),
            "carol",
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(working["assignee_id"], "carol");
}

#[actix_web::test]
async fn stale_if_match_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/status");
    let body = json!({"status": "in_progress"}).to_string().into_bytes();
    let stale = app
        .request(
            "PATCH",
            &path,
            Some("alice"),
            &[("If-Match", "\"7\"")],
            Some(body.clone()),
        )
        .await;
    let problem = stale.problem(409);
    assert_eq!(problem["current_version"], 1);
    let fresh = app
        .request(
            "PATCH",
            &path,
            Some("alice"),
            &[("If-Match", "\"1\"")],
            Some(body),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.header("etag").as_deref(), Some("\"2\""));
}

#[actix_web::test]
async fn comments_are_a_first_response_and_listed_oldest_first() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/comments");

    let first = app
        .post(
            &path,
            Some("alice"),
            &json!({"body": "looking at camera 1"}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["visibility"], "internal");
    assert_eq!(first.body["author_id"], "alice");
    let second = app
        .post(
            &path,
            Some("bob"),
            &json!({"body": "customer informed", "visibility": "external"}),
        )
        .await;
    assert_eq!(second.status, 201);

    app.post(&path, None, &json!({"body": "anon"}))
        .await
        .problem(401);
    let blank = app
        .post(&path, Some("bob"), &json!({"body": "  \n "}))
        .await;
    blank.problem(422);
    assert_eq!(blank.fields(), vec!["body".to_owned()]);
    let long = app
        .post(&path, Some("bob"), &json!({"body": "x".repeat(10_001)}))
        .await;
    long.problem(422);
    let bad = app
        .post(
            &path,
            Some("bob"),
            &json!({"body": "hi", "visibility": "public"}),
        )
        .await;
    assert_eq!(bad.fields(), vec!["visibility".to_owned()]);

    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    let bodies: Vec<&str> = details["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["looking at camera 1", "customer informed"]);
    assert_eq!(details["first_responded_at"], first.body["created_at"]);

    let external = app
        .get(&format!("/api/tickets/{id}?visibility=external"))
        .await
        .body;
    assert_eq!(external["comments"].as_array().unwrap().len(), 1);
    assert_eq!(external["comments"][0]["body"], "customer informed");
}

#[actix_web::test]
async fn breach_shows_without_any_user_action() {
    let app = TestApp::spawn().await;
    let critical = app.create(json!({"severity": "critical"})).await;
    let answered = app.create(json!({"severity": "critical"})).await;
    let low = app.create(json!({"severity": "low"})).await;
    let answered_id = answered["id"].as_str().unwrap();
    app.transition(answered_id, "alice", json!({"status": "in_progress"}))
        .await;

    let breached = app.get("/api/tickets?sla_breached=true").await.body;
    assert_eq!(breached["items"].as_array().unwrap().len(), 0);

    // Six minutes later nobody has touched the first critical ticket: its first response
    // (5 min) is breached. The answered one met it; the low one (4 h) is still pending.
    app.clock.advance(TimeDelta::minutes(6));
    let id = critical["id"].as_str().unwrap();
    let now = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(now["first_response_breached"], true);
    assert_eq!(now["resolution_breached"], false);
    assert_eq!(
        now["version"], 1,
        "a breach is read, not written by a reader"
    );

    let breached = app.get("/api/tickets?sla_breached=true").await.body;
    let ids: Vec<&str> = breached["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id]);
    let fine = app.get("/api/tickets?sla_breached=false").await.body;
    assert_eq!(fine["items"].as_array().unwrap().len(), 2);

    // Past the hour, the answered critical ticket breaches its resolution too.
    app.clock.advance(TimeDelta::minutes(60));
    let t = app.get(&format!("/api/tickets/{answered_id}")).await.body;
    assert_eq!(t["first_response_breached"], false);
    assert_eq!(t["resolution_breached"], true);
    let low = app
        .get(&format!("/api/tickets/{}", low["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(low["first_response_breached"], false);

    let stats = app.get("/api/tickets/stats").await.body;
    assert_eq!(stats["sla"]["first_response"]["breached"], 1);
    assert_eq!(stats["sla"]["first_response"]["met"], 1);
    assert_eq!(stats["sla"]["first_response"]["pending"], 1);
    assert_eq!(stats["sla"]["resolution"]["breached"], 2);
}

#[actix_web::test]
async fn sla_targets_come_from_the_configuration() {
    let app = TestApp::spawn_with(|c| {
        c.sla
            .targets_mut(ticket_domain::Severity::Info)
            .first_response = TimeDelta::seconds(90);
    })
    .await;
    let t = app.create(json!({"severity": "info"})).await;
    let at = |f: &str| chrono::DateTime::parse_from_rfc3339(t[f].as_str().unwrap()).unwrap();
    assert_eq!(
        (at("first_response_due_at") - at("created_at")).num_seconds(),
        90
    );
}
