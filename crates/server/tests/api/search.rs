//! `POST /api/tickets/search`: the filter language over HTTP.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, alert};

async fn search(app: &TestApp, headers: &[(&str, &str)], body: Value) -> crate::harness::Reply {
    app.request(
        "POST",
        "/api/tickets/search",
        Some("alice"),
        headers,
        Some(body.to_string().into_bytes()),
    )
    .await
}

fn titles(reply: &crate::harness::Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_filter_tree_selects_and_pages_like_the_list() {
    let app = TestApp::spawn().await;
    for (title, severity, camera, zone) in [
        ("dock critical", "critical", 7, json!("dock")),
        ("dock low", "low", 7, json!("dock")),
        ("gate high", "high", 9, json!("gate")),
        ("no zone high", "high", 9, Value::Null),
        ("dock high cam 3", "high", 3, json!("dock")),
    ] {
        let data = if zone.is_null() {
            json!({})
        } else {
            json!({"zone": zone, "score": 0.8})
        };
        app.create(
            json!({"title": title, "severity": severity, "camera_id": camera, "alert_data": data}),
        )
        .await;
    }
    let filter = json!({"all": [
        {"field": "severity", "op": "gte", "value": "high"},
        {"any": [
            {"field": "alert_data.zone", "op": "eq", "value": "dock"},
            {"field": "camera_id", "op": "eq", "value": 9}
        ]},
        {"not": {"field": "camera_id", "op": "eq", "value": 3}}
    ]});
    let reply = search(&app, &[], json!({"filter": filter})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        titles(&reply),
        ["no zone high", "gate high", "dock critical"],
        "newest first"
    );

    // Pages of two, following the cursor with the same filter.
    let first = search(&app, &[], json!({"filter": filter, "limit": 2})).await;
    assert_eq!(titles(&first), ["no zone high", "gate high"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = search(
        &app,
        &[],
        json!({"filter": filter, "limit": 2, "cursor": cursor}),
    )
    .await;
    assert_eq!(titles(&second), ["dock critical"]);
    assert_eq!(second.body["next_cursor"], Value::Null);

    // Absence: no zone at all.
    let reply = search(
        &app,
        &[],
        json!({"filter": {"field": "alert_data.zone", "op": "eq", "value": null}}),
    )
    .await;
    assert_eq!(titles(&reply), ["no zone high"]);
    // No filter: everything.
    let reply = search(&app, &[], json!({})).await;
    assert_eq!(titles(&reply).len(), 5);
}

#[actix_web::test]
async fn a_bad_filter_is_a_422_naming_the_place() {
    let app = TestApp::spawn().await;
    let reply = search(
        &app,
        &[],
        json!({"filter": {"all": [
            {"field": "severity", "op": "eq", "value": "high"},
            {"any": [{"field": "camera_id", "op": "like", "value": 1}]},
            {"field": "colour", "op": "eq", "value": "red"}
        ]}, "limit": 0}),
    )
    .await;
    let problem = reply.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["filter.all[1].any[0].op", "filter.all[2].field", "limit"]
    );
    let deep = (0..40).fold(
        json!({"field": "camera_id", "op": "eq", "value": 1}),
        |f, _| json!({"not": f}),
    );
    let reply = search(&app, &[], json!({"filter": deep})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), [format!("filter{}", ".not".repeat(32))]);
    // A misspelt member does not quietly select every ticket.
    let reply = search(
        &app,
        &[],
        json!({"filters": {"field": "camera_id", "op": "eq", "value": 1}}),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.fields(), ["filters"]);
    // A cursor the service did not issue, one PostgreSQL could not hold included.
    for cursor in [
        "-1000000000000000.0190a1b2c3d47000800000000000000a",
        "10.0190a1b2-c3d4-7000-8000-00000000000a",
    ] {
        let reply = search(&app, &[], json!({"cursor": cursor})).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{cursor}: {}",
            reply.body
        );
        assert_eq!(reply.fields(), ["cursor"]);
    }
    let reply = app
        .request(
            "POST",
            "/api/tickets/search",
            Some("alice"),
            &[],
            Some(b"{not json".to_vec()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_search_sees_only_the_callers_organization_and_needs_a_reader() {
    let app = TestApp::spawn().await;
    let acme = [("X-Org-Id", "acme")];
    let globex = [("X-Org-Id", "globex")];
    let reply = app
        .request(
            "POST",
            "/api/tickets",
            None,
            &acme,
            Some(alert(json!({"title": "acme's"})).to_string().into_bytes()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let everything = json!({"filter": {"all": []}});
    assert_eq!(
        titles(&search(&app, &acme, everything.clone()).await),
        ["acme's"]
    );
    assert!(titles(&search(&app, &globex, everything.clone()).await).is_empty());

    let viewer = [("X-Org-Id", "acme"), ("X-Roles", "viewer")];
    assert_eq!(
        search(&app, &viewer, everything.clone()).await.status,
        StatusCode::OK
    );
    let provider = [("X-Org-Id", "acme"), ("X-Roles", "provider")];
    assert_eq!(
        search(&app, &provider, everything).await.status,
        StatusCode::FORBIDDEN
    );
}
