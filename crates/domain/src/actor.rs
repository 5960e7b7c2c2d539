//! Who made a change: a user the gateway vouches for, or the service itself acting on a
//! rule (`system:<kind>:<rule id>`, e.g. `system:escalation:7`). History records either,
//! the same way.

use std::fmt;

use crate::error::FieldError;
use crate::model::{UserId, name_enum};

/// How every system actor's name starts; a [`UserId`] never does.
pub(crate) const SYSTEM_PREFIX: &str = "system:";

name_enum!(
    /// The automation that acts.
    SystemKind {
        Assignment = "assignment",
        Escalation = "escalation",
        AutoResolve = "auto_resolve",
        Hold = "hold",
        Suppression = "suppression",
        Flapping = "flapping",
    }
);

/// The service acting on one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SystemActor {
    kind: SystemKind,
    rule: String,
}

impl SystemActor {
    /// Longest rule id accepted.
    pub const MAX_RULE_CHARS: usize = 100;

    /// The actor of rule `rule` of `kind`. The rule id is 1..=100 characters without
    /// whitespace or `:`, so the name reads back unambiguously.
    pub fn new(kind: SystemKind, rule: &str) -> Result<Self, FieldError> {
        let valid = !rule.is_empty()
            && rule.chars().count() <= Self::MAX_RULE_CHARS
            && !rule
                .chars()
                .any(|c| c == ':' || c.is_whitespace() || c.is_control());
        if !valid {
            return Err(FieldError::new(
                "actor",
                "a system actor's rule id is 1..=100 characters without ':' or spaces",
            ));
        }
        Ok(Self {
            kind,
            rule: rule.to_owned(),
        })
    }

    /// A rule of the service's own, named in its code (e.g. `system:hold:hold_until`).
    pub(crate) fn builtin(kind: SystemKind, rule: &'static str) -> Self {
        debug_assert!(Self::new(kind, rule).is_ok(), "{rule}");
        Self {
            kind,
            rule: rule.to_owned(),
        }
    }

    pub fn kind(&self) -> SystemKind {
        self.kind
    }

    pub fn rule(&self) -> &str {
        &self.rule
    }
}

/// The author of a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    User(UserId),
    System(SystemActor),
}

impl Actor {
    /// Reads an actor back from its name: `system:<kind>:<rule>` is a system actor,
    /// anything else a user.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let named = |e: FieldError| FieldError::new(field, e.message);
        match raw.trim().strip_prefix(SYSTEM_PREFIX) {
            Some(rest) => {
                let (kind, rule) = rest.split_once(':').ok_or_else(|| {
                    FieldError::new(field, "a system actor is named system:<kind>:<rule id>")
                })?;
                let kind = SystemKind::parse(kind, field)?;
                SystemActor::new(kind, rule)
                    .map(Actor::System)
                    .map_err(named)
            }
            None => UserId::parse(raw, field).map(Actor::User),
        }
    }

    /// The user, when a user acted.
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Actor::User(user) => Some(user),
            Actor::System(_) => None,
        }
    }
}

impl From<UserId> for Actor {
    fn from(user: UserId) -> Self {
        Actor::User(user)
    }
}

impl From<SystemActor> for Actor {
    fn from(system: SystemActor) -> Self {
        Actor::System(system)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(user) => f.write_str(user.as_str()),
            Actor::System(s) => write!(f, "{SYSTEM_PREFIX}{}:{}", s.kind, s.rule),
        }
    }
}

/// Serialised as its name (`alice`, `system:escalation:7`).
impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Result<Actor, FieldError> {
        Actor::parse(raw, "actor")
    }

    #[test]
    fn a_user_reads_back_as_a_user() {
        let actor = parsed("alice").map(|a| a.to_string());
        assert_eq!(actor, Ok("alice".to_owned()));
        assert!(parsed("alice").is_ok_and(|a| a.user().is_some()));
    }

    #[test]
    fn a_system_actor_round_trips_through_its_name() {
        for kind in SystemKind::ALL {
            let system = SystemActor::new(*kind, "7").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(system.kind(), *kind);
            assert_eq!(system.rule(), "7");
            let actor = SystemActor::new(*kind, "7").map(Actor::from);
            let name = actor.clone().map(|a| a.to_string());
            assert_eq!(name, Ok(format!("system:{kind}:7")));
            let back = name.and_then(|n| parsed(&n));
            assert_eq!(back, actor);
            assert!(back.is_ok_and(|a| a.user().is_none()));
        }
    }

    #[test]
    fn a_user_cannot_be_named_like_a_system_actor() {
        for raw in ["system:escalation:7", "SYSTEM:hold:1", "system:"] {
            assert!(UserId::parse(raw, "x").is_err(), "{raw}");
        }
        assert!(UserId::parse("systems", "x").is_ok());
    }

    #[test]
    fn malformed_system_names_are_refused_with_the_field() {
        for raw in [
            "system:escalation",
            "system:unknown:1",
            "system:escalation:",
            "system:escalation:a:b",
            "system:escalation:a b",
        ] {
            let err = parsed(raw).err().map(|e| e.field);
            assert_eq!(err, Some("actor".to_owned()), "{raw}");
        }
        let long = format!(
            "system:hold:{}",
            "x".repeat(SystemActor::MAX_RULE_CHARS + 1)
        );
        assert!(parsed(&long).is_err());
        let longest = format!("system:hold:{}", "x".repeat(SystemActor::MAX_RULE_CHARS));
        assert!(parsed(&longest).is_ok());
    }
}
