//! The keys that verify bearer tokens: a JSON Web Key Set (RFC 7517), read from a file at
//! start-up or fetched from the identity provider.
//!
//! Each key's algorithm comes from the key itself (`kty` and `crv`, and `alg` when given,
//! which must agree), never from a token: ES256 for a P-256 key, RS256 for an RSA key of
//! 2048 to 4096 bits, EdDSA for an Ed25519 key. Every other key (symmetric `oct` keys
//! above all, which would let a token choose HMAC with a public key as its secret) is left
//! out of the set, with the reason logged.
//!
//! A fetched set is kept until a later fetch succeeds: while the provider is unreachable,
//! the keys already known keep working. A token naming an unknown `kid` fetches the set
//! again, at most once per [`FetchPolicy::min_interval`], so that a stream of made-up key
//! ids cannot turn into a stream of requests to the provider.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// Largest key set accepted from the provider; real ones are a few KiB.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Smallest and largest RSA modulus accepted, in bits. Below 2048 is breakable; above
/// 4096 the RSA backend refuses to verify, so such a key could only fail later.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// How the key set is fetched from a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// The whole fetch, connection to last byte; a request waiting on an unknown key
    /// waits at most this long.
    pub timeout: Duration,
    /// Least time between two fetches for unknown keys.
    pub min_interval: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
            min_interval: Duration::from_secs(30),
        }
    }
}

/// Why a key set could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not a JSON Web Key Set ({{\"keys\": [...]}}): {0}")]
    Format(String),
    #[error(
        "no usable key: each needs a kid and must be EC P-256 (ES256), RSA of 2048 to 4096 \
         bits (RS256) or OKP Ed25519 (EdDSA)"
    )]
    NoUsableKey,
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
}

/// A public key and the one algorithm it verifies.
#[derive(Debug, Clone)]
pub struct Key {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Usable keys by `kid`, and what was left out.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<Key>>,
    skipped: Vec<String>,
}

/// The members of a JWK this service reads (RFC 7517 §4, RFC 7518 §6).
#[derive(Debug, Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl KeySet {
    /// Reads `{"keys": [...]}`, keeping each usable key and noting why each other one was
    /// left out; only a document that is not a key set at all is an error.
    pub fn parse(json: &[u8]) -> Result<Self, JwksError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document =
            serde_json::from_slice(json).map_err(|e| JwksError::Format(e.to_string()))?;
        let mut set = KeySet::default();
        for (index, value) in document.keys.into_iter().enumerate() {
            let label = value
                .get("kid")
                .and_then(|kid| kid.as_str())
                .map_or_else(|| format!("key #{index}"), |kid| format!("key {kid:?}"));
            match serde_json::from_value::<RawJwk>(value)
                .map_err(|e| e.to_string())
                .and_then(usable)
            {
                Ok((kid, _)) if set.keys.contains_key(&kid) => {
                    set.skipped
                        .push(format!("{label}: a second key with this kid"));
                }
                Ok((kid, key)) => {
                    set.keys.insert(kid, Arc::new(key));
                }
                Err(reason) => set.skipped.push(format!("{label}: {reason}")),
            }
        }
        Ok(set)
    }

    pub fn get(&self, kid: &str) -> Option<Arc<Key>> {
        self.keys.get(kid).cloned()
    }

    /// The key ids, sorted.
    pub fn kids(&self) -> Vec<&str> {
        let mut kids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        kids
    }

    /// Why each left-out key was left out.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn log_skipped(&self, source: &str) {
        for reason in &self.skipped {
            tracing::warn!(source, reason = %reason, "JWKS key ignored");
        }
    }
}

/// The key's id and verifying key, or why it cannot verify tokens here.
fn usable(jwk: RawJwk) -> Result<(String, Key), String> {
    let kid = jwk.kid.filter(|k| !k.is_empty()).ok_or("no kid")?;
    if let Some(usage) = jwk.usage.as_deref().filter(|u| *u != "sig") {
        return Err(format!("use {usage:?}, not \"sig\""));
    }
    let member = |value: Option<String>, name: &str| {
        value.ok_or_else(|| format!("{} key without {name:?}", jwk.kty))
    };
    let (algorithm, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("EC", Some("P-256")) => {
            let (x, y) = (member(jwk.x, "x")?, member(jwk.y, "y")?);
            exact_length(&x, 32, "x")?;
            exact_length(&y, 32, "y")?;
            (Algorithm::ES256, DecodingKey::from_ec_components(&x, &y))
        }
        ("RSA", _) => {
            let (n, e) = (member(jwk.n, "n")?, member(jwk.e, "e")?);
            let bits = modulus_bits(&decode(&n, "n")?);
            if !RSA_BITS.contains(&bits) {
                return Err(format!("RSA modulus of {bits} bits, not 2048 to 4096"));
            }
            (Algorithm::RS256, DecodingKey::from_rsa_components(&n, &e))
        }
        ("OKP", Some("Ed25519")) => {
            let x = member(jwk.x, "x")?;
            exact_length(&x, 32, "x")?;
            (Algorithm::EdDSA, DecodingKey::from_ed_components(&x))
        }
        (kty, crv) => {
            return Err(format!(
                "key type {kty:?}{} is not accepted (only EC P-256, RSA, OKP Ed25519)",
                crv.map(|c| format!(" on curve {c:?}")).unwrap_or_default()
            ));
        }
    };
    let expected = format!("{algorithm:?}");
    if let Some(alg) = jwk.alg.filter(|alg| *alg != expected) {
        return Err(format!("alg {alg:?} on a key for {expected}"));
    }
    let key = key.map_err(|e| format!("unreadable key: {e}"))?;
    Ok((kid, Key { algorithm, key }))
}

fn decode(value: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("{name:?} is not unpadded base64url"))
}

/// Checks the decoded length: a short Ed25519 key would make the backend panic, and a
/// point of the wrong size is not on the curve anyway.
fn exact_length(value: &str, bytes: usize, name: &str) -> Result<(), String> {
    let length = decode(value, name)?.len();
    if length == bytes {
        Ok(())
    } else {
        Err(format!("{name:?} has {length} bytes, not {bytes}"))
    }
}

fn modulus_bits(n: &[u8]) -> usize {
    match n.iter().position(|b| *b != 0) {
        Some(first) => (n.len() - first) * 8 - n[first].leading_zeros() as usize,
        None => 0,
    }
}

/// The key set a verifier uses: fixed, or fetched from a URL and cached.
#[derive(Debug)]
pub struct Jwks {
    url: Option<String>,
    policy: FetchPolicy,
    keys: RwLock<Arc<KeySet>>,
    /// When the last fetch for an unknown key started, successful or not.
    last_fetch: Mutex<Option<Instant>>,
}

impl Jwks {
    /// A set that never changes.
    pub fn fixed(keys: KeySet) -> Self {
        Self {
            url: None,
            policy: FetchPolicy::default(),
            keys: RwLock::new(Arc::new(keys)),
            last_fetch: Mutex::new(None),
        }
    }

    /// The set in `path`; one without a usable key is an error, since it would refuse
    /// every token.
    pub fn from_file(path: &Path) -> Result<Self, JwksError> {
        let text = std::fs::read(path).map_err(|source| JwksError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let keys = KeySet::parse(&text)?;
        keys.log_skipped(&path.display().to_string());
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Self::fixed(keys))
    }

    /// A set fetched from `url` (by [`Jwks::refresh`], or on the first unknown key).
    pub fn remote(url: String, policy: FetchPolicy) -> Self {
        Self {
            url: Some(url),
            policy,
            keys: RwLock::new(Arc::new(KeySet::default())),
            last_fetch: Mutex::new(None),
        }
    }

    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The keys known now.
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key `kid`; for a remote set that does not know it, fetched again first unless
    /// a fetch started less than [`FetchPolicy::min_interval`] ago.
    pub async fn find(&self, kid: &str) -> Option<Arc<Key>> {
        if let Some(key) = self.keys().get(kid) {
            return Some(key);
        }
        if self.url.is_none() || !self.claim_fetch() {
            return None;
        }
        if let Err(error) = self.fetch().await {
            tracing::warn!(%error, kid, "JWKS refetch for an unknown key failed");
        }
        self.keys().get(kid)
    }

    /// Fetches the set now (a fixed set: nothing to do) and returns how many keys it has.
    /// On failure the keys known so far stay. Scheduled fetches (start-up, the periodic
    /// refresh) do not count against the unknown-key interval: only token-triggered
    /// fetches need bounding, and a key published just after one must not wait for it.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        self.fetch().await
    }

    /// Whether a fetch for an unknown key may start now; if so, it counts as started. A
    /// second request for a new key while that fetch runs is refused rather than queued:
    /// its wait stays bounded, and a retry finds the key.
    fn claim_fetch(&self) -> bool {
        let mut last = self
            .last_fetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.policy.min_interval) {
            return false;
        }
        *last = Some(now);
        true
    }

    async fn fetch(&self) -> Result<usize, JwksError> {
        let Some(url) = &self.url else {
            return Ok(self.keys().len());
        };
        let failed = |reason: String| JwksError::Fetch {
            url: url.clone(),
            reason,
        };
        let timeout = self.policy.timeout;
        // A client per fetch: `awc::Client` is bound to its thread, while the set is
        // shared by every worker; fetches are rare.
        let client = awc::Client::builder().timeout(timeout).finish();
        let request = async {
            let mut response = client
                .get(url)
                .insert_header(("Accept", "application/json"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("HTTP {}", response.status()));
            }
            let body = response
                .body()
                .limit(MAX_JWKS_BYTES)
                .await
                .map_err(|e| e.to_string())?;
            KeySet::parse(&body).map_err(|e| e.to_string())
        };
        // The client's timeout covers the response head; this bounds the body too.
        let keys = actix_web::rt::time::timeout(timeout, request)
            .await
            .map_err(|_| failed(format!("no complete answer within {timeout:?}")))?
            .map_err(failed)?;
        keys.log_skipped(url);
        if keys.is_empty() {
            // An empty set is far more often a broken deployment than a decision to refuse
            // every token: the keys known so far stay.
            return Err(failed(JwksError::NoUsableKey.to_string()));
        }
        let count = keys.len();
        tracing::info!(url = %url, kids = ?keys.kids(), "JWKS fetched");
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// Base64url of `n` bytes, the first one `first`, the others 0xff.
    fn bytes(n: usize, first: u8) -> String {
        let mut raw = vec![0xffu8; n];
        raw[0] = first;
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn ec(kid: &str) -> serde_json::Value {
        // The P-256 generator point: a valid public key.
        json!({
            "kty": "EC", "crv": "P-256", "kid": kid,
            "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
            "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
        })
    }

    fn parse(keys: serde_json::Value) -> KeySet {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    fn skipped_reason(key: serde_json::Value) -> String {
        let set = parse(json!([key]));
        assert!(set.is_empty(), "{:?}", set.kids());
        set.skipped()[0].clone()
    }

    #[test]
    fn each_accepted_key_type_gets_its_one_algorithm() {
        let set = parse(json!([
            ec("ec"),
            {"kty": "RSA", "kid": "rsa", "n": bytes(256, 0xc1), "e": "AQAB"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": bytes(32, 1)},
        ]));
        assert_eq!(set.kids(), ["ec", "ed", "rsa"]);
        assert_eq!(set.get("ec").unwrap().algorithm, Algorithm::ES256);
        assert_eq!(set.get("rsa").unwrap().algorithm, Algorithm::RS256);
        assert_eq!(set.get("ed").unwrap().algorithm, Algorithm::EdDSA);
        assert!(set.skipped().is_empty());
    }

    #[test]
    fn symmetric_and_other_keys_are_left_out() {
        for (key, reason) in [
            (
                json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0", "alg": "HS256"}),
                "key type \"oct\"",
            ),
            (
                json!({"kty": "EC", "crv": "P-384", "kid": "p384", "x": bytes(48, 1), "y": bytes(48, 1)}),
                "on curve \"P-384\"",
            ),
            (
                json!({"kty": "OKP", "crv": "X25519", "kid": "x", "x": bytes(32, 1)}),
                "on curve \"X25519\"",
            ),
        ] {
            let skipped = skipped_reason(key);
            assert!(skipped.contains(reason), "{skipped}");
        }
    }

    #[test]
    fn a_key_whose_alg_disagrees_with_its_type_is_left_out() {
        let mut key = ec("ec");
        key["alg"] = json!("HS256");
        assert!(skipped_reason(key).contains("alg \"HS256\" on a key for ES256"));
        let mut key = ec("ec");
        key["alg"] = json!("ES256");
        assert_eq!(parse(json!([key])).kids(), ["ec"]);
    }

    #[test]
    fn weak_short_or_unnamed_keys_are_left_out() {
        for (key, reason) in [
            (
                json!({"kty": "RSA", "kid": "r", "n": bytes(128, 0xff), "e": "AQAB"}),
                "1024 bits",
            ),
            // 2048 bytes of storage, but a leading zero byte: 2040 bits.
            (
                json!({"kty": "RSA", "kid": "r", "n": bytes(256, 0), "e": "AQAB"}),
                "2040 bits",
            ),
            (
                json!({"kty": "RSA", "kid": "r", "n": bytes(513, 1), "e": "AQAB"}),
                "4097 bits",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "kid": "e", "x": bytes(16, 1)}),
                "16 bytes, not 32",
            ),
            (
                json!({"kty": "EC", "crv": "P-256", "kid": "e", "x": bytes(31, 1), "y": bytes(32, 1)}),
                "31 bytes, not 32",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "kid": "e", "x": "not base64!"}),
                "not unpadded base64url",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": bytes(32, 1)}),
                "no kid",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "kid": "e"}),
                "without \"x\"",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "kid": "e", "use": "enc", "x": bytes(32, 1)}),
                "use \"enc\"",
            ),
        ] {
            let skipped = skipped_reason(key);
            assert!(skipped.contains(reason), "{skipped} lacks {reason}");
        }
    }

    #[test]
    fn a_repeated_kid_keeps_the_first_key() {
        let set = parse(json!([
            ec("same"),
            {"kty": "OKP", "crv": "Ed25519", "kid": "same", "x": bytes(32, 1)},
        ]));
        assert_eq!(set.get("same").unwrap().algorithm, Algorithm::ES256);
        assert!(set.skipped()[0].contains("a second key with this kid"));
    }

    #[test]
    fn a_document_that_is_not_a_key_set_is_an_error() {
        for text in ["", "[]", "{\"keys\": {}}", "{\"kid\": \"x\"}"] {
            assert!(
                matches!(KeySet::parse(text.as_bytes()), Err(JwksError::Format(_))),
                "{text:?}"
            );
        }
        // Entries that are not objects are skipped like unusable keys.
        let set = parse(json!([1, "x", ec("ec")]));
        assert_eq!((set.kids(), set.skipped().len()), (vec!["ec"], 2));
    }

    #[test]
    fn modulus_bits_ignore_leading_zero_bytes() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[0, 1]), 1);
        assert_eq!(modulus_bits(&[0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0, 0x7f, 0]), 15);
    }
}
