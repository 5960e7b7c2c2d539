//! Background work of each instance: recording SLA breaches, delivering the outbox,
//! refreshing the identity provider's keys (JWT mode with a JWKS URL) and
//! deleting delivered events past their retention. All are safe to run on every instance
//! at once (the store shares the work out), and all finish their current round (for the
//! purge, its current batch) before stopping.

use std::time::Duration;

use actix_web::rt::task::JoinHandle;
use actix_web::web;
use ticket_domain::notification::OutboxPurger;
use ticket_domain::{
    Clock, Dispatcher, NotificationSender, OutboxRepository, TicketRepository, TicketService,
};
use ticket_http::Authenticator;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// The running workers and the signal that stops them.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            handles: Vec::new(),
        }
    }
}

impl Workers {
    /// Runs `round` every `interval` until stopped; a round that reports more work left
    /// (`true`) is followed at once by another.
    pub fn every<F, Fut>(&mut self, name: &'static str, interval: Duration, mut round: F)
    where
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = bool> + 'static,
    {
        let mut stop = self.stop.subscribe();
        self.handles.push(actix_web::rt::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            tracing::debug!(worker = name, ?interval, "started");
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.changed() => break,
                }
                while round().await {
                    if *stop.borrow() {
                        break;
                    }
                }
            }
            tracing::debug!(worker = name, "stopped");
        }));
    }

    /// Whether `shutdown` has been called, for a round that checks between its steps.
    fn stopping(&self) -> impl Fn() -> bool + 'static {
        let stop = self.stop.subscribe();
        move || *stop.borrow()
    }

    /// Signals every worker to stop and waits for their current rounds to finish.
    /// Handles that end the workers where they are, mid-round included (see `Killer`).
    pub fn abort_handles(&self) -> Vec<tokio::task::AbortHandle> {
        self.handles.iter().map(JoinHandle::abort_handle).collect()
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

/// Fetches the identity provider's key set again every `interval`, so that withdrawn keys
/// stop verifying; a failed fetch keeps the keys already known.
pub fn jwks_refresher(
    workers: &mut Workers,
    authenticator: web::Data<Authenticator>,
    interval: Duration,
) {
    // The first tick comes at once, just after `Authenticator::start` fetched the set.
    let mut fetched_at_start = true;
    workers.every("jwks-refresh", interval, move || {
        let skip = std::mem::take(&mut fetched_at_start);
        let authenticator = authenticator.clone();
        async move {
            if let (false, Some(jwks)) = (skip, authenticator.remote_jwks())
                && let Err(error) = jwks.refresh().await
            {
                tracing::warn!(%error, "JWKS refresh failed; keeping the keys already known");
            }
            false
        }
    });
}

/// Records SLA breaches every `interval`.
pub fn sla_monitor<R: TicketRepository, C: Clock>(
    workers: &mut Workers,
    service: web::Data<TicketService<R, C>>,
    interval: Duration,
) {
    workers.every("sla-monitor", interval, move || {
        let service = service.clone();
        async move {
            match service.record_sla_breaches().await {
                Ok(0) => {}
                Ok(recorded) => tracing::info!(recorded, "recorded SLA breaches"),
                Err(error) => tracing::warn!(%error, "SLA breach check failed"),
            }
            false
        }
    });
}

/// Fires due timers (hold ends, SLA warnings) every `interval`.
pub fn timers<R: TicketRepository, C: Clock>(
    workers: &mut Workers,
    service: web::Data<TicketService<R, C>>,
    interval: Duration,
) {
    workers.every("timers", interval, move || {
        let service = service.clone();
        async move {
            match service.run_timers().await {
                Ok(round) => {
                    if let Some(error) = &round.first_error {
                        tracing::warn!(
                            taken = round.taken,
                            failed = round.failed,
                            %error,
                            "timers failed; they are tried again next round"
                        );
                    } else if round.taken > 0 {
                        tracing::debug!(taken = round.taken, "fired timers");
                    }
                }
                Err(error) => tracing::warn!(%error, "firing timers failed"),
            }
            false
        }
    });
}

/// Delivers due outbox events every `interval`, and round after round without waiting
/// while rounds find work, so a backlog drains as fast as the receiver takes it.
pub fn dispatcher<O: OutboxRepository, S: NotificationSender, C: Clock>(
    workers: &mut Workers,
    dispatcher: Dispatcher<O, S, C>,
    interval: Duration,
) {
    let dispatcher = std::rc::Rc::new(dispatcher);
    workers.every("dispatcher", interval, move || {
        let dispatcher = dispatcher.clone();
        async move {
            match dispatcher.dispatch_once().await {
                Ok(report) => {
                    if report.failed > 0 {
                        tracing::warn!(
                            sent = report.sent,
                            failed = report.failed,
                            released = report.released,
                            "notification deliveries failed"
                        );
                    }
                    // Any claim may leave due work behind it: more tickets or events than
                    // a round takes, events written meanwhile, a batch cut short by its
                    // lease. A round that finds nothing ends the run.
                    report.claimed > 0
                }
                Err(error) => {
                    tracing::warn!(%error, "notification dispatch failed");
                    false
                }
            }
        }
    });
}

/// Deletes delivered events past the retention every `interval` (at once at start-up). A
/// round deletes batch after batch until one comes back short, and stops between batches
/// on shutdown.
pub fn outbox_purger<O: OutboxRepository, C: Clock>(
    workers: &mut Workers,
    purger: OutboxPurger<O, C>,
    interval: Duration,
) {
    let purger = std::rc::Rc::new(purger);
    let stopping = std::rc::Rc::new(workers.stopping());
    workers.every("outbox-purger", interval, move || {
        let purger = purger.clone();
        let stopping = stopping.clone();
        async move {
            match purger.purge(|| !stopping()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged delivered notifications"),
                Err(error) => tracing::warn!(%error, "notification purge failed"),
            }
            false
        }
    });
}
