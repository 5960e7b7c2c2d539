//! Prometheus metrics at `GET /metrics` (text format).
//!
//! | name | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `route`, `status` |
//! | `http_request_duration_seconds` | histogram | `method`, `route` |
//! | `tickets_created_total`, `alerts_merged_total`, `alerts_replayed_total`, `flap_reopens_total`, `alerts_dropped_total` | counter | |
//! | `end_events_total` | counter | `outcome` (`resolved`, `declined`, `ignored`, `nothing_active`) |
//! | `escalation_steps_total` | counter | (one per `ticket_escalated` event) |
//! | `ticket_transitions_total` | counter | `to_status` |
//! | `comments_added_total` | counter | |
//! | `sla_breaches_total` | counter | |
//! | `sla_warnings_total` | counter | |
//! | `tickets_released_total` | counter | |
//! | `notifications_sent_total` | counter | |
//! | `notification_delivery_failures_total` | counter | `outcome` (`retry`, `gave_up`) |
//! | `notifications_purged_total` | counter | |
//! | `notifications_pending` | gauge | |
//! | `db_pool_size`, `db_pool_in_use`, `db_pool_available`, `db_pool_waiting`, `db_pool_max_size` | gauge | |
//!
//! Every series carries the `service` label (`SERVICE_NAME`).

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use ticket_persistence::{PgOutbox, PgPool};

/// Request latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (several applications in one test process
/// share it). `None` if another recorder was installed first.
pub fn install(service_name: &str) -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .add_global_label("service", service_name)
                .set_buckets(LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

/// What `/metrics` reads at scrape time.
pub struct Scrape {
    pub handle: Option<PrometheusHandle>,
    /// Every pool of the instance (one per HTTP worker, one for background work).
    pub pools: Vec<PgPool>,
}

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrape").finish_non_exhaustive()
    }
}

pub async fn render(scrape: web::Data<Scrape>, outbox: web::Data<PgOutbox>) -> HttpResponse {
    let (mut max_size, mut size, mut available, mut waiting) = (0, 0, 0, 0);
    for status in scrape.pools.iter().map(PgPool::status) {
        max_size += status.max_size;
        size += status.size;
        available += status.available;
        waiting += status.waiting;
    }
    metrics::gauge!("db_pool_max_size").set(max_size as f64);
    metrics::gauge!("db_pool_size").set(size as f64);
    metrics::gauge!("db_pool_available").set(available as f64);
    metrics::gauge!("db_pool_in_use").set(size.saturating_sub(available) as f64);
    metrics::gauge!("db_pool_waiting").set(waiting as f64);
    // The backlog needs the database; when it is down the gauge keeps its last value.
    if let Ok(pending) = outbox.backlog().await {
        metrics::gauge!("notifications_pending").set(pending as f64);
    }
    match &scrape.handle {
        Some(handle) => {
            handle.run_upkeep();
            HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4")
                .body(handle.render())
        }
        None => HttpResponse::ServiceUnavailable().finish(),
    }
}
