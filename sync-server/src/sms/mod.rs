//! Outgoing SMS: an HTTP provider (Twilio) in production, a local outbox in
//! development, and an in-memory sender for tests.
//!
//! Messages carry sign-in codes, so their bodies never reach `Debug` output or
//! logs, and numbers are logged only masked.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::auth::phone::PhoneNumber;

mod dev;
mod twilio;

pub use dev::{DevSms, OUTBOX_FILE};
pub use twilio::{TwilioConfig, TwilioSms};

/// One text message to one phone.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub to: PhoneNumber,
    pub body: String,
}

impl fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &self.to)
            .field(
                "body",
                &format_args!("<{} chars hidden>", self.body.chars().count()),
            )
            .finish()
    }
}

/// The provider's id for an accepted message, for support and delivery reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReceipt {
    pub provider_id: String,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider refused this message (bad number, blocked destination,
    /// bad credentials); sending it again will not help.
    #[error("the SMS provider rejected the message (HTTP {status}, code {code:?}): {message}")]
    Rejected {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// The provider could not be reached or failed on its side; worth retrying later.
    #[error("the SMS provider is unavailable: {0}")]
    Unavailable(String),
    /// The sender is misconfigured; fix the server's settings.
    #[error("SMS is misconfigured: {0}")]
    Config(String),
}

impl SmsError {
    /// Whether the same message may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SmsError::Unavailable(_))
    }
}

/// The future a sender returns: boxed so senders can live behind `dyn` in axum state.
pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = Result<SmsReceipt, SmsError>> + Send + 'a>>;

/// Something that delivers SMS. Held as `Arc<dyn SmsSender>` in server state.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> SmsFuture<'a>;
}

/// Keeps sent messages in memory, so tests of sign-in flows can read the code.
#[derive(Debug, Clone, Default)]
pub struct MemorySms {
    sent: Arc<Mutex<Vec<SmsMessage>>>,
}

impl MemorySms {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<SmsMessage> {
        match self.sent.lock() {
            Ok(sent) => sent.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The most recent message sent to `to`, if any.
    pub fn last_to(&self, to: &PhoneNumber) -> Option<SmsMessage> {
        self.sent().into_iter().rev().find(|m| &m.to == to)
    }
}

impl SmsSender for MemorySms {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(async move {
            let mut sent = match self.sent.lock() {
                Ok(sent) => sent,
                Err(poisoned) => poisoned.into_inner(),
            };
            sent.push(message.clone());
            Ok(SmsReceipt {
                provider_id: format!("memory-{}", sent.len()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> SmsMessage {
        SmsMessage {
            to: PhoneNumber::parse("0791234567").unwrap(),
            body: "Your Hafla code is 482913".to_owned(),
        }
    }

    #[test]
    fn message_debug_hides_the_body_and_masks_the_number() {
        let debug = format!("{:?}", message());
        assert!(!debug.contains("482913"), "{debug}");
        assert!(!debug.contains("791234567"), "{debug}");
        assert!(debug.contains("+96279*****67"), "{debug}");
    }

    #[test]
    fn only_unavailability_is_retryable() {
        assert!(SmsError::Unavailable("timeout".into()).is_retryable());
        assert!(!SmsError::Config("no sender".into()).is_retryable());
        assert!(
            !SmsError::Rejected {
                status: 400,
                code: Some(21211),
                message: "bad number".into()
            }
            .is_retryable()
        );
    }

    #[tokio::test]
    async fn senders_work_behind_a_shared_trait_object() {
        let memory = MemorySms::new();
        let sender: Arc<dyn SmsSender> = Arc::new(memory.clone());
        let receipt = sender.send(&message()).await.unwrap();
        assert_eq!(receipt.provider_id, "memory-1");
        assert_eq!(memory.sent(), vec![message()]);
        assert_eq!(memory.last_to(&message().to), Some(message()));
    }
}
