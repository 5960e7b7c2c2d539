//! `on_hold` over HTTP: the hold's rules, the SLA clocks it stops, the automatic return at
//! `hold_until`, and SLA warnings, with several instances firing the timers.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::TestApp;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

/// Timers and the breach monitor every 30 ms.
fn fast(c: &mut ticket_server::Config) {
    c.timer_poll_interval = Duration::from_millis(30);
    c.sla_check_interval = Duration::from_millis(30);
}

/// `(event_type, target)` of the SLA events of a ticket, in order.
async fn sla_events(app: &TestApp, ticket: &str) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = app
        .events_of(ticket)
        .await
        .iter()
        .filter(|e| e["event_type"] == "sla_warning" || e["event_type"] == "sla_breached")
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_owned(),
                e["payload"]["data"]["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    events.sort();
    events
}

async fn sleep(ms: u64) {
    actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
}

/// A critical ticket (5 min / 1 h) taken in progress by alice.
async fn working(app: &TestApp) -> Value {
    let t = app.create(json!({"severity": "critical"})).await;
    let id = t["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "in_progress"}))
        .await
}

#[actix_web::test]
async fn a_hold_needs_a_reason_a_later_end_and_work_in_hand() {
    let app = TestApp::spawn().await;
    let t = working(&app).await;
    let path = format!("/api/tickets/{}/status", t["id"].as_str().unwrap());
    let reply = app
        .patch(&path, Some("alice"), &json!({"status": "on_hold"}))
        .await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "reason");
    let past = (Utc::now() - TimeDelta::minutes(1)).to_rfc3339();
    let reply = app
        .patch(
            &path,
            Some("alice"),
            &json!({"status": "on_hold", "reason": "guard", "hold_until": past}),
        )
        .await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "hold_until");
    let later = (Utc::now() + TimeDelta::minutes(5)).to_rfc3339();
    let reply = app
        .patch(
            &path,
            Some("alice"),
            &json!({"status": "resolved", "hold_until": later}),
        )
        .await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "hold_until");
    let reply = app
        .patch(
            &path,
            Some("alice"),
            &json!({"status": "on_hold", "reason": "x", "hold_until": "tomorrow"}),
        )
        .await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "hold_until");

    // An open ticket is nobody's work yet: it cannot wait.
    let open = app.create(json!({})).await;
    let reply = app
        .patch(
            &format!("/api/tickets/{}/status", open["id"].as_str().unwrap()),
            Some("alice"),
            &json!({"status": "on_hold", "reason": "guard"}),
        )
        .await;
    let problem = reply.problem(409);
    assert!(
        !problem["allowed_transitions"]
            .as_array()
            .unwrap()
            .contains(&json!("on_hold"))
    );
}

#[actix_web::test]
async fn holding_ten_seconds_moves_the_pending_due_times_by_ten_seconds() {
    let app = TestApp::spawn().await;
    let t = working(&app).await;
    let id = t["id"].as_str().unwrap();
    let held = app
        .transition(
            id,
            "alice",
            json!({"status": "on_hold", "reason": "guard on the way"}),
        )
        .await;
    assert_eq!(held["status"], "on_hold");
    assert_eq!(held["assignee_id"], "alice");
    assert_eq!(held["hold"]["reason"], "guard on the way");
    assert_eq!(held["hold"]["returns_to"], "in_progress");
    assert_eq!(held["hold"]["until"], Value::Null);
    assert_eq!(held["sla"]["resolution"]["paused"], true);
    assert_eq!(held["sla"]["resolution"]["state"], "pending");
    assert_eq!(held["sla"]["first_response"]["state"], "met");
    assert_eq!(held["sla"]["first_response"]["paused"], false);

    app.clock.advance(TimeDelta::seconds(10));
    let back = app
        .transition(id, "alice", json!({"status": "in_progress"}))
        .await;
    assert_eq!(back["hold"], Value::Null);
    let moved = time(&back["resolution_due_at"]) - time(&t["resolution_due_at"]);
    assert!(
        moved >= TimeDelta::seconds(10) && moved < TimeDelta::seconds(11),
        "moved by {moved}"
    );
    // The first response came before the hold: met, never rewritten.
    assert_eq!(back["first_response_due_at"], t["first_response_due_at"]);
    assert_eq!(back["sla"]["resolution"]["paused"], false);

    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    let history: Vec<(Value, Value)> = details["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["to_status"].clone(), h["reason"].clone()))
        .collect();
    assert_eq!(history[2], (json!("on_hold"), json!("guard on the way")));
    assert_eq!(history[3].0, json!("in_progress"));
}

#[actix_web::test]
async fn a_held_ticket_never_breaches() {
    let app = TestApp::spawn_with(fast).await;
    let t = working(&app).await;
    let id = t["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "on_hold", "reason": "guard"}))
        .await;
    // Two hours on hold: the 1 h resolution target would have breached.
    app.clock.advance(TimeDelta::hours(2));
    sleep(300).await;
    let held = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(held["resolution_breached"], false);
    assert_eq!(held["sla"]["resolution"]["state"], "pending");
    assert_eq!(held["sla"]["resolution"]["paused"], true);
    let breached = app
        .get("/api/tickets?sla_breached=true&camera_id=1&limit=100")
        .await
        .body;
    assert!(
        !breached["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == t["id"]),
        "{breached}"
    );
    let stats = app.get("/api/tickets/stats").await.body;
    assert_eq!(stats["sla"]["resolution"]["breached"], 0, "{stats}");
    assert_eq!(stats["sla"]["resolution"]["pending"], 1, "{stats}");
    assert!(sla_events(&app, id).await.is_empty());

    // Back to work: the clock runs again from where it stopped.
    let back = app
        .transition(id, "alice", json!({"status": "in_progress"}))
        .await;
    assert_eq!(back["resolution_breached"], false);
    let moved = time(&back["resolution_due_at"]) - time(&t["resolution_due_at"]);
    assert!(moved >= TimeDelta::hours(2), "moved by {moved}");
}

#[actix_web::test]
async fn hold_until_returns_the_ticket_by_itself_once_with_three_instances() {
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    let c = TestApp::spawn_on(&a.database_url, fast).await;
    let t = working(&a).await;
    let id = t["id"].as_str().unwrap();
    let until = Utc::now() + TimeDelta::seconds(60);
    let held = a
        .transition(
            id,
            "alice",
            json!({"status": "on_hold", "reason": "site contact calls back", "hold_until": until.to_rfc3339()}),
        )
        .await;
    // Kept to the microsecond, as stored.
    let stored = DateTime::from_timestamp_micros(until.timestamp_micros()).unwrap();
    assert_eq!(time(&held["hold"]["until"]), stored);
    let read = a.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(read["hold"]["until"], held["hold"]["until"]);
    sleep(200).await;
    assert_eq!(
        a.get(&format!("/api/tickets/{id}")).await.body["status"],
        "on_hold"
    );

    for app in [&a, &b, &c] {
        app.clock.advance(TimeDelta::seconds(61));
    }
    sleep(500).await;
    let back = b.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(back["status"], "in_progress", "{back}");
    assert_eq!(back["assignee_id"], "alice");
    assert_eq!(back["hold"], Value::Null);
    assert_eq!(back["version"], 4);
    let history = back["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["from_status"], "on_hold");
    assert_eq!(last["to_status"], "in_progress");
    assert_eq!(last["actor"], "system:hold:hold_until");
    let returns: Vec<Value> = a
        .events_of(id)
        .await
        .into_iter()
        .filter(|e| {
            e["event_type"] == "status_changed"
                && e["payload"]["data"]["actor"] == "system:hold:hold_until"
        })
        .collect();
    assert_eq!(returns.len(), 1, "{returns:?}");
    // The time held does not count: exactly the hold asked for, however late it fired.
    let moved = time(&back["resolution_due_at"]) - time(&t["resolution_due_at"]);
    assert_eq!(moved, stored - time(&held["hold"]["since"]));
}

#[actix_web::test]
async fn warnings_and_breaches_go_out_once_per_target_with_three_instances() {
    // The timers alone: the breach monitor (the backstop for tickets without a breach
    // timer) is kept out of the way, so the breaches here are the timers'.
    let timers_only = |c: &mut ticket_server::Config| {
        fast(c);
        c.sla_check_interval = Duration::from_secs(3600);
    };
    let a = TestApp::spawn_with(timers_only).await;
    let b = TestApp::spawn_on(&a.database_url, timers_only).await;
    let c = TestApp::spawn_on(&a.database_url, timers_only).await;
    let t = a.create(json!({"severity": "critical"})).await;
    let id = t["id"].as_str().unwrap();
    let advance = |by: TimeDelta| {
        for app in [&a, &b, &c] {
            app.clock.advance(by);
        }
    };
    let ev = |kind: &str, target: &str| (kind.to_owned(), target.to_owned());

    sleep(200).await;
    assert!(sla_events(&a, id).await.is_empty());
    // 80 % of the 5 min first-response target.
    advance(TimeDelta::seconds(241));
    sleep(400).await;
    assert_eq!(
        sla_events(&a, id).await,
        vec![ev("sla_warning", "first_response")]
    );
    let ticket = a.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["sla"]["first_response"]["warned"], true);
    assert_eq!(ticket["sla"]["resolution"]["warned"], false);
    assert_eq!(ticket["version"], 1, "a warning is not a change");
    // Past 5 min: the breach; past 48 min (80 % of 1 h): the resolution's warning.
    advance(TimeDelta::seconds(120));
    sleep(400).await;
    advance(TimeDelta::minutes(45));
    sleep(400).await;
    assert_eq!(
        sla_events(&a, id).await,
        vec![
            ev("sla_breached", "first_response"),
            ev("sla_warning", "first_response"),
            ev("sla_warning", "resolution"),
        ]
    );
    advance(TimeDelta::minutes(15));
    sleep(400).await;
    assert_eq!(
        sla_events(&c, id).await,
        vec![
            ev("sla_breached", "first_response"),
            ev("sla_breached", "resolution"),
            ev("sla_warning", "first_response"),
            ev("sla_warning", "resolution"),
        ]
    );
}

#[actix_web::test]
async fn a_held_ticket_takes_repeated_alerts() {
    let app = TestApp::spawn().await;
    let t = app
        .create(json!({"severity": "high", "dedup_key": "gate-7"}))
        .await;
    let id = t["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "in_progress"}))
        .await;
    app.transition(id, "alice", json!({"status": "on_hold", "reason": "guard"}))
        .await;
    let reply = app
        .post(
            "/api/tickets",
            None,
            &crate::harness::alert(json!({"dedup_key": "gate-7"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["id"], t["id"]);
    assert_eq!(reply.body["alert_count"], 2);
    assert_eq!(reply.body["status"], "on_hold");
}
