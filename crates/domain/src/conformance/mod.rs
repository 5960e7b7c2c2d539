//! The port conformance suite (feature `conformance`): the contracts stated in the doc
//! comments of [`TicketRepository`](crate::TicketRepository),
//! [`OutboxRepository`](crate::OutboxRepository),
//! [`OrganizationRepository`](crate::OrganizationRepository) and
//! [`HealthCheck`](crate::HealthCheck),
//! written once as behaviours that any implementation must show.
//!
//! Each behaviour is a `pub async fn` taking the implementation(s) under test; it panics,
//! saying what the contract wanted and what it got, on a violation. It builds its inputs
//! with the domain's own constructors ([`TicketDraft::new`](crate::TicketDraft::new),
//! [`lifecycle::apply`](crate::lifecycle::apply), [`Ticket::add_comment`](crate::Ticket::add_comment))
//! at explicit instants, never the wall clock, and observes the store only through the ports.
//! Concurrency is plain futures ([`futures_util::future::join_all`]): the store sees the
//! requests at once, whatever runtime drives them.
//!
//! # Running the suite against an adapter
//!
//! Every behaviour needs a fresh store, empty but for the default organization: a ticket
//! repository (that is also the store's [`HealthCheck`](crate::HealthCheck)), an outbox and
//! an organization repository over the same data. In the adapter's crate, with
//! `ticket-domain` (feature `conformance`) and `tokio` (features `macros` and
//! `rt-multi-thread`) as dev-dependencies, a test file `tests/conformance.rs` holds an async
//! factory and one macro call:
//!
//! ```ignore
//! /// A fresh store: (tickets, outbox, organizations, anything to keep alive until the test
//! /// ends).
//! async fn store() -> (MyTickets, MyOutbox, MyOrganizations, MyGuard) { /* ... */ }
//!
//! ticket_domain::conformance_tests!(store());
//! ```
//!
//! [`conformance_tests!`](crate::conformance_tests) expands to one `#[tokio::test]` per
//! behaviour, named after it, each awaiting the factory once; the last element (a test
//! database, a temporary directory...) is dropped after the behaviour, as the test ends. A
//! behaviour of one organization's tickets takes the [`OrgId`](crate::OrgId) it runs in: the
//! macro provisions a new organization for it first ([`provision`]), never the default one.
//! A behaviour of isolation takes the organization repository and provisions two.
//! `crates/persistence/tests/conformance.rs` does this for PostgreSQL, with a private
//! database per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auto_resolve;
mod escalation;
mod fixtures;
mod ingest;
mod isolation;
mod organizations;
mod outbox;
mod reads;
mod timers;
mod writes;

pub use auto_resolve::*;
pub use escalation::*;
pub use fixtures::provision;
pub use ingest::*;
pub use isolation::*;
pub use organizations::*;
pub use outbox::*;
pub use reads::*;
pub use timers::*;
pub use writes::*;

/// The slug of the organization [`conformance_tests!`] provisions for each behaviour of one
/// organization.
pub const SUITE_ORG: &str = "acme";

/// Expands to one `#[tokio::test]` per behaviour of [`crate::conformance`], each run
/// against a fresh store from `$store`: an expression awaited once per test, giving a tuple
/// `(tickets, outbox, orgs, guard)`. `tickets` implements
/// [`TicketRepository`](crate::TicketRepository) and [`HealthCheck`](crate::HealthCheck),
/// `outbox` [`OutboxRepository`](crate::OutboxRepository) and `orgs`
/// [`OrganizationRepository`](crate::OrganizationRepository) over the same store, and `guard`
/// is kept until the test ends. See the [module documentation](crate::conformance).
#[macro_export]
macro_rules! conformance_tests {
    ($store:expr $(,)?) => {
        $crate::conformance_tests!(@expand $store;
            one: [
                find_by_id_and_by_number,
                details_list_comments_and_history_oldest_first,
                alerts_page_newest_first,
                list_pages_visit_every_ticket_once_newest_first,
                list_filters_select_the_matching_tickets,
                stats_agree_with_the_list,
            ];
            health: [
                health_check_reports_ready,
            ];
            both: [
                ingest_creates_a_numbered_ticket,
                ingest_replay_returns_the_ticket_and_writes_nothing,
                ingest_merges_into_the_active_ticket,
                ingest_after_the_ticket_left_the_active_statuses_opens_a_new_one,
                concurrent_identical_alerts_open_one_ticket,
                concurrent_replays_make_one_ticket,
                save_transition_writes_ticket_history_and_event,
                save_transition_at_a_stale_version_conflicts_and_writes_nothing,
                reopening_onto_an_active_duplicate_is_refused,
                save_comment_applies_the_comment_rule,
                concurrent_comments_all_succeed,
                save_comment_at_a_stale_version_conflicts_and_writes_nothing,
                save_comment_on_an_unknown_ticket_is_not_found,
                record_sla_breaches_records_each_breach_once,
                record_sla_breaches_respects_the_limit,
                concurrent_breach_recorders_record_each_breach_once,
                claim_due_leases_a_prefix_of_each_ticket,
                claim_due_stops_at_the_first_event_not_due,
                release_gives_back_claimed_events,
                concurrent_claims_are_disjoint,
                mark_sent_and_mark_failed_record_the_outcome,
                purge_delivered_deletes_only_sent_events_before_the_cutoff,
                outbox_list_filters_and_pages,
                a_warning_timer_is_kept_with_the_ticket_and_fires_once,
                a_breach_timer_is_kept_with_the_ticket_and_fires_once,
                a_hold_end_timer_returns_the_ticket_once,
                a_stale_timer_is_taken_and_changes_nothing,
                a_late_warning_of_a_breached_target_is_stamped_without_an_event,
                due_timers_page_forward_past_a_given_timer,
                an_escalation_chain_runs_each_step_once_in_order,
                a_late_chain_runs_its_due_steps_in_order_at_once,
                a_skipped_step_stays_skipped_and_resolving_stops_the_chain,
                a_reopen_stores_a_new_chain_and_its_timer,
                a_quiet_ticket_is_resolved_once_by_its_rule,
                a_worked_ticket_gets_one_comment_from_its_rule,
                concurrent_end_events_resolve_once,
                a_burst_after_an_automatic_resolution_reopens_the_ticket_once,
            ];
            one_in_two: [
                another_organizations_ticket_is_not_found,
                list_and_stats_show_only_the_organizations_tickets,
                ticket_numbers_count_from_one_in_each_organization,
            ];
            both_in_two: [
                writes_to_another_organizations_ticket_are_refused,
                the_same_alert_in_two_organizations_makes_two_tickets,
                the_outbox_list_shows_only_the_organizations_events,
            ];
            organizations: [
                resolve_provisions_a_new_slug_once,
                concurrent_resolves_of_a_new_slug_give_one_id,
                an_unknown_organization_id_is_none,
                update_changes_name_and_settings_and_get_reads_them_back,
            ];
        );
    };
    (@expand $store:expr;
        one: [$($one:ident,)*];
        health: [$($health:ident,)*];
        both: [$($both:ident,)*];
        one_in_two: [$($one_in_two:ident,)*];
        both_in_two: [$($both_in_two:ident,)*];
        organizations: [$($organizations:ident,)*];
    ) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $one() {
                let store = $store.await;
                let org =
                    $crate::conformance::provision(&store.2, $crate::conformance::SUITE_ORG).await;
                $crate::conformance::$one(&store.0, org).await;
            }
        )*
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $health() {
                let store = $store.await;
                $crate::conformance::$health(&store.0).await;
            }
        )*
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $both() {
                let store = $store.await;
                let org =
                    $crate::conformance::provision(&store.2, $crate::conformance::SUITE_ORG).await;
                $crate::conformance::$both(&store.0, &store.1, org).await;
            }
        )*
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $one_in_two() {
                let store = $store.await;
                $crate::conformance::$one_in_two(&store.0, &store.2).await;
            }
        )*
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $both_in_two() {
                let store = $store.await;
                $crate::conformance::$both_in_two(&store.0, &store.1, &store.2).await;
            }
        )*
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $organizations() {
                let store = $store.await;
                $crate::conformance::$organizations(&store.2).await;
            }
        )*
    };
}

pub use crate::conformance_tests;

#[cfg(test)]
mod tests {
    /// Every behaviour is run by [`conformance_tests!`]: a behaviour left out of its lists
    /// would never run against any adapter.
    #[test]
    fn the_macro_runs_every_behaviour() {
        let macro_source = include_str!("mod.rs");
        let lists = &macro_source[macro_source.find("one: [").expect("the macro's lists")..];
        let sources = [
            include_str!("ingest.rs"),
            include_str!("isolation.rs"),
            include_str!("organizations.rs"),
            include_str!("writes.rs"),
            include_str!("reads.rs"),
            include_str!("outbox.rs"),
            include_str!("timers.rs"),
            include_str!("escalation.rs"),
            include_str!("auto_resolve.rs"),
        ];
        let mut behaviours = 0;
        for source in sources {
            for line in source.lines() {
                let Some(rest) = line.strip_prefix("pub async fn ") else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    lists.contains(&format!("                {name},\n")),
                    "behaviour {name} is not in conformance_tests!"
                );
                behaviours += 1;
            }
        }
        assert_eq!(behaviours, 54);
    }
}
