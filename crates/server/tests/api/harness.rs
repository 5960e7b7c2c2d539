//! Starts the application for one test and talks to it over HTTP.

use std::net::{IpAddr, Ipv4Addr};

use awc::http::StatusCode;
use awc::http::header::HeaderMap;
use serde_json::{Value, json};
use ticket_domain::ShiftedClock;
use ticket_persistence::test_db::TestDatabase;
use ticket_server::{Application, Config};

/// A provider id used by the helpers.
pub const PROVIDER: &str = "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24";

/// A response: status, headers and the body parsed as JSON (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts a problem+json error with `status` and returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].is_string() && self.body["title"].is_string());
        &self.body
    }

    /// The fields named in a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct TestApp {
    pub base: String,
    pub clock: ShiftedClock,
    /// The database this instance serves; other instances may share it.
    pub database_url: String,
    /// Ends this instance as a crash would.
    pub killer: ticket_server::Killer,
    client: awc::Client,
    // Dropped last: the database outlives the requests. `None` on a second instance.
    _db: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the service with the default configuration, changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let db = TestDatabase::new().await;
        let mut app = Self::spawn_on(&db.url(), configure).await;
        app._db = Some(db);
        app
    }

    /// Starts another instance on the database of `database_url` (owned elsewhere).
    pub async fn spawn_on(database_url: &str, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::from_lookup(|_| None).expect("default configuration");
        config.database_url = database_url.to_owned();
        config.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
        config.port = 0;
        config.workers = Some(1);
        config.pool.max_size = 8;
        configure(&mut config);
        let clock = ShiftedClock::default();
        let app = Application::build(&config, clock.clone())
            .await
            .expect("application starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let killer = app.killer();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish();
        Self {
            base,
            clock,
            database_url: database_url.to_owned(),
            killer,
            client,
            _db: None,
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(user) = user {
            req = req.insert_header(("X-User-Id", user));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = match body {
            Some(bytes) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(bytes)
                    .await
            }
            None => req.send().await,
        }
        .expect("request reaches the server");
        let bytes = res.body().limit(64 * 1024 * 1024).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None, &[], None).await
    }

    pub async fn post(&self, path: &str, user: Option<&str>, body: &Value) -> Reply {
        self.request("POST", path, user, &[], Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn patch(&self, path: &str, user: Option<&str>, body: &Value) -> Reply {
        self.request(
            "PATCH",
            path,
            user,
            &[],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// A request as `root` with the admin role.
    pub async fn as_admin(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.with_headers(method, path, &[("X-Roles", "admin")], body)
            .await
    }

    /// A request as `root` with these headers.
    pub async fn with_headers(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        self.request(
            method,
            path,
            Some("root"),
            headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }

    /// Creates a ticket from an alert with the given overrides; asserts 201.
    pub async fn create(&self, overrides: Value) -> Value {
        let reply = self.post("/api/tickets", None, &alert(overrides)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.body);
        reply.body
    }

    /// The outbox events of a ticket (up to 500), newest first.
    pub async fn events_of(&self, ticket: &str) -> Vec<Value> {
        let reply = self
            .get(&format!("/api/notifications?ticket_id={ticket}&limit=500"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }

    /// Moves a ticket to `status` as `user`; asserts 200.
    pub async fn transition(&self, id: &str, user: &str, body: Value) -> Value {
        let reply = self
            .patch(&format!("/api/tickets/{id}/status"), Some(user), &body)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "body: {}", reply.body);
        reply.body
    }
}

/// A valid alert: the seed's example with a real provider UUID, a unique title (so tests
/// do not merge by accident), and `overrides` applied.
pub fn alert(overrides: Value) -> Value {
    let mut body = json!({
        "title": format!("Person detected in restricted zone {}", uuid::Uuid::new_v4()),
        "severity": "high",
        "camera_id": 1,
        "provider_id": PROVIDER,
        "alert_data": {"detections": []},
    });
    if let (Some(map), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            map.insert(k.clone(), v.clone());
        }
    }
    body
}
