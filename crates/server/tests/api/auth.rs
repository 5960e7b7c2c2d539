//! Start-up in each authentication mode: what the configuration refuses, and that an
//! unreachable identity provider does not keep the service from starting.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ticket_domain::SystemClock;
use ticket_http::{AuthMode, FetchPolicy, JwtSettings, KeySource};
use ticket_persistence::test_db::TestDatabase;
use ticket_server::{Application, Config};

use crate::harness::TestApp;

fn jwt(keys: KeySource) -> AuthMode {
    AuthMode::Jwt(JwtSettings {
        keys,
        issuer: "http://idp.test".to_owned(),
        audience: "ticket-service".to_owned(),
        org_claim: "org_id".to_owned(),
        roles_claim: "roles".to_owned(),
    })
}

#[test]
fn jwt_mode_without_its_variables_exits_2_naming_them() {
    let output = Command::new(env!("CARGO_BIN_EXE_ticket-server"))
        .env_clear()
        .env("AUTH_MODE", "jwt")
        .env("AUTH_AUDIENCE", "ticket-service")
        .stdin(Stdio::null())
        .output()
        .expect("ticket-server runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in ["AUTH_JWKS_URL", "AUTH_ISSUER"] {
        assert!(stderr.contains(variable), "{variable} not named: {stderr}");
    }
    assert!(!stderr.contains("AUTH_AUDIENCE"), "{stderr}");
}

#[actix_web::test]
async fn a_jwks_file_is_read_at_start_up() {
    let db = TestDatabase::new().await;
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.database_url = db.url();
    config.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    config.port = 0;
    config.workers = Some(1);
    config.auth = jwt(KeySource::File(PathBuf::from("/nonexistent/jwks.json")));
    let error = Application::build(&config, SystemClock).await.unwrap_err();
    let shown = format!("{error:#}");
    assert!(
        shown.contains("AUTH_JWKS_FILE") && shown.contains("/nonexistent/jwks.json"),
        "{shown}"
    );

    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../http/tests/fixtures/jwks.json");
    config.auth = jwt(KeySource::File(fixture));
    assert!(Application::build(&config, SystemClock).await.is_ok());
}

#[actix_web::test]
async fn an_unreachable_jwks_url_does_not_stop_start_up() {
    // A port nothing listens on: the start-up fetch fails at once and is only logged.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let app = TestApp::spawn_with(|config| {
        config.auth = jwt(KeySource::Url {
            url: format!("http://127.0.0.1:{port}/jwks.json"),
            fetch: FetchPolicy::default(),
        });
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(app.get("/health").await.status, 200);
}
