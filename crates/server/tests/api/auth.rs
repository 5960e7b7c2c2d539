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

/// A token for `claims`, signed by the fixture key `es256-1` (in the fixture JWKS).
fn token(claims: &serde_json::Value) -> String {
    let der = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../http/tests/fixtures/es256.der"),
    )
    .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("es256-1".to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&der),
    )
    .unwrap()
}

fn claims(sub: &str, org: &str, roles: &[&str]) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    serde_json::json!({
        "iss": "http://idp.test", "aud": "ticket-service", "sub": sub, "org_id": org,
        "roles": roles, "iat": now, "exp": now + 300,
    })
}

#[actix_web::test]
async fn in_jwt_mode_the_token_says_who_acts_where_and_with_which_roles() {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../http/tests/fixtures/jwks.json");
    let app = TestApp::spawn_with(|c| c.auth = jwt(KeySource::File(fixture))).await;
    let bearer = |t: &str| format!("Bearer {t}");
    let alice = bearer(&token(&claims("alice", "acme", &["operator"])));
    let viewer = bearer(&token(&claims("vic", "acme", &["viewer"])));
    let globex = bearer(&token(&claims("gus", "globex", &["supervisor"])));
    let body = |v: serde_json::Value| Some(v.to_string().into_bytes());

    // No token: 401 with a bare challenge; the identity headers are not believed.
    let anonymous = app
        .request(
            "GET",
            "/api/tickets",
            Some("alice"),
            &[("X-Org-Id", "acme")],
            None,
        )
        .await;
    assert_eq!(anonymous.status.as_u16(), 401, "{}", anonymous.body);
    assert_eq!(
        anonymous.header("www-authenticate").as_deref(),
        Some("Bearer")
    );
    let forged = app
        .request(
            "GET",
            "/api/tickets",
            None,
            &[("Authorization", "Bearer not.a.token")],
            None,
        )
        .await;
    assert_eq!(forged.status.as_u16(), 401);

    let created = app
        .request(
            "POST",
            "/api/tickets",
            None,
            &[("Authorization", &alice)],
            body(crate::harness::alert(serde_json::json!({}))),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    assert_eq!(created.body["number"], "TCK-1");
    let id = created.body["id"].as_str().unwrap().to_owned();

    // The actor in history is the token's subject, whatever X-User-Id says.
    let moved = app
        .request(
            "PATCH",
            &format!("/api/tickets/{id}/status"),
            Some("mallory"),
            &[("Authorization", &alice)],
            body(serde_json::json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    assert_eq!(moved.body["assignee_id"], "alice");
    let details = app
        .request(
            "GET",
            &format!("/api/tickets/{id}"),
            None,
            &[("Authorization", &viewer)],
            None,
        )
        .await;
    assert_eq!(details.status.as_u16(), 200, "{}", details.body);
    assert_eq!(details.body["history"][1]["actor"], "alice");

    // A viewer reads but does not act; another organization does not see the ticket.
    let refused = app
        .request(
            "POST",
            &format!("/api/tickets/{id}/comments"),
            None,
            &[("Authorization", &viewer)],
            body(serde_json::json!({"body": "seen"})),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
    let elsewhere = app
        .request(
            "GET",
            &format!("/api/tickets/{id}"),
            None,
            &[("Authorization", &globex)],
            None,
        )
        .await;
    assert_eq!(elsewhere.status.as_u16(), 404, "{}", elsewhere.body);
}
