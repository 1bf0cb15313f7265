//! The development mailer: each email becomes a `.eml` file a developer can open.

use super::message::{self, BodyEncoding};
use super::{Email, MailError, Mailer, SendFuture};
use lettre::message::Mailbox;
use std::io;
use std::path::{Path, PathBuf};

/// Writes every email into a folder as `<timestamp>-<uuid>.eml` instead of sending it, so
/// verification and reset links can be followed on a machine without an SMTP relay.
///
/// Bodies are written as readable UTF-8 where possible, so the link can be copied from
/// any text editor as well as opened in a mail client.
#[derive(Clone, Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    /// A mailer writing into `dir`, which is created on the first email if missing.
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> OutboxMailer {
        OutboxMailer {
            dir: dir.into(),
            from,
        }
    }

    /// The folder the emails go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.eml` files written so far, oldest first; none when the folder does not exist yet.
    pub fn messages(&self) -> io::Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "eml") && path.is_file() {
                files.push(path);
            }
        }
        // Names start with a fixed-width UTC timestamp and a v7 UUID: name order is age order.
        files.sort();
        Ok(files)
    }

    async fn write(&self, email: &Email) -> Result<PathBuf, MailError> {
        let message = message::build(&self.from, email, BodyEncoding::Readable)?;
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| {
            MailError::Config(format!(
                "cannot create the outbox {}: {e}",
                self.dir.display()
            ))
        })?;
        let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.6fZ");
        let name = format!("{now}-{}.eml", uuid::Uuid::now_v7());
        let path = self.dir.join(&name);
        // Written under a hidden name first, so a half-written file is never listed.
        let partial = self.dir.join(format!(".{name}.partial"));
        let written = async {
            tokio::fs::write(&partial, message.formatted()).await?;
            tokio::fs::rename(&partial, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(MailError::Unavailable(format!(
                "cannot write to the outbox {}: {e}",
                self.dir.display()
            )));
        }
        Ok(path)
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            match self.write(email).await {
                Ok(path) => {
                    tracing::info!(to = %email.to.masked(), path = %path.display(), "email written to the outbox");
                    Ok(())
                }
                Err(error) => {
                    tracing::warn!(to = %email.to.masked(), %error, "email not written");
                    Err(error)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::testing::{self, MimePart};
    use crate::mail::{
        EmailAddress, order_confirmation_email, password_reset_email, verification_email,
    };
    use hafla_core::Lang;

    const LINK: &str = "https://hafla.jo/verify?token=b3V0Ym94&lang=ar";

    fn outbox(dir: &Path) -> OutboxMailer {
        OutboxMailer::new(
            dir.join("outbox"),
            "Hafla <no-reply@hafla.jo>".parse().unwrap(),
        )
    }

    fn to() -> EmailAddress {
        EmailAddress::parse("omar@example.com").unwrap()
    }

    #[tokio::test]
    async fn an_email_becomes_an_eml_file_with_headers_and_the_link_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        assert_eq!(mailer.messages().unwrap(), Vec::<PathBuf>::new());

        mailer
            .send(&verification_email(to(), Lang::Ar, LINK))
            .await
            .unwrap();

        let files = mailer.messages().unwrap();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".eml") && name.len() > 30, "{name}");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        let (headers, body) = raw
            .split_once("\r\n\r\n")
            .expect("headers, blank line, body");
        for header in [
            "From: ",
            "To: omar@example.com",
            "Subject: ",
            "Date: ",
            "Message-ID: ",
        ] {
            assert!(
                headers.split("\r\n").any(|l| l.starts_with(header)),
                "{header} missing in\n{headers}"
            );
        }
        assert!(headers.contains("MIME-Version: 1.0"));
        assert!(headers.contains("multipart/alternative"));
        assert_eq!(
            body.matches(LINK).count(),
            1,
            "the text part has the link verbatim"
        );
        assert!(
            body.contains("token=b3V0Ym94&amp;lang=ar"),
            "the html part escapes it:\n{body}"
        );
    }

    #[tokio::test]
    async fn the_eml_file_decodes_with_an_independent_mail_parser() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        let mut email = password_reset_email(to(), Lang::Ar, LINK);
        email.subject = "إعادة تعيين كلمة المرور".to_owned();
        mailer.send(&email).await.unwrap();

        let decoded = testing::decode_with_python(&mailer.messages().unwrap()[0]);
        assert_eq!(decoded.subject, "إعادة تعيين كلمة المرور");
        assert_eq!(decoded.to, "omar@example.com");
        assert_eq!(decoded.text.unwrap().matches(LINK).count(), 1);
        assert!(decoded.html.unwrap().contains(r#"lang="ar""#));
        assert!(decoded.defects.is_empty(), "{:?}", decoded.defects);
    }

    #[tokio::test]
    async fn attachments_reach_an_independent_mail_parser_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        let mut email = verification_email(to(), Lang::Ar, LINK);
        let image = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255];
        let calendar = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".to_vec();
        email.attachments = vec![
            crate::mail::Attachment::inline("logo@hafla", "logo.png", "image/png", image.clone()),
            crate::mail::Attachment::file(
                "event.ics",
                "text/calendar; charset=utf-8",
                calendar.clone(),
            ),
        ];
        mailer.send(&email).await.unwrap();

        let decoded = testing::decode_with_python(&mailer.messages().unwrap()[0]);
        assert!(decoded.defects.is_empty(), "{:?}", decoded.defects);
        assert_eq!(decoded.content_type, "multipart/mixed");
        assert_eq!(decoded.text.unwrap().matches(LINK).count(), 1);
        assert_eq!(decoded.attachments.len(), 2);
        let logo = &decoded.attachments[0];
        assert_eq!(logo.filename.as_deref(), Some("logo.png"));
        assert_eq!(logo.content_type, "image/png");
        assert_eq!(logo.content_id.as_deref(), Some("<logo@hafla>"));
        assert_eq!(logo.disposition.as_deref(), Some("inline"));
        assert_eq!(logo.parent, "multipart/related");
        assert_eq!(logo.bytes, image);
        let ics = &decoded.attachments[1];
        assert_eq!(ics.filename.as_deref(), Some("event.ics"));
        assert_eq!(ics.content_type, "text/calendar");
        assert_eq!(ics.content_id, None);
        assert_eq!(ics.disposition.as_deref(), Some("attachment"));
        assert_eq!(ics.parent, "multipart/mixed");
        assert_eq!(ics.bytes, calendar);
    }

    #[tokio::test]
    async fn messages_are_listed_oldest_first_and_other_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        let mut subjects = Vec::new();
        for n in 0..5 {
            let mut email = verification_email(to(), Lang::En, LINK);
            email.subject = format!("message {n}");
            mailer.send(&email).await.unwrap();
            subjects.push(email.subject);
        }
        std::fs::write(mailer.dir().join("notes.txt"), "not an email").unwrap();

        let files = mailer.messages().unwrap();
        let seen: Vec<String> = files
            .iter()
            .map(|f| {
                let raw = std::fs::read_to_string(f).unwrap();
                raw.lines()
                    .find_map(|l| l.strip_prefix("Subject: "))
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(seen, subjects);
    }

    #[tokio::test]
    async fn an_outbox_that_cannot_be_created_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "in the way").unwrap();
        let mailer = OutboxMailer::new(
            blocker.join("outbox"),
            "Hafla <no-reply@hafla.jo>".parse().unwrap(),
        );
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        assert!(matches!(result, Err(MailError::Config(_))), "{result:?}");
    }

    #[tokio::test]
    async fn a_receipt_becomes_an_eml_with_its_qr_codes_and_calendar_attached() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        let receipt = testing::receipt(Lang::Ar);
        let email = order_confirmation_email(&receipt, jiff::Timestamp::now()).unwrap();
        mailer.send(&email).await.unwrap();

        let raw = std::fs::read_to_string(&mailer.messages().unwrap()[0]).unwrap();
        let message = MimePart::parse(&raw);
        assert_eq!(
            message.outline(),
            "multipart/mixed[multipart/alternative[text/plain, multipart/related[text/html, \
             image/png, image/png, image/png]], image/png, image/png, image/png, text/calendar]"
        );
        let boundaries: Vec<String> = [&message, &message.children[0]]
            .iter()
            .map(|part| part.param("Content-Type", "boundary").unwrap())
            .collect();
        assert_ne!(boundaries[0], boundaries[1]);
        for boundary in &boundaries {
            assert!(raw.contains(&format!("\r\n--{boundary}--")), "{boundary}");
        }

        let leaves = message.leaves();
        let html = String::from_utf8(leaves[1].decoded()).unwrap();
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
        let (inline, files) = leaves[2..8].split_at(3);
        for (n, ticket) in receipt.tickets.iter().enumerate() {
            let name = format!("ticket-{}.png", n + 1);
            let id = inline[n].header("Content-ID").unwrap();
            let cid = id.trim_start_matches('<').trim_end_matches('>');
            assert!(html.contains(&format!("src=\"cid:{cid}\"")), "{cid}");
            for part in [inline[n], files[n]] {
                assert_eq!(
                    part.param("Content-Disposition", "filename").as_deref(),
                    Some(name.as_str())
                );
                assert_eq!(part.header("Content-Transfer-Encoding"), Some("base64"));
                assert_eq!(
                    hafla_core::qr::decode_png(&part.decoded()).unwrap(),
                    vec![ticket.credential_text.clone()]
                );
            }
        }
        let calendar = leaves[8];
        assert_eq!(
            calendar.param("Content-Disposition", "filename").as_deref(),
            Some("event.ics")
        );
        let ics = String::from_utf8(calendar.decoded()).unwrap();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(
            ics.contains("\r\nSUMMARY;LANGUAGE=ar:أمسية جاز في عمّان\r\n"),
            "{ics}"
        );
    }

    #[tokio::test]
    async fn an_independent_mail_parser_finds_every_attachment_of_a_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = outbox(dir.path());
        let receipt = testing::receipt(Lang::En);
        let email = order_confirmation_email(&receipt, jiff::Timestamp::now()).unwrap();
        mailer.send(&email).await.unwrap();

        let decoded = testing::decode_with_python(&mailer.messages().unwrap()[0]);
        assert!(decoded.defects.is_empty(), "{:?}", decoded.defects);
        assert_eq!(decoded.content_type, "multipart/mixed");
        assert_eq!(decoded.subject, email.subject);
        assert!(decoded.text.unwrap().contains("60.000 JOD"));
        assert!(decoded.html.unwrap().contains(r#"dir="ltr""#));
        let found: Vec<(Option<&str>, &str, bool, &str)> = decoded
            .attachments
            .iter()
            .map(|a| {
                (
                    a.filename.as_deref(),
                    a.content_type.as_str(),
                    a.content_id.is_some(),
                    a.parent.as_str(),
                )
            })
            .collect();
        let related = "multipart/related";
        let mixed = "multipart/mixed";
        assert_eq!(
            found,
            vec![
                (Some("ticket-1.png"), "image/png", true, related),
                (Some("ticket-2.png"), "image/png", true, related),
                (Some("ticket-3.png"), "image/png", true, related),
                (Some("ticket-1.png"), "image/png", false, mixed),
                (Some("ticket-2.png"), "image/png", false, mixed),
                (Some("ticket-3.png"), "image/png", false, mixed),
                (Some("event.ics"), "text/calendar", false, mixed),
            ]
        );
        for (attachment, sent) in decoded.attachments.iter().zip(&email.attachments) {
            assert_eq!(attachment.bytes, sent.bytes, "{:?}", attachment.filename);
        }
        assert_eq!(
            decoded.attachments[0].disposition.as_deref(),
            Some("inline")
        );
        assert_eq!(
            decoded.attachments[3].disposition.as_deref(),
            Some("attachment")
        );
    }
}
