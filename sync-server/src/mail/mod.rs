//! Outgoing email: SMTP in production, a local outbox in development.
//!
//! Handlers hold an `Arc<dyn Mailer>` so the same code sends through [`SmtpMailer`] on a
//! server, writes `.eml` files with [`OutboxMailer`] on a developer's machine, and records
//! emails in memory with [`MemoryMailer`] in tests. Emails carry verification and reset
//! links and tickets, so neither their bodies, their attachments nor full recipient addresses
//! ever reach the logs.
//!
//! The emails themselves are composed in `templates` (account emails) and `receipt` (the
//! order confirmation with QR codes and a calendar file, see [`order_confirmation_email`]).

mod address;
mod ics;
mod memory;
mod message;
mod outbox;
mod receipt;
mod smtp;
mod templates;
#[cfg(test)]
mod testing;

pub use address::{EmailAddress, EmailError};
pub use memory::MemoryMailer;
pub use outbox::OutboxMailer;
pub use receipt::{
    OrderReceipt, ReceiptError, ReceiptEvent, ReceiptLine, ReceiptPayment, ReceiptTicket,
    order_confirmation_email,
};
pub use smtp::{Secret, SmtpConfig, SmtpMailer, SmtpSecurity};
pub use templates::{password_reset_email, verification_email};

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// One email to one recipient: a plain-text body, optionally an HTML alternative, and files.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Files sent along (ticket QR codes, a calendar entry), and images the HTML shows.
    pub attachments: Vec<Attachment>,
}

/// Hides the bodies: they carry verification and reset links that work as passwords, and
/// attachments carry tickets; only their names and sizes are shown.
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
            .field("attachments", &self.attachments)
            .finish()
    }
}

/// A file sent with an [`Email`].
///
/// With `inline_content_id` set, the file is an image the HTML body shows with
/// `<img src="cid:…">`: it travels beside the HTML in a `multipart/related` part. Without it
/// (or when the email has no HTML), it is an ordinary attachment in `multipart/mixed`.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name a mail client shows and saves the file under, e.g. `ticket-1.png`.
    /// Printable ASCII without quotes or backslashes; anything else is refused when sending.
    pub filename: String,
    /// The MIME type, e.g. `image/png` or `text/calendar; charset=utf-8`.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The id the HTML refers to, without `<>` and without `cid:`, e.g. `ticket-1.…@hafla`.
    pub inline_content_id: Option<String>,
}

impl Attachment {
    /// An ordinary attachment, listed by mail clients under the message.
    pub fn file(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Attachment {
        Attachment {
            filename: filename.into(),
            content_type: content_type.into(),
            bytes,
            inline_content_id: None,
        }
    }

    /// An image the HTML body shows as `<img src="cid:{content_id}">`.
    pub fn inline(
        content_id: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Attachment {
        Attachment {
            inline_content_id: Some(content_id.into()),
            ..Attachment::file(filename, content_type, bytes)
        }
    }
}

/// Names and sizes only: a ticket's QR code is as good as the ticket.
impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field(
                "bytes",
                &format_args!("<{} bytes hidden>", self.bytes.len()),
            )
            .field("inline_content_id", &self.inline_content_id)
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
            attachments: Vec::new(),
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

    #[test]
    fn debug_output_shows_attachment_names_and_sizes_but_not_their_bytes() {
        let mut email = email();
        email.attachments = vec![
            Attachment::inline(
                "ticket-1.order@hafla",
                "ticket-1.png",
                "image/png",
                b"H1:SECRET-CREDENTIAL".to_vec(),
            ),
            Attachment::file(
                "event.ics",
                "text/calendar; charset=utf-8",
                b"BEGIN:VCALENDAR s3cr3t".to_vec(),
            ),
        ];
        let shown = format!("{email:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("SECRET-CREDENTIAL"), "{shown}");
        assert!(!shown.contains("72, 49"), "raw bytes leaked: {shown}");
        assert!(shown.contains("ticket-1.png"), "{shown}");
        assert!(shown.contains("event.ics"), "{shown}");
        assert!(shown.contains("<20 bytes hidden>"), "{shown}");
        assert!(shown.contains("<22 bytes hidden>"), "{shown}");
    }

    #[tokio::test]
    async fn a_mailer_works_as_a_shared_trait_object() {
        let memory = Arc::new(MemoryMailer::new());
        let mailer: Arc<dyn Mailer> = memory.clone();
        mailer.send(&email()).await.unwrap();
        assert_eq!(memory.sent(), vec![email()]);
    }
}
