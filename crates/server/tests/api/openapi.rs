//! The OpenAPI document and Swagger UI as the application serves them, and regressions for
//! what `scripts/schemathesis.sh` found.

use serde_json::{Value, json};

use crate::harness::{TestApp, alert};

#[actix_web::test]
async fn the_application_serves_its_openapi_document_and_swagger_ui() {
    let app = TestApp::spawn().await;
    let reply = app.get("/api/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    let expected: Value =
        serde_json::from_str(ticket_http::inbound::openapi::document_json()).unwrap();
    assert_eq!(reply.body, expected);
    // docs/openapi.json is compared with it by ticket-http's `openapi` test.

    // `/docs/` is normalised to `/docs`, which sends the browser to the UI's page.
    for path in ["/docs", "/docs/"] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        let page = reply.body.as_str().unwrap_or_default();
        assert!(page.contains("swagger-initializer.js"), "{path}: {page}");
    }
    let reply = app.get("/docs/swagger-initializer.js").await;
    assert!(reply.body.as_str().unwrap().contains("/api/openapi.json"));

    let reply = app
        .request("POST", "/api/openapi.json", None, &[], None)
        .await;
    reply.problem(405);
    assert_eq!(reply.header("allow").as_deref(), Some("GET"));
}

#[actix_web::test]
async fn alert_data_numbers_at_the_ends_of_f64_are_stored_and_read_back() {
    let app = TestApp::spawn().await;
    let data = json!({"max": f64::MAX, "min": f64::MIN, "tiny": 5e-324, "big": 1e300});
    let t = app.create(json!({ "alert_data": data })).await;
    assert_eq!(t["alert_data"], data);
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/tickets/{id}")).await.body["alert_data"],
        data
    );
    assert_eq!(app.get("/api/tickets").await.status, 200);
}

#[actix_web::test]
async fn nul_in_alert_data_is_a_422_not_a_500() {
    let app = TestApp::spawn().await;
    for data in [json!({"a": "x\u{0}"}), json!({"k\u{0}": [1]})] {
        let reply = app
            .post("/api/tickets", None, &alert(json!({ "alert_data": data })))
            .await;
        reply.problem(422);
        assert_eq!(reply.fields(), ["alert_data"]);
    }
}

#[actix_web::test]
async fn an_integral_number_is_an_integer() {
    let app = TestApp::spawn().await;
    let t = app.create(json!({"camera_id": 7.0})).await;
    assert_eq!(t["camera_id"], 7);
}

#[actix_web::test]
async fn an_empty_status_or_severity_is_refused() {
    let app = TestApp::spawn().await;
    for query in ["severity=", "status=open,", "severity=high&severity="] {
        let reply = app.get(&format!("/api/tickets/stats?{query}")).await;
        reply.problem(422);
    }
}
