//! Organizations, roles and what each role may do. The gateway says who calls (a verified
//! token, or trusted headers in development); these rules say what that caller may do.

use chrono::{DateTime, Utc};

use crate::error::FieldError;
use crate::model::{OrgId, ProviderId, Status, UserId, name_enum};

name_enum!(
    /// What a caller is to the service, as the gateway's token says.
    Role {
        Viewer = "viewer",
        Operator = "operator",
        Supervisor = "supervisor",
        Admin = "admin",
        Provider = "provider",
    }
);

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read tickets, their alerts, statistics, notifications and the organization.
    Read,
    /// Post an alert (`POST /api/tickets`).
    PostAlert,
    /// Change a ticket's status for oneself (including taking it).
    ChangeStatus,
    Comment,
    /// Assign a ticket to someone else.
    AssignOthers,
    /// Reopen a resolved, closed or false-positive ticket.
    Reopen,
    /// Read configuration (SLA policies, calendars, rules).
    ReadConfig,
    /// Write configuration and the organization's settings.
    WriteConfig,
}

impl Role {
    /// `viewer` reads; `operator` also posts alerts, changes status and comments;
    /// `supervisor` also assigns others, reopens and reads configuration; `admin` also
    /// writes configuration; `provider` only posts alerts (under its own `provider_id`).
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Viewer => matches!(action, Read),
            Role::Operator => matches!(action, Read | PostAlert | ChangeStatus | Comment),
            Role::Supervisor => !matches!(action, WriteConfig),
            Role::Admin => true,
            Role::Provider => matches!(action, PostAlert),
        }
    }
}

/// A caller the gateway vouched for: who, in which organization, with which roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The acting user (`sub`); none for a provider's call.
    pub user: Option<UserId>,
    pub org: OrgId,
    pub roles: Vec<Role>,
    /// The provider a `provider` caller posts for.
    pub provider: Option<ProviderId>,
}

/// Why a caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    #[error("the caller's roles ({roles}) do not allow {action:?}")]
    Role { action: Action, roles: String },
    #[error("a provider may only post alerts under its own provider_id")]
    OtherProvider,
}

impl Caller {
    /// Whether any of the caller's roles allows `action`.
    pub fn may(&self, action: Action) -> bool {
        self.roles.iter().any(|r| r.allows(action))
    }

    /// `Ok` when the caller may do `action`.
    pub fn require(&self, action: Action) -> Result<(), Forbidden> {
        if self.may(action) {
            return Ok(());
        }
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        Err(Forbidden::Role {
            action,
            roles: if roles.is_empty() {
                "none".to_owned()
            } else {
                roles.join(", ")
            },
        })
    }

    /// Posting an alert for `provider`: a caller who is only a provider posts under its own
    /// provider id; operators and above may post for any.
    pub fn require_post_alert(&self, provider: ProviderId) -> Result<(), Forbidden> {
        self.require(Action::PostAlert)?;
        let unrestricted = self
            .roles
            .iter()
            .any(|r| *r != Role::Provider && r.allows(Action::PostAlert));
        if unrestricted || self.provider == Some(provider) {
            Ok(())
        } else {
            Err(Forbidden::OtherProvider)
        }
    }

    /// A status change from `from` to `to` naming `assignee` (if any): reopening needs
    /// [`Action::Reopen`], and naming someone other than oneself [`Action::AssignOthers`].
    pub fn require_status_change(
        &self,
        from: Status,
        to: Status,
        assignee: Option<&UserId>,
    ) -> Result<(), Forbidden> {
        self.require(Action::ChangeStatus)?;
        if from.is_resolution() && to.is_active() {
            self.require(Action::Reopen)?;
        }
        if assignee.is_some_and(|a| Some(a) != self.user.as_ref()) {
            self.require(Action::AssignOthers)?;
        }
        Ok(())
    }

    /// Setting `user`'s availability for automatic assignment: operators set their own,
    /// anyone else's needs [`Action::AssignOthers`] (supervisors and admins).
    pub fn require_set_availability(&self, user: &UserId) -> Result<(), Forbidden> {
        self.require(Action::ChangeStatus)?;
        if self.user.as_ref() != Some(user) {
            self.require(Action::AssignOthers)?;
        }
        Ok(())
    }
}

/// An organization's short name: 1..=63 of `a-z`, `0-9` and `-`, starting with a letter or
/// digit (as a DNS label), so it can appear in a header or a URL as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub const MAX_CHARS: usize = 63;

    /// Parses a slug; upper case is folded to lower case.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let slug = raw.trim().to_ascii_lowercase();
        let valid = !slug.is_empty()
            && slug.len() <= Self::MAX_CHARS
            && !slug.starts_with('-')
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(slug))
        } else {
            Err(FieldError::new(
                field,
                "must be 1..=63 of a-z, 0-9 and '-', not starting with '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a caller names its organization: by id, or by slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrgRef {
    Id(OrgId),
    Slug(OrgSlug),
}

impl OrgRef {
    /// A UUID is an id; anything else must be a slug.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        match uuid::Uuid::parse_str(raw.trim()) {
            Ok(id) => Ok(OrgRef::Id(OrgId::from_uuid(id))),
            Err(_) => OrgSlug::parse(raw, field).map(OrgRef::Slug),
        }
    }
}

/// One customer or site served by the deployment; it sees only its own data.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrgId,
    pub slug: OrgSlug,
    pub name: String,
    /// Free-form settings an admin keeps (a JSON object).
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl Organization {
    /// The organization every deployment has: the data of a single-organization site, and
    /// the one a caller gets when it names none (header mode).
    pub const DEFAULT_ID: OrgId = OrgId::from_u128(1);
    pub const DEFAULT_SLUG: &'static str = "default";
}
