//! Mapping of database and pool failures onto the port's [`RepositoryError`].

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;
use ticket_domain::RepositoryError;

/// Errors inside a transaction: diesel's, or a decision that must roll it back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error(transparent)]
    Diesel(#[from] DieselError),
    #[error("stored version differs from the expected one")]
    VersionConflict,
    #[error("no such ticket")]
    NotFound,
    #[error("another active ticket has the same dedup key")]
    DuplicateActive,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// The unique index that allows one active ticket per (provider, dedup key).
pub(crate) const ACTIVE_DEDUP_INDEX: &str = "tickets_org_active_key";

impl DbError {
    /// A write that would make a second active ticket for one dedup key.
    pub(crate) fn from_update(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(ACTIVE_DEDUP_INDEX) =>
            {
                DbError::DuplicateActive
            }
            _ => DbError::Diesel(error),
        }
    }

    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Diesel(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

impl From<DbError> for RepositoryError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::VersionConflict => RepositoryError::VersionConflict,
            DbError::NotFound => RepositoryError::NotFound,
            DbError::DuplicateActive => RepositoryError::DuplicateActive,
            DbError::Diesel(e) => diesel_error(e),
            DbError::Corrupt(_) => RepositoryError::Failure(Box::new(error)),
        }
    }
}

/// A lost connection is "unavailable" (retry later), anything else a failure.
pub(crate) fn diesel_error(error: DieselError) -> RepositoryError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => RepositoryError::Unavailable(Box::new(error)),
        // A statement cancelled by its `statement_timeout` (a search over too much), or
        // chosen as a deadlock's victim: the service is busy, not broken; worth a retry.
        DieselError::DatabaseError(_, info)
            if info.message().contains("connection closed")
                || info.message().contains("terminating connection")
                || info.message().contains("statement timeout")
                || info.message().contains("deadlock detected") =>
        {
            RepositoryError::Unavailable(Box::new(error))
        }
        _ => RepositoryError::Failure(Box::new(error)),
    }
}

pub(crate) fn pool_error(error: PoolError) -> RepositoryError {
    match error {
        PoolError::Timeout(_) | PoolError::Backend(ManagerError::ConnectionError(_)) => {
            RepositoryError::Unavailable(Box::new(error))
        }
        PoolError::Backend(ManagerError::QueryError(e)) => diesel_error(e),
        other => RepositoryError::Unavailable(Box::new(other)),
    }
}
