//! The storage adapters, built in this one place. The rest of the server (services, workers,
//! routes) takes them as [`Ports`], through the port traits only, so another adapter would
//! change this module and nothing that uses it; `/metrics` (`crate::metrics`) is the other
//! place that knows the store is PostgreSQL, for its pool and backlog gauges.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ticket_persistence::{
    BootstrapError, DbRole, PgOrganizations, PgOutbox, PgPool, PgSlaConfig, PgTicketRepository,
    PoolSettings, build_pool,
};

use crate::Config;

/// Connections of the background workers (SLA monitor, timers, dispatcher, purger), on top of
/// DATABASE_POOL_SIZE.
const BACKGROUND_POOL_SIZE: usize = 3;

/// The port implementations over one share of the store.
#[derive(Debug, Clone)]
pub struct Ports<T, O, G, S> {
    /// `TicketRepository`, and `HealthCheck` for `/ready`.
    pub tickets: T,
    /// `OutboxRepository`.
    pub outbox: O,
    /// `OrganizationRepository`.
    pub orgs: G,
    /// `SlaConfigRepository`.
    pub sla: S,
}

/// The PostgreSQL ports.
pub type PgPorts = Ports<PgTicketRepository, PgOutbox, PgOrganizations, PgSlaConfig>;

/// The PostgreSQL adapters over `pool`; `sla` lends its cache of SLA policies.
fn postgres(pool: PgPool, sla: &PgSlaConfig) -> PgPorts {
    Ports {
        tickets: PgTicketRepository::new(pool.clone()),
        outbox: PgOutbox::new(pool.clone()),
        sla: sla.on_pool(pool.clone()),
        orgs: PgOrganizations::new(pool).with_rules_cache(sla.clone()),
    }
}

/// `total` connections split between `workers` pools, the first ones taking the remainder.
fn pool_shares(total: usize, workers: usize) -> Vec<usize> {
    (0..workers)
        .map(|i| total / workers + usize::from(i < total % workers))
        .collect()
}

/// The store of one instance: a pool per HTTP worker and one for the background workers.
///
/// A pooled connection is driven by a task on the thread that opened it; shared across
/// threads, every statement would cost two cross-thread wake-ups (measured: a third of the
/// server's CPU went to switching threads). DATABASE_POOL_SIZE is split between the HTTP
/// workers, every one of which needs a connection of its own.
pub struct Storage {
    http: Vec<PgPool>,
    background: PgPool,
    /// One cache of SLA policies for the whole instance (see `PgSlaConfig::on_pool`).
    sla: PgSlaConfig,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("http_pools", &self.http.len())
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Builds the pools (connections open lazily) for `http_workers` (at least one, at most
    /// DATABASE_POOL_SIZE) workers.
    pub fn connect(config: &Config, http_workers: usize) -> Result<Self, BootstrapError> {
        // Requests act as `ticket_app`, the background workers as `ticket_worker`, so
        // row-level security applies to both (docs/OPERATIONS.md).
        let pool = |max_size, role| {
            let settings = PoolSettings {
                max_size,
                role: Some(role),
                ..config.pool.clone()
            };
            build_pool(&config.database_url, &settings)
        };
        let background = pool(BACKGROUND_POOL_SIZE, DbRole::Worker)?;
        Ok(Self {
            http: pool_shares(config.pool.max_size, http_workers)
                .into_iter()
                .map(|share| pool(share, DbRole::App))
                .collect::<Result<_, _>>()?,
            sla: PgSlaConfig::new(background.clone()),
            background,
        })
    }

    /// Every pool of the instance, for the pool gauges of `/metrics`.
    pub fn pools(&self) -> Vec<PgPool> {
        let mut all = self.http.clone();
        all.push(self.background.clone());
        all
    }

    /// The ports of the background workers.
    pub fn background(&self) -> PgPorts {
        postgres(self.background.clone(), &self.sla)
    }

    /// The ports of the HTTP workers: each call, once on each worker thread, takes the next
    /// worker's pool.
    pub fn http_workers(&self) -> impl Fn() -> PgPorts + Clone + Send + 'static {
        let pools = self.http.clone();
        let sla = self.sla.clone();
        let next = Arc::new(AtomicUsize::new(0));
        move || {
            postgres(
                pools[next.fetch_add(1, Ordering::Relaxed) % pools.len()].clone(),
                &sla,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pool_shares;

    #[test]
    fn pool_shares_add_up_to_the_total() {
        assert_eq!(pool_shares(8, 2), [4, 4]);
        assert_eq!(pool_shares(9, 2), [5, 4]);
        assert_eq!(pool_shares(3, 3), [1, 1, 1]);
        assert_eq!(pool_shares(64, 1), [64]);
        for total in 1..40 {
            for workers in 1..=total {
                let shares = pool_shares(total, workers);
                assert_eq!(shares.iter().sum::<usize>(), total);
                assert!(shares.iter().all(|&s| s >= 1));
            }
        }
    }
}
