#![doc = include_str!("../README.md")]

pub mod config;
pub mod metrics;
pub mod storage;
pub mod telemetry;
pub mod workers;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::sync::Arc;

use storage::{Ports, Storage};
use ticket_domain::notification::OutboxPurger;
use ticket_domain::{
    AssignmentConfigRepository, AutoResolveConfigRepository, Clock, Dispatcher,
    EscalationConfigRepository, HealthCheck, OrganizationRepository, OutboxRepository,
    SlaConfigRepository, SlaPolicy, SuppressionWindowRepository, TicketRepository, TicketService,
};
use ticket_http::outbound::WebhookSender;
use ticket_http::{AuthMode, Authenticator, ServiceInfo, configure, no_route};
use ticket_persistence::{ensure_database, run_pending};
use workers::Workers;

pub use config::Config;

/// How long start-up keeps trying to reach the database before giving up.
const STARTUP_DB_WAIT: Duration = Duration::from_secs(30);

/// How often a JWKS fetched from `AUTH_JWKS_URL` is fetched again, so that a key the
/// identity provider withdrew stops verifying tokens within this time.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(300);

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

/// The routes of one HTTP worker and what they need, over any storage.
fn api<T, O, G, S, C>(
    ports: Ports<T, O, G, S>,
    clock: C,
    sla: SlaPolicy,
) -> impl FnOnce(&mut web::ServiceConfig)
where
    T: TicketRepository + HealthCheck + Clone,
    O: OutboxRepository,
    G: OrganizationRepository,
    S: SlaConfigRepository
        + EscalationConfigRepository
        + AssignmentConfigRepository
        + AutoResolveConfigRepository
        + SuppressionWindowRepository
        + Clone,
    C: Clock,
{
    move |cfg| {
        let escalation_config: web::Data<dyn EscalationConfigRepository> =
            web::Data::from(Arc::new(ports.sla.clone()) as Arc<dyn EscalationConfigRepository>);
        let assignment_config: web::Data<dyn AssignmentConfigRepository> =
            web::Data::from(Arc::new(ports.sla.clone()) as Arc<dyn AssignmentConfigRepository>);
        let auto_resolve_config: web::Data<dyn AutoResolveConfigRepository> =
            web::Data::from(Arc::new(ports.sla.clone()) as Arc<dyn AutoResolveConfigRepository>);
        let windows: web::Data<dyn SuppressionWindowRepository> =
            web::Data::from(Arc::new(ports.sla.clone()) as Arc<dyn SuppressionWindowRepository>);
        let health: web::Data<dyn HealthCheck> =
            web::Data::from(Arc::new(ports.tickets.clone()) as Arc<dyn HealthCheck>);
        let outbox: web::Data<dyn OutboxRepository> =
            web::Data::from(Arc::new(ports.outbox) as Arc<dyn OutboxRepository>);
        let orgs: web::Data<dyn OrganizationRepository> =
            web::Data::from(Arc::new(ports.orgs) as Arc<dyn OrganizationRepository>);
        let sla_config: web::Data<dyn SlaConfigRepository> =
            web::Data::from(Arc::new(ports.sla) as Arc<dyn SlaConfigRepository>);
        let service = web::Data::new(TicketService::new(ports.tickets, clock, sla));
        cfg.app_data(service)
            .app_data(health)
            .app_data(outbox)
            .app_data(orgs)
            .app_data(sla_config)
            .app_data(escalation_config)
            .app_data(assignment_config)
            .app_data(auto_resolve_config)
            .app_data(windows)
            .configure(configure::<T, C>);
    }
}

/// Ends an instance at once: its background workers dropped wherever they are (an open
/// transaction goes with its connection, so PostgreSQL rolls it back, as after a crash)
/// and its HTTP server stopped without waiting for requests in flight.
#[derive(Clone)]
pub struct Killer {
    server: actix_web::dev::ServerHandle,
    workers: Vec<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for Killer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Killer")
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Killer {
    pub async fn kill(&self) {
        for worker in &self.workers {
            worker.abort();
        }
        self.server.stop(false).await;
    }
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
        // One pool per HTTP worker thread, and one for the background workers (see
        // `Storage`).
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
        let storage = Storage::connect(config, http_workers)?;
        let scrape = web::Data::new(metrics::Scrape {
            handle: metrics::install(&config.service_name),
            pools: storage.pools(),
        });
        let Ports {
            tickets, outbox, ..
        } = storage.background();
        let background_service = web::Data::new(TicketService::new(
            tickets,
            clock.clone(),
            config.sla.clone(),
        ));

        let mut workers = Workers::default();
        workers::sla_monitor(
            &mut workers,
            background_service.clone(),
            config.sla_check_interval,
        );
        workers::timers(&mut workers, background_service, config.timer_poll_interval);
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
        let worker_ports = storage.http_workers();
        let sla = config.sla.clone();
        let mut server = HttpServer::new(move || {
            // Called once on each worker thread: that worker's pool and what uses it.
            let ports = worker_ports();
            // `/metrics` reads the backlog through this worker's pool, never the
            // background one, whose connections must live on the main thread.
            let backlog = web::Data::new(ports.outbox.clone());
            App::new()
                .wrap(from_fn(ticket_http::inbound::extract::limit_headers))
                .wrap(NormalizePath::trim())
                .wrap(from_fn(telemetry::request_log))
                .app_data(info.clone())
                .app_data(authenticator.clone())
                .app_data(backlog)
                .app_data(scrape.clone())
                .service(
                    web::resource("/metrics")
                        .route(web::get().to(metrics::render))
                        .default_service(ticket_http::inbound::routes::method_not_allowed("GET")),
                )
                .configure(api(ports, clock.clone(), sla.clone()))
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

    /// What stops this instance as a crash would, for tests of several instances.
    pub fn killer(&self) -> Killer {
        Killer {
            server: self.server.handle(),
            workers: self.workers.abort_handles(),
        }
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
