//! Auto-resolve rules over HTTP: CRUD with versions and archive, and the quiet period run
//! by the timers: resolved once after the last alert's quiet period, or, for a ticket an
//! operator worked on, left open with one system comment.

use std::time::Duration;

use awc::http::StatusCode;
use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::harness::{TestApp, alert};

/// Timers every 30 ms.
fn fast(c: &mut ticket_server::Config) {
    c.timer_poll_interval = Duration::from_millis(30);
}

async fn sleep(ms: u64) {
    actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
}

async fn create_rule(app: &TestApp, body: &Value) -> Value {
    let reply = app
        .as_admin("POST", "/api/auto-resolve-rules", Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

async fn status_changes(app: &TestApp, ticket: &str) -> Vec<Value> {
    app.events_of(ticket)
        .await
        .into_iter()
        .filter(|e| e["event_type"] == "status_changed")
        .collect()
}

#[actix_web::test]
async fn a_rule_is_validated_versioned_and_archived_once_used() {
    let app = TestApp::spawn().await;
    let bad = app
        .as_admin(
            "POST",
            "/api/auto-resolve-rules",
            Some(&json!({"name": "Never", "end_event": false, "target_status": "open"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["target_status", "quiet_period"]);
    let operator = app
        .with_headers(
            "POST",
            "/api/auto-resolve-rules",
            &[("X-Roles", "operator")],
            Some(&json!({"name": "x", "quiet_period": 60})),
        )
        .await;
    assert_eq!(operator.status, StatusCode::FORBIDDEN);

    let rule = create_rule(&app, &json!({"name": "Quiet", "quiet_period": "5m"})).await;
    assert_eq!(rule["quiet_period"], 300);
    assert_eq!(rule["end_event"], true);
    assert_eq!(rule["target_status"], "resolved");
    assert_eq!(rule["only_if_untouched"], true);
    let path = format!("/api/auto-resolve-rules/{}", rule["id"].as_str().unwrap());
    let stale = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"7\"")],
            Some(&json!({"name": "Quiet", "quiet_period": 60})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let replaced = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"1\"")],
            Some(&json!({"name": "Quiet", "quiet_period": 60, "target_status": "closed"})),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);
    assert_eq!(replaced.body["target_status"], "closed");
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
            "/api/auto-resolve-rules",
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(listed.body["items"], json!([]));

    // A ticket was made under it: removing it archives it; it no longer applies.
    app.create(json!({})).await;
    let archived = app.as_admin("DELETE", &path, None).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert!(archived.body["archived_at"].is_string());
    let unused = create_rule(
        &app,
        &json!({"name": "Nothing", "quiet_period": 60,
                "filter": {"field": "camera_id", "op": "eq", "value": 999_999}}),
    )
    .await;
    let deleted = app
        .as_admin(
            "DELETE",
            &format!("/api/auto-resolve-rules/{}", unused["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn a_quiet_ticket_is_resolved_once_after_its_last_alert() {
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    create_rule(&a, &json!({"name": "Quiet 3 s", "quiet_period": 3})).await;
    let advance = |by: TimeDelta| {
        for app in [&a, &b] {
            app.clock.advance(by);
        }
    };
    let body = alert(json!({}));
    let created = a.post("/api/tickets", None, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    advance(TimeDelta::seconds(2));
    let merged = b.post("/api/tickets", None, &body).await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    advance(TimeDelta::seconds(2));
    sleep(300).await;
    let at_4 = a.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(at_4["status"], "open", "an alert came at 2 s");
    advance(TimeDelta::milliseconds(1_100));
    sleep(400).await;
    let ticket = a.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["status"], "resolved", "{ticket}");
    assert_eq!(ticket["first_responded_at"], Value::Null);
    let history = ticket["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert!(
        last["actor"]
            .as_str()
            .unwrap()
            .starts_with("system:auto_resolve:"),
        "{last}"
    );
    assert_eq!(last["reason"], "auto_resolved");
    sleep(300).await;
    assert_eq!(status_changes(&a, &id).await.len(), 1, "exactly one");
}

#[actix_web::test]
async fn a_ticket_an_operator_commented_on_stays_open_with_a_system_comment() {
    let app = TestApp::spawn_with(fast).await;
    create_rule(&app, &json!({"name": "Quiet 3 s", "quiet_period": 3})).await;
    let ticket = app.create(json!({})).await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    let comment = app
        .post(
            &format!("/api/tickets/{id}/comments"),
            Some("ann"),
            &json!({"body": "guard sent"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    app.clock.advance(TimeDelta::seconds(4));
    sleep(400).await;
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["status"], "open");
    let comments = details["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2, "{comments:?}");
    let by_rule = &comments[1];
    assert!(
        by_rule["author_id"]
            .as_str()
            .unwrap()
            .starts_with("system:auto_resolve:")
    );
    assert_eq!(by_rule["visibility"], "internal");
    assert!(status_changes(&app, &id).await.is_empty());
    // Once: later quiet periods change nothing.
    app.clock.advance(TimeDelta::seconds(10));
    sleep(300).await;
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["comments"].as_array().unwrap().len(), 2);
}
