//! Read-side types: list filters, keyset cursors, pages and statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::FieldError;
use crate::model::{CameraId, ProviderId, Severity, Status, UserId};

/// Filters shared by the list and the statistics, so both count the same tickets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFilter {
    /// Any of these statuses; empty means all.
    pub statuses: Vec<Status>,
    /// Any of these severities; empty means all.
    pub severities: Vec<Severity>,
    pub camera_id: Option<CameraId>,
    pub provider_id: Option<ProviderId>,
    pub assignee_id: Option<UserId>,
    /// `created_at >= created_from`.
    pub created_from: Option<DateTime<Utc>>,
    /// `created_at <= created_to`.
    pub created_to: Option<DateTime<Utc>>,
    /// Tickets with (`true`) or without (`false`) a breached SLA target at query time.
    pub sla_breached: Option<bool>,
    /// A tree of the filter language (`POST /api/tickets/search`), on top of the rest.
    pub expr: Option<crate::filter::Filter>,
}

/// How many items a page holds: 1..=500, 50 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    pub const MAX: u16 = 500;
    pub const DEFAULT: PageLimit = PageLimit(50);

    pub fn parse(raw: i64, field: &str) -> Result<Self, FieldError> {
        match u16::try_from(raw) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new(
                field,
                format!("must be between 1 and {}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Position after the last item of a page, in the list's order (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// An opaque token: microseconds and id, so the next page starts exactly after.
    pub fn encode(&self) -> String {
        format!(
            "{:x}.{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    /// Reads exactly what [`Cursor::encode`] writes: lower-case hex, at most 15 digits of
    /// microseconds (no sign: a time PostgreSQL can hold) and a 32-digit id.
    pub fn decode(raw: &str, field: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "is not a cursor this service issued");
        let lower_hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let (micros, id) = raw.split_once('.').ok_or_else(invalid)?;
        if !(1..=15).contains(&micros.len())
            || id.len() != 32
            || !lower_hex(micros)
            || !lower_hex(id)
        {
            return Err(invalid());
        }
        let micros = i64::from_str_radix(micros, 16).map_err(|_| invalid())?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Self { created_at, id })
    }
}

/// A list request: filters, page size and where to start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filter: TicketFilter,
    pub limit: PageLimit,
    pub cursor: Option<Cursor>,
}

/// One page of a list, and where the next one starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

/// Figures for one SLA target over the filtered tickets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetStats {
    pub met: i64,
    pub breached: i64,
    pub pending: i64,
    /// `met / (met + breached)` in percent; `None` when neither is counted yet.
    pub compliance_pct: Option<f64>,
    /// Over the measured durations (creation to the event), in seconds.
    pub mean_seconds: Option<f64>,
    pub p50_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

impl TargetStats {
    /// Fills `compliance_pct` from the counts.
    pub fn with_compliance(mut self) -> Self {
        let decided = self.met + self.breached;
        self.compliance_pct = (decided > 0).then(|| (self.met as f64) * 100.0 / (decided as f64));
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketStats {
    pub total: i64,
    pub by_status: BTreeMap<Status, i64>,
    pub by_severity: BTreeMap<Severity, i64>,
    pub by_provider: BTreeMap<ProviderId, i64>,
    pub by_camera: BTreeMap<CameraId, i64>,
    pub first_response: TargetStats,
    pub resolution: TargetStats,
    pub resolutions: ResolutionCounts,
}

/// The matching tickets in a resolution status (`resolved`, `closed`, `false_positive`), by
/// who put them there ([`crate::Ticket::resolved_automatically`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolutionCounts {
    /// By a user (or before who resolved was recorded).
    pub by_operators: i64,
    /// By a rule (an auto-resolve rule).
    pub automatic: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            created_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap_or_default(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode(), "cursor"), Ok(c));
        assert!(Cursor::decode("10.0190a1b2c3d47000800000000000000a", "cursor").is_ok());
    }

    #[test]
    fn garbage_cursor_names_the_field() {
        let id = "0190a1b2c3d47000800000000000000a";
        let negative = format!("-1000000000000000.{id}");
        let hyphenated = "10.0190a1b2-c3d4-7000-8000-00000000000a".to_owned();
        let upper = format!("1A.{}", id.to_uppercase());
        let too_long = format!("1000000000000000.{id}");
        let spaced = format!(" 10.{id}");
        for raw in [
            "",
            "abc",
            "zz.1234",
            "10.not-a-uuid",
            &negative,
            &hyphenated,
            &upper,
            &too_long,
            &spaced,
        ] {
            let err = Cursor::decode(raw, "cursor").err();
            assert_eq!(err.map(|e| e.field), Some("cursor".to_owned()), "{raw}");
        }
    }

    #[test]
    fn page_limit_bounds() {
        assert!(PageLimit::parse(0, "limit").is_err());
        assert!(PageLimit::parse(501, "limit").is_err());
        assert!(PageLimit::parse(-1, "limit").is_err());
        assert_eq!(PageLimit::parse(500, "limit").map(PageLimit::get), Ok(500));
        assert_eq!(PageLimit::default().get(), 50);
    }

    #[test]
    fn compliance_is_met_over_decided() {
        let s = TargetStats {
            met: 3,
            breached: 1,
            pending: 10,
            ..Default::default()
        }
        .with_compliance();
        assert_eq!(s.compliance_pct, Some(75.0));
        assert_eq!(
            TargetStats::default().with_compliance().compliance_pct,
            None
        );
    }
}
