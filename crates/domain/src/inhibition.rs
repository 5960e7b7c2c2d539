//! Offline-camera inhibition: while a ticket of an inhibiting alert type (`camera_offline`,
//! `tampering`, or the organization's own list) is active for a camera, a new ticket of
//! that camera's other alerts is silent, as under a `suppress` window
//! ([`crate::suppression`]): no events, assignment, SLA warnings, breaches or escalation.
//! When the inhibiting ticket stops being active, each ticket it silenced is released
//! (started as if created then, with one `ticket_created` event) or dropped (resolved
//! without a word), as the organization's `settings.inhibition.on_end` says.

use std::sync::Arc;

use serde_json::Value;

use crate::error::{FieldError, ValidationErrors};
use crate::model::{AlertType, TicketId, name_enum};

/// Where an organization keeps its policy in its settings.
pub const SETTINGS_KEY: &str = "inhibition";

/// The history reason of a silenced ticket resolved when its inhibitor ended (`drop`).
pub const REASON: &str = "inhibition_ended";

/// The alert types that inhibit by default.
pub const DEFAULT_TYPES: [&str; 2] = ["camera_offline", "tampering"];

name_enum!(
    /// What happens to a silenced ticket when the ticket that silenced it ends: `release`
    /// starts it as if created then; `drop` resolves it silently.
    OnEnd {
        Release = "release",
        Drop = "drop",
    }
);

/// An organization's inhibition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InhibitPolicy {
    /// A ticket of one of these types inhibits its camera's other alerts; empty: none does.
    pub alert_types: Arc<[AlertType]>,
    pub on_end: OnEnd,
}

impl Default for InhibitPolicy {
    fn default() -> Self {
        Self {
            alert_types: DEFAULT_TYPES
                .iter()
                .filter_map(|t| AlertType::parse(t, "alert_type").ok())
                .collect(),
            on_end: OnEnd::Release,
        }
    }
}

/// The most alert types a policy lists.
pub const MAX_TYPES: usize = 20;

impl InhibitPolicy {
    /// Reads `settings.inhibition` of an organization's settings: `{"alert_types"?: [..],
    /// "on_end"?: "release" | "drop"}`, each absent member taking its default
    /// ([`InhibitPolicy::default`]); an empty list turns inhibition off. Faults are named
    /// `settings.inhibition.<member>`; an unknown member is one.
    pub fn parse(settings: &Value) -> Result<Self, ValidationErrors> {
        let Some(raw) = settings.get(SETTINGS_KEY) else {
            return Ok(Self::default());
        };
        let at = |member: &str| format!("settings.{SETTINGS_KEY}.{member}");
        let Some(body) = raw.as_object() else {
            return Err(ValidationErrors::single(
                format!("settings.{SETTINGS_KEY}"),
                "must be an object: alert_types, on_end",
            ));
        };
        let mut errors = Vec::new();
        let mut policy = Self::default();
        for (key, value) in body {
            match key.as_str() {
                "alert_types" => {
                    let types: Option<Vec<AlertType>> = value
                        .as_array()
                        .filter(|a| a.len() <= MAX_TYPES)
                        .and_then(|a| {
                            a.iter()
                                .map(|t| t.as_str().and_then(|t| AlertType::parse(t, key).ok()))
                                .collect()
                        });
                    match types {
                        Some(types) => policy.alert_types = types.into(),
                        None => errors.push(FieldError::new(
                            at(key),
                            format!("must be a list of at most {MAX_TYPES} alert types"),
                        )),
                    }
                }
                "on_end" => match OnEnd::parse(value.as_str().unwrap_or(""), &at(key)) {
                    Ok(on_end) => policy.on_end = on_end,
                    Err(e) => errors.push(e),
                },
                _ => errors.push(FieldError::new(
                    at(key),
                    "is not a member: alert_types, on_end",
                )),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(ValidationErrors(errors))
        }
    }

    /// The policy of settings already checked when they were written; settings that no
    /// longer parse give the default.
    pub fn of_settings(settings: &Value) -> Self {
        Self::parse(settings).unwrap_or_default()
    }

    /// Whether a new ticket of `alert_type` may be silenced by an inhibiting ticket of its
    /// camera: inhibition is on, and it is not of an inhibiting type itself (those are the
    /// news operators need).
    pub fn may_silence(&self, alert_type: Option<&AlertType>) -> bool {
        !self.alert_types.is_empty() && alert_type.is_none_or(|t| !self.inhibits(t))
    }

    /// Whether a ticket of `alert_type` inhibits its camera's other alerts (compared
    /// without regard to ASCII case).
    pub fn inhibits(&self, alert_type: &AlertType) -> bool {
        self.alert_types
            .iter()
            .any(|i| i.as_str().eq_ignore_ascii_case(alert_type.as_str()))
    }
}

/// A ticket silenced by another ticket of its camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inhibited {
    /// The inhibiting ticket.
    pub by: TicketId,
    /// What its end does to this one (the policy's when this one was made).
    pub on_end: OnEnd,
}
