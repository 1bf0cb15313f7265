//! A mailer that keeps emails in memory, for tests of the code that sends them.

use super::{Email, Mailer, SendFuture};
use std::sync::{Mutex, PoisonError};

/// Records every email; lets account tests read the link a user would have received.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Email>>,
}

impl MemoryMailer {
    pub fn new() -> MemoryMailer {
        MemoryMailer::default()
    }

    /// Every email sent so far, oldest first.
    pub fn sent(&self) -> Vec<Email> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Mailer for MemoryMailer {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(email.clone());
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::testing;
    use crate::mail::{EmailAddress, order_confirmation_email, verification_email};
    use hafla_core::Lang;

    #[tokio::test]
    async fn sent_emails_are_kept_in_order() {
        let mailer = MemoryMailer::new();
        let to = EmailAddress::parse("lina@example.com").unwrap();
        let first = verification_email(to.clone(), Lang::Ar, "https://hafla.jo/v?t=1");
        let second = verification_email(to, Lang::En, "https://hafla.jo/v?t=2");
        mailer.send(&first).await.unwrap();
        mailer.send(&second).await.unwrap();
        assert_eq!(mailer.sent(), vec![first, second]);
    }

    #[tokio::test]
    async fn attachments_are_kept_with_the_email() {
        let mailer = MemoryMailer::new();
        let email =
            order_confirmation_email(&testing::receipt(Lang::Ar), jiff::Timestamp::now()).unwrap();
        mailer.send(&email).await.unwrap();
        let sent = mailer.sent();
        assert_eq!(sent[0].attachments, email.attachments);
        let names: Vec<&str> = sent[0]
            .attachments
            .iter()
            .map(|a| a.filename.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "ticket-1.png",
                "ticket-2.png",
                "ticket-3.png",
                "ticket-1.png",
                "ticket-2.png",
                "ticket-3.png",
                "event.ics"
            ]
        );
    }
}
