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

/// An end event naming its incident by `key`.
async fn end_by_key(app: &TestApp, key: &str) -> crate::harness::Reply {
    let provider = alert(json!({}))["provider_id"].clone();
    let body = json!({"event_action": "resolve", "provider_id": provider, "dedup_key": key});
    app.post("/api/tickets", None, &body).await
}

/// `body` as an end event.
fn end_event(mut body: Value) -> Value {
    body["event_action"] = json!("resolve");
    body
}

#[actix_web::test]
async fn an_end_event_resolves_its_ticket_once_and_a_replay_changes_nothing() {
    let app = TestApp::spawn().await;
    create_rule(&app, &json!({"name": "Ends"})).await;
    // By the dedup key the alert itself named.
    let keyed = alert(json!({"dedup_key": "gate-7-open"}));
    let created = app.post("/api/tickets", None, &keyed).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let provider = keyed["provider_id"].clone();
    let ended = end_by_key(&app, "gate-7-open").await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    assert_eq!(ended.body["outcome"], "resolved");
    assert_eq!(ended.body["ticket"]["id"], id.as_str());
    assert_eq!(ended.body["ticket"]["status"], "resolved");
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["status"], "resolved");
    let last = details["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["reason"], "auto_resolved");
    assert!(
        last["actor"]
            .as_str()
            .unwrap()
            .starts_with("system:auto_resolve:")
    );
    // Replayed: nothing active, nothing written.
    let replayed = end_by_key(&app, "gate-7-open").await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.body);
    assert_eq!(
        replayed.body,
        json!({"outcome": "nothing_active", "ticket": null})
    );
    let again = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(again["version"], details["version"]);
    assert_eq!(status_changes(&app, &id).await.len(), 1);

    // The alert's own body with event_action added names its incident by the derived key;
    // by its external_id, the earlier alert's ticket.
    let plain = alert(json!({"camera_id": 71, "external_id": "evt-71"}));
    let made = app.post("/api/tickets", None, &plain).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let by_body = app
        .post("/api/tickets", None, &end_event(plain.clone()))
        .await;
    assert_eq!(by_body.body["outcome"], "resolved", "{}", by_body.body);
    assert_eq!(by_body.body["ticket"]["id"], made.body["id"]);
    let other = alert(json!({"camera_id": 72, "external_id": "evt-72"}));
    let made = app.post("/api/tickets", None, &other).await;
    let by_id = app
        .post(
            "/api/tickets",
            None,
            &json!({"event_action": "resolve", "provider_id": provider,
                    "external_id": "evt-72"}),
        )
        .await;
    assert_eq!(by_id.body["outcome"], "resolved", "{}", by_id.body);
    assert_eq!(by_id.body["ticket"]["id"], made.body["id"]);

    // Another organization's end event finds nothing.
    app.post("/api/tickets", None, &alert(json!({"dedup_key": "gate-8"})))
        .await;
    let foreign = app
        .with_headers(
            "POST",
            "/api/tickets",
            &[("X-Org-Id", "globex")],
            Some(&json!({"event_action": "resolve", "provider_id": provider,
                         "dedup_key": "gate-8"})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::OK, "{}", foreign.body);
    assert_eq!(foreign.body["outcome"], "nothing_active");
}

#[actix_web::test]
async fn an_end_event_is_validated_and_only_a_rule_that_takes_it_acts() {
    let app = TestApp::spawn().await;
    let provider = alert(json!({}))["provider_id"].clone();
    for (body, field) in [
        (
            json!({"event_action": "stop", "provider_id": provider}),
            "event_action",
        ),
        (
            json!({"event_action": "resolve", "provider_id": provider}),
            "dedup_key",
        ),
        (
            json!({"event_action": "resolve", "provider_id": provider, "dedup_key": null,
                   "external_id": "e"}),
            "dedup_key",
        ),
        (
            json!({"event_action": "resolve", "dedup_key": "k"}),
            "provider_id",
        ),
        (
            json!({"event_action": "resolve", "provider_id": provider, "camera_id": -1,
                   "title": "x"}),
            "camera_id",
        ),
    ] {
        let reply = app.post("/api/tickets", None, &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
    }
    // Nothing at all: 200, no ticket.
    let none = end_by_key(&app, "none").await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(
        none.body,
        json!({"outcome": "nothing_active", "ticket": null})
    );

    // A ticket without a rule, and one whose rule takes no end events: left as they are.
    let bare = app.create(json!({"dedup_key": "bare"})).await;
    let ignored = end_by_key(&app, "bare").await;
    assert_eq!(ignored.body["outcome"], "ignored", "{}", ignored.body);
    assert_eq!(ignored.body["ticket"]["status"], "open");
    assert_eq!(ignored.body["ticket"]["version"], bare["version"]);
    create_rule(
        &app,
        &json!({"name": "Quiet only", "quiet_period": "1h", "end_event": false, "position": 5}),
    )
    .await;
    app.create(json!({"dedup_key": "quiet"})).await;
    let ignored = end_by_key(&app, "quiet").await;
    assert_eq!(ignored.body["outcome"], "ignored", "{}", ignored.body);

    // Worked on, under a rule that acts on untouched tickets only: one system comment.
    create_rule(&app, &json!({"name": "Ends", "position": 1})).await;
    let worked = app.create(json!({"dedup_key": "worked"})).await;
    let id = worked["id"].as_str().unwrap();
    app.post(
        &format!("/api/tickets/{id}/comments"),
        Some("ann"),
        &json!({"body": "guard sent"}),
    )
    .await;
    let end = json!({"event_action": "resolve", "provider_id": provider, "dedup_key": "worked"});
    let declined = app.post("/api/tickets", None, &end).await;
    assert_eq!(declined.body["outcome"], "declined", "{}", declined.body);
    assert_eq!(declined.body["ticket"]["status"], "open");
    let again = app.post("/api/tickets", None, &end).await;
    assert_eq!(again.body["outcome"], "ignored");
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["comments"].as_array().unwrap().len(), 2);

    // A provider may end only its own incidents.
    let stranger = app
        .with_headers(
            "POST",
            "/api/tickets",
            &[
                ("X-Roles", "provider"),
                ("X-Provider-Id", "00000000-0000-0000-0000-000000000009"),
            ],
            Some(&end),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "{}", stranger.body);
}

#[actix_web::test]
async fn an_alert_after_an_automatic_resolution_reopens_the_ticket_within_the_window() {
    let app = TestApp::spawn().await;
    create_rule(&app, &json!({"name": "Ends"})).await;
    let settings = app
        .as_admin(
            "PATCH",
            "/api/organization",
            Some(&json!({"settings": {"flapping": {"reopen_window": "60s", "threshold": 2}}})),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
    let bad = app
        .as_admin(
            "PATCH",
            "/api/organization",
            Some(&json!({"settings": {"flapping": {"threshold": 0}}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.body["errors"][0]["field"],
        "settings.flapping.threshold"
    );

    let gate = alert(json!({"dedup_key": "gate-3"}));
    let created = app.post("/api/tickets", None, &gate).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["reopen_count"], 0);
    assert_eq!(end_by_key(&app, "gate-3").await.body["outcome"], "resolved");
    let resolved = app.get(&format!("/api/tickets/{id}")).await.body;
    assert!(
        resolved["resolved_by"]
            .as_str()
            .unwrap()
            .starts_with("system:auto_resolve:")
    );

    // Within the window: the same ticket, reopened, 200.
    app.clock.advance(TimeDelta::seconds(30));
    let again = app.post("/api/tickets", None, &gate).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(again.body["status"], "open");
    assert_eq!(again.body["reopen_count"], 1);
    assert_eq!(again.body["alert_count"], 2);
    assert_eq!(again.body["resolved_by"], Value::Null);
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    let last = details["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["reason"], "flap_reopen");
    assert_eq!(last["actor"], "system:flapping:reopen");

    // Second cycle: at the threshold (2) it flaps.
    end_by_key(&app, "gate-3").await;
    let flapping = app.post("/api/tickets", None, &gate).await;
    assert_eq!(flapping.body["id"], id.as_str());
    assert_eq!(flapping.body["reopen_count"], 2);
    assert!(
        flapping.body["flapping"]["since"].is_string(),
        "{}",
        flapping.body
    );
    // Third cycle within the interval (5 min by default): resolved and reopened silently.
    let before = app.events_of(&id).await.len();
    end_by_key(&app, "gate-3").await;
    let third = app.post("/api/tickets", None, &gate).await;
    assert_eq!(third.body["reopen_count"], 3);
    assert_eq!(app.events_of(&id).await.len(), before, "rate-limited");

    // After the window: a new ticket.
    end_by_key(&app, "gate-3").await;
    app.clock.advance(TimeDelta::seconds(61));
    let later = app.post("/api/tickets", None, &gate).await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.body);
    assert_ne!(later.body["id"], id.as_str());
    let later_id = later.body["id"].as_str().unwrap().to_owned();

    // A user's false positive is never reopened.
    let marked = app
        .patch(
            &format!("/api/tickets/{later_id}/status"),
            Some("ann"),
            &json!({"status": "false_positive"}),
        )
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.body);
    assert_eq!(marked.body["resolved_by"], "ann");
    let after_user = app.post("/api/tickets", None, &gate).await;
    assert_eq!(
        after_user.status,
        StatusCode::CREATED,
        "{}",
        after_user.body
    );

    // Statistics tell the rule's resolutions from the operators'.
    let stats = app.get("/api/tickets/stats").await;
    assert_eq!(
        stats.body["resolutions"],
        json!({"by_operators": 1, "automatic": 1}),
        "{}",
        stats.body
    );
}

/// Every alert of ticket `id`, oldest first.
async fn alerts_of(app: &TestApp, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/tickets/{id}/alerts?limit=500&cursor={c}"),
            None => format!("/api/tickets/{id}/alerts?limit=500"),
        };
        let page = app.get(&path).await.body;
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    all.reverse();
    all
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn an_alert_storm_on_three_instances_never_resolves_before_the_quiet_period() {
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    let c = TestApp::spawn_on(&a.database_url, fast).await;
    create_rule(&a, &json!({"name": "Quiet 2 s", "quiet_period": 2})).await;
    // 200 alerts of two incidents over about 10 s, in five bursts of 40 sent round the three
    // instances: within a burst the alerts come every 10 ms, between bursts the incidents
    // fall quiet for 2.4 s, long enough for the rule to resolve them and for the next
    // burst to find them just resolved.
    let apps = [&a, &b, &c];
    let mut sent = 0;
    for burst in 0..5 {
        let posts = (0..40).map(|i| {
            let app = apps[(burst * 40 + i) % 3];
            let key = if i % 2 == 0 { "storm-a" } else { "storm-b" };
            async move {
                sleep(10 * i as u64).await;
                app.post("/api/tickets", None, &alert(json!({"dedup_key": key})))
                    .await
            }
        });
        for reply in futures_util::future::join_all(posts).await {
            assert!(reply.status.is_success(), "{}", reply.body);
            sent += 1;
        }
        sleep(2_400).await;
    }
    assert_eq!(sent, 200);
    sleep(600).await;

    let page = a.get("/api/tickets?limit=500").await.body;
    let tickets = page["items"].as_array().unwrap().clone();
    let (mut alerts_seen, mut resolutions) = (0, 0);
    for key in ["storm-a", "storm-b"] {
        let of_key: Vec<&Value> = tickets.iter().filter(|t| t["dedup_key"] == key).collect();
        let active = of_key
            .iter()
            .filter(|t| {
                ["open", "assigned", "in_progress", "on_hold"]
                    .contains(&t["status"].as_str().unwrap())
            })
            .count();
        assert!(active <= 1, "{key}: {active} active tickets");
        for ticket in of_key {
            let id = ticket["id"].as_str().unwrap();
            let details = a.get(&format!("/api/tickets/{id}")).await.body;
            let alerts = alerts_of(&a, id).await;
            alerts_seen += alerts.len();
            if !details["resolved_at"].is_null() {
                assert!(
                    time(&details["resolved_at"]) >= time(&details["last_alert_at"]),
                    "{id}: resolved at {} before its last alert {}",
                    details["resolved_at"],
                    details["last_alert_at"]
                );
            }
            // Each automatic resolution came a quiet period after every alert before it.
            for row in details["history"].as_array().unwrap() {
                if row["reason"] != "auto_resolved" {
                    continue;
                }
                resolutions += 1;
                let at = time(&row["changed_at"]);
                for alert in &alerts {
                    if time(&alert["received_at"]) < at {
                        assert!(
                            time(&alert["occurred_at"]) + TimeDelta::seconds(2) <= at,
                            "{id}: resolved at {at} within 2 s of the alert {alert}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(alerts_seen, 200, "every alert kept once");
    // The quiet gaps let the rule act (each later burst then reopened what it resolved).
    assert!(resolutions >= 2, "{resolutions} automatic resolutions");
}
