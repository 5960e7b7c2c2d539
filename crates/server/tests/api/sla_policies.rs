//! SLA policies and business calendars over HTTP: CRUD with versions, archive instead of
//! delete, roles, organizations, the calendar preview, and new tickets taking a policy.

use awc::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::harness::{TestApp, alert};

fn office(name: &str) -> Value {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    json!({
        "name": name,
        "time_zone": "Europe/Berlin",
        "weekly_hours": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day},
        "holidays": ["2026-12-25"],
    })
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn time_of(v: &Value) -> DateTime<Utc> {
    at(v.as_str().unwrap())
}

#[actix_web::test]
async fn a_calendar_previews_due_times_across_weekends_dst_and_holidays() {
    let app = TestApp::spawn().await;
    let created = app
        .as_admin("POST", "/api/calendars", Some(&office("Office")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(
        created.header("location"),
        Some(format!("/api/calendars/{id}"))
    );
    assert_eq!(created.body["time_zone"], "Europe/Berlin");
    assert_eq!(
        created.body["weekly_hours"]["friday"],
        json!([{"start": "09:00", "end": "17:00"}])
    );

    let preview = |start: &'static str, seconds: i64| {
        let app = &app;
        let id = id.clone();
        async move {
            let reply = app
                .with_headers(
                    "POST",
                    &format!("/api/calendars/{id}/preview"),
                    &[("X-Roles", "supervisor")],
                    Some(&json!({"start": start, "seconds": seconds})),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            time_of(&reply.body["due_at"])
        }
    };
    // Friday 16:30 + 1 h of office time: Monday 09:30.
    assert_eq!(
        preview("2026-11-27T16:30:00+01:00", 3600).await,
        at("2026-11-30T09:30:00+01:00")
    );
    // Across the spring DST change: Friday 16:00 CET + 2 h is Monday 10:00 CEST.
    assert_eq!(
        preview("2026-03-27T16:00:00+01:00", 7200).await,
        at("2026-03-30T10:00:00+02:00")
    );
    // Christmas Day is skipped.
    assert_eq!(
        preview("2026-12-24T16:00:00+01:00", 7200).await,
        at("2026-12-28T10:00:00+01:00")
    );

    let bad = app
        .as_admin(
            "POST",
            &format!("/api/calendars/{id}/preview"),
            Some(&json!({"start": "friday", "seconds": -1})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["start", "seconds"]);
}

#[actix_web::test]
async fn a_calendar_is_validated_versioned_and_removed() {
    let app = TestApp::spawn().await;
    let mut bad = office("Office");
    bad["time_zone"] = json!("Mars/Olympus");
    bad["weekly_hours"]["monday"][0]["end"] = json!("08:00");
    bad["colour"] = json!("red");
    let reply = app.as_admin("POST", "/api/calendars", Some(&bad)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    // Every fault at once, the unknown member included.
    assert_eq!(
        reply.fields(),
        ["colour", "time_zone", "weekly_hours.monday[0].end"]
    );

    let created = app
        .as_admin("POST", "/api/calendars", Some(&office("Office")))
        .await;
    let path = format!("/api/calendars/{}", created.body["id"].as_str().unwrap());
    let mut changed = office("Office (winter)");
    changed["holidays"] = json!(["2026-12-24", "2026-12-25"]);
    let stale = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"7\"")],
            Some(&changed),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.problem(409)["current_version"], 1);
    let replaced = app
        .with_headers(
            "PUT",
            &path,
            &[("X-Roles", "admin"), ("If-Match", "\"1\"")],
            Some(&changed),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);
    assert_eq!(
        replaced.body["holidays"],
        json!(["2026-12-24", "2026-12-25"])
    );
    assert_eq!(
        app.as_admin("GET", &path, None).await.body["name"],
        "Office (winter)"
    );

    // Unused: deleted outright.
    let removed = app.as_admin("DELETE", &path, None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    assert_eq!(
        app.as_admin("GET", &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.as_admin("GET", "/api/calendars/not-a-uuid", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn operators_cannot_read_configuration_and_only_admins_write_it() {
    let app = TestApp::spawn().await;
    for roles in ["viewer", "operator"] {
        let reply = app
            .with_headers("GET", "/api/sla-policies", &[("X-Roles", roles)], None)
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{roles}");
    }
    let supervisor = [("X-Roles", "supervisor")];
    assert_eq!(
        app.with_headers("GET", "/api/calendars", &supervisor, None)
            .await
            .status,
        StatusCode::OK
    );
    let write = app
        .with_headers(
            "POST",
            "/api/calendars",
            &supervisor,
            Some(&office("Office")),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn another_organizations_configuration_does_not_exist_for_the_caller() {
    let app = TestApp::spawn().await;
    let acme = [("X-Roles", "admin"), ("X-Org-Id", "acme")];
    let globex = [("X-Roles", "admin"), ("X-Org-Id", "globex")];
    let calendar = app
        .with_headers("POST", "/api/calendars", &acme, Some(&office("Office")))
        .await;
    let calendar_id = calendar.body["id"].as_str().unwrap().to_owned();
    let policy = app
        .with_headers(
            "POST",
            "/api/sla-policies",
            &acme,
            Some(&json!({"name": "All", "targets": {"high": {"first_response": "1h", "resolution": "8h"}},
                         "calendar_id": calendar_id})),
        )
        .await;
    assert_eq!(policy.status, StatusCode::CREATED, "{}", policy.body);
    let policy_id = policy.body["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/api/calendars/{calendar_id}"),
        format!("/api/sla-policies/{policy_id}"),
    ] {
        for method in ["GET", "DELETE"] {
            let reply = app.with_headers(method, &path, &globex, None).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
    let preview = app
        .with_headers(
            "POST",
            &format!("/api/calendars/{calendar_id}/preview"),
            &globex,
            Some(&json!({"start": "2026-11-27T16:30:00Z", "seconds": 60})),
        )
        .await;
    assert_eq!(preview.status, StatusCode::NOT_FOUND);
    for path in ["/api/calendars", "/api/sla-policies"] {
        let list = app.with_headers("GET", path, &globex, None).await;
        assert_eq!(list.body["items"], json!([]), "{path}");
    }
    // Nor can a policy count on it.
    let borrowed = app
        .with_headers(
            "POST",
            "/api/sla-policies",
            &globex,
            Some(&json!({"name": "Borrowed", "targets": {"high": {"first_response": 60, "resolution": 120}},
                         "calendar_id": calendar_id})),
        )
        .await;
    assert_eq!(
        borrowed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        borrowed.body
    );
    assert_eq!(borrowed.fields(), ["calendar_id"]);
    // And globex's tickets do not take acme's policy.
    let ticket = app
        .with_headers("POST", "/api/tickets", &globex, Some(&alert(json!({}))))
        .await;
    assert_eq!(ticket.body["sla"]["policy_id"], Value::Null);
}

#[actix_web::test]
async fn new_tickets_take_the_first_matching_policy_and_keep_it() {
    let app = TestApp::spawn().await;
    let first = app
        .as_admin(
            "POST",
            "/api/sla-policies",
            Some(&json!({
                "name": "Camera 7",
                "filter": {"field": "camera_id", "op": "eq", "value": 7},
                "targets": {"high": {"first_response": "90s", "resolution": "2h"}},
                "warn_percent": 50,
            })),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["position"], 1);
    assert_eq!(
        first.body["targets"],
        json!({"high": {"first_response": 90, "resolution": 7200}})
    );
    let catch_all = app
        .as_admin(
            "POST",
            "/api/sla-policies",
            Some(&json!({"name": "Everything else", "targets": {"high": {"first_response": 600, "resolution": 3600}}})),
        )
        .await;
    assert_eq!(catch_all.body["position"], 2);
    let list = app.as_admin("GET", "/api/sla-policies", None).await;
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Camera 7", "Everything else"]);

    let on_7 = app.create(json!({"camera_id": 7})).await;
    assert_eq!(on_7["sla"]["policy_id"], first.body["id"]);
    let created = time_of(&on_7["created_at"]);
    assert_eq!(
        time_of(&on_7["first_response_due_at"]) - created,
        chrono::TimeDelta::seconds(90)
    );
    assert_eq!(
        time_of(&on_7["resolution_due_at"]) - created,
        chrono::TimeDelta::hours(2)
    );
    let elsewhere = app.create(json!({"camera_id": 8})).await;
    assert_eq!(elsewhere["sla"]["policy_id"], catch_all.body["id"]);
    // No policy has targets for critical: the service's default (5 min / 1 h).
    let critical = app
        .create(json!({"camera_id": 7, "severity": "critical"}))
        .await;
    assert_eq!(critical["sla"]["policy_id"], Value::Null);
    assert_eq!(
        time_of(&critical["first_response_due_at"]) - time_of(&critical["created_at"]),
        chrono::TimeDelta::minutes(5)
    );

    // An edit applies to new tickets only.
    let path = format!("/api/sla-policies/{}", first.body["id"].as_str().unwrap());
    let edited = app
        .as_admin(
            "PUT",
            &path,
            Some(&json!({"name": "Camera 7", "filter": {"field": "camera_id", "op": "eq", "value": 7},
                         "targets": {"high": {"first_response": "1m", "resolution": "1h"}}})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.body["position"], 1, "kept its place");
    let again = app
        .get(&format!("/api/tickets/{}", on_7["id"].as_str().unwrap()))
        .await;
    assert_eq!(again.body["resolution_due_at"], on_7["resolution_due_at"]);
    let newer = app.create(json!({"camera_id": 7})).await;
    assert_eq!(
        time_of(&newer["resolution_due_at"]) - time_of(&newer["created_at"]),
        chrono::TimeDelta::hours(1)
    );

    // Tickets were made under it: removing archives it, and it applies no more.
    let removed = app.as_admin("DELETE", &path, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body["archived_at"].is_string());
    let later = app.create(json!({"camera_id": 7})).await;
    assert_eq!(later["sla"]["policy_id"], catch_all.body["id"]);
    assert_eq!(
        app.as_admin("GET", "/api/sla-policies", None).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let all = app
        .as_admin("GET", "/api/sla-policies?include_archived=true", None)
        .await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let changed = app
        .as_admin(
            "PUT",
            &path,
            Some(&json!({"name": "x", "targets": {"low": {"first_response": 1, "resolution": 2}}})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn a_calendar_in_use_is_kept_and_a_policy_on_it_counts_office_time() {
    let app = TestApp::spawn().await;
    let calendar = app
        .as_admin("POST", "/api/calendars", Some(&office("Office")))
        .await;
    let calendar_id = calendar.body["id"].as_str().unwrap().to_owned();
    let policy = app
        .as_admin(
            "POST",
            "/api/sla-policies",
            Some(&json!({"name": "Office", "calendar_id": calendar_id,
                         "targets": {"high": {"first_response": "30m", "resolution": "16h"}}})),
        )
        .await;
    assert_eq!(policy.status, StatusCode::CREATED, "{}", policy.body);
    let ticket = app.create(json!({})).await;
    // Whatever the time now, 16 h of office time (8 h a day) ends on a second working
    // day: 32 h later at the least (made at 09:00, due the next working day at 17:00).
    let created = time_of(&ticket["created_at"]);
    let due = time_of(&ticket["resolution_due_at"]);
    assert!(
        due - created >= chrono::TimeDelta::hours(32),
        "{created} → {due}"
    );
    let preview = app
        .as_admin(
            "POST",
            &format!("/api/calendars/{calendar_id}/preview"),
            Some(&json!({"start": ticket["created_at"], "seconds": 16 * 3600})),
        )
        .await;
    assert_eq!(
        time_of(&preview.body["due_at"]),
        due,
        "the ticket counts as the preview does"
    );

    let calendar_path = format!("/api/calendars/{calendar_id}");
    let in_use = app.as_admin("DELETE", &calendar_path, None).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.body);
    assert!(in_use.body["detail"].as_str().unwrap().contains("Office"));
    // The policy goes (archived: a ticket refers to it); the calendar then only serves
    // an archived policy, so it is archived too.
    let policy_path = format!("/api/sla-policies/{}", policy.body["id"].as_str().unwrap());
    assert_eq!(
        app.as_admin("DELETE", &policy_path, None).await.status,
        StatusCode::OK
    );
    let archived = app.as_admin("DELETE", &calendar_path, None).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert!(archived.body["archived_at"].is_string());
    let refer = app
        .as_admin(
            "POST",
            "/api/sla-policies",
            Some(&json!({"name": "Late", "calendar_id": calendar_id,
                         "targets": {"high": {"first_response": 60, "resolution": 120}}})),
        )
        .await;
    assert_eq!(refer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refer.fields(), ["calendar_id"]);
}

#[actix_web::test]
async fn a_policy_body_names_each_fault() {
    let app = TestApp::spawn().await;
    let reply = app
        .as_admin(
            "POST",
            "/api/sla-policies",
            Some(&json!({
                "name": " ",
                "position": -1,
                "filter": {"field": "colour", "op": "eq", "value": 1},
                "targets": {"urgent": {}, "high": {"first_response": "5w", "resolution": 60}},
                "calendar_id": "nope",
                "warn_percent": 100,
            })),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let fields = reply.fields();
    for field in [
        "name",
        "position",
        "filter.field",
        "targets.urgent",
        "targets.high.first_response",
        "calendar_id",
        "warn_percent",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}
