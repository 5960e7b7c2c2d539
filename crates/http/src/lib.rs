#![doc = include_str!("../README.md")]

pub mod inbound;
pub mod outbound;

pub use inbound::configure;
pub use inbound::problem::{ApiError, Problem};
pub use inbound::routes::{ServiceInfo, no_route};
pub use outbound::WebhookSender;
