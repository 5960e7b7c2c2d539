//! Concurrent requests on one ticket or one dedup key: what clients see must be as if the
//! requests had come one after another. Requests run concurrently on the test's task
//! (awc futures are !Send) with `join_all`.

use std::collections::{BTreeMap, HashSet};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::harness::{Reply, TestApp, alert};
use ticket_server::Config;

/// How many replies had each status code.
fn status_counts(replies: &[Reply]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for r in replies {
        *counts.entry(r.status.as_u16()).or_default() += 1;
    }
    counts
}

/// Explains a failed count with every reply that was not expected.
fn unexpected(replies: &[Reply], expected: &[u16]) -> String {
    replies
        .iter()
        .filter(|r| !expected.contains(&r.status.as_u16()))
        .map(|r| format!("{} {}", r.status, r.body))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn all_tickets(app: &TestApp) -> Vec<Value> {
    let reply = app.get("/api/tickets?limit=500").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["items"].as_array().unwrap().clone()
}

/// Each history row starts where the previous one ended, and the last one ends at the
/// ticket's status.
#[track_caller]
fn assert_history_replays(details: &Value) {
    let history = details["history"].as_array().unwrap();
    assert!(!history.is_empty());
    assert_eq!(history[0]["from_status"], Value::Null, "{history:?}");
    for pair in history.windows(2) {
        assert_eq!(
            pair[1]["from_status"], pair[0]["to_status"],
            "history does not chain: {history:?}"
        );
    }
    assert_eq!(
        history.last().unwrap()["to_status"],
        details["status"],
        "history does not end at the status: {details}"
    );
}

#[actix_web::test]
async fn fifty_identical_alerts_at_once_make_one_ticket() {
    let app = TestApp::spawn().await;
    let body = alert(json!({"alert_type": "intrusion", "camera_id": 77}));
    let replies = join_all((0..50).map(|_| app.post("/api/tickets", None, &body))).await;

    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 49), (201, 1)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    let ids: HashSet<&str> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = *ids.iter().next().unwrap();
    let created = replies.iter().find(|r| r.status == 201).unwrap();
    assert_eq!(
        created.header("location").as_deref(),
        Some(format!("/api/tickets/{id}").as_str())
    );
    // Every merge saw a distinct count: the increments were serialised, none lost.
    let mut seen: Vec<i64> = replies
        .iter()
        .map(|r| r.body["alert_count"].as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());

    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["id"], id);
    assert_eq!(tickets[0]["alert_count"], 50);
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["alert_count"], 50);
    assert_eq!(details["history"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn fifty_replays_of_one_external_id_at_once_make_one_ticket_with_one_alert() {
    let app = TestApp::spawn().await;
    let body = alert(json!({"external_id": "burst-1"}));
    let replies = join_all((0..50).map(|_| app.post("/api/tickets", None, &body))).await;

    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 49), (201, 1)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    let ids: HashSet<&str> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    for r in &replies {
        assert_eq!(r.body["alert_count"], 1, "{}", r.body);
    }
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["alert_count"], 1);
    assert_eq!(tickets[0]["version"], 1);
}

#[actix_web::test]
async fn distinct_external_ids_with_one_key_at_once_all_count() {
    let app = TestApp::spawn().await;
    let title = "Burst of detections, camera 5";
    let bodies: Vec<Value> = (0..30)
        .map(|i| alert(json!({"title": title, "camera_id": 5, "external_id": format!("d-{i}")})))
        .collect();
    // Each sent twice, all at once: 30 alerts, 30 replays.
    let replies = join_all(
        bodies
            .iter()
            .chain(bodies.iter())
            .map(|b| app.post("/api/tickets", None, b)),
    )
    .await;
    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 59), (201, 1)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["alert_count"], 30);
}

#[actix_web::test]
async fn conflicting_transitions_at_once_one_wins_and_history_replays() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/status");
    let users: Vec<String> = (0..20).map(|i| format!("user-{i}")).collect();
    let bodies: Vec<Value> = (0..20)
        .map(|i| {
            let to = if i % 2 == 0 {
                "resolved"
            } else {
                "false_positive"
            };
            json!({"status": to, "reason": format!("by user-{i}")})
        })
        .collect();
    let replies = join_all(
        users
            .iter()
            .zip(&bodies)
            .map(|(user, body)| app.patch(&path, Some(user), body)),
    )
    .await;

    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 1), (409, 19)]),
        "{}",
        unexpected(&replies, &[200, 409])
    );
    // Each loser is refused as a forbidden transition from the winner's state (with the
    // allowed targets), not left with a "retry" for contention.
    for (r, body) in replies.iter().zip(&bodies).filter(|(r, _)| r.status == 409) {
        let problem = r.problem(409);
        let allowed = problem["allowed_transitions"]
            .as_array()
            .unwrap_or_else(|| panic!("no allowed_transitions: {problem}"));
        assert!(!allowed.contains(&body["status"]), "{problem}");
    }
    let (winner_index, winner) = replies
        .iter()
        .enumerate()
        .find(|(_, r)| r.status == 200)
        .unwrap();
    let final_status = bodies[winner_index]["status"].clone();
    assert_eq!(winner.body["status"], final_status);

    let details = app.get(&path.replace("/status", "")).await.body;
    assert_eq!(details["status"], final_status);
    assert_eq!(details["version"], 2);
    assert_history_replays(&details);
    let history = details["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["actor"], users[winner_index].as_str());
    assert_eq!(history[1]["reason"], bodies[winner_index]["reason"]);
}

#[actix_web::test]
async fn the_same_transition_at_once_is_accepted_once() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/status");
    let users: Vec<String> = (0..20).map(|i| format!("user-{i}")).collect();
    let body = json!({"status": "in_progress"});
    let replies = join_all(users.iter().map(|u| app.patch(&path, Some(u), &body))).await;
    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 1), (409, 19)]),
        "{}",
        unexpected(&replies, &[200, 409])
    );
    let winner = replies.iter().find(|r| r.status == 200).unwrap();
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["status"], "in_progress");
    // The one who started the work is the assignee, and the one in the history.
    assert_eq!(details["assignee_id"], winner.body["assignee_id"]);
    assert_history_replays(&details);
    let history = details["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["actor"], details["assignee_id"]);
}

#[actix_web::test]
async fn twenty_comments_at_once_are_all_kept() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}/comments");
    let bodies: Vec<Value> = (0..20)
        .map(|i| json!({"body": format!("note {i}")}))
        .collect();
    let replies = join_all(
        bodies
            .iter()
            .enumerate()
            .map(|(i, b)| app.post(&path, Some(if i % 2 == 0 { "alice" } else { "bob" }), b)),
    )
    .await;
    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(201, 20)]),
        "{}",
        unexpected(&replies, &[201])
    );

    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["version"], 1 + 20);
    let comments = details["comments"].as_array().unwrap();
    let mut got: Vec<&str> = comments
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want: Vec<String> = (0..20).map(|i| format!("note {i}")).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    // Oldest first.
    let times: Vec<&str> = comments
        .iter()
        .map(|c| c["created_at"].as_str().unwrap())
        .collect();
    let parsed: Vec<_> = times
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The first response is the earliest comment, set once.
    assert_eq!(details["first_responded_at"], comments[0]["created_at"]);
    assert_history_replays(&details);
}

#[actix_web::test]
async fn comments_and_a_transition_at_once_all_count() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap();
    let comments_path = format!("/api/tickets/{id}/comments");
    let status_path = format!("/api/tickets/{id}/status");
    let comment_bodies: Vec<Value> = (0..10).map(|i| json!({"body": format!("c{i}")})).collect();
    let start = json!({"status": "in_progress"});
    let mut requests: Vec<_> = comment_bodies
        .iter()
        .map(|b| {
            Box::pin(app.post(&comments_path, Some("alice"), b))
                as std::pin::Pin<Box<dyn std::future::Future<Output = Reply>>>
        })
        .collect();
    requests.insert(5, Box::pin(app.patch(&status_path, Some("bob"), &start)));
    let replies = join_all(requests).await;
    let counts = status_counts(&replies);
    assert_eq!(
        counts,
        BTreeMap::from([(200, 1), (201, 10)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    let details = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(details["version"], 1 + 10 + 1);
    assert_eq!(details["status"], "in_progress");
    assert_eq!(details["assignee_id"], "bob");
    assert_eq!(details["comments"].as_array().unwrap().len(), 10);
    assert_history_replays(&details);
}

/// Alerts racing a resolution: each alert lands on exactly one ticket (none lost, none
/// counted twice) and there is never more than one active ticket for the key.
#[actix_web::test]
async fn alerts_racing_a_resolution_are_each_counted_once() {
    let app = TestApp::spawn().await;
    let title = "Repeated motion, loading bay";
    let first = app.create(json!({"title": title})).await;
    let id = first["id"].as_str().unwrap();
    let status_path = format!("/api/tickets/{id}/status");
    let resolve = json!({"status": "resolved"});
    let bodies: Vec<Value> = (0..30).map(|_| alert(json!({"title": title}))).collect();
    let mut requests: Vec<_> = bodies
        .iter()
        .map(|b| {
            Box::pin(app.post("/api/tickets", None, b))
                as std::pin::Pin<Box<dyn std::future::Future<Output = Reply>>>
        })
        .collect();
    requests.insert(
        10,
        Box::pin(app.patch(&status_path, Some("alice"), &resolve)),
    );
    let replies = join_all(requests).await;
    let resolution = &replies[10];
    assert_eq!(resolution.status, 200, "{}", resolution.body);
    let alerts: Vec<&Reply> = replies
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 10)
        .map(|(_, r)| r)
        .collect();
    assert!(
        alerts.iter().all(|r| r.status == 200 || r.status == 201),
        "{:?}",
        alerts
            .iter()
            .filter(|r| r.status != 200 && r.status != 201)
            .map(|r| format!("{} {}", r.status, r.body))
            .collect::<Vec<_>>()
    );
    let created = alerts.iter().filter(|r| r.status == 201).count();
    assert!(created <= 1, "at most one new ticket after the resolution");

    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1 + created);
    let total: i64 = tickets
        .iter()
        .map(|t| t["alert_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 31, "every alert counted once");
    let active = tickets
        .iter()
        .filter(|t| ["open", "assigned", "in_progress"].contains(&t["status"].as_str().unwrap()))
        .count();
    assert!(active <= 1, "{tickets:?}");
    let old = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(old["status"], "resolved");
    assert_history_replays(&old);
}

/// Instances of the service on one database, as in production behind a balancer; the
/// first owns the database. Bursts of identical alerts serialise on one row lock, so on a
/// loaded test machine a request may wait for a connection longer than the default 2 s
/// before it would get a 503; these tests are about outcomes, not latency.
async fn cluster(instances: usize) -> Vec<TestApp> {
    let patient = |c: &mut Config| c.pool.wait_timeout = std::time::Duration::from_secs(30);
    let first = TestApp::spawn_with(patient).await;
    let mut apps = Vec::new();
    for _ in 1..instances {
        apps.push(TestApp::spawn_on(&first.database_url, patient).await);
    }
    apps.insert(0, first);
    apps
}

/// The burst of issue 3: three instances behind a balancer, one database.
#[actix_web::test]
async fn a_burst_across_three_instances_makes_one_ticket() {
    let cluster = cluster(3).await;
    let body = alert(json!({"alert_type": "intrusion", "camera_id": 3}));
    let replies =
        join_all((0..200).map(|i| cluster[i % 3].post("/api/tickets", None, &body))).await;
    assert_eq!(
        status_counts(&replies),
        BTreeMap::from([(200, 199), (201, 1)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    let replayed = alert(json!({"external_id": "x-1", "camera_id": 4}));
    let replies =
        join_all((0..200).map(|i| cluster[i % 3].post("/api/tickets", None, &replayed))).await;
    assert_eq!(
        status_counts(&replies),
        BTreeMap::from([(200, 199), (201, 1)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );

    for app in &cluster {
        let list = app.get("/api/tickets?limit=500").await;
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}", list.body);
        let mut counts: Vec<i64> = items
            .iter()
            .map(|t| t["alert_count"].as_i64().unwrap())
            .collect();
        counts.sort_unstable();
        assert_eq!(counts, vec![1, 200]);
    }

    // Conflicting transitions spread over the instances (neither target may follow the
    // other): one winner, a history that replays.
    let id = replies[0].body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/tickets/{id}/status");
    let targets = ["resolved", "false_positive"];
    let users: Vec<String> = (0..30).map(|i| format!("user-{i}")).collect();
    let bodies: Vec<_> = (0..30).map(|i| json!({"status": targets[i % 2]})).collect();
    let changes: Vec<u16> =
        join_all((0..30).map(|i| cluster[i % 3].patch(&path, Some(users[i].as_str()), &bodies[i])))
            .await
            .iter()
            .map(|r| r.status.as_u16())
            .collect();
    let winners = changes.iter().filter(|s| **s == 200).count();
    assert_eq!(winners, 1, "{changes:?}");
    assert!(
        changes.iter().all(|s| *s == 200 || *s == 409),
        "{changes:?}"
    );
    let details = cluster[1].get(&format!("/api/tickets/{id}")).await;
    assert_history_replays(&details.body);
}

/// The same burst in two organizations at once, over three instances: each organization
/// gets its own ticket (numbered 1 in each) counting exactly its own alerts.
#[actix_web::test]
async fn bursts_in_two_organizations_across_three_instances_stay_apart() {
    let cluster = cluster(3).await;
    let orgs = ["acme", "globex"];
    let body = alert(json!({"alert_type": "intrusion", "camera_id": 3}));
    let sends = (0..200).map(|i| {
        let org = [("X-Org-Id", orgs[i % 2])];
        let app = &cluster[i % 3];
        let bytes = body.to_string().into_bytes();
        async move {
            app.request("POST", "/api/tickets", None, &org, Some(bytes))
                .await
        }
    });
    let replies = join_all(sends).await;
    assert_eq!(
        status_counts(&replies),
        BTreeMap::from([(200, 198), (201, 2)]),
        "{}",
        unexpected(&replies, &[200, 201])
    );
    for org in orgs {
        let list = cluster[0]
            .request("GET", "/api/tickets", None, &[("X-Org-Id", org)], None)
            .await;
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{org}: {}", list.body);
        assert_eq!(items[0]["number"], "TCK-1", "{org}");
        assert_eq!(items[0]["alert_count"], 100, "{org}");
    }
    let acme = cluster[1]
        .request("GET", "/api/tickets", None, &[("X-Org-Id", "acme")], None)
        .await;
    let globex = cluster[2]
        .request("GET", "/api/tickets", None, &[("X-Org-Id", "globex")], None)
        .await;
    assert_ne!(acme.body["items"][0]["id"], globex.body["items"][0]["id"]);
}
