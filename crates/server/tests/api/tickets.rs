//! Creating, reading, listing and counting tickets.

use serde_json::{Value, json};

use crate::harness::{PROVIDER, TestApp, alert};

#[actix_web::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let reply = app.get("/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
}

#[actix_web::test]
async fn the_seed_example_creates_a_ticket_with_its_sla() {
    let app = TestApp::spawn().await;
    let body = json!({
        "title": "Person detected in restricted zone",
        "severity": "high",
        "camera_id": 1,
        "provider_id": PROVIDER,
        "alert_data": {"detections": []}
    });
    let reply = app.post("/api/tickets", None, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let t = &reply.body;
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("/api/tickets/{id}").as_str())
    );
    assert_eq!(t["status"], "open");
    assert_eq!(t["severity"], "high");
    assert_eq!(t["camera_id"], 1);
    assert_eq!(t["provider_id"], PROVIDER);
    assert_eq!(t["alert_data"], json!({"detections": []}));
    assert_eq!(t["alert_count"], 1);
    assert_eq!(t["version"], 1);
    assert!(t["number"].as_str().unwrap().starts_with("TCK-"));
    assert_eq!(t["assignee_id"], Value::Null);
    // High: first response in 15 minutes, resolution in 4 hours, from creation.
    let created = chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap()).unwrap();
    let due = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(t[field].as_str().unwrap()).unwrap() - created
    };
    assert_eq!(due("first_response_due_at").num_seconds(), 15 * 60);
    assert_eq!(due("resolution_due_at").num_seconds(), 4 * 3600);
    assert_eq!(t["first_response_breached"], false);
    assert_eq!(t["resolution_breached"], false);

    let details = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(details.status, 200);
    assert_eq!(details.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(details.body["comments"], json!([]));
    let history = details.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["from_status"], Value::Null);
    assert_eq!(history[0]["to_status"], "open");

    // The human number finds it too.
    let by_number = app
        .get(&format!("/api/tickets/{}", t["number"].as_str().unwrap()))
        .await;
    assert_eq!(by_number.body["id"], id);
}

#[actix_web::test]
async fn numbers_increase() {
    let app = TestApp::spawn().await;
    let n = |t: &Value| t["number"].as_str().unwrap()[4..].parse::<i64>().unwrap();
    let a = app.create(json!({})).await;
    let b = app.create(json!({})).await;
    assert!(n(&b) > n(&a));
}

#[actix_web::test]
async fn unknown_ticket_is_404_problem() {
    let app = TestApp::spawn().await;
    for path in [
        format!("/api/tickets/{}", uuid::Uuid::new_v4()),
        "/api/tickets/TCK-999999".to_owned(),
        "/api/tickets/not-a-ticket".to_owned(),
    ] {
        app.get(&path).await.problem(404);
    }
    let reply = app
        .patch(
            &format!("/api/tickets/{}/status", uuid::Uuid::new_v4()),
            Some("alice"),
            &json!({"status": "closed"}),
        )
        .await;
    reply.problem(404);
}

#[actix_web::test]
async fn invalid_alerts_name_every_field_at_fault() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"severity": "urgent"}), "severity"),
        (json!({"severity": 3}), "severity"),
        (json!({"camera_id": "one"}), "camera_id"),
        (json!({"camera_id": -1}), "camera_id"),
        (json!({"camera_id": 1.5}), "camera_id"),
        (json!({"provider_id": "provider-uuid"}), "provider_id"),
        (json!({"alert_data": [1, 2]}), "alert_data"),
        (json!({"description": "d".repeat(10_001)}), "description"),
        (json!({"occurred_at": "yesterday"}), "occurred_at"),
    ];
    for (overrides, field) in cases {
        let reply = app
            .post("/api/tickets", None, &alert(overrides.clone()))
            .await;
        let problem = reply.problem(422);
        assert!(
            reply.fields().contains(&field.to_owned()),
            "{overrides}: {problem}"
        );
    }
    // All at once.
    let reply = app
        .post(
            "/api/tickets",
            None,
            &alert(json!({"title": "", "severity": "nope", "provider_id": "x"})),
        )
        .await;
    reply.problem(422);
    let fields = reply.fields();
    for f in ["title", "severity", "provider_id"] {
        assert!(fields.contains(&f.to_owned()), "{fields:?}");
    }
    // A missing required field is named.
    let mut body = alert(json!({}));
    body.as_object_mut().unwrap().remove("camera_id");
    let reply = app.post("/api/tickets", None, &body).await;
    reply.problem(422);
    assert_eq!(reply.fields(), vec!["camera_id".to_owned()]);
}

#[actix_web::test]
async fn malformed_and_oversized_bodies_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let reply = app
        .request(
            "POST",
            "/api/tickets",
            None,
            &[],
            Some(b"{\"title\": ".to_vec()),
        )
        .await;
    reply.problem(400);
    let reply = app
        .request("POST", "/api/tickets", None, &[], Some(Vec::new()))
        .await;
    reply.problem(400);
    let huge = vec![b' '; 2 * 1024 * 1024];
    let reply = app
        .request("POST", "/api/tickets", None, &[], Some(huge))
        .await;
    reply.problem(413);
    // alert_data just over 256 KiB, in a body under the limit.
    let big = json!({"blob": "x".repeat(256 * 1024)});
    let reply = app
        .post("/api/tickets", None, &alert(json!({ "alert_data": big })))
        .await;
    reply.problem(422);
    assert_eq!(reply.fields(), vec!["alert_data".to_owned()]);
    // The service keeps serving.
    assert_eq!(app.get("/health").await.status, 200);
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    app.get("/api/nothing-here").await.problem(404);
    let reply = app.request("DELETE", "/api/tickets", None, &[], None).await;
    reply.problem(405);
    assert!(reply.header("allow").is_some());
}

#[actix_web::test]
async fn list_filters_and_pages_newest_first() {
    let app = TestApp::spawn().await;
    let other = uuid::Uuid::new_v4().to_string();
    let mut ids = Vec::new();
    for i in 0..7 {
        let severity = if i % 2 == 0 { "critical" } else { "low" };
        let t = app
            .create(json!({"severity": severity, "camera_id": 10 + (i % 3)}))
            .await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    app.create(json!({"provider_id": other})).await;

    // Paging: newest first, three at a time, no overlap, no gap.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/tickets?provider_id={PROVIDER}&limit=3&cursor={c}"),
            None => format!("/api/tickets?provider_id={PROVIDER}&limit=3"),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let count = |body: &Value| body["items"].as_array().unwrap().len();
    let crit = app.get("/api/tickets?severity=critical").await;
    assert_eq!(count(&crit.body), 4);
    let both = app.get("/api/tickets?severity=critical,low").await;
    assert_eq!(count(&both.body), 7);
    let both = app.get("/api/tickets?severity=critical&severity=low").await;
    assert_eq!(count(&both.body), 7);
    let cam = app.get("/api/tickets?camera_id=10").await;
    assert_eq!(count(&cam.body), 3);
    let open = app.get("/api/tickets?status=open&status=closed").await;
    assert_eq!(count(&open.body), 8);
    let none = app.get("/api/tickets?status=closed").await;
    assert_eq!(count(&none.body), 0);
    assert_eq!(none.body["next_cursor"], Value::Null);

    for bad in [
        "status=bogus",
        "severity=urgent",
        "limit=0",
        "limit=501",
        "camera_id=abc",
        "cursor=garbage",
        "sla_breached=perhaps",
        "created_from=not-a-date",
    ] {
        let reply = app.get(&format!("/api/tickets?{bad}")).await;
        reply.problem(422);
        let field = bad.split('=').next().unwrap();
        assert!(reply.fields().contains(&field.to_owned()), "{bad}");
    }
}

#[actix_web::test]
async fn stats_agree_with_the_list() {
    let app = TestApp::spawn().await;
    let first = app
        .create(json!({"severity": "critical", "camera_id": 5}))
        .await;
    app.create(json!({"severity": "critical", "camera_id": 6}))
        .await;
    app.create(json!({"severity": "low", "camera_id": 5})).await;
    let id = first["id"].as_str().unwrap();
    app.transition(id, "alice", json!({"status": "in_progress"}))
        .await;
    app.transition(id, "alice", json!({"status": "resolved"}))
        .await;

    for filter in [
        String::new(),
        "severity=critical".to_owned(),
        "camera_id=5".to_owned(),
        format!("provider_id={PROVIDER}"),
    ] {
        let stats = app.get(&format!("/api/tickets/stats?{filter}")).await;
        assert_eq!(stats.status, 200, "{}", stats.body);
        let list = app.get(&format!("/api/tickets?{filter}&limit=500")).await;
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(stats.body["total"], items.len(), "{filter}");
        let by_status = &stats.body["by_status"];
        for status in ["open", "in_progress", "resolved"] {
            let n = items.iter().filter(|t| t["status"] == status).count();
            assert_eq!(by_status[status], n, "{filter} {status}");
        }
        let by_camera = &stats.body["by_camera"];
        let fives = items.iter().filter(|t| t["camera_id"] == 5).count();
        if fives > 0 {
            assert_eq!(by_camera["5"], fives, "{filter}");
        }
    }

    let all = app.get("/api/tickets/stats").await.body;
    assert_eq!(all["total"], 3);
    assert_eq!(all["by_severity"]["critical"], 2);
    assert_eq!(all["by_severity"]["low"], 1);
    assert_eq!(all["by_provider"][PROVIDER], 3);
    let fr = &all["sla"]["first_response"];
    assert_eq!(fr["met"], 1);
    assert_eq!(fr["pending"], 2);
    assert_eq!(fr["breached"], 0);
    assert_eq!(fr["compliance_pct"], 100.0);
    assert!(fr["mean_seconds"].as_f64().unwrap() >= 0.0);
    let res = &all["sla"]["resolution"];
    assert_eq!(res["met"], 1);
    assert_eq!(res["pending"], 2);
    assert!(res["p50_seconds"].as_f64().is_some());
    assert!(res["p90_seconds"].as_f64().is_some());

    let none = app
        .get("/api/tickets/stats?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")
        .await
        .body;
    assert_eq!(none["total"], 0);
    assert_eq!(none["sla"]["first_response"]["compliance_pct"], Value::Null);
}

#[actix_web::test]
async fn pages_over_several_statuses_and_severities_merge_in_order() {
    let app = TestApp::spawn().await;
    let (mut all, mut high_or_low) = (Vec::new(), Vec::new());
    for i in 0..9 {
        let severity = ["high", "low", "info"][i % 3];
        let t = app.create(json!({"severity": severity})).await;
        let id = t["id"].as_str().unwrap().to_owned();
        if i % 3 == 1 {
            app.transition(&id, "alice", json!({"status": "resolved"}))
                .await;
        }
        if i % 3 != 2 {
            high_or_low.push(id.clone());
        }
        all.push(id);
    }
    all.reverse();
    high_or_low.reverse();
    for (query, expected) in [
        ("status=open,resolved", &all),
        ("severity=high,low", &high_or_low),
    ] {
        let mut seen = Vec::new();
        let mut path = format!("/api/tickets?{query}&limit=2");
        loop {
            let page = app.get(&path).await;
            assert_eq!(page.status, 200, "{}", page.body);
            let items = page.body["items"].as_array().unwrap();
            seen.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
            match page.body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/tickets?{query}&limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(&seen, expected, "{query}");
    }
}
