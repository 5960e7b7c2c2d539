//! Suppression windows over HTTP: created, validated, listed with their state, previewed
//! for a camera at a moment (across a DST change), cancelled at once, and another
//! organization's windows do not exist.

use awc::http::StatusCode;
use chrono::TimeDelta;
use serde_json::{Value, json};
use ticket_domain::Clock;

use crate::harness::TestApp;

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
