//! Use cases, generic over the ports. Each reads, decides with the pure rules of
//! [`crate::lifecycle`] / [`crate::ticket`], and writes with an optimistic version check,
//! so concurrent changes on several instances are serialised by the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::{Caller, Forbidden};
use crate::ingest::{EndEvent, Ended};
use crate::lifecycle::{self, StatusChange, TransitionError};
use crate::model::{CommentBody, OrgId, UserId, Visibility};
use crate::policy::SlaRules;
use crate::ports::{Clock, RepositoryError, TicketRef, TicketRepository};
use crate::query::{ListQuery, Page, TicketFilter, TicketStats};
use crate::sla::SlaPolicy;
use crate::suppression::DroppedAlert;
use crate::ticket::{
    Comment, HistoryEntry, Ingested, NewAlert, StoredAlert, Ticket, TicketDetails, TicketDraft,
    TicketView,
};

/// How many times a write computed from a stale read is recomputed before giving up.
const MAX_ATTEMPTS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no such ticket")]
    NotFound,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The client's `If-Match` names a version that is no longer current.
    #[error("the ticket is at version {current}, not {expected}")]
    VersionMismatch { expected: i64, current: i64 },
    /// Too many concurrent writers on one ticket; the client may retry.
    #[error("the ticket is being changed concurrently; retry")]
    Contention,
    /// Reopening would make a second active ticket for one incident.
    #[error("another active ticket has the same dedup key; work on that one")]
    DuplicateActive,
    /// The caller's roles do not allow the change.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Repository(RepositoryError),
}

impl From<RepositoryError> for ServiceError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => ServiceError::NotFound,
            RepositoryError::DuplicateActive => ServiceError::DuplicateActive,
            other => ServiceError::Repository(other),
        }
    }
}

/// How an alert was taken in (the ticket itself is in the accompanying view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Created,
    Merged,
    Replayed,
    /// It reopened the ticket an auto-resolve rule had just resolved (flapping).
    Reopened,
}

/// What became of an alert.
#[derive(Debug, Clone, PartialEq)]
// The ticket is the common case: boxing it would allocate on every alert.
#[allow(clippy::large_enum_variant)]
pub enum Received {
    /// A ticket took it: how, and the ticket as readers see it.
    Ticket(IngestOutcome, TicketView),
    /// A `drop` window took it, now or (`replayed`) when it was first sent.
    Dropped { alert: DroppedAlert, replayed: bool },
}

impl Received {
    /// How a ticket took the alert; `None` if it was dropped.
    pub fn ticket(self) -> Option<(IngestOutcome, TicketView)> {
        match self {
            Received::Ticket(outcome, view) => Some((outcome, view)),
            Received::Dropped { .. } => None,
        }
    }
}

/// What one round of [`TicketService::run_timers`] did.
#[derive(Debug, Default)]
pub struct TimerRound {
    /// Timers this instance took: fired, or found stale and moved or removed.
    pub taken: usize,
    /// Timers that failed; each is tried again next round.
    pub failed: usize,
    pub first_error: Option<RepositoryError>,
}

/// A ticket's details as readers see them.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailsView {
    pub view: TicketView,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug)]
pub struct TicketService<R, C> {
    repo: R,
    clock: C,
    sla: SlaPolicy,
}

impl<R: TicketRepository, C: Clock> TicketService<R, C> {
    pub fn new(repo: R, clock: C, sla: SlaPolicy) -> Self {
        Self { repo, clock, sla }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Turns an alert into a ticket, merges it into an active one, or replays an earlier
    /// answer (see [`TicketRepository::ingest`]).
    pub async fn ingest(&self, org: OrgId, alert: NewAlert) -> Result<Received, ServiceError> {
        self.ingest_under(org, alert, &SlaRules::default()).await
    }

    /// [`TicketService::ingest`], with the organization's SLA policies: a new ticket takes
    /// its targets from the first that selects it (see [`TicketDraft::under`]).
    pub async fn ingest_under(
        &self,
        org: OrgId,
        alert: NewAlert,
        rules: &SlaRules,
    ) -> Result<Received, ServiceError> {
        let now = self.clock.now();
        let draft = TicketDraft::under(org, alert, &self.sla, rules, now);
        let (outcome, ticket) = match self.repo.ingest(org, draft, now).await? {
            Ingested::Created(t) => (IngestOutcome::Created, t),
            Ingested::Merged(t) => (IngestOutcome::Merged, t),
            Ingested::Replayed(t) => (IngestOutcome::Replayed, t),
            Ingested::Reopened(t) => (IngestOutcome::Reopened, t),
            Ingested::Dropped(alert) => {
                return Ok(Received::Dropped {
                    alert,
                    replayed: false,
                });
            }
            Ingested::DropReplayed(alert) => {
                return Ok(Received::Dropped {
                    alert,
                    replayed: true,
                });
            }
        };
        Ok(Received::Ticket(outcome, TicketView::at(ticket, now)))
    }

    /// Takes in a provider's end event (see [`TicketRepository::end_event`]): what it did,
    /// and the ticket it acted on or left as it was, as readers see it.
    pub async fn end_event(
        &self,
        org: OrgId,
        event: &EndEvent,
    ) -> Result<(Ended, Option<TicketView>), ServiceError> {
        let now = self.clock.now();
        let ended = self.repo.end_event(org, event, now).await?;
        let view = match &ended {
            Ended::Resolved(t) | Ended::Declined(t) | Ended::Ignored(t) => {
                Some(TicketView::at(t.clone(), now))
            }
            Ended::NothingActive => None,
        };
        Ok((ended, view))
    }

    pub async fn details(
        &self,
        org: OrgId,
        ticket: TicketRef,
        visibility: Option<Visibility>,
    ) -> Result<DetailsView, ServiceError> {
        let TicketDetails {
            ticket,
            comments,
            history,
        } = self
            .repo
            .details(org, ticket, visibility)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(DetailsView {
            view: TicketView::at(ticket, self.clock.now()),
            comments,
            history,
        })
    }

    pub async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
    ) -> Result<Page<TicketView>, ServiceError> {
        let now = self.clock.now();
        let page = self.repo.list(org, query, now).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|t| TicketView::at(t, now))
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// The alerts merged into a ticket, newest first.
    pub async fn alerts(
        &self,
        org: OrgId,
        ticket: TicketRef,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<StoredAlert>, ServiceError> {
        self.repo
            .alerts(org, ticket, limit, before)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Records the SLA breaches that happened by now (one event per target per ticket),
    /// in batches, until none is left. Returns how many were recorded.
    pub async fn record_sla_breaches(&self) -> Result<usize, ServiceError> {
        const BATCH: i64 = 500;
        let now = self.clock.now();
        let mut total = 0;
        loop {
            let recorded = self.repo.record_sla_breaches(now, BATCH).await?;
            total += recorded;
            if (recorded as i64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Fires the timers due by now (hold ends, SLA warnings), page after page through them
    /// all. A timer that fails is left for the next round and holds back no other; one
    /// another instance holds is that instance's to fire.
    pub async fn run_timers(&self) -> Result<TimerRound, ServiceError> {
        const BATCH: i64 = 200;
        let now = self.clock.now();
        let mut round = TimerRound::default();
        let mut after = None;
        loop {
            let due = self.repo.due_timers(now, after, BATCH).await?;
            let mut fired = 0;
            for timer in &due {
                match self.repo.fire_timer(timer, now).await {
                    Ok(true) => fired += 1,
                    Ok(false) => {}
                    Err(error) => {
                        round.failed += 1;
                        round.first_error.get_or_insert(error);
                    }
                }
            }
            round.taken += fired;
            match due.last() {
                Some(last) if due.len() as i64 == BATCH => after = Some(*last),
                _ => return Ok(round),
            }
        }
    }

    pub async fn stats(
        &self,
        org: OrgId,
        filter: &TicketFilter,
    ) -> Result<TicketStats, ServiceError> {
        Ok(self.repo.stats(org, filter, self.clock.now()).await?)
    }

    /// Changes a ticket of `caller`'s organization, as `actor`. With `if_match`, only from
    /// that version; without it, the change is re-validated (rules and permissions) against
    /// whatever state it would apply to. Without the organization's rules: a reopen starts
    /// no escalation chain (use [`TicketService::change_status_under`]).
    pub async fn change_status(
        &self,
        caller: &Caller,
        ticket: TicketRef,
        change: &StatusChange,
        actor: &UserId,
        if_match: Option<i64>,
    ) -> Result<TicketView, ServiceError> {
        self.change_status_under(
            caller,
            ticket,
            change,
            actor,
            if_match,
            &SlaRules::default(),
        )
        .await
    }

    /// [`TicketService::change_status`], with the organization's rules: a reopen starts the
    /// chain of the first escalation policy that then selects the ticket (or none).
    pub async fn change_status_under(
        &self,
        caller: &Caller,
        ticket: TicketRef,
        change: &StatusChange,
        actor: &UserId,
        if_match: Option<i64>,
        rules: &SlaRules,
    ) -> Result<TicketView, ServiceError> {
        let org = caller.org;
        for _ in 0..MAX_ATTEMPTS {
            let current = self.load(org, ticket, if_match).await?;
            caller.require_status_change(
                current.status(),
                change.target,
                change.assignee_id.as_ref(),
            )?;
            let now = self.clock.now();
            let (mut next, entry) = lifecycle::apply(&current, change, actor, now)?;
            if current.status().is_resolution() && next.status().is_active() {
                next.escalation = rules.escalations().chain_for(&next, now).map(Arc::new);
            }
            match self
                .repo
                .save_transition(org, &next, current.version, &entry)
                .await
            {
                Ok(()) => return Ok(TicketView::at(next, now)),
                // Re-read and re-validate; with `if_match` the re-read reports the mismatch.
                Err(RepositoryError::VersionConflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contention)
    }

    /// Adds a comment by `author`; a first response if none came before. Concurrent
    /// comments never conflict; with `if_match`, only on that version.
    pub async fn add_comment(
        &self,
        org: OrgId,
        ticket: TicketRef,
        author: &UserId,
        body: CommentBody,
        visibility: Visibility,
        if_match: Option<i64>,
    ) -> Result<(Comment, TicketView), ServiceError> {
        let current = self.load(org, ticket, if_match).await?;
        let now = self.clock.now();
        let (_, comment) = current.add_comment(author.clone(), body, visibility, now);
        match self.repo.save_comment(org, &comment, if_match).await {
            Ok(stored) => Ok((comment, TicketView::at(stored, now))),
            // Only possible with `if_match`: changed between our read and our write.
            Err(RepositoryError::VersionConflict) => {
                let current = self.load(org, ticket, None).await?;
                Err(ServiceError::VersionMismatch {
                    expected: if_match.unwrap_or(current.version),
                    current: current.version,
                })
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The ticket as stored.
    pub async fn ticket(&self, org: OrgId, ticket: TicketRef) -> Result<Ticket, ServiceError> {
        self.load(org, ticket, None).await
    }

    /// The ticket `alert` would open now under `rules`, stored nowhere (a rule preview).
    pub fn draft(&self, org: OrgId, alert: NewAlert, rules: &SlaRules) -> Ticket {
        TicketDraft::under(org, alert, &self.sla, rules, self.clock.now()).ticket
    }

    async fn load(
        &self,
        org: OrgId,
        ticket: TicketRef,
        if_match: Option<i64>,
    ) -> Result<crate::ticket::Ticket, ServiceError> {
        let current = self
            .repo
            .find(org, ticket)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match if_match {
            Some(expected) if expected != current.version => Err(ServiceError::VersionMismatch {
                expected,
                current: current.version,
            }),
            _ => Ok(current),
        }
    }
}
