//! Calls this service makes: the delivery of outbox events as signed webhooks. It
//! implements the domain's [`ticket_domain::NotificationSender`] port and shares nothing
//! with [`crate::inbound`].

pub mod webhook;

pub use webhook::{WebhookSender, signature};
