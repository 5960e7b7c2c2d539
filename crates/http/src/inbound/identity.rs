//! Who calls: [`Identity`], a caller as the request states it, before its organization is
//! looked up. Header mode reads it from the gateway's headers here; JWT mode
//! ([`crate::inbound::jwt`]) from a verified token.

use actix_web::HttpRequest;
use ticket_domain::{Caller, OrgId, OrgRef, ProviderId, Role, UserId};

use crate::inbound::extract::{USER_HEADER, field_error, header_text};
use crate::inbound::problem::ApiError;

/// The organization the caller acts in, by id or slug.
pub const ORG_HEADER: &str = "x-org-id";
/// The caller's roles, comma-separated.
pub const ROLES_HEADER: &str = "x-roles";
/// The provider a `provider` caller posts for.
pub const PROVIDER_HEADER: &str = "x-provider-id";

/// The roles of a header-mode caller that names none: what every request could do before
/// roles existed (read, post alerts, work tickets, assign others, reopen), so existing
/// gateway set-ups and clients keep working; configuration writes need `admin` said.
pub const DEFAULT_ROLES: &[Role] = &[Role::Supervisor];

/// An authenticated caller whose organization is still a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The acting user; none for a provider's machine call.
    pub user: Option<UserId>,
    /// The organization named by the caller; `None` is the default organization
    /// (`Organization::DEFAULT_ID`).
    pub org: Option<OrgRef>,
    /// Without duplicates, in the order given.
    pub roles: Vec<Role>,
    pub provider: Option<ProviderId>,
}

impl Identity {
    /// The caller, once the storage side has resolved [`Identity::org`] to `org`.
    pub fn into_caller(self, org: OrgId) -> Caller {
        Caller {
            user: self.user,
            org,
            roles: self.roles,
            provider: self.provider,
        }
    }
}

/// Roles named in `names`, duplicates dropped, in order; the first unknown name is the
/// error (its message lists the known roles).
pub fn parse_roles<'a>(
    names: impl IntoIterator<Item = &'a str>,
    field: &str,
) -> Result<Vec<Role>, ticket_domain::FieldError> {
    let mut roles = Vec::new();
    for name in names {
        let role = Role::parse(name, field)?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// Header mode: the identity the trusted gateway states in `X-User-Id`, `X-Org-Id`,
/// `X-Roles` and `X-Provider-Id`. Absent or blank headers take their defaults (no user, the
/// default organization, [`DEFAULT_ROLES`], no provider); a malformed one is a 422 naming
/// the header.
pub fn from_headers(req: &HttpRequest) -> Result<Identity, ApiError> {
    let user = header_text(req, USER_HEADER, "X-User-Id")?
        .map(|text| UserId::parse(text, "X-User-Id"))
        .transpose()
        .map_err(field_error)?;
    let org = header_text(req, ORG_HEADER, "X-Org-Id")?
        .map(|text| OrgRef::parse(text, "X-Org-Id"))
        .transpose()
        .map_err(field_error)?;
    let roles = match header_text(req, ROLES_HEADER, "X-Roles")? {
        None => DEFAULT_ROLES.to_vec(),
        Some(text) => parse_roles(text.split(','), "X-Roles").map_err(field_error)?,
    };
    let provider = header_text(req, PROVIDER_HEADER, "X-Provider-Id")?
        .map(|text| ProviderId::parse(text, "X-Provider-Id"))
        .transpose()
        .map_err(field_error)?;
    Ok(Identity {
        user,
        org,
        roles,
        provider,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use actix_web::test::TestRequest;
    use ticket_domain::{OrgSlug, Organization};

    const PROVIDER: &str = "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24";

    fn headers(pairs: &[(&str, &str)]) -> Result<Identity, ApiError> {
        let mut req = TestRequest::default();
        for pair in pairs {
            req = req.insert_header(*pair);
        }
        from_headers(&req.to_http_request())
    }

    /// The status and the one field named by a header-mode refusal.
    fn refusal(pairs: &[(&str, &str)]) -> (u16, String) {
        let problem = headers(pairs).unwrap_err().problem();
        assert_eq!(problem.errors.len(), 1, "{problem:?}");
        (problem.status, problem.errors[0].field.clone())
    }

    #[test]
    fn no_headers_is_a_supervisor_of_the_default_organization() {
        let identity = headers(&[]).unwrap();
        assert_eq!(
            identity,
            Identity {
                user: None,
                org: None,
                roles: vec![Role::Supervisor],
                provider: None,
            }
        );
        let caller = identity.into_caller(Organization::DEFAULT_ID);
        assert_eq!(caller.org, Organization::DEFAULT_ID);
        assert_eq!(caller.roles, [Role::Supervisor]);
    }

    #[test]
    fn blank_headers_take_their_defaults() {
        let identity = headers(&[
            ("X-User-Id", " "),
            ("X-Org-Id", ""),
            ("X-Roles", "  "),
            ("X-Provider-Id", " "),
        ])
        .unwrap();
        assert_eq!(identity, headers(&[]).unwrap());
    }

    #[test]
    fn every_header_is_read() {
        let identity = headers(&[
            ("X-User-Id", " alice "),
            ("X-Org-Id", "Acme-Security"),
            ("X-Roles", "supervisor, viewer,supervisor"),
            ("X-Provider-Id", PROVIDER),
        ])
        .unwrap();
        assert_eq!(identity.user.unwrap().as_str(), "alice");
        assert_eq!(
            identity.org,
            Some(OrgRef::Slug(
                OrgSlug::parse("acme-security", "X-Org-Id").unwrap()
            ))
        );
        assert_eq!(identity.roles, [Role::Supervisor, Role::Viewer]);
        assert_eq!(identity.provider.unwrap().to_string(), PROVIDER);
    }

    #[test]
    fn an_organization_may_be_named_by_id() {
        let identity = headers(&[("X-Org-Id", "00000000-0000-0000-0000-000000000001")]).unwrap();
        assert_eq!(identity.org, Some(OrgRef::Id(Organization::DEFAULT_ID)));
    }

    #[test]
    fn every_role_can_be_named() {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let identity = headers(&[("X-Roles", &all.join(","))]).unwrap();
        assert_eq!(identity.roles, Role::ALL);
    }

    #[test]
    fn a_malformed_header_is_a_422_naming_it() {
        for (pairs, field) in [
            (vec![("X-Roles", "operator,root")], "X-Roles"),
            (vec![("X-Roles", "operator,,viewer")], "X-Roles"),
            (vec![("X-Roles", "Operator")], "X-Roles"),
            (vec![("X-Org-Id", "-acme")], "X-Org-Id"),
            (vec![("X-Org-Id", "acme corp")], "X-Org-Id"),
            (vec![("X-Provider-Id", "acme")], "X-Provider-Id"),
            (vec![("X-User-Id", &"u".repeat(256))], "X-User-Id"),
        ] {
            assert_eq!(refusal(&pairs), (422, field.to_owned()), "{pairs:?}");
        }
    }

    #[test]
    fn an_unknown_role_lists_the_known_ones() {
        let problem = headers(&[("X-Roles", "root")]).unwrap_err().problem();
        assert_eq!(
            problem.errors[0].detail,
            "must be one of: viewer, operator, supervisor, admin, provider"
        );
    }

    #[test]
    fn a_header_that_is_not_ascii_is_a_422_naming_it() {
        let req = TestRequest::default()
            .insert_header((
                "X-Org-Id",
                actix_web::http::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
            ))
            .to_http_request();
        let problem = from_headers(&req).unwrap_err().problem();
        assert_eq!(
            (problem.status, problem.errors[0].field.as_str()),
            (422, "X-Org-Id")
        );
    }
}
