//! JWT mode: a bearer token verified against the identity provider's keys
//! ([`crate::inbound::jwks`]) and read into an [`Identity`].
//!
//! A token is accepted when its header names a known `kid` and the algorithm of that key
//! (never one the token picks: `none` and HMAC cannot be chosen), its signature verifies,
//! `iss` and `aud` are the configured ones, and `exp` (required) and `nbf` (when present)
//! hold with [`LEEWAY_SECONDS`] of clock skew either way.
//!
//! Claims: `sub` is the user (optional: a provider's token may carry none); the
//! organization claim (`org_id` by default) is required, a UUID or a slug; the roles claim
//! (`roles` by default) is a list of role names, and names this service does not know are
//! ignored, because one token usually serves several services and may carry their roles
//! too (ignoring them can only grant less); `provider_id` is the provider a `provider`
//! caller posts for.

use std::path::PathBuf;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode, decode_header};
use serde_json::{Map, Value};
use ticket_domain::{FieldError, OrgRef, ProviderId, Role, UserId};

use crate::inbound::identity::Identity;
use crate::inbound::jwks::{FetchPolicy, Jwks, JwksError};
use crate::inbound::problem::ApiError;

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// The organization claim unless configured otherwise.
pub const DEFAULT_ORG_CLAIM: &str = "org_id";
/// The roles claim unless configured otherwise.
pub const DEFAULT_ROLES_CLAIM: &str = "roles";
/// The claim naming a provider caller's provider.
pub const PROVIDER_CLAIM: &str = "provider_id";

/// Where the verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Fetched (`http://` only: the client has no TLS) and cached.
    Url { url: String, fetch: FetchPolicy },
    /// Read once at start-up.
    File(PathBuf),
}

/// What a token must say, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSettings {
    pub keys: KeySource,
    /// The one accepted `iss`.
    pub issuer: String,
    /// The `aud` that must be among the token's.
    pub audience: String,
    pub org_claim: String,
    pub roles_claim: String,
}

/// Why a bearer token is refused; every one is a 401 `invalid-token`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a well-formed JWT ({0})")]
    Malformed(String),
    #[error("the token's header names no key (kid)")]
    NoKeyId,
    #[error("no key {0:?} in the identity provider's key set")]
    UnknownKey(String),
    #[error("the token says {token}, but key {kid:?} verifies {key} only")]
    Algorithm {
        kid: String,
        token: String,
        key: String,
    },
    #[error("the signature does not verify")]
    Signature,
    #[error("the token has expired (exp)")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token is for another audience (aud)")]
    Audience,
    #[error("the token is from another issuer (iss)")]
    Issuer,
    #[error("claim {0:?} is required")]
    MissingClaim(String),
    #[error("claim {claim:?} {message}")]
    Claim { claim: String, message: String },
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        ApiError::InvalidToken(error.to_string())
    }
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAudience => TokenError::Audience,
            ErrorKind::InvalidIssuer => TokenError::Issuer,
            ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim.clone()),
            ErrorKind::InvalidClaimFormat(claim) => TokenError::Claim {
                claim: claim.clone(),
                message: "has the wrong type".to_owned(),
            },
            _ => TokenError::Malformed(printable(&error.to_string())),
        }
    }
}

/// Text from the token (a parser's message quoting it, a `kid`) as it may go into the
/// problem and the log: one short line.
fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 120;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

fn claim_error(error: FieldError) -> TokenError {
    TokenError::Claim {
        claim: error.field,
        message: error.message,
    }
}

/// Verifies bearer tokens; shared by every worker.
#[derive(Debug)]
pub struct JwtVerifier {
    jwks: Jwks,
    /// `iss`, `aud`, the leeway and the required claims; the algorithm is set per key.
    validation: Validation,
    org_claim: String,
    roles_claim: String,
}

impl JwtVerifier {
    /// A verifier for `settings`; a key file is read now (a URL is fetched later, see
    /// [`Jwks::refresh`]).
    pub fn new(settings: &JwtSettings) -> Result<Self, JwksError> {
        let jwks = match &settings.keys {
            KeySource::Url { url, fetch } => Jwks::remote(url.clone(), *fetch),
            KeySource::File(path) => Jwks::from_file(path)?,
        };
        let mut validation = Validation::default();
        // Set per key in `verify`; left empty, `decode` refuses every token.
        validation.algorithms.clear();
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        Ok(Self {
            jwks,
            validation,
            org_claim: settings.org_claim.clone(),
            roles_claim: settings.roles_claim.clone(),
        })
    }

    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// The identity `token` states, once verified.
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header = decode_header(token)?;
        let kid = header.kid.ok_or(TokenError::NoKeyId)?;
        let key = self
            .jwks
            .find(&kid)
            .await
            .ok_or_else(|| TokenError::UnknownKey(printable(&kid)))?;
        // `decode` checks this too; refusing here names both algorithms.
        if header.alg != key.algorithm {
            return Err(TokenError::Algorithm {
                kid,
                token: format!("{:?}", header.alg),
                key: format!("{:?}", key.algorithm),
            });
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![key.algorithm];
        let claims = decode::<Map<String, Value>>(token, &key.key, &validation)?.claims;
        self.identity(&claims)
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, TokenError> {
        let user = string_claim(claims, "sub")?
            .map(|sub| UserId::parse(sub, "sub"))
            .transpose()
            .map_err(claim_error)?;
        let org = string_claim(claims, &self.org_claim)?
            .ok_or_else(|| TokenError::MissingClaim(self.org_claim.clone()))?;
        let org = OrgRef::parse(org, &self.org_claim).map_err(claim_error)?;
        let provider = string_claim(claims, PROVIDER_CLAIM)?
            .map(|id| ProviderId::parse(id, PROVIDER_CLAIM))
            .transpose()
            .map_err(claim_error)?;
        Ok(Identity {
            user,
            org: Some(org),
            roles: self.roles(claims)?,
            provider,
        })
    }

    /// The known roles named by the roles claim; none when it is absent.
    fn roles(&self, claims: &Map<String, Value>) -> Result<Vec<Role>, TokenError> {
        let not_a_list = || TokenError::Claim {
            claim: self.roles_claim.clone(),
            message: "must be a list of role names".to_owned(),
        };
        let names = match claims.get(&self.roles_claim) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(not_a_list))
                .collect::<Result<Vec<&str>, _>>()?,
            Some(_) => return Err(not_a_list()),
        };
        let mut roles = Vec::new();
        for name in names {
            match name.parse::<Role>() {
                Ok(role) if !roles.contains(&role) => roles.push(role),
                Ok(_) => {}
                Err(()) => tracing::debug!(role = name, "unknown role in token ignored"),
            }
        }
        Ok(roles)
    }
}

/// A claim that must be a string when present (`null` counts as absent).
fn string_claim<'c>(
    claims: &'c Map<String, Value>,
    name: &str,
) -> Result<Option<&'c str>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(TokenError::Claim {
            claim: name.to_owned(),
            message: "must be a string".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_text_is_shown_on_one_short_line() {
        assert_eq!(printable("kid-1"), "kid-1");
        assert_eq!(printable("a\nb\u{1b}[31m"), "a?b?[31m");
        let long = "k".repeat(500);
        assert_eq!(printable(&long).chars().count(), 121);
    }
}
