//! Suppression windows over HTTP: created, validated, listed with their state, previewed
//! for a camera at a moment (across a DST change), cancelled at once, and another
//! organization's windows do not exist.

use std::time::Duration;

use awc::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use ticket_domain::Clock;

use crate::harness::{TestApp, alert};

/// Timers every 30 ms.
fn fast(c: &mut ticket_server::Config) {
    c.timer_poll_interval = Duration::from_millis(30);
}

async fn sleep(ms: u64) {
    actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn ticket(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// Waits (up to 5 s) for the ticket to have an event, then returns its events.
async fn first_events(app: &TestApp, id: &str) -> Vec<Value> {
    for _ in 0..100 {
        let events = app.events_of(id).await;
        if !events.is_empty() {
            return events;
        }
        sleep(50).await;
    }
    panic!("no event for ticket {id}");
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let reply = app
        .as_admin("POST", "/api/suppression-windows", Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

fn ids(preview: &Value) -> Vec<&str> {
    preview["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_window_is_validated_previewed_across_dst_and_cancelled_at_once() {
    let app = TestApp::spawn().await;
    let bad = app
        .as_admin(
            "POST",
            "/api/suppression-windows",
            Some(&json!({"mode": "mute", "starts_at": "2026-03-21T00:00:00Z",
                         "duration": "2h",
                         "recurrence": {"rrule": "FREQ=DAILY", "time_zone": "Europe/Paris"}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let mut fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["mode", "reason", "recurrence.rrule"]);
    let operator = app
        .with_headers(
            "POST",
            "/api/suppression-windows",
            &[("X-Roles", "operator")],
            Some(&json!({"reason": "x", "starts_at": "2026-03-21T00:00:00Z", "duration": 60})),
        )
        .await;
    assert_eq!(operator.status, StatusCode::FORBIDDEN);

    // Saturdays 01:00-03:00 in Paris, camera 7 only.
    let weekly = create(
        &app,
        &json!({"reason": "Camera 7 cleaning", "mode": "drop",
                "filter": {"field": "camera_id", "op": "eq", "value": 7},
                "starts_at": "2026-03-21T00:00:00Z", "duration": "2h",
                "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SA", "time_zone": "Europe/Paris"}}),
    )
    .await;
    assert_eq!(weekly["mode"], "drop");
    assert_eq!(weekly["duration"], 7200);
    assert_eq!(weekly["created_by"], "root");
    let id = weekly["id"].as_str().unwrap().to_owned();
    let preview = |camera: i64, at: &str| {
        let app = &app;
        let path = format!("/api/suppression-windows/preview?camera_id={camera}&at={at}");
        async move {
            let reply = app.as_admin("GET", &path, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body
        }
    };
    // Before the change 01:30 local is 00:30 UTC; after it, 23:30 UTC the day before.
    assert_eq!(
        ids(&preview(7, "2026-03-21T00:30:00Z").await),
        [id.as_str()]
    );
    let after = preview(7, "2026-04-03T23:30:00Z").await;
    assert_eq!(ids(&after), [id.as_str()]);
    assert_eq!(
        after["items"][0]["occurrence"],
        json!({"starts_at": "2026-04-03T23:00:00Z", "ends_at": "2026-04-04T01:00:00Z"})
    );
    assert!(
        ids(&preview(7, "2026-04-04T01:30:00Z").await).is_empty(),
        "03:30 CEST"
    );
    assert!(
        ids(&preview(8, "2026-03-21T00:30:00Z").await).is_empty(),
        "camera 8"
    );
    let missing = app
        .as_admin(
            "GET",
            "/api/suppression-windows/preview?at=2026-03-21T00:30:00Z",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["errors"][0]["field"], "camera_id");

    // A one-off window running now: active, then cancelled at once.
    let now = app.clock.now();
    let once = create(
        &app,
        &json!({"reason": "Lens swap", "starts_at": now - TimeDelta::minutes(1),
                "ends_at": now + TimeDelta::hours(1)}),
    )
    .await;
    assert_eq!(once["state"], "active");
    assert_eq!(once["mode"], "suppress", "the default");
    let once_id = once["id"].as_str().unwrap().to_owned();
    let listed = app
        .as_admin("GET", "/api/suppression-windows", None)
        .await
        .body;
    assert_eq!(listed["items"][0]["id"], once_id.as_str(), "newest first");
    let stale = app
        .with_headers(
            "POST",
            &format!("/api/suppression-windows/{once_id}/cancel"),
            &[("X-Roles", "admin"), ("If-Match", "\"9\"")],
            None,
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let cancelled = app
        .as_admin(
            "POST",
            &format!("/api/suppression-windows/{once_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["state"], "cancelled");
    assert_eq!(cancelled.body["version"], 2);
    assert_eq!(cancelled.body["occurrence"], Value::Null);
    let at_now = "/api/suppression-windows/preview?camera_id=3";
    let previewed = app.as_admin("GET", at_now, None).await.body;
    assert!(ids(&previewed).is_empty(), "ended now: {previewed}");

    // Another organization's window does not exist.
    let elsewhere = app
        .with_headers(
            "GET",
            &format!("/api/suppression-windows/{id}"),
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let theirs = app
        .with_headers(
            "GET",
            "/api/suppression-windows",
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(theirs.body["items"], json!([]));
    let cancel_theirs = app
        .with_headers(
            "POST",
            &format!("/api/suppression-windows/{id}/cancel"),
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(cancel_theirs.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_suppress_window_keeps_new_tickets_silent_then_starts_them_as_if_created_then() {
    let app = TestApp::spawn_with(fast).await;
    let now = app.clock.now();
    let window = create(
        &app,
        &json!({"reason": "Camera 7 maintenance", "mode": "suppress",
                "filter": {"field": "camera_id", "op": "eq", "value": 7},
                "starts_at": now - TimeDelta::seconds(1), "duration": "3s"}),
    )
    .await;
    let end = time(&window["occurrence"]["ends_at"]);
    // Camera 8 is outside the window: an ordinary ticket, announced at once.
    let plain = app
        .create(json!({"camera_id": 8, "alert_type": "motion"}))
        .await;
    let silent = app
        .create(json!({"camera_id": 7, "alert_type": "motion"}))
        .await;
    let id = silent["id"].as_str().unwrap().to_owned();
    assert_eq!(silent["suppressed"]["suppression_window_id"], window["id"]);
    assert_eq!(time(&silent["suppressed"]["until"]), end);
    assert!(time(&silent["first_response_due_at"]) > end, "{silent}");
    assert_eq!(silent["status"], "open");
    let merged = app
        .post(
            "/api/tickets",
            None,
            &alert(json!({"camera_id": 7, "alert_type": "motion"})),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    assert_eq!(merged.body["alert_count"], 2);
    assert!(
        app.events_of(&id).await.is_empty(),
        "no event while the window runs"
    );
    assert_eq!(
        app.events_of(plain["id"].as_str().unwrap()).await[0]["event_type"],
        "ticket_created"
    );

    let events = first_events(&app, &id).await;
    let released = ticket(&app, &id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event_type"], "ticket_created");
    assert!(Utc::now() >= end, "not before the window's end");
    assert_eq!(released["suppressed"], Value::Null);
    assert_eq!(time(&released["created_at"]), end, "as if created then");
    // Its clocks run from the release as an ordinary ticket's from its creation.
    for due in ["first_response_due_at", "resolution_due_at"] {
        assert_eq!(
            time(&released[due]) - time(&released["created_at"]),
            time(&plain[due]) - time(&plain["created_at"]),
            "{due}"
        );
    }
    assert_eq!(events[0]["payload"]["ticket_id"], id.as_str());
    sleep(200).await;
    assert_eq!(app.events_of(&id).await.len(), 1, "released once");
    // The window is over: a new alert of camera 7 makes an ordinary ticket's event.
    let after = app
        .create(json!({"camera_id": 7, "alert_type": "tamper"}))
        .await;
    assert_eq!(after["suppressed"], Value::Null);
}

#[actix_web::test]
async fn a_cancel_releases_the_windows_silent_tickets_at_once() {
    let app = TestApp::spawn_with(fast).await;
    let now = app.clock.now();
    let window = create(
        &app,
        &json!({"reason": "Camera 3 repair", "starts_at": now - TimeDelta::seconds(1),
                "duration": "1h",
                "filter": {"field": "camera_id", "op": "eq", "value": 3}}),
    )
    .await;
    let silent = app.create(json!({"camera_id": 3})).await;
    let id = silent["id"].as_str().unwrap().to_owned();
    let hour_from_now = time(&silent["first_response_due_at"]);
    let cancelled = app
        .as_admin(
            "POST",
            &format!(
                "/api/suppression-windows/{}/cancel",
                window["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let cancelled_at = time(&cancelled.body["cancelled_at"]);
    let events = first_events(&app, &id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_type"], "ticket_created");
    let released = ticket(&app, &id).await;
    assert_eq!(released["suppressed"], Value::Null);
    let created = time(&released["created_at"]);
    assert!(
        created >= cancelled_at && created < cancelled_at + TimeDelta::seconds(5),
        "{created} vs {cancelled_at}"
    );
    assert!(
        time(&released["first_response_due_at"]) < hour_from_now - TimeDelta::minutes(50),
        "the clocks moved to the release: {released}"
    );
    let again = app.create(json!({"camera_id": 3})).await;
    assert_eq!(again["suppressed"], Value::Null, "the window is over");
}

#[actix_web::test]
async fn a_drop_window_keeps_the_alert_with_it_and_makes_no_ticket() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let window = create(
        &app,
        &json!({"reason": "Camera 9 is being moved", "mode": "drop",
                "starts_at": now - TimeDelta::seconds(1), "duration": "1h",
                "filter": {"field": "camera_id", "op": "eq", "value": 9}}),
    )
    .await;
    let window_id = window["id"].as_str().unwrap().to_owned();
    let body = alert(json!({"camera_id": 9, "external_id": "evt-9-1"}));
    let dropped = app.post("/api/tickets", None, &body).await;
    assert_eq!(dropped.status, StatusCode::ACCEPTED, "{}", dropped.body);
    assert_eq!(dropped.body["outcome"], "dropped");
    assert_eq!(dropped.body["replayed"], false);
    let alert_body = &dropped.body["alert"];
    assert_eq!(alert_body["suppression_window_id"], window_id.as_str());
    assert_eq!(alert_body["camera_id"], 9);
    assert_eq!(alert_body["external_id"], "evt-9-1");
    let replay = app.post("/api/tickets", None, &body).await;
    assert_eq!(replay.status, StatusCode::ACCEPTED);
    assert_eq!(replay.body["replayed"], true);
    assert_eq!(replay.body["alert"]["id"], alert_body["id"]);
    let tickets = app.get("/api/tickets?camera_id=9").await;
    assert_eq!(tickets.body["items"], json!([]), "no ticket");

    let listed = app
        .as_admin(
            "GET",
            &format!("/api/suppression-windows/{window_id}/alerts"),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["id"], alert_body["id"]);
    let shown = app
        .as_admin(
            "GET",
            &format!("/api/suppression-windows/{window_id}"),
            None,
        )
        .await;
    assert_eq!(shown.body["dropped_alerts"], 1);
    // Another organization sees neither the window nor its alerts.
    let theirs = app
        .with_headers(
            "GET",
            &format!("/api/suppression-windows/{window_id}/alerts"),
            &[("X-Roles", "admin"), ("X-Org-Id", "globex")],
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // Cancelled, the window drops no more; a replay of the dropped alert is still one.
    let cancelled = app
        .as_admin(
            "POST",
            &format!("/api/suppression-windows/{window_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(cancelled.body["dropped_alerts"], 1);
    let replay = app.post("/api/tickets", None, &body).await;
    assert_eq!(replay.status, StatusCode::ACCEPTED, "{}", replay.body);
    assert_eq!(replay.body["replayed"], true);
    app.create(json!({"camera_id": 9, "external_id": "evt-9-2"}))
        .await;
}

#[actix_web::test]
async fn a_collect_window_gathers_its_alerts_in_one_ticket() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let window = create(
        &app,
        &json!({"reason": "Site-wide drill", "mode": "collect",
                "starts_at": now - TimeDelta::seconds(1), "duration": "1h"}),
    )
    .await;
    let first = app.create(json!({"camera_id": 11})).await;
    assert!(
        first["dedup_key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("window/{}/", window["id"].as_str().unwrap())),
        "{first}"
    );
    let second = app
        .post("/api/tickets", None, &alert(json!({"camera_id": 12})))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["id"], first["id"]);
    assert_eq!(second.body["alert_count"], 2);
    // Another organization has no window: its alert is its own ticket.
    let theirs = app
        .request(
            "POST",
            "/api/tickets",
            None,
            &[("X-Org-Id", "globex")],
            Some(alert(json!({"camera_id": 11})).to_string().into_bytes()),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert!(
        !theirs.body["dedup_key"]
            .as_str()
            .unwrap()
            .starts_with("window/")
    );
}

#[actix_web::test]
async fn an_offline_camera_silences_its_other_alerts_until_its_ticket_is_resolved() {
    let app = TestApp::spawn_with(fast).await;
    let offline = app
        .create(json!({"camera_id": 9, "alert_type": "camera_offline"}))
        .await;
    let offline_id = offline["id"].as_str().unwrap().to_owned();
    let motion = app
        .create(json!({"camera_id": 9, "alert_type": "motion"}))
        .await;
    let id = motion["id"].as_str().unwrap().to_owned();
    assert_eq!(motion["inhibited"]["by_ticket_id"], offline_id.as_str());
    assert_eq!(motion["inhibited"]["on_end"], "release");
    assert_eq!(motion["status"], "open");
    // Another camera, and the inhibiting type itself, are not silenced.
    let other = app
        .create(json!({"camera_id": 10, "alert_type": "motion"}))
        .await;
    assert_eq!(other["inhibited"], Value::Null);
    let tamper = app
        .create(json!({"camera_id": 9, "alert_type": "Tampering"}))
        .await;
    assert_eq!(tamper["inhibited"], Value::Null);
    // Its merges and an operator's comment make no notification either.
    let merged = app
        .post(
            "/api/tickets",
            None,
            &alert(json!({"camera_id": 9, "alert_type": "motion"})),
        )
        .await;
    assert_eq!(merged.body["id"], id.as_str());
    let comment = app
        .post(
            &format!("/api/tickets/{id}/comments"),
            Some("op-1"),
            &json!({"body": "probably the outage"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.body);
    sleep(300).await;
    assert!(app.events_of(&id).await.is_empty(), "silent while offline");

    app.transition(&offline_id, "op-1", json!({"status": "resolved"}))
        .await;
    let events = first_events(&app, &id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event_type"], "ticket_created");
    let released = ticket(&app, &id).await;
    assert_eq!(released["inhibited"], Value::Null);
    assert_eq!(released["status"], "open");
    assert!(time(&released["created_at"]) > time(&motion["created_at"]));
    assert_eq!(
        time(&released["first_response_due_at"]) - time(&released["created_at"]),
        time(&motion["first_response_due_at"]) - time(&motion["created_at"]),
        "the clocks start at the release"
    );
    // The camera is still tampered with: a new alert waits on that ticket now.
    let after = app
        .create(json!({"camera_id": 9, "alert_type": "intrusion"}))
        .await;
    assert_eq!(after["inhibited"]["by_ticket_id"], tamper["id"]);
    app.transition(
        tamper["id"].as_str().unwrap(),
        "op-1",
        json!({"status": "resolved"}),
    )
    .await;
    let back = app
        .create(json!({"camera_id": 9, "alert_type": "loitering"}))
        .await;
    assert_eq!(back["inhibited"], Value::Null, "the camera is back");
    assert_eq!(
        first_events(&app, after["id"].as_str().unwrap()).await[0]["event_type"],
        "ticket_created"
    );
}

#[actix_web::test]
async fn with_on_end_drop_a_silenced_ticket_is_resolved_without_a_word() {
    let app = TestApp::spawn_with(fast).await;
    let bad = app
        .as_admin(
            "PATCH",
            "/api/organization",
            Some(&json!({"settings": {"inhibition": {"on_end": "forget"}}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "settings.inhibition.on_end");
    let set = app
        .as_admin(
            "PATCH",
            "/api/organization",
            Some(&json!({"settings": {"inhibition":
                {"alert_types": ["video_loss"], "on_end": "drop"}}})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let lost = app
        .create(json!({"camera_id": 4, "alert_type": "video_loss"}))
        .await;
    let motion = app
        .create(json!({"camera_id": 4, "alert_type": "motion"}))
        .await;
    assert_eq!(motion["inhibited"]["on_end"], "drop");
    let id = motion["id"].as_str().unwrap().to_owned();
    // camera_offline is no longer on this organization's list.
    let offline = app
        .create(json!({"camera_id": 4, "alert_type": "camera_offline"}))
        .await;
    assert_eq!(offline["inhibited"]["by_ticket_id"], lost["id"]);

    app.transition(
        lost["id"].as_str().unwrap(),
        "op-1",
        json!({"status": "resolved"}),
    )
    .await;
    let mut resolved = Value::Null;
    for _ in 0..100 {
        resolved = ticket(&app, &id).await;
        if resolved["status"] == "resolved" {
            break;
        }
        sleep(50).await;
    }
    assert_eq!(resolved["status"], "resolved", "{resolved}");
    assert_eq!(resolved["inhibited"], Value::Null);
    assert!(
        resolved["resolved_by"]
            .as_str()
            .unwrap()
            .starts_with("system:suppression:"),
        "{resolved}"
    );
    sleep(200).await;
    assert!(app.events_of(&id).await.is_empty(), "never announced");
}
