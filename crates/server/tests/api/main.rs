//! Black-box tests of the service over HTTP: each test starts the real application on a
//! free port against a private PostgreSQL database (see `ticket_persistence::test_db`).
//! All HTTP tests form this one binary, so the workspace is linked once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod assignment;
mod auth;
mod auto_resolve;
mod concurrency;
mod dedup;
mod escalation;
mod hold;
mod lifecycle;
mod openapi;
mod operations;
mod organizations;
mod search;
mod sla_policies;
mod suppression;
mod tickets;
mod workers;
