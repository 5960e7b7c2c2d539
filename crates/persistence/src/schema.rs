//! Diesel's view of the tables created by `migrations/`. Written by hand (no diesel CLI on
//! the build machine); every query of the repository runs against the migrated database in
//! the HTTP tests, so a column out of step fails them.

diesel::table! {
    organizations (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        settings -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tickets (id) {
        id -> Uuid,
        org_id -> Uuid,
        number -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        severity -> Text,
        status -> Text,
        camera_id -> Int8,
        provider_id -> Uuid,
        alert_type -> Nullable<Text>,
        alert_data -> Jsonb,
        dedup_key -> Text,
        occurred_at -> Timestamptz,
        assignee_id -> Nullable<Text>,
        alert_count -> Int4,
        first_alert_at -> Timestamptz,
        last_alert_at -> Timestamptz,
        first_response_due_at -> Timestamptz,
        first_responded_at -> Nullable<Timestamptz>,
        resolution_due_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        first_response_breach_notified_at -> Nullable<Timestamptz>,
        resolution_breach_notified_at -> Nullable<Timestamptz>,
        held_since -> Nullable<Timestamptz>,
        hold_until -> Nullable<Timestamptz>,
        held_from -> Nullable<Text>,
        hold_reason -> Nullable<Text>,
        sla_paused_seconds -> Int8,
        first_response_warn_at -> Nullable<Timestamptz>,
        resolution_warn_at -> Nullable<Timestamptz>,
        first_response_warned_at -> Nullable<Timestamptz>,
        resolution_warned_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
        sla_policy_id -> Nullable<Uuid>,
        sla_calendar -> Nullable<Jsonb>,
        escalation -> Nullable<Jsonb>,
        auto_resolve -> Nullable<Jsonb>,
        reopen_count -> Int4,
        resolved_by -> Nullable<Text>,
        flapping -> Nullable<Jsonb>,
        suppression_window_id -> Nullable<Uuid>,
        suppressed_window_end -> Nullable<Timestamptz>,
        suppressed_until -> Nullable<Timestamptz>,
        inhibited_by -> Nullable<Uuid>,
        inhibited_on_end -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_alerts (id) {
        id -> Int8,
        org_id -> Uuid,
        ticket_id -> Uuid,
        provider_id -> Uuid,
        external_id -> Nullable<Text>,
        title -> Text,
        severity -> Text,
        alert_type -> Nullable<Text>,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_comments (id) {
        id -> Uuid,
        org_id -> Uuid,
        ticket_id -> Uuid,
        author_id -> Text,
        body -> Text,
        visibility -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_state_history (id) {
        id -> Int8,
        org_id -> Uuid,
        ticket_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Nullable<Text>,
        reason -> Nullable<Text>,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    notification_logs (id) {
        id -> Int8,
        org_id -> Uuid,
        ticket_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ticket_timers (ticket_id, kind) {
        ticket_id -> Uuid,
        kind -> Text,
        org_id -> Uuid,
        due_at -> Timestamptz,
    }
}

diesel::joinable!(ticket_alerts -> tickets (ticket_id));
diesel::joinable!(ticket_timers -> tickets (ticket_id));
diesel::joinable!(ticket_comments -> tickets (ticket_id));
diesel::joinable!(ticket_state_history -> tickets (ticket_id));
diesel::joinable!(notification_logs -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    tickets,
    ticket_timers,
    ticket_alerts,
    ticket_comments,
    ticket_state_history,
    notification_logs,
    business_calendars,
    sla_policies,
    escalation_policies,
    auto_resolve_rules,
    suppression_windows,
    dropped_alerts,
    operator_groups,
    assignment_rules,
    operators,
);

diesel::table! {
    operator_groups (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        members -> Jsonb,
        next_turn -> Int8,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    assignment_rules (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        position -> Int4,
        filter -> Nullable<Jsonb>,
        strategy -> Text,
        user_id -> Nullable<Text>,
        group_id -> Nullable<Uuid>,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    operators (org_id, user_id) {
        org_id -> Uuid,
        user_id -> Text,
        available -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    auto_resolve_rules (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        position -> Int4,
        filter -> Nullable<Jsonb>,
        quiet_seconds -> Nullable<Int8>,
        end_event -> Bool,
        target_status -> Text,
        only_if_untouched -> Bool,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    escalation_policies (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        position -> Int4,
        filter -> Nullable<Jsonb>,
        steps -> Jsonb,
        repeat -> Int2,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    business_calendars (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        definition -> Jsonb,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sla_policies (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        position -> Int4,
        filter -> Nullable<Jsonb>,
        targets -> Jsonb,
        calendar_id -> Nullable<Uuid>,
        warn_percent -> Nullable<Int2>,
        version -> Int8,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    suppression_windows (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        reason -> Text,
        filter -> Nullable<Jsonb>,
        mode -> Text,
        starts_at -> Timestamptz,
        duration_seconds -> Int8,
        rrule -> Nullable<Text>,
        time_zone -> Nullable<Text>,
        created_by -> Text,
        cancelled_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    dropped_alerts (org_id, id) {
        org_id -> Uuid,
        id -> Int8,
        window_id -> Uuid,
        provider_id -> Uuid,
        external_id -> Nullable<Text>,
        camera_id -> Int8,
        title -> Text,
        severity -> Text,
        alert_type -> Nullable<Text>,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
        received_at -> Timestamptz,
    }
}
