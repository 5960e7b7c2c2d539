#![doc = include_str!("../README.md")]

pub mod config;
pub mod metrics;
pub mod telemetry;
pub mod workers;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ticket_domain::notification::OutboxPurger;
use ticket_domain::{
    Clock, Dispatcher, HealthCheck, OrganizationRepository, OutboxRepository, TicketService,
};
use ticket_http::outbound::WebhookSender;
use ticket_http::{AuthMode, Authenticator, ServiceInfo, configure, no_route};
use ticket_persistence::{
    DbRole, PgOrganizations, PgOutbox, PgTicketRepository, PoolSettings, build_pool,
    ensure_database, run_pending,
};
use workers::Workers;

pub use config::Config;

/// How long start-up keeps trying to reach the database before giving up.
const STARTUP_DB_WAIT: Duration = Duration::from_secs(30);

/// How often a JWKS fetched from `AUTH_JWKS_URL` is fetched again, so that a key the
/// identity provider withdrew stops verifying tokens within this time.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// Connections of the background workers (SLA monitor, dispatcher, purger), on top of
/// DATABASE_POOL_SIZE.
const BACKGROUND_POOL_SIZE: usize = 2;

/// Creates the database if missing and applies pending migrations, waiting for the
/// database to come up if it is still starting.
pub async fn prepare_database(database_url: &str) -> anyhow::Result<Vec<String>> {
    let started = std::time::Instant::now();
    loop {
        match ensure_database(database_url).await {
            Ok(created) => {
                if created {
                    tracing::info!("created the database");
                }
                break;
            }
            Err(e) if started.elapsed() < STARTUP_DB_WAIT => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e).context("database not reachable"),
        }
    }
    let applied = run_pending(database_url)
        .await
        .context("applying migrations")?;
    for version in &applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(applied)
}

/// `total` connections split between `workers` pools, the first ones taking the remainder.
fn pool_shares(total: usize, workers: usize) -> Vec<usize> {
    (0..workers)
        .map(|i| total / workers + usize::from(i < total % workers))
        .collect()
}

/// The service, bound to its port and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    workers: Workers,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish()
    }
}

impl Application {
    /// Prepares the database, builds the pool and binds `HOST:PORT` (port 0 picks a free
    /// one). `clock` is injected so tests can move time.
    pub async fn build<C: Clock + Clone>(config: &Config, clock: C) -> anyhow::Result<Self> {
        if config.auth == AuthMode::Header {
            tracing::warn!(
                "AUTH_MODE=header: callers are not verified; X-User-Id, X-Org-Id, X-Roles and \
                 X-Provider-Id are trusted as sent, so only the trusted gateway may reach \
                 this service"
            );
        }
        // Before the database: a bad key file stops start-up at once.
        let authenticator = web::Data::new(
            Authenticator::start(&config.auth)
                .await
                .context("loading the keys of AUTH_JWKS_FILE")?,
        );
        prepare_database(&config.database_url).await?;
        // One pool per HTTP worker thread, and one for the background workers. A pooled
        // connection is driven by a task on the thread that opened it; shared across
        // threads, every statement would cost two cross-thread wake-ups (measured: a third
        // of the server's CPU went to switching threads). DATABASE_POOL_SIZE is split
        // between the HTTP workers.
        let requested = config.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        });
        // Every worker needs a connection of its own; the sizes add up to DATABASE_POOL_SIZE.
        let http_workers = requested.min(config.pool.max_size).max(1);
        if http_workers < requested {
            tracing::warn!(
                requested,
                http_workers,
                "HTTP_WORKERS is larger than DATABASE_POOL_SIZE: running one worker per connection"
            );
        }
        let pools = pool_shares(config.pool.max_size, http_workers)
            .into_iter()
            .map(|share| {
                let settings = PoolSettings {
                    max_size: share,
                    role: Some(DbRole::App),
                    ..config.pool.clone()
                };
                build_pool(&config.database_url, &settings)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let background = build_pool(
            &config.database_url,
            &PoolSettings {
                max_size: BACKGROUND_POOL_SIZE,
                role: Some(DbRole::Worker),
                ..config.pool.clone()
            },
        )?;
        let outbox = PgOutbox::new(background.clone());
        let mut all_pools = pools.clone();
        all_pools.push(background.clone());
        let scrape = web::Data::new(metrics::Scrape {
            handle: metrics::install(&config.service_name),
            pools: all_pools,
        });
        let background_service = web::Data::new(TicketService::new(
            PgTicketRepository::new(background),
            clock.clone(),
            config.sla.clone(),
        ));

        let mut workers = Workers::default();
        workers::sla_monitor(&mut workers, background_service, config.sla_check_interval);
        if let Some(retention) = config.notification_retention {
            let purger = OutboxPurger::new(outbox.clone(), clock.clone(), retention);
            workers::outbox_purger(&mut workers, purger, config.notification_purge_interval);
        }
        match &config.notification_url {
            Some(url) => {
                let sender = WebhookSender::new(url.clone(), config.notification_secret.clone());
                let send_timeout = sender.timeout();
                let mut dispatcher =
                    Dispatcher::new(outbox, sender, clock.clone(), config.notification_retry);
                dispatcher.send_timeout = send_timeout;
                dispatcher.events_per_ticket = config.notification_batch_size;
                workers::dispatcher(&mut workers, dispatcher, config.notification_poll_interval);
            }
            None => tracing::warn!(
                "NOTIFICATION_URL is not set: ticket events are kept in notification_logs \
                 as pending and not delivered"
            ),
        }
        if authenticator.remote_jwks().is_some() {
            workers::jwks_refresher(&mut workers, authenticator.clone(), JWKS_REFRESH_INTERVAL);
        }
        let info = web::Data::new(ServiceInfo {
            name: config.service_name.clone(),
            version: env!("CARGO_PKG_VERSION"),
        });
        let listener = TcpListener::bind((config.host, config.port))
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let next_pool = Arc::new(AtomicUsize::new(0));
        let sla = config.sla.clone();
        let mut server = HttpServer::new(move || {
            // Called once on each worker thread: that worker's pool and what uses it.
            let pool = pools[next_pool.fetch_add(1, Ordering::Relaxed) % pools.len()].clone();
            let repository = PgTicketRepository::new(pool.clone());
            let health: web::Data<dyn HealthCheck> =
                web::Data::from(Arc::new(repository.clone()) as Arc<dyn HealthCheck>);
            let orgs: web::Data<dyn OrganizationRepository> = web::Data::from(Arc::new(
                PgOrganizations::new(pool.clone()),
            )
                as Arc<dyn OrganizationRepository>);
            let worker_outbox = PgOutbox::new(pool);
            // `/metrics` reads the backlog through this worker's pool, never the
            // background one, whose connections must live on the main thread.
            let backlog = web::Data::new(worker_outbox.clone());
            let outbox: web::Data<dyn OutboxRepository> =
                web::Data::from(Arc::new(worker_outbox) as Arc<dyn OutboxRepository>);
            let service =
                web::Data::new(TicketService::new(repository, clock.clone(), sla.clone()));
            App::new()
                .wrap(from_fn(ticket_http::inbound::extract::limit_headers))
                .wrap(NormalizePath::trim())
                .wrap(from_fn(telemetry::request_log))
                .app_data(service)
                .app_data(info.clone())
                .app_data(authenticator.clone())
                .app_data(health)
                .app_data(outbox)
                .app_data(orgs)
                .app_data(backlog)
                .app_data(scrape.clone())
                .service(
                    web::resource("/metrics")
                        .route(web::get().to(metrics::render))
                        .default_service(ticket_http::inbound::routes::method_not_allowed("GET")),
                )
                .configure(configure::<PgTicketRepository, C>)
                .default_service(web::to(no_route))
        })
        .listen(listener)?
        .shutdown_timeout(30);
        server = server.workers(http_workers);
        Ok(Self {
            port,
            server: server.run(),
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM (graceful: stops accepting, finishes in-flight requests) or
    /// SIGINT/SIGQUIT (immediate), then finishes the background workers' current rounds and
    /// returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        tracing::info!("HTTP server stopped; stopping background work");
        self.workers.shutdown().await;
        served
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
