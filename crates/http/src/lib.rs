#![doc = include_str!("../README.md")]

pub mod dto;
pub mod extract;
pub mod openapi;
pub mod outbound;
pub mod problem;
pub mod query;
pub mod routes;

pub use problem::{ApiError, Problem};
pub use routes::{ServiceInfo, configure, no_route};
