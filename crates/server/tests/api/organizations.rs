//! Organizations: each sees only its own data, through every endpoint; roles (header mode).

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{PROVIDER, TestApp, alert};

const ACME: &[(&str, &str)] = &[("X-Org-Id", "acme")];
const GLOBEX: &[(&str, &str)] = &[("X-Org-Id", "globex")];

impl TestApp {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> crate::harness::Reply {
        self.request(
            method,
            path,
            Some("alice"),
            headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }
}

/// One incident as a provider sends it: the same external id and dedup key every time.
fn incident() -> Value {
    alert(json!({"external_id": "ext-42", "dedup_key": "gate-7", "title": "Gate 7 intrusion"}))
}

#[actix_web::test]
async fn another_organizations_ticket_does_not_exist_for_the_caller() {
    let app = TestApp::spawn().await;
    let a = app
        .send("POST", "/api/tickets", ACME, Some(&incident()))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let b = app
        .send("POST", "/api/tickets", GLOBEX, Some(&incident()))
        .await;
    assert_eq!(
        b.status,
        StatusCode::CREATED,
        "same ids elsewhere: {}",
        b.body
    );
    // Each organization counts its own numbers from 1.
    assert_eq!(a.body["number"], "TCK-1");
    assert_eq!(b.body["number"], "TCK-1");
    let a_id = a.body["id"].as_str().unwrap().to_owned();
    assert_ne!(a.body["id"], b.body["id"]);

    // The same alert again merges (or replays) within its own organization only.
    let again = app
        .send("POST", "/api/tickets", ACME, Some(&incident()))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], a.body["id"]);

    // For globex, acme's ticket does not exist: by id and by number it is globex's own.
    for path in [
        format!("/api/tickets/{a_id}"),
        format!("/api/tickets/{a_id}/alerts"),
    ] {
        let r = app.send("GET", &path, GLOBEX, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
        assert_eq!(
            app.send("GET", &path, ACME, None).await.status,
            StatusCode::OK
        );
    }
    let by_number = app.send("GET", "/api/tickets/TCK-1", GLOBEX, None).await;
    assert_eq!(by_number.body["id"], b.body["id"]);
    let moved = app
        .send(
            "PATCH",
            &format!("/api/tickets/{a_id}/status"),
            GLOBEX,
            Some(&json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::NOT_FOUND, "{}", moved.body);
    let commented = app
        .send(
            "POST",
            &format!("/api/tickets/{a_id}/comments"),
            GLOBEX,
            Some(&json!({"body": "not mine"})),
        )
        .await;
    assert_eq!(
        commented.status,
        StatusCode::NOT_FOUND,
        "{}",
        commented.body
    );
    let acme_ticket = app
        .send("GET", &format!("/api/tickets/{a_id}"), ACME, None)
        .await;
    assert_eq!(acme_ticket.body["status"], "open", "untouched by globex");
    assert_eq!(acme_ticket.body["comments"], json!([]));

    // Lists, statistics and notifications count only the caller's organization.
    let list = app.send("GET", "/api/tickets", GLOBEX, None).await;
    let ids: Vec<&Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, vec![&b.body["id"]]);
    let stats = app.send("GET", "/api/tickets/stats", GLOBEX, None).await;
    assert_eq!(stats.body["total"], 1);
    let acme_stats = app.send("GET", "/api/tickets/stats", ACME, None).await;
    assert_eq!(acme_stats.body["total"], 1);
    let events = app.send("GET", "/api/notifications", GLOBEX, None).await;
    let tickets: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["ticket_id"])
        .collect();
    assert!(!tickets.is_empty());
    assert!(tickets.iter().all(|t| **t == b.body["id"]), "{tickets:?}");
    let filtered = app
        .send(
            "GET",
            &format!("/api/notifications?ticket_id={a_id}"),
            GLOBEX,
            None,
        )
        .await;
    assert_eq!(filtered.body["items"], json!([]));

    // The default organization (no header) sees neither.
    let default = app.get("/api/tickets").await;
    assert_eq!(default.body["items"], json!([]));
}

#[actix_web::test]
async fn the_caller_reads_its_organization_and_only_an_admin_changes_it() {
    let app = TestApp::spawn().await;
    let org = app.send("GET", "/api/organization", ACME, None).await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.body);
    assert_eq!(org.body["slug"], "acme");
    let default = app.get("/api/organization").await;
    assert_eq!(default.body["slug"], "default");
    assert_eq!(default.body["id"], "00000000-0000-0000-0000-000000000001");

    let patch = json!({"name": "Acme Corp", "settings": {"timezone": "Europe/Berlin"}});
    let operator = [("X-Org-Id", "acme"), ("X-Roles", "operator")];
    let refused = app
        .send("PATCH", "/api/organization", &operator, Some(&patch))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    refused.problem(403);
    let admin = [("X-Org-Id", "acme"), ("X-Roles", "admin")];
    let changed = app
        .send("PATCH", "/api/organization", &admin, Some(&patch))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["name"], "Acme Corp");
    assert_eq!(changed.body["settings"]["timezone"], "Europe/Berlin");
    let bad = app
        .send(
            "PATCH",
            "/api/organization",
            &admin,
            Some(&json!({"settings": [1]})),
        )
        .await;
    assert_eq!(bad.fields(), vec!["settings".to_owned()]);
    // Globex is untouched.
    let globex = app.send("GET", "/api/organization", GLOBEX, None).await;
    assert_eq!(globex.body["name"], "globex");
}

#[actix_web::test]
async fn roles_limit_what_a_caller_may_do() {
    let app = TestApp::spawn().await;
    let ticket = app.create(json!({})).await;
    let id = ticket["id"].as_str().unwrap();
    let status = format!("/api/tickets/{id}/status");

    let viewer = [("X-Roles", "viewer")];
    assert_eq!(
        app.send("GET", &format!("/api/tickets/{id}"), &viewer, None)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .send(
            "PATCH",
            &status,
            &viewer,
            Some(&json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .send("POST", "/api/tickets", &viewer, Some(&alert(json!({}))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // An operator works its own tickets but neither assigns others nor reopens.
    let operator = [("X-Roles", "operator")];
    let r = app
        .send(
            "PATCH",
            &status,
            &operator,
            Some(&json!({"status": "assigned", "assignee_id": "bob"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .send(
            "PATCH",
            &status,
            &operator,
            Some(&json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .send(
            "PATCH",
            &status,
            &operator,
            Some(&json!({"status": "open"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "reopen: {}", r.body);
    let supervisor = [("X-Roles", "supervisor")];
    let r = app
        .send(
            "PATCH",
            &status,
            &supervisor,
            Some(&json!({"status": "open"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A provider posts only under its own provider id, and reads nothing.
    let own = [("X-Roles", "provider"), ("X-Provider-Id", PROVIDER)];
    let r = app
        .send("POST", "/api/tickets", &own, Some(&alert(json!({}))))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let other = alert(json!({"provider_id": "11111111-2222-3333-4444-555555555555"}));
    let r = app.send("POST", "/api/tickets", &own, Some(&other)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        app.send("GET", "/api/tickets", &own, None).await.status,
        StatusCode::FORBIDDEN
    );

    // Bad identity headers are named.
    let r = app
        .send("GET", "/api/tickets", &[("X-Roles", "root")], None)
        .await;
    assert_eq!(r.fields(), vec!["X-Roles".to_owned()]);
    let r = app
        .send("GET", "/api/tickets", &[("X-Org-Id", "no such org!")], None)
        .await;
    assert_eq!(r.fields(), vec!["X-Org-Id".to_owned()]);
}
