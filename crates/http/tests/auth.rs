//! Authentication end to end: tokens signed here with the test-only keys of `fixtures/`
//! (see `fixtures/generate.sh`) and verified against their JWKS, read from a file or served
//! by a local HTTP server on 127.0.0.1; and the problems a refused request gets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, test, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use ticket_domain::{Action, Caller, OrgRef, OrgSlug, Organization, Role};
use ticket_http::inbound::jwt::{JwtVerifier, TokenError};
use ticket_http::{
    ApiError, AuthMode, Authenticator, FetchPolicy, Identity, JwtSettings, KeySource, identity,
};

const ISSUER: &str = "https://idp.test/realms/tickets";
const AUDIENCE: &str = "ticket-service";
const PROVIDER: &str = "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24";

const ES256: &[u8] = include_bytes!("fixtures/es256.der");
const ES256_NEXT: &[u8] = include_bytes!("fixtures/es256-next.der");
const RS256: &[u8] = include_bytes!("fixtures/rs256.der");
const RS256_PUBLIC_PEM: &[u8] = include_bytes!("fixtures/rs256-public.pem");
const ED25519: &[u8] = include_bytes!("fixtures/ed25519.der");
const JWKS: &str = include_str!("fixtures/jwks.json");
const JWK_ES256_NEXT: &str = include_str!("fixtures/jwk-es256-2.json");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// Claims every test token starts from: valid for five minutes.
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "org_id": "acme",
        "roles": ["supervisor"],
        "iat": now(),
        "exp": now() + 300,
    })
}

/// `claims()` with `changes` applied (`null` removes a claim).
fn claims_with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn sign_with(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

/// A token signed by the fixture key `kid` with its algorithm.
fn sign(kid: &str, claims: &Value) -> String {
    let (alg, key) = match kid {
        "es256-1" => (Algorithm::ES256, EncodingKey::from_ec_der(ES256)),
        "es256-2" => (Algorithm::ES256, EncodingKey::from_ec_der(ES256_NEXT)),
        "rs256-1" => (Algorithm::RS256, EncodingKey::from_rsa_der(RS256)),
        "ed25519-1" => (Algorithm::EdDSA, EncodingKey::from_ed_der(ED25519)),
        other => panic!("no fixture key {other}"),
    };
    sign_with(alg, Some(kid), &key, claims)
}

/// `header.payload.signature` with its parts replaced by these JSON values, base64url.
fn forge(header: &Value, payload: &Value, signature: &str) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.{signature}", part(header), part(payload))
}

fn settings(keys: KeySource) -> JwtSettings {
    JwtSettings {
        keys,
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        org_claim: "org_id".to_owned(),
        roles_claim: "roles".to_owned(),
    }
}

fn file_settings() -> JwtSettings {
    settings(KeySource::File(fixture("jwks.json")))
}

fn file_verifier() -> JwtVerifier {
    JwtVerifier::new(&file_settings()).unwrap()
}

async fn verify(token: &str) -> Result<Identity, TokenError> {
    file_verifier().verify(token).await
}

fn acme() -> Option<OrgRef> {
    Some(OrgRef::Slug(OrgSlug::parse("acme", "org").unwrap()))
}

mod verifier {
    use super::*;

    #[actix_web::test]
    async fn es256_rs256_and_eddsa_tokens_verify() {
        for kid in ["es256-1", "rs256-1", "ed25519-1"] {
            let identity = verify(&sign(kid, &claims())).await.unwrap();
            assert_eq!(identity.user.as_ref().unwrap().as_str(), "alice", "{kid}");
            assert_eq!(identity.org, acme(), "{kid}");
            assert_eq!(identity.roles, [Role::Supervisor], "{kid}");
            assert_eq!(identity.provider, None, "{kid}");
        }
    }

    #[actix_web::test]
    async fn an_expired_token_is_refused() {
        let token = sign("es256-1", &claims_with(json!({"exp": now() - 60})));
        assert_eq!(verify(&token).await, Err(TokenError::Expired));
    }

    #[actix_web::test]
    async fn a_token_not_yet_valid_is_refused() {
        let token = sign("es256-1", &claims_with(json!({"nbf": now() + 120})));
        assert_eq!(verify(&token).await, Err(TokenError::NotYetValid));
    }

    #[actix_web::test]
    async fn clock_skew_within_the_leeway_is_accepted() {
        // 30 s of leeway; 10 s of skew either way passes.
        let expired_just_now = claims_with(json!({"exp": now() - 10}));
        assert!(verify(&sign("es256-1", &expired_just_now)).await.is_ok());
        let valid_shortly = claims_with(json!({"nbf": now() + 10}));
        assert!(verify(&sign("es256-1", &valid_shortly)).await.is_ok());
    }

    #[actix_web::test]
    async fn another_audience_or_issuer_is_refused() {
        for (changes, error) in [
            (json!({"aud": "billing"}), TokenError::Audience),
            (json!({"aud": ["billing", "reports"]}), TokenError::Audience),
            (json!({"iss": "https://evil.test"}), TokenError::Issuer),
            (json!({"aud": null}), TokenError::MissingClaim("aud".into())),
            (json!({"iss": null}), TokenError::MissingClaim("iss".into())),
            (json!({"exp": null}), TokenError::MissingClaim("exp".into())),
        ] {
            let token = sign("es256-1", &claims_with(changes.clone()));
            assert_eq!(verify(&token).await, Err(error), "{changes}");
        }
        // One of several audiences is enough.
        let token = sign(
            "es256-1",
            &claims_with(json!({"aud": ["billing", AUDIENCE]})),
        );
        assert!(verify(&token).await.is_ok());
    }

    #[actix_web::test]
    async fn alg_none_is_refused() {
        for header in [
            json!({"alg": "none", "kid": "es256-1"}),
            json!({"alg": "none"}),
            json!({"alg": "None", "kid": "es256-1"}),
        ] {
            for signature in ["", "AAAA"] {
                let token = forge(&header, &claims(), signature);
                let refused = verify(&token).await.unwrap_err();
                assert!(matches!(refused, TokenError::Malformed(_)), "{refused:?}");
            }
        }
    }

    #[actix_web::test]
    async fn hs256_signed_with_the_public_key_is_refused() {
        // Algorithm confusion: an HMAC "secret" anyone can read. The kid names the RSA key,
        // whose algorithm is RS256 whatever the token says.
        let secrets: [&[u8]; 2] = [RS256_PUBLIC_PEM, JWKS.as_bytes()];
        for secret in secrets {
            for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let key = EncodingKey::from_secret(secret).unwrap();
                let token = sign_with(alg, Some("rs256-1"), &key, &claims());
                assert_eq!(
                    verify(&token).await,
                    Err(TokenError::Algorithm {
                        kid: "rs256-1".into(),
                        token: format!("{alg:?}"),
                        key: "RS256".into(),
                    })
                );
            }
        }
    }

    #[actix_web::test]
    async fn an_algorithm_other_than_the_keys_is_refused() {
        // Signed correctly by the RSA key, but with PS256, which the key is not for.
        let key = EncodingKey::from_rsa_der(RS256);
        let token = sign_with(Algorithm::PS256, Some("rs256-1"), &key, &claims());
        assert!(matches!(
            verify(&token).await,
            Err(TokenError::Algorithm { .. })
        ));
        // An ES256 signature presented under the RSA key's kid.
        let key = EncodingKey::from_ec_der(ES256);
        let token = sign_with(Algorithm::ES256, Some("rs256-1"), &key, &claims());
        assert!(matches!(
            verify(&token).await,
            Err(TokenError::Algorithm { .. })
        ));
    }

    #[actix_web::test]
    async fn a_signature_by_another_key_is_refused() {
        let key = EncodingKey::from_ec_der(ES256_NEXT);
        let token = sign_with(Algorithm::ES256, Some("es256-1"), &key, &claims());
        assert_eq!(verify(&token).await, Err(TokenError::Signature));
    }

    #[actix_web::test]
    async fn a_tampered_payload_is_refused() {
        for kid in ["es256-1", "rs256-1", "ed25519-1"] {
            let token = sign(kid, &claims());
            let parts: Vec<&str> = token.split('.').collect();
            let mut payload: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
            payload["roles"] = json!(["admin"]);
            let header: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
            let tampered = forge(&header, &payload, parts[2]);
            assert_eq!(verify(&tampered).await, Err(TokenError::Signature), "{kid}");
        }
    }

    #[actix_web::test]
    async fn a_token_without_a_known_kid_is_refused() {
        let key = EncodingKey::from_ec_der(ES256);
        let token = sign_with(Algorithm::ES256, None, &key, &claims());
        assert_eq!(verify(&token).await, Err(TokenError::NoKeyId));
        let token = sign_with(Algorithm::ES256, Some("es256-9"), &key, &claims());
        assert_eq!(
            verify(&token).await,
            Err(TokenError::UnknownKey("es256-9".into()))
        );
    }

    #[actix_web::test]
    async fn garbage_is_malformed() {
        for token in [
            "",
            "abc",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            &format!("{}x", sign("es256-1", &claims())),
        ] {
            let refused = verify(token).await.unwrap_err();
            assert!(
                matches!(refused, TokenError::Malformed(_) | TokenError::Signature),
                "{token:?}: {refused:?}"
            );
        }
    }

    #[actix_web::test]
    async fn the_organization_claim_is_required() {
        for (changes, error) in [
            (
                json!({"org_id": null}),
                TokenError::MissingClaim("org_id".into()),
            ),
            (
                json!({"org_id": 7}),
                TokenError::Claim {
                    claim: "org_id".into(),
                    message: "must be a string".into(),
                },
            ),
        ] {
            let token = sign("es256-1", &claims_with(changes.clone()));
            assert_eq!(verify(&token).await, Err(error), "{changes}");
        }
        let token = sign("es256-1", &claims_with(json!({"org_id": "-acme"})));
        assert!(matches!(
            verify(&token).await,
            Err(TokenError::Claim { claim, .. }) if claim == "org_id"
        ));
        let token = sign(
            "es256-1",
            &claims_with(json!({"org_id": "00000000-0000-0000-0000-000000000001"})),
        );
        assert_eq!(
            verify(&token).await.unwrap().org,
            Some(OrgRef::Id(Organization::DEFAULT_ID))
        );
    }

    #[actix_web::test]
    async fn claim_names_are_configurable() {
        let verifier = JwtVerifier::new(&JwtSettings {
            org_claim: "tenant".to_owned(),
            roles_claim: "groups".to_owned(),
            ..file_settings()
        })
        .unwrap();
        let token = sign(
            "es256-1",
            &claims_with(
                json!({"org_id": null, "roles": null, "tenant": "acme", "groups": ["admin"]}),
            ),
        );
        let identity = verifier.verify(&token).await.unwrap();
        assert_eq!((identity.org, identity.roles), (acme(), vec![Role::Admin]));
        let without_tenant = sign("es256-1", &claims());
        assert_eq!(
            verifier.verify(&without_tenant).await,
            Err(TokenError::MissingClaim("tenant".into()))
        );
    }

    #[actix_web::test]
    async fn unknown_roles_are_ignored_and_no_roles_is_none() {
        let token = sign(
            "es256-1",
            &claims_with(json!({"roles": ["billing-admin", "viewer", "viewer", "operator"]})),
        );
        assert_eq!(
            verify(&token).await.unwrap().roles,
            [Role::Viewer, Role::Operator]
        );
        let token = sign("es256-1", &claims_with(json!({"roles": null})));
        assert!(verify(&token).await.unwrap().roles.is_empty());
        for roles in [json!("admin"), json!([1]), json!({"admin": true})] {
            let token = sign("es256-1", &claims_with(json!({ "roles": roles })));
            assert!(matches!(
                verify(&token).await,
                Err(TokenError::Claim { claim, .. }) if claim == "roles"
            ));
        }
    }

    #[actix_web::test]
    async fn a_provider_token_names_its_provider() {
        let token = sign(
            "ed25519-1",
            &claims_with(json!({"sub": null, "roles": ["provider"], "provider_id": PROVIDER})),
        );
        let identity = verify(&token).await.unwrap();
        assert_eq!(identity.user, None);
        assert_eq!(identity.provider.unwrap().to_string(), PROVIDER);
        let caller = identity.into_caller(Organization::DEFAULT_ID);
        assert!(caller.require_post_alert(caller.provider.unwrap()).is_ok());

        let token = sign("es256-1", &claims_with(json!({"provider_id": "acme"})));
        assert!(matches!(
            verify(&token).await,
            Err(TokenError::Claim { claim, .. }) if claim == "provider_id"
        ));
    }

    #[actix_web::test]
    async fn a_subject_that_is_no_user_id_is_refused() {
        for sub in [json!("u".repeat(256)), json!(42)] {
            let token = sign("es256-1", &claims_with(json!({ "sub": sub })));
            assert!(
                matches!(verify(&token).await, Err(TokenError::Claim { .. })),
                "{sub}"
            );
        }
    }

    #[actix_web::test]
    async fn a_key_file_without_usable_keys_is_refused_at_start() {
        let dir = std::env::temp_dir().join(format!("ticket-http-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hmac-only.json");
        std::fs::write(
            &path,
            r#"{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}"#,
        )
        .unwrap();
        let error = JwtVerifier::new(&settings(KeySource::File(path))).unwrap_err();
        assert!(error.to_string().contains("no usable key"), "{error}");
        let error =
            JwtVerifier::new(&settings(KeySource::File(dir.join("missing.json")))).unwrap_err();
        assert!(error.to_string().contains("missing.json"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// What the test JWKS endpoint answers.
#[derive(Debug, Clone)]
enum Answer {
    Keys(String),
    /// A 500.
    Error,
    /// Nothing for a minute.
    Silence,
}

/// A JWKS endpoint on 127.0.0.1 whose answer the test changes, counting requests.
struct JwksServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
    handle: ServerHandle,
}

impl JwksServer {
    async fn start(body: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = Arc::new(Mutex::new(Answer::Keys(body.to_owned())));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (answer.clone(), hits.clone());
        let server = HttpServer::new(move || {
            let (served, counted) = (served.clone(), counted.clone());
            App::new().route(
                "/jwks.json",
                web::get().to(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let answer = served.lock().unwrap().clone();
                    async move {
                        match answer {
                            Answer::Keys(body) => HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body),
                            Answer::Error => HttpResponse::InternalServerError().finish(),
                            Answer::Silence => {
                                actix_web::rt::time::sleep(Duration::from_secs(60)).await;
                                HttpResponse::NoContent().finish()
                            }
                        }
                    }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/jwks.json"),
            answer,
            hits,
            handle,
        }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn serve(&self, body: String) {
        self.answer(Answer::Keys(body));
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// The fixture JWKS plus es256-2.
fn jwks_with_next_key() -> String {
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap();
    let next: Value = serde_json::from_str(JWK_ES256_NEXT).unwrap();
    jwks["keys"].as_array_mut().unwrap().push(next);
    jwks.to_string()
}

async fn remote_verifier(url: &str, fetch: FetchPolicy) -> JwtVerifier {
    let verifier = JwtVerifier::new(&settings(KeySource::Url {
        url: url.to_owned(),
        fetch,
    }))
    .unwrap();
    verifier.jwks().refresh().await.unwrap();
    verifier
}

mod remote {
    use super::*;

    const QUICK: FetchPolicy = FetchPolicy {
        timeout: Duration::from_millis(500),
        min_interval: Duration::from_millis(300),
    };

    #[actix_web::test]
    async fn a_new_key_is_fetched_on_first_sight_and_unknown_kids_are_throttled() {
        let server = JwksServer::start(JWKS).await;
        let verifier = remote_verifier(&server.url, FetchPolicy::default()).await;
        assert_eq!(server.hits(), 1);
        assert_eq!(
            verifier.jwks().keys().kids(),
            ["ed25519-1", "es256-1", "rs256-1"]
        );
        // Known keys need no fetch.
        assert!(verifier.verify(&sign("rs256-1", &claims())).await.is_ok());
        assert_eq!(server.hits(), 1);

        // The provider rotates in a new key: the first token signed by it fetches the set.
        server.serve(jwks_with_next_key());
        let rotated = sign("es256-2", &claims());
        assert!(verifier.verify(&rotated).await.is_ok());
        assert_eq!(server.hits(), 2);

        // Another unknown kid within 30 s: refused without a fetch.
        let key = EncodingKey::from_ec_der(ES256);
        let stranger = sign_with(Algorithm::ES256, Some("es256-9"), &key, &claims());
        for _ in 0..3 {
            assert_eq!(
                verifier.verify(&stranger).await,
                Err(TokenError::UnknownKey("es256-9".into()))
            );
        }
        assert_eq!(server.hits(), 2);
        server.stop().await;
    }

    #[actix_web::test]
    async fn a_key_published_later_is_accepted_without_restart() {
        let server = JwksServer::start(JWKS).await;
        let verifier = remote_verifier(&server.url, QUICK).await;
        let rotated = sign("es256-2", &claims());
        // Not published yet: refused after one fetch, then without one.
        for _ in 0..2 {
            assert_eq!(
                verifier.verify(&rotated).await,
                Err(TokenError::UnknownKey("es256-2".into()))
            );
        }
        assert_eq!(server.hits(), 2);

        server.serve(jwks_with_next_key());
        actix_web::rt::time::sleep(QUICK.min_interval).await;
        assert!(verifier.verify(&rotated).await.is_ok());
        assert_eq!(server.hits(), 3);
        server.stop().await;
    }

    #[actix_web::test]
    async fn a_key_removed_from_the_set_stops_verifying_on_refresh() {
        let server = JwksServer::start(&jwks_with_next_key()).await;
        let verifier = remote_verifier(&server.url, QUICK).await;
        let old = sign("es256-1", &claims());
        assert!(verifier.verify(&old).await.is_ok());
        let mut jwks: Value = serde_json::from_str(&jwks_with_next_key()).unwrap();
        jwks["keys"]
            .as_array_mut()
            .unwrap()
            .retain(|key| key["kid"] != "es256-1");
        server.serve(jwks.to_string());
        assert_eq!(verifier.jwks().refresh().await.unwrap(), 3);
        assert_eq!(
            verifier.verify(&old).await,
            Err(TokenError::UnknownKey("es256-1".into()))
        );
        server.stop().await;
    }

    #[actix_web::test]
    async fn while_the_jwks_server_is_down_cached_keys_work_and_unknown_ones_fail_fast() {
        let server = JwksServer::start(JWKS).await;
        let verifier = remote_verifier(&server.url, QUICK).await;
        server.stop().await;

        assert!(verifier.verify(&sign("es256-1", &claims())).await.is_ok());
        let started = Instant::now();
        assert_eq!(
            verifier.verify(&sign("es256-2", &claims())).await,
            Err(TokenError::UnknownKey("es256-2".into()))
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(verifier.jwks().refresh().await.is_err());
        assert_eq!(
            verifier.jwks().keys().len(),
            3,
            "a failed fetch keeps the keys"
        );
        assert!(verifier.verify(&sign("ed25519-1", &claims())).await.is_ok());
    }

    #[actix_web::test]
    async fn a_jwks_server_that_never_answers_costs_one_timeout() {
        let server = JwksServer::start(JWKS).await;
        let policy = FetchPolicy {
            timeout: Duration::from_millis(500),
            ..FetchPolicy::default()
        };
        let verifier = remote_verifier(&server.url, policy).await;
        server.answer(Answer::Silence);

        let started = Instant::now();
        assert_eq!(
            verifier.verify(&sign("es256-2", &claims())).await,
            Err(TokenError::UnknownKey("es256-2".into()))
        );
        let waited = started.elapsed();
        assert!(
            waited >= policy.timeout && waited < policy.timeout + Duration::from_secs(1),
            "{waited:?}"
        );
        // Within the interval: no second wait.
        let started = Instant::now();
        assert!(verifier.verify(&sign("es256-2", &claims())).await.is_err());
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(verifier.verify(&sign("es256-1", &claims())).await.is_ok());
        assert_eq!(server.hits(), 2);
        server.stop().await;
    }

    #[actix_web::test]
    async fn a_broken_answer_keeps_the_keys() {
        let server = JwksServer::start(JWKS).await;
        let verifier = remote_verifier(&server.url, QUICK).await;
        for broken in [
            Answer::Error,
            Answer::Keys("not json".to_owned()),
            Answer::Keys(r#"{"keys": []}"#.to_owned()),
            Answer::Keys(r#"{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}"#.to_owned()),
        ] {
            server.answer(broken.clone());
            assert!(verifier.jwks().refresh().await.is_err(), "{broken:?}");
            assert_eq!(verifier.jwks().keys().len(), 3, "{broken:?}");
        }
        assert!(verifier.verify(&sign("rs256-1", &claims())).await.is_ok());
        server.stop().await;
    }

    #[actix_web::test]
    async fn a_failed_start_up_fetch_is_retried_by_the_first_token() {
        let server = JwksServer::start(JWKS).await;
        server.answer(Answer::Error);
        let mode = AuthMode::Jwt(settings(KeySource::Url {
            url: server.url.clone(),
            fetch: QUICK,
        }));
        let authenticator = Authenticator::start(&mode).await.unwrap();
        assert_eq!(server.hits(), 1);
        server.serve(JWKS.to_owned());
        let req = test::TestRequest::default()
            .insert_header((
                header::AUTHORIZATION,
                format!("Bearer {}", sign("es256-1", &claims())),
            ))
            .to_http_request();
        assert!(authenticator.authenticate(&req).await.is_ok());
        assert_eq!(server.hits(), 2);
        assert!(authenticator.remote_jwks().is_some());
        server.stop().await;
    }
}

/// The answer of a route that returns the caller's identity, or the problem.
async fn whoami(
    authenticator: Option<Authenticator>,
    req: test::TestRequest,
) -> (StatusCode, header::HeaderMap, Value) {
    async fn handler(req: HttpRequest) -> Result<HttpResponse, ApiError> {
        let identity = identity(&req).await?;
        let caller: Caller = identity.into_caller(Organization::DEFAULT_ID);
        if req.query_string() == "configure" {
            caller.require(Action::WriteConfig)?;
        }
        Ok(HttpResponse::Ok().json(json!({
            "user": caller.user.map(|u| u.as_str().to_owned()),
            "roles": caller.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        })))
    }
    let mut app = App::new().default_service(web::to(handler));
    if let Some(authenticator) = authenticator {
        app = app.app_data(web::Data::new(authenticator));
    }
    let app = test::init_service(app).await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn jwt_authenticator() -> Authenticator {
    Authenticator::start(&AuthMode::Jwt(file_settings()))
        .await
        .unwrap()
}

fn bearer(token: &str) -> test::TestRequest {
    test::TestRequest::get().insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
}

mod http {
    use super::*;

    #[track_caller]
    fn assert_problem(
        status: StatusCode,
        headers: &header::HeaderMap,
        body: &Value,
        expected: u16,
        slug: &str,
    ) {
        assert_eq!(status.as_u16(), expected, "{body}");
        assert_eq!(
            headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        assert_eq!(body["status"], expected);
        assert_eq!(body["type"], format!("urn:ticket-service:problem:{slug}"));
    }

    #[actix_web::test]
    async fn a_valid_token_is_the_caller() {
        let token = sign("es256-1", &claims());
        let (status, _, body) = whoami(Some(jwt_authenticator().await), bearer(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"user": "alice", "roles": ["supervisor"]}));
    }

    #[actix_web::test]
    async fn jwt_mode_ignores_the_identity_headers() {
        let token = sign("es256-1", &claims());
        let req = bearer(&token)
            .insert_header(("X-User-Id", "mallory"))
            .insert_header(("X-Roles", "admin"));
        let (_, _, body) = whoami(Some(jwt_authenticator().await), req).await;
        assert_eq!(body, json!({"user": "alice", "roles": ["supervisor"]}));
        let (status, ..) = whoami(
            Some(jwt_authenticator().await),
            test::TestRequest::get().insert_header(("X-User-Id", "mallory")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn no_bearer_token_is_a_401_asking_for_one() {
        for req in [
            test::TestRequest::get(),
            test::TestRequest::get().insert_header((header::AUTHORIZATION, "Basic YWxpY2U6eA==")),
        ] {
            let (status, headers, body) = whoami(Some(jwt_authenticator().await), req).await;
            assert_problem(status, &headers, &body, 401, "missing-credentials");
            assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        }
    }

    #[actix_web::test]
    async fn an_invalid_token_is_a_401_invalid_token() {
        let expired = sign("es256-1", &claims_with(json!({"exp": now() - 120})));
        for (token, detail) in [
            (expired.as_str(), "expired"),
            ("", "no token after Bearer"),
            ("not-a-jwt", "not a well-formed JWT"),
        ] {
            let (status, headers, body) =
                whoami(Some(jwt_authenticator().await), bearer(token)).await;
            assert_problem(status, &headers, &body, 401, "invalid-token");
            assert_eq!(
                headers.get(header::WWW_AUTHENTICATE).unwrap(),
                "Bearer error=\"invalid_token\""
            );
            assert!(body["detail"].as_str().unwrap().contains(detail), "{body}");
        }
    }

    #[actix_web::test]
    async fn header_mode_reads_the_headers() {
        let req = test::TestRequest::get()
            .insert_header(("X-User-Id", "bob"))
            .insert_header(("X-Roles", "viewer"));
        let (status, _, body) = whoami(Some(Authenticator::Header), req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"user": "bob", "roles": ["viewer"]}));
        let (_, _, body) = whoami(Some(Authenticator::Header), test::TestRequest::get()).await;
        assert_eq!(body, json!({"user": null, "roles": ["supervisor"]}));
    }

    #[actix_web::test]
    async fn a_bad_identity_header_is_a_422_naming_it() {
        for (name, value) in [
            ("X-Roles", "operator,root"),
            ("X-Org-Id", "not a slug"),
            ("X-Provider-Id", "p-1"),
        ] {
            let req = test::TestRequest::get().insert_header((name, value));
            let (status, headers, body) = whoami(Some(Authenticator::Header), req).await;
            assert_problem(status, &headers, &body, 422, "validation-error");
            assert_eq!(body["errors"][0]["field"], name);
        }
    }

    #[actix_web::test]
    async fn a_forbidden_action_is_a_403_naming_the_permission() {
        let req = test::TestRequest::get()
            .insert_header(("X-Roles", "supervisor"))
            .uri("/?configure");
        let (status, headers, body) = whoami(Some(Authenticator::Header), req).await;
        assert_problem(status, &headers, &body, 403, "forbidden");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("WriteConfig") && detail.contains("supervisor"),
            "{detail}"
        );
    }

    #[actix_web::test]
    async fn without_an_authenticator_nothing_is_trusted() {
        let req = test::TestRequest::get().insert_header(("X-User-Id", "bob"));
        let (status, headers, body) = whoami(None, req).await;
        assert_problem(status, &headers, &body, 500, "internal-error");
    }
}
