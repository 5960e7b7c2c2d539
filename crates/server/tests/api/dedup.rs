//! Deduplication and idempotency of alerts, as a provider sees it: replays of an
//! `external_id`, merges by dedup key (explicit or derived), and where merging stops.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{PROVIDER, Reply, TestApp, alert};

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("{value}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn id(ticket: &Value) -> String {
    ticket["id"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, body: &Value) -> Reply {
    app.post("/api/tickets", None, body).await
}

/// Asserts the alert was merged or replayed (200) and returns the ticket.
#[track_caller]
fn merged(reply: &Reply) -> &Value {
    assert_eq!(reply.status, 200, "expected a merge/replay: {}", reply.body);
    &reply.body
}

/// Every ticket id in `GET /api/tickets` (the test database is private).
async fn all_ids(app: &TestApp) -> Vec<String> {
    let reply = app.get("/api/tickets?limit=500").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

async fn details(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

// ---------------------------------------------------------------------------------------
// external_id: idempotent replays
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn replaying_an_external_id_returns_the_same_ticket_unchanged() {
    let app = TestApp::spawn().await;
    let body = alert(json!({"external_id": "evt-1001"}));
    let first = send(&app, &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let ticket_id = id(&first.body);
    assert_eq!(first.body["alert_count"], 1);

    for _ in 0..3 {
        let again = send(&app, &body).await;
        let t = merged(&again);
        assert_eq!(t["id"], ticket_id);
        assert_eq!(t["alert_count"], 1, "a replay is not a new alert");
        assert_eq!(t["version"], 1, "a replay changes nothing");
        assert_eq!(t["last_alert_at"], first.body["last_alert_at"]);
    }

    // Even with a different body, the same (provider_id, external_id) is the same alert.
    let changed = alert(json!({"external_id": "evt-1001", "severity": "critical", "camera_id": 9}));
    let again = send(&app, &changed).await;
    let t = merged(&again);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 1);

    assert_eq!(all_ids(&app).await, vec![ticket_id.clone()]);
    let d = details(&app, &ticket_id).await;
    assert_eq!(d["alert_count"], 1);
    assert_eq!(d["severity"], "high");
    assert_eq!(d["version"], 1);
}

#[actix_web::test]
async fn the_same_external_id_from_another_provider_is_another_alert() {
    let app = TestApp::spawn().await;
    let other = uuid::Uuid::new_v4().to_string();
    let ours = app.create(json!({"external_id": "evt-7"})).await;
    let reply = send(
        &app,
        &alert(json!({"external_id": "evt-7", "provider_id": other})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_ne!(reply.body["id"], ours["id"]);
    assert_eq!(reply.body["provider_id"], other);
    assert_eq!(reply.body["alert_count"], 1);

    let mut ids = all_ids(&app).await;
    ids.sort();
    let mut expected = vec![id(&ours), id(&reply.body)];
    expected.sort();
    assert_eq!(ids, expected);
    // Each replay still finds its own provider's ticket.
    let replay = send(&app, &alert(json!({"external_id": "evt-7"}))).await;
    assert_eq!(merged(&replay)["id"], ours["id"]);
}

#[actix_web::test]
async fn replaying_a_merged_alert_does_not_count_it_twice() {
    let app = TestApp::spawn().await;
    let title = "Loitering at gate 3";
    let first = app
        .create(json!({"title": title, "external_id": "a-1"}))
        .await;
    let second = alert(json!({"title": title, "external_id": "a-2"}));
    let reply = send(&app, &second).await;
    assert_eq!(merged(&reply)["id"], first["id"]);
    assert_eq!(reply.body["alert_count"], 2);

    let replay = send(&app, &second).await;
    assert_eq!(merged(&replay)["id"], first["id"]);
    assert_eq!(replay.body["alert_count"], 2);
    let replay_first = send(&app, &alert(json!({"title": title, "external_id": "a-1"}))).await;
    assert_eq!(merged(&replay_first)["alert_count"], 2);

    assert_eq!(details(&app, &id(&first)).await["alert_count"], 2);
    assert_eq!(all_ids(&app).await.len(), 1);
}

#[actix_web::test]
async fn replaying_an_external_id_after_resolution_returns_the_resolved_ticket() {
    let app = TestApp::spawn().await;
    let body = alert(json!({"external_id": "evt-late-retry"}));
    let first = send(&app, &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let ticket_id = id(&first.body);
    app.transition(&ticket_id, "alice", json!({"status": "resolved"}))
        .await;

    // A late retry of the same provider alert is not a new alert: never a second ticket.
    let retry = send(&app, &body).await;
    let t = merged(&retry);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["alert_count"], 1);
    assert_eq!(all_ids(&app).await, vec![ticket_id]);
}

// ---------------------------------------------------------------------------------------
// Derived dedup key: (provider_id, camera_id, alert_type or else title)
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn identical_alerts_without_external_id_merge_into_one_ticket() {
    let app = TestApp::spawn().await;
    // Whole seconds, so the times sent and the times answered compare exactly.
    let t0 = DateTime::from_timestamp(Utc::now().timestamp() - 30 * 60, 0).unwrap();
    let body = |occurred: DateTime<Utc>| {
        json!({
            "title": "Vehicle stopped on hard shoulder",
            "severity": "medium",
            "camera_id": 42,
            "provider_id": PROVIDER,
            "alert_data": {"speed": 0},
            "occurred_at": rfc3339(occurred),
        })
    };

    let first = send(&app, &body(t0)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let ticket_id = id(&first.body);
    assert_eq!(
        first.header("location").as_deref(),
        Some(format!("/api/tickets/{ticket_id}").as_str())
    );
    assert_eq!(first.body["alert_count"], 1);
    assert_eq!(at(&first.body["first_alert_at"]), t0);
    assert_eq!(at(&first.body["last_alert_at"]), t0);

    let t1 = t0 + TimeDelta::minutes(5);
    let second = send(&app, &body(t1)).await;
    let t = merged(&second);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 2);
    assert_eq!(at(&t["first_alert_at"]), t0);
    assert_eq!(at(&t["last_alert_at"]), t1);
    assert_eq!(t["status"], "open");
    assert!(
        t["version"].as_i64().unwrap() > 1,
        "a merge is a change: {t}"
    );

    // An alert that arrives late (seen before the last one) counts but does not move
    // last_alert_at back.
    let late = send(&app, &body(t0 + TimeDelta::minutes(2))).await;
    let t = merged(&late);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 3);
    assert_eq!(at(&t["last_alert_at"]), t1);
    assert_eq!(at(&t["first_alert_at"]), t0);

    // Without occurred_at, "now" is the alert time: it is later than t1.
    app.clock.advance(TimeDelta::minutes(1));
    let mut now_body = body(t0);
    now_body.as_object_mut().unwrap().remove("occurred_at");
    let latest = send(&app, &now_body).await;
    let t = merged(&latest);
    assert_eq!(t["alert_count"], 4);
    assert!(at(&t["last_alert_at"]) > t1, "{t}");

    assert_eq!(all_ids(&app).await, vec![ticket_id.clone()]);
    let d = details(&app, &ticket_id).await;
    assert_eq!(d["alert_count"], 4);
    assert_eq!(d["last_alert_at"], t["last_alert_at"]);
    // Merges are not status changes: only the creation row in history.
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn alert_type_rather_than_title_makes_the_key() {
    let app = TestApp::spawn().await;
    let first = app
        .create(json!({"title": "Intrusion at north fence", "alert_type": "intrusion"}))
        .await;
    let reply = send(
        &app,
        &alert(json!({"title": "Intrusion at north fence, again", "alert_type": "intrusion"})),
    )
    .await;
    assert_eq!(merged(&reply)["id"], first["id"]);
    assert_eq!(reply.body["alert_count"], 2);

    // Another type on the same camera is another ticket, even with the same title.
    let other = send(
        &app,
        &alert(json!({"title": "Intrusion at north fence", "alert_type": "loitering"})),
    )
    .await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_ne!(other.body["id"], first["id"]);

    // Without alert_type, different titles are different keys.
    let a = app.create(json!({"title": "Smoke in hall A"})).await;
    let b = app.create(json!({"title": "Smoke in hall B"})).await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(all_ids(&app).await.len(), 4);
}

#[actix_web::test]
async fn another_camera_or_provider_is_another_ticket() {
    let app = TestApp::spawn().await;
    let title = "Crowd forming at entrance";
    let first = app.create(json!({"title": title, "camera_id": 1})).await;

    let other_camera = send(&app, &alert(json!({"title": title, "camera_id": 2}))).await;
    assert_eq!(other_camera.status, 201, "{}", other_camera.body);
    assert_ne!(other_camera.body["id"], first["id"]);
    assert_eq!(other_camera.body["alert_count"], 1);

    let typed = app
        .create(json!({"title": "x", "alert_type": "crowd", "camera_id": 1}))
        .await;
    let typed_other_camera = send(
        &app,
        &alert(json!({"title": "x", "alert_type": "crowd", "camera_id": 3})),
    )
    .await;
    assert_eq!(
        typed_other_camera.status, 201,
        "{}",
        typed_other_camera.body
    );
    assert_ne!(typed_other_camera.body["id"], typed["id"]);

    let other_provider = send(
        &app,
        &alert(json!({"title": title, "camera_id": 1, "provider_id": uuid::Uuid::new_v4()})),
    )
    .await;
    assert_eq!(other_provider.status, 201, "{}", other_provider.body);
    assert_ne!(other_provider.body["id"], first["id"]);

    // The original is untouched.
    assert_eq!(details(&app, &id(&first)).await["alert_count"], 1);
    assert_eq!(all_ids(&app).await.len(), 5);
}

#[actix_web::test]
async fn explicit_dedup_key_groups_alerts_with_different_titles() {
    let app = TestApp::spawn().await;
    let first = app
        .create(json!({"title": "Door forced", "dedup_key": "site-7/door-2"}))
        .await;
    assert_eq!(first["dedup_key"], "site-7/door-2");
    let reply = send(
        &app,
        &alert(json!({"title": "Door held open", "dedup_key": "site-7/door-2"})),
    )
    .await;
    let t = merged(&reply);
    assert_eq!(t["id"], first["id"]);
    assert_eq!(t["alert_count"], 2);
    assert_eq!(
        t["title"], "Door forced",
        "the ticket keeps its first title"
    );

    // Another explicit key is another ticket, even with the same title.
    let other = send(
        &app,
        &alert(json!({"title": "Door forced", "dedup_key": "site-7/door-3"})),
    )
    .await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_ne!(other.body["id"], first["id"]);
    assert_eq!(all_ids(&app).await.len(), 2);
}

// ---------------------------------------------------------------------------------------
// Severity on merge
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_higher_severity_raises_the_ticket_but_due_times_stay() {
    let app = TestApp::spawn().await;
    let title = "Glass break detected";
    let first = app.create(json!({"title": title, "severity": "low"})).await;
    let created = at(&first["created_at"]);
    // Low: 4 h first response, 72 h resolution.
    assert_eq!(
        at(&first["first_response_due_at"]) - created,
        TimeDelta::hours(4)
    );
    assert_eq!(
        at(&first["resolution_due_at"]) - created,
        TimeDelta::hours(72)
    );

    app.clock.advance(TimeDelta::minutes(3));
    let reply = send(
        &app,
        &alert(json!({"title": title, "severity": "critical"})),
    )
    .await;
    let t = merged(&reply);
    assert_eq!(t["id"], first["id"]);
    assert_eq!(t["severity"], "critical");
    assert_eq!(
        at(&t["first_response_due_at"]),
        at(&first["first_response_due_at"])
    );
    assert_eq!(at(&t["resolution_due_at"]), at(&first["resolution_due_at"]));
    assert_eq!(at(&t["created_at"]), created);

    // A lower severity does not lower it.
    for lower in ["high", "medium", "low", "info"] {
        let reply = send(&app, &alert(json!({"title": title, "severity": lower}))).await;
        let t = merged(&reply);
        assert_eq!(t["severity"], "critical", "after a {lower} alert");
    }

    let d = details(&app, &id(&first)).await;
    assert_eq!(d["severity"], "critical");
    assert_eq!(d["alert_count"], 6);
    assert_eq!(
        at(&d["first_response_due_at"]),
        at(&first["first_response_due_at"])
    );
    assert_eq!(at(&d["resolution_due_at"]), at(&first["resolution_due_at"]));
    // The list and its severity filter see the raised severity.
    let crit = app.get("/api/tickets?severity=critical").await.body;
    assert_eq!(crit["items"].as_array().unwrap().len(), 1);
    let low = app.get("/api/tickets?severity=low").await.body;
    assert_eq!(low["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn a_lower_first_then_equal_severity_never_lowers() {
    let app = TestApp::spawn().await;
    let title = "Camera tampering";
    let first = app
        .create(json!({"title": title, "severity": "high"}))
        .await;
    let reply = send(&app, &alert(json!({"title": title, "severity": "info"}))).await;
    assert_eq!(merged(&reply)["severity"], "high");
    let reply = send(&app, &alert(json!({"title": title, "severity": "high"}))).await;
    assert_eq!(merged(&reply)["severity"], "high");
    assert_eq!(reply.body["alert_count"], 3);
    assert_eq!(
        at(&reply.body["first_response_due_at"]),
        at(&first["first_response_due_at"])
    );
}

// ---------------------------------------------------------------------------------------
// Where merging stops: only active tickets (open, assigned, in_progress) take alerts.
// ---------------------------------------------------------------------------------------

async fn after_leaving_active_a_new_ticket_is_made(end: &str) {
    let app = TestApp::spawn().await;
    let title = format!("Fire alarm zone 4 ({end})");
    let first = app.create(json!({"title": title})).await;
    let old_id = id(&first);
    app.transition(&old_id, "alice", json!({"status": end}))
        .await;

    let next = send(&app, &alert(json!({"title": title}))).await;
    assert_eq!(next.status, 201, "after {end}: {}", next.body);
    let new_id = id(&next.body);
    assert_ne!(new_id, old_id);
    assert_eq!(
        next.header("location").as_deref(),
        Some(format!("/api/tickets/{new_id}").as_str())
    );
    assert_eq!(next.body["status"], "open");
    assert_eq!(next.body["alert_count"], 1);

    // The old ticket is left as it was.
    let old = details(&app, &old_id).await;
    assert_eq!(old["status"], end);
    assert_eq!(old["alert_count"], 1);

    // The new ticket is the active one: the next alert merges into it.
    let again = send(&app, &alert(json!({"title": title}))).await;
    assert_eq!(merged(&again)["id"], new_id);
    assert_eq!(again.body["alert_count"], 2);

    let mut ids = all_ids(&app).await;
    ids.sort();
    let mut expected = vec![old_id, new_id];
    expected.sort();
    assert_eq!(ids, expected);
}

#[actix_web::test]
async fn after_resolution_the_next_alert_makes_a_new_ticket() {
    after_leaving_active_a_new_ticket_is_made("resolved").await;
}

#[actix_web::test]
async fn after_false_positive_the_next_alert_makes_a_new_ticket() {
    after_leaving_active_a_new_ticket_is_made("false_positive").await;
}

#[actix_web::test]
async fn after_closing_the_next_alert_makes_a_new_ticket() {
    after_leaving_active_a_new_ticket_is_made("closed").await;
}

#[actix_web::test]
async fn assigned_and_in_progress_tickets_still_take_alerts() {
    let app = TestApp::spawn().await;
    let title = "Perimeter breach sector 9";
    let first = app.create(json!({"title": title})).await;
    let ticket_id = id(&first);

    app.transition(
        &ticket_id,
        "dispatcher",
        json!({"status": "assigned", "assignee_id": "alice"}),
    )
    .await;
    let reply = send(&app, &alert(json!({"title": title}))).await;
    let t = merged(&reply);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 2);
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["assignee_id"], "alice");

    app.transition(&ticket_id, "alice", json!({"status": "in_progress"}))
        .await;
    let reply = send(&app, &alert(json!({"title": title}))).await;
    let t = merged(&reply);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 3);
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["assignee_id"], "alice");

    let d = details(&app, &ticket_id).await;
    assert_eq!(d["status"], "in_progress");
    assert_eq!(d["alert_count"], 3);
    assert_eq!(d["history"].as_array().unwrap().len(), 3);
    assert_eq!(all_ids(&app).await, vec![ticket_id]);
}

#[actix_web::test]
async fn a_reopened_ticket_takes_alerts_again() {
    let app = TestApp::spawn().await;
    let title = "Unattended bag platform 2";
    let first = app.create(json!({"title": title})).await;
    let ticket_id = id(&first);
    app.transition(&ticket_id, "alice", json!({"status": "resolved"}))
        .await;
    app.transition(&ticket_id, "alice", json!({"status": "open"}))
        .await;
    let reply = send(&app, &alert(json!({"title": title}))).await;
    let t = merged(&reply);
    assert_eq!(t["id"], ticket_id);
    assert_eq!(t["alert_count"], 2);
    assert_eq!(all_ids(&app).await, vec![ticket_id]);
}

/// A resolved ticket whose key has since opened a new ticket is reopened: the client did
/// nothing wrong (the lifecycle allows resolved -> open), so the answer must not be a 5xx,
/// and whatever happens, identical alerts must keep landing on exactly one active ticket.
#[actix_web::test]
async fn reopening_while_a_newer_ticket_holds_the_key_is_not_a_server_error() {
    let app = TestApp::spawn().await;
    let title = "Motion after hours, store room";
    let old = app.create(json!({"title": title})).await;
    let old_id = id(&old);
    app.transition(&old_id, "alice", json!({"status": "resolved"}))
        .await;
    let newer = app.create(json!({"title": title})).await;
    let newer_id = id(&newer);

    let reopen = app
        .patch(
            &format!("/api/tickets/{old_id}/status"),
            Some("alice"),
            &json!({"status": "open"}),
        )
        .await;
    assert!(
        reopen.status.is_success() || reopen.status == 409,
        "reopen answered {}: {}",
        reopen.status,
        reopen.body
    );
    if reopen.status == 409 {
        reopen.problem(409);
        assert_eq!(details(&app, &old_id).await["status"], "resolved");
    }

    let next = send(&app, &alert(json!({"title": title}))).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert!(next.body["id"] == old_id || next.body["id"] == newer_id);
    assert_eq!(all_ids(&app).await.len(), 2, "no third ticket");
}
