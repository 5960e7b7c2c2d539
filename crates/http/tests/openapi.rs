//! The committed `docs/openapi.json` is the document the service serves. When this fails
//! after an API change, regenerate the file with
//! `UPDATE_OPENAPI=1 cargo nextest run -p ticket-http --test openapi` and commit it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use actix_web::http::{StatusCode, header};
use actix_web::{App, test};
use ticket_http::inbound::openapi;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

async fn get(uri: &str) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let app = test::init_service(App::new().configure(openapi::configure)).await;
    let res = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, test::read_body(res).await.to_vec())
}

#[actix_web::test]
async fn committed_document_is_the_served_one() {
    let (status, headers, body) = get(openapi::OPENAPI_PATH).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let served = String::from_utf8(body).unwrap();
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != served {
        let line = committed
            .lines()
            .zip(served.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(served.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "docs/openapi.json is stale (first difference at line {line}): the API changed. \
             Regenerate it with `UPDATE_OPENAPI=1 cargo nextest run -p ticket-http --test \
             openapi` and commit the result."
        );
    }
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_docs_path() {
    let (status, headers, _) = get("/docs").await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/docs/index.html");

    let (status, headers, body) = get("/docs/index.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(String::from_utf8_lossy(&body).contains("swagger-initializer.js"));

    let (status, _, body) = get("/docs/swagger-initializer.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains(openapi::OPENAPI_PATH));
}
