//! Background work: SLA breach events and delivery of the notification outbox, against a
//! local HTTP receiver standing in for the Notification Service.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::TimeDelta;
use futures_util::future::join_all;
use serde_json::{Value, json};
use ticket_http::outbound::signature;

use crate::harness::{TestApp, alert};

const SECRET: &str = "s3cret";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    /// The URL path: instances given different paths tell their deliveries apart.
    path: String,
    delivery: String,
    event: String,
    ticket_id: String,
    timestamp: i64,
    signature: Option<String>,
    body: Vec<u8>,
    at: Instant,
    answered: u16,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// A local Notification Service. `decide(payload, attempt)` gives the status to answer for
/// the `attempt`-th request (1-based) of one delivery id.
fn receiver(decide: fn(&Value, usize) -> u16) -> (String, Log) {
    let log: Log = Arc::default();
    let shared = log.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let log = shared.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let log = log.clone();
            async move {
                let header = |name: &str| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let delivery = header("x-ticket-delivery").unwrap_or_default();
                let mut log = log.lock().unwrap();
                let attempt = log.iter().filter(|r| r.delivery == delivery).count() + 1;
                let answered = decide(&payload, attempt);
                log.push(Received {
                    path: req.path().to_owned(),
                    delivery,
                    event: header("x-ticket-event").unwrap_or_default(),
                    ticket_id: payload["ticket_id"].as_str().unwrap_or_default().to_owned(),
                    timestamp: header("x-ticket-timestamp")
                        .and_then(|t| t.parse().ok())
                        .unwrap_or_default(),
                    signature: header("x-ticket-signature"),
                    body: body.to_vec(),
                    at: Instant::now(),
                    answered,
                });
                HttpResponse::build(actix_web::http::StatusCode::from_u16(answered).unwrap())
                    .finish()
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (url, log)
}

/// Waits up to 15 s for `done` to hold over the log.
async fn wait_for(log: &Log, done: impl Fn(&[Received]) -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if done(&log.lock().unwrap()) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out; received: {:#?}", log.lock().unwrap());
}

fn delivered(log: &[Received]) -> Vec<&Received> {
    log.iter().filter(|r| r.answered < 300).collect()
}

fn notifying(
    url: &str,
    base: Duration,
    attempts: i32,
) -> impl FnOnce(&mut ticket_server::Config) + use<> {
    let url = url.to_owned();
    move |c| {
        c.notification_url = Some(url);
        c.notification_secret = Some(SECRET.to_owned());
        c.notification_poll_interval = Duration::from_millis(20);
        c.notification_retry.base = base;
        c.notification_retry.max_attempts = attempts;
    }
}

#[actix_web::test]
async fn an_sla_breach_is_recorded_once_with_two_instances_running() {
    let fast = |c: &mut ticket_server::Config| c.sla_check_interval = Duration::from_millis(30);
    let a = TestApp::spawn_with(fast).await;
    let b = TestApp::spawn_on(&a.database_url, fast).await;
    let t = a.create(json!({"severity": "critical"})).await;
    let id = t["id"].as_str().unwrap();
    let breaches = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["event_type"] == "sla_breached")
            .map(|e| e["payload"]["data"]["target"].clone())
            .collect()
    };
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(breaches(&a.events_of(id).await).is_empty());

    // Nobody responds: six minutes later the first-response target (5 min) is breached.
    a.clock.advance(TimeDelta::minutes(6));
    b.clock.advance(TimeDelta::minutes(6));
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        breaches(&a.events_of(id).await),
        vec![json!("first_response")]
    );

    // Past the hour the resolution target goes too; still one event per target.
    a.clock.advance(TimeDelta::minutes(60));
    b.clock.advance(TimeDelta::minutes(60));
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let mut targets = breaches(&b.events_of(id).await);
    targets.sort_by_key(ToString::to_string);
    assert_eq!(targets, vec![json!("first_response"), json!("resolution")]);

    let ticket = a.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(ticket["first_response_breached"], true);
    assert_eq!(ticket["resolution_breached"], true);
    assert_eq!(
        ticket["version"], 1,
        "recording a breach is not a change of the ticket"
    );
}

#[actix_web::test]
async fn a_target_met_in_time_records_no_breach() {
    let app = TestApp::spawn_with(|c| c.sla_check_interval = Duration::from_millis(30)).await;
    let t = app.create(json!({"severity": "critical"})).await;
    let id = t["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "resolved"}))
        .await;
    app.clock.advance(TimeDelta::hours(2));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let events = app.events_of(id).await;
    assert!(
        events.iter().all(|e| e["event_type"] != "sla_breached"),
        "{events:?}"
    );
}

#[actix_web::test]
async fn events_are_delivered_signed_in_order_after_backing_off() {
    // Every delivery fails twice, then succeeds.
    let (url, log) = receiver(|_, attempt| if attempt <= 2 { 500 } else { 204 });
    let base = Duration::from_millis(150);
    let app = TestApp::spawn_with(notifying(&url, base, 10)).await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap().to_owned();
    app.transition(&id, "alice", json!({"status": "in_progress"}))
        .await;
    let reply = app
        .post(
            &format!("/api/tickets/{id}/comments"),
            Some("alice"),
            &json!({"body": "on site"}),
        )
        .await;
    assert_eq!(reply.status, 201);

    wait_for(&log, |log| delivered(log).len() == 3).await;
    let log = log.lock().unwrap().clone();

    // In order per ticket.
    let kinds: Vec<&str> = delivered(&log).iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["ticket_created", "status_changed", "comment_added"]
    );
    for r in &log {
        assert_eq!(r.ticket_id, id);
        // The signature covers the timestamp and the body.
        let expected = signature(SECRET.as_bytes(), r.timestamp, &r.body);
        assert_eq!(r.signature.as_deref(), Some(expected.as_str()), "{r:?}");
    }
    // Back-off: the second attempt waits the base, the third twice that.
    for delivery in delivered(&log) {
        let attempts: Vec<&Received> = log
            .iter()
            .filter(|r| r.delivery == delivery.delivery)
            .collect();
        assert_eq!(attempts.len(), 3, "{attempts:?}");
        let gap = |i: usize| attempts[i + 1].at - attempts[i].at;
        assert!(gap(0) >= base.mul_f32(0.9), "first back-off {:?}", gap(0));
        assert!(gap(1) >= base.mul_f32(1.8), "second back-off {:?}", gap(1));
    }

    // The receiver answered; the dispatcher records that right after.
    let started = Instant::now();
    let events = loop {
        let events = app.events_of(&id).await;
        if events.iter().all(|e| e["status"] == "sent")
            || started.elapsed() > Duration::from_secs(5)
        {
            break events;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(events.len(), 3);
    for e in &events {
        assert_eq!(e["status"], "sent", "{e}");
        assert_eq!(e["attempts"], 3);
        assert!(e["delivered_at"].is_string());
    }
}

#[actix_web::test]
async fn two_dispatchers_never_deliver_one_event_twice() {
    let (url, log) = receiver(|_, _| 200);
    let a = TestApp::spawn_with(notifying(&url, Duration::from_millis(50), 5)).await;
    let b = TestApp::spawn_on(
        &a.database_url,
        notifying(&url, Duration::from_millis(50), 5),
    )
    .await;
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        app.create(json!({"camera_id": i})).await;
    }
    wait_for(&log, |log| delivered(log).len() >= 30).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = log.lock().unwrap().clone();
    let mut ids: Vec<&str> = log.iter().map(|r| r.delivery.as_str()).collect();
    ids.sort_unstable();
    let total = ids.len();
    ids.dedup();
    assert_eq!((total, ids.len()), (30, 30), "every event exactly once");
}

#[actix_web::test]
async fn a_failing_ticket_does_not_hold_up_the_others() {
    // Events of tickets titled "poison ..." always fail.
    let (url, log) = receiver(|payload, _| {
        let poisoned = payload["data"]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("poison"));
        if poisoned { 500 } else { 200 }
    });
    let app = TestApp::spawn_with(notifying(&url, Duration::from_millis(40), 3)).await;
    let poison = app.create(json!({"title": "poison alert"})).await;
    let poison_id = poison["id"].as_str().unwrap().to_owned();
    let mut others = Vec::new();
    for _ in 0..3 {
        let t = app.create(json!({})).await;
        others.push(t["id"].as_str().unwrap().to_owned());
    }
    wait_for(&log, |log| {
        others
            .iter()
            .all(|id| delivered(log).iter().any(|r| &r.ticket_id == id))
    })
    .await;

    // The poisoned event is tried three times, then marked failed with the error kept.
    let started = Instant::now();
    loop {
        let events = app.events_of(&poison_id).await;
        if events[0]["status"] == "failed" {
            assert_eq!(events[0]["attempts"], 3);
            assert!(
                events[0]["last_error"].as_str().unwrap().contains("500"),
                "{}",
                events[0]
            );
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{events:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = app.get("/api/notifications?status=failed").await.body;
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn without_a_notification_url_events_are_kept_pending() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "in_progress"}))
        .await;
    let events = app.events_of(id).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["status_changed", "ticket_created"],
        "newest first"
    );
    for e in &events {
        assert_eq!(e["status"], "pending");
        assert_eq!(e["attempts"], 0);
        assert_eq!(e["delivered_at"], Value::Null);
    }
    let reply = app.get("/api/notifications?status=lost").await;
    reply.problem(422);
    assert_eq!(reply.fields(), vec!["status".to_owned()]);
}

#[actix_web::test]
async fn alerts_of_a_ticket_are_listed_newest_first_in_pages() {
    let app = TestApp::spawn().await;
    let body = crate::harness::alert(json!({"alert_type": "loitering", "camera_id": 9}));
    let first = app.post("/api/tickets", None, &body).await;
    assert_eq!(first.status, 201);
    let id = first.body["id"].as_str().unwrap().to_owned();
    for i in 0..4 {
        let mut again = body.clone();
        again["alert_data"] = json!({"frame": i});
        assert_eq!(app.post("/api/tickets", None, &again).await.status, 200);
    }
    let page = app.get(&format!("/api/tickets/{id}/alerts?limit=3")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["alert_data"], json!({"frame": 3}));
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!("/api/tickets/{id}/alerts?limit=3&cursor={cursor}"))
        .await;
    let items = rest.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["alert_data"], json!({"detections": []}));
    assert_eq!(rest.body["next_cursor"], Value::Null);
    app.get(&format!("/api/tickets/{}/alerts", uuid::Uuid::new_v4()))
        .await
        .problem(404);
}

/// Polls `events_of(ticket)` for up to 10 s until `done` holds; returns the last answer.
async fn events_until(app: &TestApp, ticket: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let events = app.events_of(ticket).await;
        if done(&events) {
            return events;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out; events of {ticket}: {events:#?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

fn statuses(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["status"].as_str().unwrap_or_default())
        .collect()
}

/// The value of an unlabelled counter in `/metrics`, 0 when it is not there yet.
async fn counter(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics").await.body;
    let prefix = format!("{name}{{");
    text.as_str()
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Retention of one day, looked at every 30 ms; SLA events (which would add rows) only at
/// start-up.
fn retaining(url: &str) -> impl FnOnce(&mut ticket_server::Config) {
    let notify = notifying(url, Duration::from_millis(40), 1);
    move |c| {
        notify(c);
        c.notification_retention = Some(Duration::from_secs(24 * 3600));
        c.notification_purge_interval = Duration::from_millis(30);
        c.sla_check_interval = Duration::from_secs(3600);
    }
}

#[actix_web::test]
async fn delivered_events_past_the_retention_are_purged_and_the_rest_kept() {
    // Events of tickets titled "poison ..." fail, and one attempt is all they get.
    let (url, _log) = receiver(|payload, _| {
        let poisoned = payload["data"]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("poison"));
        if poisoned { 500 } else { 204 }
    });
    let app = TestApp::spawn_with(retaining(&url)).await;
    let old = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.transition(&old, "alice", json!({"status": "in_progress"}))
        .await;
    let poison = app.create(json!({"title": "poison alert"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    events_until(&app, &old, |e| statuses(e) == ["sent", "sent"]).await;
    events_until(&app, &poison, |e| statuses(e) == ["failed"]).await;

    // Within the retention nothing goes.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(statuses(&app.events_of(&old).await), ["sent", "sent"]);

    // Two days on, a new ticket's events are delivered and kept, the old ones purged, and
    // the dead letter stays.
    app.clock.advance(TimeDelta::days(2));
    let recent = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    events_until(&app, &recent, |e| statuses(e) == ["sent"]).await;
    events_until(&app, &old, <[Value]>::is_empty).await;
    let dead = app.events_of(&poison).await;
    assert_eq!(statuses(&dead), ["failed"], "{dead:?}");
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(statuses(&app.events_of(&recent).await), ["sent"]);
    let sent = app.get("/api/notifications?status=sent").await.body;
    let tickets: Vec<&str> = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ticket_id"].as_str().unwrap())
        .collect();
    assert_eq!(tickets, [recent.as_str()]);
    let purged = counter(&app, "notifications_purged_total").await;
    assert!(purged >= 2.0, "notifications_purged_total = {purged}");
}

#[actix_web::test]
async fn with_retention_off_delivered_events_are_kept() {
    let (url, _log) = receiver(|_, _| 204);
    let off = {
        let retain = retaining(&url);
        move |c: &mut ticket_server::Config| {
            retain(c);
            c.notification_retention = None;
        }
    };
    let app = TestApp::spawn_with(off).await;
    let id = app.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    events_until(&app, &id, |e| statuses(e) == ["sent"]).await;
    app.clock.advance(TimeDelta::days(365));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(statuses(&app.events_of(&id).await), ["sent"]);
}

/// Posts `count` copies of the alert `body`: the first creates a ticket, the others merge
/// into it, up to ten at a time. Returns the ticket's id.
async fn alert_burst(app: &TestApp, body: Value, count: usize) -> String {
    let id = app.create(body.clone()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut left = count - 1;
    while left > 0 {
        let at_once = left.min(10);
        let replies = join_all((0..at_once).map(|_| app.post("/api/tickets", None, &body))).await;
        for reply in replies {
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.body["id"], id.as_str(), "merged");
        }
        left -= at_once;
    }
    id
}

/// What the receiver got for `ticket`, in the order it got it.
fn of_ticket<'a>(log: &'a [Received], ticket: &str) -> Vec<&'a Received> {
    log.iter().filter(|r| r.ticket_id == ticket).collect()
}

/// The delivery ids (outbox row ids) of `received`, in order.
fn delivery_ids(received: &[&Received]) -> Vec<i64> {
    received
        .iter()
        .map(|r| r.delivery.parse().unwrap())
        .collect()
}

/// Asserts that `received` is one ticket's events, each once, oldest first, merges counted
/// up one at a time from `ticket_created` on.
#[track_caller]
fn assert_in_order_once(received: &[&Received], events: usize) {
    let ids = delivery_ids(received);
    assert_eq!(ids.len(), events, "{ids:?}");
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "out of order or twice: {ids:?}"
    );
    assert_eq!(received[0].event, "ticket_created");
    let counts: Vec<i64> = received[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.event, "alert_merged");
            let payload: Value = serde_json::from_slice(&r.body).unwrap();
            payload["data"]["alert_count"].as_i64().unwrap()
        })
        .collect();
    let expected: Vec<i64> = (2..=events as i64).collect();
    assert_eq!(counts, expected);
}

#[actix_web::test]
async fn a_backlog_of_five_hundred_merged_alerts_drains_in_order_within_ten_seconds() {
    let (url, log) = receiver(|_, _| 204);
    // Written through an instance that does not deliver, so the whole backlog waits when
    // delivery starts: one ticket_created and 500 alert_merged events of one ticket.
    let writer = TestApp::spawn().await;
    let id = alert_burst(&writer, alert(json!({"camera_id": 5})), 501).await;
    assert_eq!(counter(&writer, "notifications_pending").await, 501.0);

    // Polling once a second, as by default: the backlog must not drain one poll at a time.
    let started = Instant::now();
    let app = TestApp::spawn_on(&writer.database_url, |c| {
        notifying(&url, Duration::from_secs(1), 10)(c);
        c.notification_poll_interval = Duration::from_secs(1);
    })
    .await;
    wait_for(&log, |log| log.len() >= 501).await;
    let log = log.lock().unwrap().clone();
    let (first, last) = (log[0].at, log[log.len() - 1].at);
    eprintln!(
        "501 events drained {:?} after the instance started ({:?} from the first delivery \
         to the last)",
        last - started,
        last - first
    );
    assert!(
        last - started < Duration::from_secs(10),
        "{:?}",
        last - started
    );

    assert!(
        log.iter().all(|r| r.answered == 204),
        "nothing failed or was retried"
    );
    assert_in_order_once(&of_ticket(&log, &id), 501);
    for r in &log {
        let expected = signature(SECRET.as_bytes(), r.timestamp, &r.body);
        assert_eq!(r.signature.as_deref(), Some(expected.as_str()), "{r:?}");
    }

    // Each recorded once: sent, one attempt, none left waiting.
    let started = Instant::now();
    while counter(&app, "notifications_pending").await > 0.0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "outcomes not recorded"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    for status in ["pending", "failed"] {
        let page = app
            .get(&format!(
                "/api/notifications?ticket_id={id}&status={status}"
            ))
            .await;
        assert_eq!(page.body["items"], json!([]), "{status}");
    }
    for e in app.events_of(&id).await {
        assert_eq!(
            (&e["status"], &e["attempts"]),
            (&json!("sent"), &json!(1)),
            "{e}"
        );
    }
    let sent = counter(&app, "notifications_sent_total").await;
    assert!(sent >= 501.0, "notifications_sent_total = {sent}");
}

#[actix_web::test]
async fn two_instances_in_small_batches_keep_each_tickets_order_and_send_each_event_once() {
    let (url, log) = receiver(|_, _| 204);
    // Each instance posts to its own path; batches of five make them take turns.
    let instance = |path: &str| {
        let notify = notifying(&format!("{url}/{path}"), Duration::from_millis(50), 5);
        move |c: &mut ticket_server::Config| {
            notify(c);
            c.notification_batch_size = 5;
        }
    };
    let a = TestApp::spawn_with(instance("a")).await;
    let b = TestApp::spawn_on(&a.database_url, instance("b")).await;
    // Three tickets of sixty alerts, written through both instances while both deliver.
    let bursts = (0..3).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        alert_burst(app, alert(json!({"camera_id": 100 + i})), 60)
    });
    let tickets = join_all(bursts).await;
    wait_for(&log, |log| log.len() >= 180).await;
    // Anything sent twice would come in now.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 180, "each event once");
    for ticket in &tickets {
        assert_in_order_once(&of_ticket(&log, ticket), 60);
    }
    for path in ["/events/a", "/events/b"] {
        assert!(
            log.iter().any(|r| r.path == path),
            "no delivery from {path}: both instances were meant to take part"
        );
    }
}

#[actix_web::test]
async fn a_ticket_whose_deliveries_fail_does_not_delay_another_tickets_backlog() {
    // Every event of camera 666 fails.
    let (url, log) = receiver(|payload, _| {
        if payload["camera_id"] == 666 {
            503
        } else {
            204
        }
    });
    let app = TestApp::spawn_with(notifying(&url, Duration::from_millis(400), 10)).await;
    let (failing, healthy) = futures_util::future::join(
        alert_burst(&app, alert(json!({"camera_id": 666})), 30),
        alert_burst(&app, alert(json!({"camera_id": 7})), 100),
    )
    .await;
    let written = Instant::now();
    wait_for(&log, |log| of_ticket(log, &healthy).len() >= 100).await;
    let log = log.lock().unwrap().clone();
    let delivered = of_ticket(&log, &healthy);
    assert_in_order_once(&delivered, 100);
    let late = delivered[99].at.saturating_duration_since(written);
    assert!(
        late < Duration::from_secs(2),
        "the last one came {late:?} late"
    );

    // Of the failing ticket, only the oldest event was ever sent, once per back-off.
    let tried: Vec<i64> = delivery_ids(&of_ticket(&log, &failing));
    assert!(!tried.is_empty());
    assert!(tried.iter().all(|&id| id == tried[0]), "{tried:?}");
    // The others wait behind it, released after each failure: pending, never tried.
    let events = app.events_of(&failing).await;
    assert_eq!(events.len(), 30);
    let (oldest, behind) = events.split_last().unwrap();
    assert_eq!(oldest["id"], tried[0]);
    assert_eq!(oldest["status"], "pending");
    assert!(oldest["attempts"].as_i64().unwrap() >= 1, "{oldest}");
    assert!(
        oldest["last_error"].as_str().unwrap().contains("503"),
        "{oldest}"
    );
    for e in behind {
        assert_eq!(e["status"], "pending", "{e}");
        assert_eq!(e["attempts"], 0, "{e}");
        assert_eq!(e["last_error"], Value::Null, "{e}");
    }
    // The backlog gauge counts the failing ticket's events, leased or not.
    let started = Instant::now();
    while counter(&app, "notifications_pending").await != 30.0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "pending backlog"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}
