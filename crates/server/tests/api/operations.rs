//! What operators rely on: metrics, request ids, readiness, graceful shutdown, and riding
//! out a database outage.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use ticket_persistence::test_db::TestDatabase;

use crate::harness::{TestApp, alert};

#[actix_web::test]
async fn metrics_are_exposed_in_prometheus_text_format() {
    let app = TestApp::spawn().await;
    app.create(json!({})).await;
    app.get("/api/tickets").await;
    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, 200);
    let text = reply.body.as_str().unwrap_or_default().to_owned();
    for needle in [
        "tickets_created_total",
        "http_requests_total{",
        "route=\"/api/tickets\"",
        "http_request_duration_seconds_bucket",
        "db_pool_max_size",
        "db_pool_in_use",
        "db_pool_waiting",
        "notifications_pending",
        "service=\"ticket-service\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[actix_web::test]
async fn request_ids_are_kept_or_made_and_returned() {
    let app = TestApp::spawn().await;
    let given = app
        .request("GET", "/health", None, &[("X-Request-Id", "gw-123")], None)
        .await;
    assert_eq!(given.header("x-request-id").as_deref(), Some("gw-123"));
    let made = app.get("/health").await;
    let id = made.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
}

#[actix_web::test]
async fn readiness_checks_the_database() {
    let app = TestApp::spawn().await;
    let reply = app.get("/ready").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "ready");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `ticket-server` binary of this build, started with `env`.
fn start_binary(env: &[(&str, String)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticket-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_LEVEL", "WARNING")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("ticket-server starts")
}

async fn wait_healthy(client: &awc::Client, base: &str) {
    let started = Instant::now();
    loop {
        if let Ok(res) = client.get(format!("{base}/health")).send().await
            && res.status() == 200
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn sigterm_finishes_in_flight_work_and_loses_no_acknowledged_write() {
    let db = TestDatabase::new().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_binary(&[
        ("DATABASE_URL", db.url()),
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", port.to_string()),
    ]);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_healthy(&client, &base).await;

    // Eight clients create tickets back to back; SIGTERM lands in the middle.
    let pid = child.id();
    let stream = |n: usize| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let mut acknowledged = Vec::new();
            for i in 0..10_000 {
                let body = alert(json!({"camera_id": n * 100_000 + i}));
                let Ok(mut res) = client
                    .post(format!("{base}/api/tickets"))
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(body.to_string())
                    .await
                else {
                    break;
                };
                let Ok(bytes) = res.body().await else { break };
                if res.status().is_success() {
                    let t: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    acknowledged.push(t["id"].as_str().unwrap().to_owned());
                } else {
                    break;
                }
            }
            acknowledged
        }
    };
    let killer = async {
        actix_web::rt::time::sleep(Duration::from_millis(700)).await;
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let (streams, ()) = futures_util::future::join(join_all((0..8).map(stream)), killer).await;
    let acknowledged: Vec<String> = streams.into_iter().flatten().collect();
    assert!(
        acknowledged.len() > 10,
        "the stream ran: {}",
        acknowledged.len()
    );

    let started = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no exit after SIGTERM"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");

    // Every create that got a 2xx is in the database.
    let app = TestApp::spawn_on(&db.url(), |_| {}).await;
    let stored = app.get("/api/tickets/stats").await.body["total"]
        .as_u64()
        .unwrap();
    assert!(stored >= acknowledged.len() as u64);
    for id in &acknowledged {
        let reply = app.get(&format!("/api/tickets/{id}")).await;
        assert_eq!(reply.status, 200, "acknowledged ticket {id} is missing");
    }
}

/// A PostgreSQL server of the test's own, in a temporary folder, so stopping it touches
/// nothing else.
struct PrivatePostgres {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().expect("pg_ctl")
}

/// Runs a PostgreSQL tool, as `postgres` when we are root (the server refuses root).
fn pg_tool(bin: &Path, tool: &str, args: &[&str]) {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let program = bin.join(tool);
    let status = if is_root {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&program)
            .args(args)
            .stdout(Stdio::null())
            .status()
    } else {
        Command::new(&program)
            .args(args)
            .stdout(Stdio::null())
            .status()
    }
    .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(status.success(), "{tool} {args:?} failed");
}

impl PrivatePostgres {
    fn init() -> Self {
        let dir = std::env::temp_dir().join(format!("ticket-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        let bin = postgres_bin();
        let data = dir.join("data");
        pg_tool(
            &bin,
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let pg = Self {
            dir,
            port: free_port(),
            bin,
        };
        pg.start();
        pg
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        pg_tool(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    fn stop(&self) {
        let data = self.dir.join("data");
        pg_tool(
            &self.bin,
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/tickets", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[actix_web::test]
async fn a_database_outage_gives_quick_503s_and_heals_without_restart() {
    let pg = PrivatePostgres::init();
    let app = TestApp::spawn_on(&pg.url(), |c| {
        c.pool.wait_timeout = Duration::from_millis(500);
        c.pool.connect_timeout = Duration::from_millis(500);
        c.sla_check_interval = Duration::from_millis(100);
    })
    .await;
    let t = app.create(json!({})).await;
    let id = t["id"].as_str().unwrap().to_owned();

    pg.stop();
    for path in ["/api/tickets", &format!("/api/tickets/{id}"), "/ready"] {
        let started = Instant::now();
        let reply = app.get(path).await;
        reply.problem(503);
        assert!(reply.header("retry-after").is_some());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    let reply = app.post("/api/tickets", None, &alert(json!({}))).await;
    reply.problem(503);
    assert_eq!(
        app.get("/health").await.status,
        200,
        "liveness does not need the database"
    );

    pg.start();
    let started = Instant::now();
    loop {
        let reply = app.get(&format!("/api/tickets/{id}")).await;
        if reply.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not recovered: {} {}",
            reply.status,
            reply.body
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    app.create(json!({})).await;
    assert_eq!(app.get("/ready").await.status, 200);
}

#[actix_web::test]
async fn over_limit_requests_get_a_4xx_and_the_service_keeps_serving() {
    let app = TestApp::spawn().await;
    // JSON nested deeper than the parser allows.
    let deep = format!(
        "{{\"title\": \"x\", \"severity\": \"high\", \"camera_id\": 1, \"provider_id\": \"{}\", \
         \"alert_data\": {{\"a\": {}1{}}}}}",
        crate::harness::PROVIDER,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let reply = app
        .request("POST", "/api/tickets", None, &[], Some(deep.into_bytes()))
        .await;
    reply.problem(400);
    // A page larger than allowed.
    let reply = app.get("/api/tickets?limit=100000").await;
    reply.problem(422);
    // Headers larger than the server reads.
    let huge = "x".repeat(20 * 1024);
    let reply = app
        .request("GET", "/api/tickets", None, &[("X-Padding", &huge)], None)
        .await;
    reply.problem(431);
    // Still serving.
    assert_eq!(app.get("/health").await.status, 200);
    app.create(json!({})).await;
}
