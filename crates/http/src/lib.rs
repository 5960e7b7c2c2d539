#![doc = include_str!("../README.md")]

pub mod inbound;
pub mod outbound;

pub use inbound::auth::{AuthMode, Authenticator, identity};
pub use inbound::configure;
pub use inbound::identity::Identity;
pub use inbound::jwks::FetchPolicy;
pub use inbound::jwt::{JwtSettings, KeySource};
pub use inbound::problem::{ApiError, Problem};
pub use inbound::routes::{ServiceInfo, no_route};
pub use outbound::WebhookSender;
