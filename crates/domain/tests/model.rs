//! Parsing of the value types, and merging a repeated alert into a ticket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use ticket_domain::{
    AlertData, AlertRecord, AlertType, CameraId, CommentBody, DedupKey, Description, FieldError,
    MAX_ALERT_DATA_BYTES, NewAlert, ProviderId, Severity, SlaPolicy, Status, Ticket, TicketDraft,
    TicketNumber, Title, UserId, Visibility,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn provider(n: u128) -> ProviderId {
    ProviderId::from_uuid(uuid::Uuid::from_u128(n))
}

fn title(raw: &str) -> Title {
    Title::parse(raw, "title").unwrap()
}

fn alert_type(raw: &str) -> AlertType {
    AlertType::parse(raw, "alert_type").unwrap()
}

/// Asserts `result` failed on `field`, and returns the message.
fn refused<T: std::fmt::Debug>(result: Result<T, FieldError>, field: &str) -> String {
    match result {
        Ok(value) => panic!("{field}: expected an error, got {value:?}"),
        Err(e) => {
            assert_eq!(e.field, field, "the error names the field: {e}");
            e.message
        }
    }
}

// ----------------------------------------------------------------------------------------
// Title
// ----------------------------------------------------------------------------------------

#[test]
fn title_is_trimmed() {
    assert_eq!(title("  Person in zone \t\n").as_str(), "Person in zone");
    assert_eq!(title("a").as_str(), "a");
}

#[test]
fn blank_title_is_refused() {
    for raw in ["", " ", "   \t\n  ", "\u{3000}"] {
        let message = refused(Title::parse(raw, "title"), "title");
        assert!(message.contains("blank"), "{raw:?}: {message}");
    }
}

#[test]
fn title_of_200_chars_is_accepted_and_201_refused() {
    let max = "x".repeat(200);
    assert_eq!(title(&max).as_str(), max);
    let message = refused(Title::parse(&"x".repeat(201), "title"), "title");
    assert!(message.contains("200"), "{message}");
}

#[test]
fn title_length_is_measured_after_trimming() {
    let padded = format!("   {}   ", "x".repeat(200));
    assert_eq!(title(&padded).as_str().len(), 200);
}

#[test]
fn title_length_counts_characters_not_bytes() {
    // 200 two-byte characters (400 bytes) fit; 201 do not.
    let accented = "é".repeat(200);
    assert_eq!(accented.len(), 400);
    assert_eq!(title(&accented).as_str(), accented);
    refused(Title::parse(&"é".repeat(201), "title"), "title");
    // Four-byte characters too.
    let emoji = "📹".repeat(200);
    assert_eq!(title(&emoji).as_str(), emoji);
    refused(Title::parse(&"📹".repeat(201), "title"), "title");
}

#[test]
fn title_with_a_nul_is_refused() {
    refused(Title::parse("bad\0title", "title"), "title");
}

#[test]
fn the_field_name_is_the_callers() {
    refused(Title::parse("", "alerts[3].title"), "alerts[3].title");
}

// ----------------------------------------------------------------------------------------
// Description, CommentBody, UserId
// ----------------------------------------------------------------------------------------

#[test]
fn description_of_10000_chars_is_accepted_and_10001_refused() {
    let max = "d".repeat(10_000);
    assert_eq!(
        Description::parse(&max, "description").unwrap().as_str(),
        max
    );
    let message = refused(
        Description::parse(&"d".repeat(10_001), "description"),
        "description",
    );
    assert!(message.contains("10000"), "{message}");
    // Characters, not bytes.
    let wide = "ü".repeat(10_000);
    assert!(Description::parse(&wide, "description").is_ok());
}

#[test]
fn blank_description_is_refused() {
    refused(Description::parse("   \n", "description"), "description");
}

#[test]
fn comment_body_bounds() {
    assert_eq!(CommentBody::parse("k", "body").unwrap().as_str(), "k");
    assert!(CommentBody::parse(&"b".repeat(10_000), "body").is_ok());
    assert!(CommentBody::parse(&"ß".repeat(10_000), "body").is_ok());
    let message = refused(CommentBody::parse(&"b".repeat(10_001), "body"), "body");
    assert!(message.contains("10000"), "{message}");
}

#[test]
fn blank_comment_body_is_refused() {
    for raw in ["", " ", "\n\n\t "] {
        refused(CommentBody::parse(raw, "body"), "body");
    }
}

#[test]
fn user_id_is_trimmed_and_bounded() {
    assert_eq!(
        UserId::parse("  alice  ", "X-User-Id").unwrap().as_str(),
        "alice"
    );
    refused(UserId::parse("", "X-User-Id"), "X-User-Id");
    refused(UserId::parse("   ", "X-User-Id"), "X-User-Id");
    assert!(UserId::parse(&"u".repeat(255), "assignee_id").is_ok());
    refused(
        UserId::parse(&"u".repeat(256), "assignee_id"),
        "assignee_id",
    );
}

#[test]
fn user_ids_equal_after_trimming() {
    assert_eq!(
        UserId::parse(" bob", "a").unwrap(),
        UserId::parse("bob ", "b").unwrap()
    );
}

// ----------------------------------------------------------------------------------------
// Severity, Status, Visibility
// ----------------------------------------------------------------------------------------

#[test]
fn severity_parses_every_name_and_displays_it_back() {
    for &s in Severity::ALL {
        assert_eq!(Severity::parse(s.as_str(), "severity"), Ok(s));
        assert_eq!(s.to_string(), s.as_str());
    }
    assert_eq!(
        Severity::parse(" high ", "severity"),
        Ok(Severity::High),
        "trimmed"
    );
}

#[test]
fn severity_error_names_the_field_and_lists_the_values() {
    for raw in ["", "urgent", "medium-high", "5"] {
        let message = refused(Severity::parse(raw, "severity"), "severity");
        assert!(
            message.contains("critical, high, medium, low, info"),
            "{raw:?}: {message}"
        );
    }
}

#[test]
fn status_parses_every_name_and_its_error_lists_the_values() {
    for &s in Status::ALL {
        assert_eq!(Status::parse(s.as_str(), "status"), Ok(s));
    }
    assert_eq!(
        Status::parse("in_progress", "status"),
        Ok(Status::InProgress)
    );
    assert_eq!(
        Status::parse("false_positive", "status"),
        Ok(Status::FalsePositive)
    );
    for raw in ["", "done", "in-progress", "inprogress"] {
        let message = refused(Status::parse(raw, "status"), "status");
        assert!(
            message
                .contains("open, assigned, in_progress, on_hold, resolved, closed, false_positive"),
            "{raw:?}: {message}"
        );
    }
}

#[test]
fn visibility_parses_both_names_and_its_error_lists_them() {
    assert_eq!(
        Visibility::parse("internal", "visibility"),
        Ok(Visibility::Internal)
    );
    assert_eq!(
        Visibility::parse("external", "visibility"),
        Ok(Visibility::External)
    );
    let message = refused(Visibility::parse("public", "visibility"), "visibility");
    assert!(message.contains("internal, external"), "{message}");
}

// ----------------------------------------------------------------------------------------
// CameraId, AlertData
// ----------------------------------------------------------------------------------------

#[test]
fn negative_camera_id_is_refused() {
    refused(CameraId::parse(-1, "camera_id"), "camera_id");
    refused(CameraId::parse(i64::MIN, "camera_id"), "camera_id");
    assert_eq!(CameraId::parse(0, "camera_id"), Ok(cam(0)));
    assert_eq!(CameraId::parse(i64::MAX, "camera_id"), Ok(cam(i64::MAX)));
}

#[test]
fn alert_data_must_be_an_object() {
    for value in [
        json!(null),
        json!(true),
        json!(1),
        json!("text"),
        json!([1, 2]),
        json!([{"a": 1}]),
    ] {
        let message = refused(AlertData::parse(value.clone(), "alert_data"), "alert_data");
        assert!(message.contains("object"), "{value}: {message}");
    }
}

#[test]
fn alert_data_is_stored_as_given() {
    let value = json!({"zone": "north", "score": 0.93, "boxes": [[1, 2, 3, 4]], "nested": {}});
    let data = AlertData::parse(value.clone(), "alert_data").unwrap();
    assert_eq!(data.as_json(), &value);
    assert_eq!(data.into_json(), value);
    assert_eq!(AlertData::empty().as_json(), &json!({}));
    assert!(AlertData::parse(json!({}), "alert_data").is_ok());
}

/// An object `{"k":"xxx..."}` whose JSON text is exactly `bytes` long.
fn object_of(bytes: usize) -> serde_json::Value {
    let overhead = r#"{"k":""}"#.len();
    let value = json!({ "k": "x".repeat(bytes - overhead) });
    assert_eq!(serde_json::to_vec(&value).unwrap().len(), bytes);
    value
}

#[test]
fn alert_data_of_256_kib_is_accepted_and_one_byte_more_refused() {
    assert_eq!(MAX_ALERT_DATA_BYTES, 256 * 1024);
    assert!(AlertData::parse(object_of(256 * 1024), "alert_data").is_ok());
    let message = refused(
        AlertData::parse(object_of(256 * 1024 + 1), "alert_data"),
        "alert_data",
    );
    assert!(message.contains("262144"), "{message}");
}

// ----------------------------------------------------------------------------------------
// TicketNumber
// ----------------------------------------------------------------------------------------

#[test]
fn ticket_number_displays_with_its_prefix() {
    assert_eq!(num(1042).to_string(), "TCK-1042");
    assert_eq!(num(1).to_string(), "TCK-1");
}

#[test]
fn ticket_number_parses_its_display() {
    assert_eq!(TicketNumber::parse("TCK-1042"), Some(num(1042)));
    assert_eq!(TicketNumber::parse("tck-1042"), Some(num(1042)));
    assert_eq!(TicketNumber::parse(" TCK-7 "), Some(num(7)));
    for n in [1, 9, 1042, 999_999, i64::MAX] {
        let shown = num(n).to_string();
        assert_eq!(TicketNumber::parse(&shown), Some(num(n)), "{shown}");
    }
}

#[test]
fn ticket_number_refuses_anything_else() {
    for raw in [
        "",
        "TCK-",
        "TCK-0",
        "TCK--5",
        "TCK-abc",
        "TCK-12a",
        "TCK 12",
        "TKT-12",
        "1042",
        "-1042",
        "TCK-99999999999999999999",
        "TC€-1",
        "é",
    ] {
        assert_eq!(TicketNumber::parse(raw), None, "{raw:?}");
    }
}

// ----------------------------------------------------------------------------------------
// DedupKey::derive
// ----------------------------------------------------------------------------------------

#[test]
fn derived_dedup_key_uses_the_alert_type_when_given() {
    let p = provider(1);
    let intrusion = alert_type("intrusion");
    let a = DedupKey::derive(p, cam(3), Some(&intrusion), &title("Person at gate"));
    let b = DedupKey::derive(p, cam(3), Some(&intrusion), &title("Car at fence"));
    assert_eq!(a, b, "titles differ, alert type is the same");
    let loitering = alert_type("loitering");
    let c = DedupKey::derive(p, cam(3), Some(&loitering), &title("Person at gate"));
    assert_ne!(a, c);
}

#[test]
fn derived_dedup_key_falls_back_to_the_title() {
    let p = provider(1);
    let a = DedupKey::derive(p, cam(3), None, &title("Person at gate"));
    let b = DedupKey::derive(p, cam(3), None, &title("Person at gate"));
    let c = DedupKey::derive(p, cam(3), None, &title("Car at fence"));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn an_end_event_derives_the_key_its_alert_got() {
    let p = provider(1);
    let intrusion = alert_type("Intrusion");
    let t = title("Person at gate");
    assert_eq!(
        DedupKey::try_derive(p, cam(3), Some(&intrusion), None),
        Some(DedupKey::derive(p, cam(3), Some(&intrusion), &t))
    );
    assert_eq!(
        DedupKey::try_derive(p, cam(3), Some(&intrusion), Some(&title("Car"))),
        Some(DedupKey::derive(p, cam(3), Some(&intrusion), &t))
    );
    assert_eq!(
        DedupKey::try_derive(p, cam(3), None, Some(&t)),
        Some(DedupKey::derive(p, cam(3), None, &t))
    );
    assert_eq!(DedupKey::try_derive(p, cam(3), None, None), None);
}

#[test]
fn derived_dedup_key_ignores_case() {
    let p = provider(1);
    let lower = alert_type("intrusion");
    let upper = alert_type("INTRUSION");
    let mixed = alert_type("Intrusion");
    let t = title("x");
    let key = |a| DedupKey::derive(p, cam(3), Some(a), &t);
    assert_eq!(key(&lower), key(&upper));
    assert_eq!(key(&lower), key(&mixed));
    assert_eq!(
        DedupKey::derive(p, cam(3), None, &title("Person At Gate")),
        DedupKey::derive(p, cam(3), None, &title("person at gate")),
    );
}

#[test]
fn derived_dedup_key_separates_providers_and_cameras() {
    let t = title("Person at gate");
    let base = DedupKey::derive(provider(1), cam(3), None, &t);
    assert_ne!(base, DedupKey::derive(provider(2), cam(3), None, &t));
    assert_ne!(base, DedupKey::derive(provider(1), cam(4), None, &t));
}

#[test]
fn derived_dedup_key_fits_its_own_bounds() {
    // The longest title on the largest camera id still makes a valid key.
    let key = DedupKey::derive(
        provider(u128::MAX),
        cam(i64::MAX),
        None,
        &title(&"İ".repeat(200)),
    );
    assert!(DedupKey::parse(key.as_str(), "dedup_key").is_ok(), "{key}");
}

// ----------------------------------------------------------------------------------------
// Severity::max
// ----------------------------------------------------------------------------------------

#[test]
fn severity_max_never_lowers() {
    for &a in Severity::ALL {
        for &b in Severity::ALL {
            let m = a.max(b);
            assert!(m >= a, "{a}.max({b}) = {m}");
            assert!(m >= b, "{a}.max({b}) = {m}");
            assert!(m == a || m == b, "{a}.max({b}) = {m}");
            assert_eq!(m, b.max(a), "commutative: {a}, {b}");
        }
        assert_eq!(a.max(a), a);
    }
}

#[test]
fn severity_ranks_follow_urgency() {
    use Severity::*;
    let ordered = [Info, Low, Medium, High, Critical];
    for pair in ordered.windows(2) {
        assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(Low.max(Critical), Critical);
    assert_eq!(Critical.max(Info), Critical);
}

// ----------------------------------------------------------------------------------------
// Ticket::merge_alert
// ----------------------------------------------------------------------------------------

fn ticket(severity: Severity) -> Ticket {
    let alert = NewAlert {
        title: title("Person in zone"),
        description: None,
        severity,
        camera_id: cam(3),
        provider_id: provider(1),
        alert_type: Some(alert_type("intrusion")),
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    };
    TicketDraft::new(
        ticket_domain::Organization::DEFAULT_ID,
        alert,
        &SlaPolicy::default(),
        t0(),
    )
    .ticket
}

fn repeat_of(t: &Ticket, severity: Severity, occurred_at: DateTime<Utc>) -> AlertRecord {
    AlertRecord {
        ticket_id: t.id(),
        provider_id: t.provider_id(),
        external_id: None,
        title: title("Person in zone again"),
        severity,
        alert_type: t.alert_type().cloned(),
        payload: AlertData::parse(json!({"n": 2}), "alert_data").unwrap(),
        occurred_at,
        received_at: occurred_at,
    }
}

#[test]
fn merge_counts_the_alert_and_moves_last_alert_at() {
    let t = ticket(Severity::Medium);
    let later = t0() + TimeDelta::minutes(10);
    let now = later + TimeDelta::seconds(1);

    let merged = t.merge_alert(&repeat_of(&t, Severity::Medium, later), now);

    assert_eq!(merged.alert_count(), t.alert_count() + 1);
    assert_eq!(merged.last_alert_at(), later);
    assert_eq!(merged.first_alert_at(), t.first_alert_at());
    assert_eq!(merged.version(), t.version() + 1);
    assert_eq!(merged.updated_at(), now);
    // Nothing else of the ticket moves.
    assert_eq!(merged.id(), t.id());
    assert_eq!(merged.status(), t.status());
    assert_eq!(merged.title(), t.title());
    assert_eq!(merged.alert_data(), t.alert_data());
    assert_eq!(merged.created_at(), t.created_at());
    assert_eq!(merged.first_responded_at(), t.first_responded_at());

    let again = merged.merge_alert(
        &repeat_of(&t, Severity::Medium, later + TimeDelta::minutes(1)),
        now + TimeDelta::minutes(1),
    );
    assert_eq!(again.alert_count(), t.alert_count() + 2);
    assert_eq!(again.version(), t.version() + 2);
    assert_eq!(again.last_alert_at(), later + TimeDelta::minutes(1));
}

#[test]
fn merge_raises_the_severity_but_keeps_the_due_times() {
    let t = ticket(Severity::Low);
    let later = t0() + TimeDelta::minutes(10);

    let merged = t.merge_alert(&repeat_of(&t, Severity::Critical, later), later);

    assert_eq!(merged.severity(), Severity::Critical);
    assert_eq!(merged.first_response_due_at(), t.first_response_due_at());
    assert_eq!(merged.resolution_due_at(), t.resolution_due_at());
}

#[test]
fn merge_never_lowers_the_severity() {
    for &existing in Severity::ALL {
        for &incoming in Severity::ALL {
            let t = ticket(existing);
            let later = t0() + TimeDelta::minutes(1);
            let merged = t.merge_alert(&repeat_of(&t, incoming, later), later);
            assert_eq!(
                merged.severity(),
                existing.max(incoming),
                "{existing} + {incoming}"
            );
            assert!(merged.severity() >= existing);
            assert_eq!(merged.first_response_due_at(), t.first_response_due_at());
            assert_eq!(merged.resolution_due_at(), t.resolution_due_at());
        }
    }
}

#[test]
fn merge_of_a_late_delivered_older_alert_does_not_move_last_alert_at_back() {
    let t = ticket(Severity::High);
    let newer = t0() + TimeDelta::minutes(10);
    let merged = t.merge_alert(&repeat_of(&t, Severity::High, newer), newer);
    let older = t0() + TimeDelta::minutes(5);

    let again = merged.merge_alert(&repeat_of(&t, Severity::High, older), newer);

    assert_eq!(again.last_alert_at(), newer);
    assert_eq!(again.alert_count(), 3);
}

#[test]
fn merge_leaves_the_original_untouched() {
    let t = ticket(Severity::Low);
    let before = t.clone();
    let later = t0() + TimeDelta::minutes(10);
    let _ = t.merge_alert(&repeat_of(&t, Severity::Critical, later), later);
    assert_eq!(t, before);
}

fn cam(n: i64) -> CameraId {
    CameraId::parse(n, "camera_id").unwrap_or_else(|e| panic!("{e}"))
}

fn num(n: i64) -> TicketNumber {
    TicketNumber::new(n).unwrap_or_else(|| panic!("{n} is no ticket number"))
}
