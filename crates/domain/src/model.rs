//! Value types. Each is parsed once at the edge ("parse, don't validate"): a value that
//! exists is valid, so the service and the adapters never check it again.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

/// Largest `alert_data` accepted, in bytes of its JSON text.
pub const MAX_ALERT_DATA_BYTES: usize = 256 * 1024;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses the textual UUID form, naming `field` on failure.
            pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
                Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| FieldError::new(field, "must be a UUID"))
            }
        }

        impl $name {
            /// Any UUID is a valid id: this is the way in from storage.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A ticket's identity.
    TicketId
);
uuid_id!(
    /// The analytics provider that raised an alert.
    ProviderId
);
uuid_id!(
    /// A comment's identity.
    CommentId
);
uuid_id!(
    /// An organization's identity.
    OrgId
);
uuid_id!(
    /// An SLA policy's identity.
    SlaPolicyId
);
uuid_id!(
    /// A business calendar's identity.
    CalendarId
);
uuid_id!(
    /// An escalation policy's identity.
    EscalationPolicyId
);
uuid_id!(
    /// An assignment rule's identity.
    AssignmentRuleId
);
uuid_id!(
    /// An operator group's identity.
    OperatorGroupId
);
uuid_id!(
    /// An auto-resolve rule's identity.
    AutoResolveRuleId
);
uuid_id!(
    /// A suppression window's identity.
    SuppressionWindowId
);

impl OrgId {
    /// A fixed id (the default organization's is 1).
    pub const fn from_u128(n: u128) -> Self {
        Self(Uuid::from_u128(n))
    }
}

/// A time-ordered UUID (v7) stamped with `at`, the [`crate::Clock`]'s time, not the wall
/// clock: new rows land at the right edge of the index, and tests that move the clock get
/// ids in the clock's order.
fn v7_at(at: DateTime<Utc>) -> Uuid {
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, seconds, at.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}

impl TicketId {
    /// A new id for a ticket created at `at`.
    pub fn new_at(at: DateTime<Utc>) -> Self {
        Self(v7_at(at))
    }
}

impl CommentId {
    /// A new id for a comment written at `at`.
    pub fn new_at(at: DateTime<Utc>) -> Self {
        Self(v7_at(at))
    }
}

/// The short human number of a ticket, shown as `TCK-1042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketNumber(i64);

impl TicketNumber {
    pub const PREFIX: &'static str = "TCK-";

    /// Parses `TCK-1042` (case-insensitive prefix).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let digits = raw
            .get(..Self::PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(Self::PREFIX))
            .map(|_| &raw[Self::PREFIX.len()..])?;
        digits.parse::<i64>().ok().filter(|n| *n > 0).map(Self)
    }
}

impl TicketNumber {
    /// A number as the store gave it; `None` unless positive.
    pub fn new(n: i64) -> Option<Self> {
        (n > 0).then_some(Self(n))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

/// Trims `raw` and checks its length in characters.
fn bounded_text(
    raw: &str,
    field: &str,
    max_chars: usize,
    trim: bool,
) -> Result<String, FieldError> {
    let text = if trim { raw.trim() } else { raw };
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "must not be blank"));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters (got {chars})"),
        ));
    }
    if text.contains('\0') {
        return Err(FieldError::new(field, "must not contain NUL characters"));
    }
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, trim = $trim:expr) => {
        text_type!($(#[$doc])* $name, max = $max, trim = $trim, check = |_| Ok(()));
    };
    ($(#[$doc:meta])* $name:ident, max = $max:expr, trim = $trim:expr, check = $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Parses `raw`, naming `field` on failure.
            pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
                let text = bounded_text(raw, field, Self::MAX_CHARS, $trim)?;
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(&text).map_err(|detail| FieldError::new(field, detail))?;
                Ok(Self(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A ticket title: 1..=200 characters after trimming.
    Title, max = 200, trim = true
);
text_type!(
    /// A ticket description: at most 10,000 characters.
    Description, max = 10_000, trim = false
);
text_type!(
    /// The name an admin gives a configuration object (an SLA policy, a calendar):
    /// 1..=200 characters after trimming.
    RuleName, max = 200, trim = true
);
text_type!(
    /// The kind of alert, e.g. `intrusion`.
    AlertType, max = 100, trim = true
);
text_type!(
    /// A user known to the gateway: the acting user or an assignee. Never spelled like a
    /// system actor (`system:...`), so history cannot be forged to look automated.
    UserId, max = 255, trim = true, check = |text| {
        if text.to_ascii_lowercase().starts_with(crate::actor::SYSTEM_PREFIX) {
            Err("must not start with 'system:', which names system actors")
        } else {
            Ok(())
        }
    }
);
text_type!(
    /// A provider's own id for an alert; replays with the same id return the same ticket.
    ExternalId, max = 255, trim = true
);
text_type!(
    /// Groups alerts of one incident into one active ticket.
    DedupKey, max = 512, trim = true
);
text_type!(
    /// A comment body: 1..=10,000 characters, not blank.
    CommentBody, max = 10_000, trim = false
);
text_type!(
    /// Why a status changed.
    Reason, max = 2_000, trim = true
);

impl DedupKey {
    /// The key used when a provider sends none: provider, camera and alert type (or else
    /// the title), so a burst of one alert on one camera lands on one ticket.
    pub fn derive(
        provider: ProviderId,
        camera: CameraId,
        alert_type: Option<&AlertType>,
        title: &Title,
    ) -> Self {
        Self::of_kind(
            provider,
            camera,
            alert_type.map_or(title.as_str(), AlertType::as_str),
        )
    }

    /// [`DedupKey::derive`] from whichever of the alert type and the title is known (an
    /// end event may carry either); `None` with neither.
    pub fn try_derive(
        provider: ProviderId,
        camera: CameraId,
        alert_type: Option<&AlertType>,
        title: Option<&Title>,
    ) -> Option<Self> {
        let kind = alert_type
            .map(AlertType::as_str)
            .or(title.map(Title::as_str))?;
        Some(Self::of_kind(provider, camera, kind))
    }

    /// The key of the ticket a `collect` window gathers an occurrence's alerts in:
    /// `window/<window id>/<occurrence start, Unix seconds>`.
    pub fn window(window: SuppressionWindowId, occurrence: DateTime<Utc>) -> Self {
        Self(format!("window/{window}/{}", occurrence.timestamp()))
    }

    fn of_kind(provider: ProviderId, camera: CameraId, kind: &str) -> Self {
        Self(format!(
            "{provider}/{camera}/{}",
            kind.trim().to_lowercase()
        ))
    }
}

/// The VMS camera that saw the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CameraId(i64);

impl CameraId {
    pub fn parse(raw: i64, field: &str) -> Result<Self, FieldError> {
        if raw < 0 {
            return Err(FieldError::new(field, "must be a non-negative integer"));
        }
        Ok(Self(raw))
    }
}

impl CameraId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CameraId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The provider's payload: a JSON object of at most 256 KiB, stored as given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AlertData(serde_json::Value);

impl AlertData {
    pub fn parse(value: serde_json::Value, field: &str) -> Result<Self, FieldError> {
        if !value.is_object() {
            return Err(FieldError::new(field, "must be a JSON object"));
        }
        let size = serde_json::to_vec(&value).map_or(usize::MAX, |bytes| bytes.len());
        if size > MAX_ALERT_DATA_BYTES {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_ALERT_DATA_BYTES} bytes of JSON (got {size})"),
            ));
        }
        Ok(Self(value))
    }

    pub fn empty() -> Self {
        Self(serde_json::Value::Object(serde_json::Map::new()))
    }

    pub fn as_json(&self) -> &serde_json::Value {
        &self.0
    }

    pub fn into_json(self) -> serde_json::Value {
        self.0
    }
}

/// Declares a closed set of lowercase names, parsed with an error that lists them: the one
/// way the domain declares an enumeration that crosses the API or the store, so its names,
/// `ALL`, `as_str`, `parse` and serde form cannot drift apart.
macro_rules! name_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses `raw`, naming `field` and the accepted values on failure.
            pub fn parse(raw: &str, field: &str) -> Result<Self, $crate::error::FieldError> {
                raw.trim().parse().map_err(|()| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::error::FieldError::new(field, format!("must be one of: {}", names.join(", ")))
                })
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(()) }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use name_enum;

name_enum!(
    /// How urgent a ticket is; it picks the SLA targets. Ordered by urgency: `Info` is the
    /// least, `Critical` the greatest, so `max` is the more urgent of two.
    Severity {
        Critical = "critical",
        High = "high",
        Medium = "medium",
        Low = "low",
        Info = "info",
    }
);

impl Severity {
    /// One level more urgent; `Critical` stays.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// Higher is more urgent.
    fn rank(self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::High => 3,
            Severity::Medium => 2,
            Severity::Low => 1,
            Severity::Info => 0,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

name_enum!(
    /// Where a ticket is in its lifecycle (see [`crate::lifecycle`]).
    Status {
        Open = "open",
        Assigned = "assigned",
        InProgress = "in_progress",
        OnHold = "on_hold",
        Resolved = "resolved",
        Closed = "closed",
        FalsePositive = "false_positive",
    }
);

/// Alphabetical, so maps keyed by status have a stable order.
impl PartialOrd for Status {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Status {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

name_enum!(
    /// Who may read a comment: operators only, or also outside parties.
    Visibility {
        Internal = "internal",
        External = "external",
    }
);
