//! Delivery of outbox events to the Notification Service: a JSON POST per event, signed.
//!
//! Headers of each delivery:
//! - `X-Ticket-Event`: the event type, e.g. `status_changed`;
//! - `X-Ticket-Delivery`: the outbox row id, stable across retries (receivers dedupe on it:
//!   delivery is at least once);
//! - `X-Ticket-Timestamp`: seconds since the Unix epoch when this attempt was signed;
//! - `X-Ticket-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with
//!   `NOTIFICATION_SECRET`, of `"{timestamp}.{body}"`: the body, bound to the timestamp so a
//!   captured delivery cannot be replayed later under a new one. Present only when a secret
//!   is configured.

use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use ticket_domain::{Notification, NotificationSender};

/// How long one delivery may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts events to one URL.
pub struct WebhookSender {
    url: String,
    secret: Option<Vec<u8>>,
    client: awc::Client,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("url", &self.url)
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

impl WebhookSender {
    pub fn new(url: String, secret: Option<String>) -> Self {
        Self {
            url,
            secret: secret.map(String::into_bytes),
            client: awc::Client::builder().timeout(SEND_TIMEOUT).finish(),
        }
    }

    /// The longest one delivery takes before it counts as failed: the dispatcher starts no
    /// send that could outlast its lease by this.
    pub fn timeout(&self) -> Duration {
        SEND_TIMEOUT
    }
}

#[async_trait(?Send)]
impl NotificationSender for WebhookSender {
    async fn send(&self, notification: &Notification) -> Result<(), String> {
        let body = serde_json::to_vec(&notification.payload).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = self
            .client
            .post(&self.url)
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("X-Ticket-Event", notification.event_type.as_str()))
            .insert_header(("X-Ticket-Delivery", notification.id.to_string()))
            .insert_header(("X-Ticket-Timestamp", timestamp.to_string()));
        if let Some(secret) = &self.secret {
            request =
                request.insert_header(("X-Ticket-Signature", signature(secret, timestamp, &body)));
        }
        let response = request.send_body(body).await.map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently with
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature(b"secret", 1_700_000_000, br#"{"a":1}"#),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }
}
