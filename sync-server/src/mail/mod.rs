//! Outgoing email: SMTP in production, a local outbox in development.
//!
//! Handlers hold an `Arc<dyn Mailer>` so the same code sends through [`SmtpMailer`] on a
//! server, writes `.eml` files with [`OutboxMailer`] on a developer's machine, and records
//! emails in memory with [`MemoryMailer`] in tests. Emails carry verification and reset
//! links, so neither their bodies nor full recipient addresses ever reach the logs.

mod address;
mod memory;
mod message;
mod outbox;
mod smtp;
mod templates;
#[cfg(test)]
mod testing;

pub use address::{EmailAddress, EmailError};
pub use memory::MemoryMailer;
pub use outbox::OutboxMailer;
pub use smtp::{Secret, SmtpConfig, SmtpMailer, SmtpSecurity};
pub use templates::{password_reset_email, verification_email};

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// One email to one recipient: a plain-text body, and optionally an HTML alternative.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Hides the bodies: they carry verification and reset links that work as passwords.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes hidden>", self.text.len()))
            .field(
                "html",
                &self
                    .html
                    .as_ref()
                    .map(|h| format!("<{} bytes hidden>", h.len())),
            )
            .finish()
    }
}

/// Why an email was not sent, split by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The server refused the message for good (unknown mailbox, policy): do not retry.
    #[error("email rejected: {0}")]
    Rejected(String),
    /// The server could not be reached or asked us to come back later: retry later.
    #[error("email service unavailable: {0}")]
    Unavailable(String),
    /// Our own settings are wrong (credentials, TLS, outbox folder): an operator must act.
    #[error("email is misconfigured: {0}")]
    Config(String),
}

/// The future a [`Mailer`] returns; boxed so that `dyn Mailer` works in axum state.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Something that delivers an [`Email`]; usable as `Arc<dyn Mailer>`.
pub trait Mailer: Send + Sync + 'static {
    /// Sends one email; resolves once the email is handed over (or has failed).
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn email() -> Email {
        Email {
            to: EmailAddress::parse("rania@example.com").unwrap(),
            subject: "Confirm your email".to_owned(),
            text: "Open https://hafla.jo/verify?token=s3cr3t".to_owned(),
            html: Some("<a href=\"https://hafla.jo/verify?token=s3cr3t\">".to_owned()),
        }
    }

    #[test]
    fn debug_output_hides_the_bodies_and_masks_the_recipient() {
        let shown = format!("{:?}", email());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("rania@"), "{shown}");
        assert!(shown.contains("r***@example.com"), "{shown}");
        assert!(shown.contains("Confirm your email"), "{shown}");
    }

    #[tokio::test]
    async fn a_mailer_works_as_a_shared_trait_object() {
        let memory = Arc::new(MemoryMailer::new());
        let mailer: Arc<dyn Mailer> = memory.clone();
        mailer.send(&email()).await.unwrap();
        assert_eq!(memory.sent(), vec![email()]);
    }
}
