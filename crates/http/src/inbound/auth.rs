//! Authentication of a request: the [`Authenticator`] the server builds from its
//! configuration and registers as `web::Data<Authenticator>`; [`identity`] reads a request
//! into an `Identity`, and [`caller_allowed`], which every `/api` handler calls with its
//! `HttpRequest` (handlers take no fallible extractor), resolves its organization and
//! checks its roles.
//!
//! - Header mode: the gateway's `X-User-Id`, `X-Org-Id`, `X-Roles` and `X-Provider-Id` are
//!   believed as they are ([`crate::inbound::identity::from_headers`]). Only safe when
//!   nothing but the gateway can reach the service.
//! - JWT mode: `Authorization: Bearer <JWT>`, verified ([`crate::inbound::jwt`]); the
//!   identity headers are ignored.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use ticket_domain::{Action, Caller, OrgRef, Organization, OrganizationRepository};

use crate::inbound::identity::{Identity, from_headers};
use crate::inbound::jwks::{Jwks, JwksError};
use crate::inbound::jwt::{JwtSettings, JwtVerifier, TokenError};
use crate::inbound::problem::ApiError;

/// How callers are authenticated (`AUTH_MODE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// Trust the gateway's identity headers.
    Header,
    /// Verify a bearer JWT.
    Jwt(JwtSettings),
}

/// Turns a request into an [`Identity`]; one for the whole server, shared by its workers.
#[derive(Debug)]
pub enum Authenticator {
    Header,
    Jwt(Box<JwtVerifier>),
}

impl Authenticator {
    /// The authenticator of `mode`. A key file that cannot be read or holds no usable key
    /// is an error; a key URL is fetched once now, and a failure is only logged: the set
    /// is fetched again on the first token (the provider may be starting too), and a
    /// restart during an identity-provider outage must not take the service down.
    pub async fn start(mode: &AuthMode) -> Result<Self, JwksError> {
        match mode {
            AuthMode::Header => Ok(Authenticator::Header),
            AuthMode::Jwt(settings) => {
                let verifier = JwtVerifier::new(settings)?;
                if let Err(error) = verifier.jwks().refresh().await {
                    tracing::warn!(
                        %error,
                        "JWKS not available at start-up: tokens are refused until it is"
                    );
                }
                Ok(Authenticator::Jwt(Box::new(verifier)))
            }
        }
    }

    /// The identity `req` states (header mode) or proves (JWT mode).
    pub async fn authenticate(&self, req: &HttpRequest) -> Result<Identity, ApiError> {
        match self {
            Authenticator::Header => from_headers(req),
            Authenticator::Jwt(verifier) => {
                let token = bearer_token(req)?;
                verifier.verify(token).await.map_err(|error| {
                    tracing::info!(%error, "bearer token refused");
                    ApiError::from(error)
                })
            }
        }
    }

    /// The key set to refresh periodically, for JWT mode with a URL.
    pub fn remote_jwks(&self) -> Option<&Jwks> {
        match self {
            Authenticator::Jwt(verifier) if verifier.jwks().url().is_some() => {
                Some(verifier.jwks())
            }
            _ => None,
        }
    }
}

/// The token of `Authorization: Bearer <token>`. No header, or another scheme (RFC 6750
/// §3.1: no bearer credentials), is [`ApiError::MissingCredentials`]; a bearer header
/// without a token is an invalid token.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::MissingCredentials)?;
    let text = value
        .to_str()
        .map_err(|_| TokenError::Malformed("the Authorization header is not ASCII".to_owned()))?
        .trim();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingCredentials);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Malformed("no token after Bearer".to_owned()).into());
    }
    Ok(token)
}

/// The caller of `req`, by the app's `web::Data<Authenticator>`. Async: a token signed by
/// a key not yet known may fetch the key set (bounded by its timeout).
///
/// An app without an `Authenticator` answers 500: falling back to trusting headers would
/// silently turn a JWT deployment into an open one.
pub async fn identity(req: &HttpRequest) -> Result<Identity, ApiError> {
    let Some(authenticator) = req.app_data::<web::Data<Authenticator>>() else {
        tracing::error!("no Authenticator registered in the app: refusing the request");
        return Err(ApiError::Internal);
    };
    authenticator.authenticate(req).await
}

/// The caller of a request: its identity (header mode or a verified token) with the
/// organization resolved (a slug named for the first time is provisioned; absent,
/// the default one).
pub async fn caller(
    req: &HttpRequest,
    orgs: &dyn OrganizationRepository,
) -> Result<Caller, ApiError> {
    let identity = identity(req).await?;
    let named = identity
        .org
        .clone()
        .unwrap_or(OrgRef::Id(Organization::DEFAULT_ID));
    let org = orgs
        .resolve(&named)
        .await?
        .ok_or_else(|| ApiError::Forbidden("the caller's organization is unknown".into()))?;
    Ok(identity.into_caller(org))
}

/// [`caller`], refused with 403 unless its roles allow `action`: the prologue of every
/// handler that acts on an organization's data.
pub async fn caller_allowed(
    req: &HttpRequest,
    orgs: &dyn OrganizationRepository,
    action: Action,
) -> Result<Caller, ApiError> {
    let caller = caller(req, orgs).await?;
    caller.require(action)?;
    Ok(caller)
}
