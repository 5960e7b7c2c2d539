#![doc = include_str!("../README.md")]

mod assignment;
mod auto_resolve;
mod error;
mod filter;
pub mod migrate;
mod orgs;
mod outbox;
pub mod pool;
mod prepared;
mod repo;
mod rows;
pub mod schema;
mod sla_config;
mod suppression;
#[cfg(feature = "test-db")]
pub mod test_db;
mod timers;

pub use migrate::{MigrationError, run_pending};
pub use orgs::PgOrganizations;
pub use outbox::PgOutbox;
pub use pool::{BootstrapError, DbRole, PgPool, PoolSettings, build_pool, ensure_database};
pub use repo::PgTicketRepository;
pub use sla_config::PgSlaConfig;
