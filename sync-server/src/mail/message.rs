//! Turns an [`Email`] into an RFC 5322 message with lettre, shared by every mailer.

use super::{Email, MailError};
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

/// How the bodies are encoded on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BodyEncoding {
    /// Whatever lettre finds safest for SMTP (base64 for Arabic text).
    Auto,
    /// Raw UTF-8 where lines allow it, so a developer can read the `.eml` in any editor.
    Readable,
}

/// Builds the message: UTF-8 headers (lettre encodes non-ASCII subjects), multipart/alternative
/// when there is HTML, and a Message-ID in the sender's domain rather than this host's name.
pub(super) fn build(
    from: &Mailbox,
    email: &Email,
    encoding: BodyEncoding,
) -> Result<Message, MailError> {
    let to = email
        .to
        .to_lettre()
        .map_err(|e| MailError::Rejected(e.to_string()))?;
    let message_id = format!("<{}@{}>", uuid::Uuid::now_v7(), from.email.domain());
    let builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(email.subject.as_str())
        .date_now()
        .message_id(Some(message_id));
    let text = part(ContentType::TEXT_PLAIN, &email.text, encoding);
    let built = match &email.html {
        Some(html) => {
            builder.multipart(MultiPart::alternative().singlepart(text).singlepart(part(
                ContentType::TEXT_HTML,
                html,
                encoding,
            )))
        }
        None => builder.singlepart(text),
    };
    built.map_err(|e| MailError::Config(format!("cannot build the message: {e}")))
}

/// One UTF-8 body part; `Readable` falls back to lettre's choice when 8bit is not allowed.
fn part(content_type: ContentType, body: &str, encoding: BodyEncoding) -> SinglePart {
    let body = match encoding {
        BodyEncoding::Auto => None,
        BodyEncoding::Readable => eight_bit(body),
    }
    .unwrap_or_else(|| Body::new(body.to_owned()));
    SinglePart::builder().header(content_type).body(body)
}

/// The longest line 8bit allows, without its CRLF (RFC 5322 §2.1.1, RFC 2045 §2.8).
const MAX_8BIT_LINE: usize = 998;

/// `body` as an 8bit part with CRLF line ends, or `None` where 8bit would be invalid.
///
/// lettre's own 8bit check also refuses lines of 76 bytes or more, which is 38 Arabic
/// letters: almost every Arabic paragraph. The real limit is 998 bytes, checked here.
fn eight_bit(body: &str) -> Option<Body> {
    if body.contains('\0') {
        return None;
    }
    let normalized = body.replace("\r\n", "\n").replace('\r', "\n");
    if normalized
        .split('\n')
        .any(|line| line.len() > MAX_8BIT_LINE)
    {
        return None;
    }
    let crlf = normalized.replace('\n', "\r\n");
    Some(Body::dangerous_pre_encoded(
        crlf.into_bytes(),
        ContentTransferEncoding::EightBit,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::EmailAddress;

    fn from() -> Mailbox {
        "Hafla <no-reply@hafla.jo>".parse().unwrap()
    }

    fn email(html: Option<&str>) -> Email {
        Email {
            to: EmailAddress::parse("rania@example.com").unwrap(),
            subject: "تأكيد بريدك الإلكتروني".to_owned(),
            text: "مرحباً\nhttps://hafla.jo/verify?token=abc".to_owned(),
            html: html.map(str::to_owned),
        }
    }

    fn formatted(email: &Email, encoding: BodyEncoding) -> String {
        let message = build(&from(), email, encoding).unwrap();
        String::from_utf8(message.formatted()).unwrap()
    }

    fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
        message
            .split("\r\n\r\n")
            .next()?
            .split("\r\n")
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
    }

    #[test]
    fn an_arabic_subject_is_encoded_as_ascii_in_the_header() {
        let message = formatted(&email(None), BodyEncoding::Auto);
        let subject = header(&message, "Subject").unwrap();
        assert!(subject.is_ascii(), "{subject}");
        assert!(
            subject.to_ascii_lowercase().starts_with("=?utf-8?"),
            "{subject}"
        );
    }

    #[test]
    fn a_text_only_email_is_a_single_utf8_plain_part() {
        let message = formatted(&email(None), BodyEncoding::Auto);
        assert_eq!(
            header(&message, "Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(header(&message, "To"), Some("rania@example.com"));
        assert_eq!(header(&message, "From"), Some("Hafla <no-reply@hafla.jo>"));
        assert_eq!(header(&message, "MIME-Version"), Some("1.0"));
        assert!(header(&message, "Date").is_some());
    }

    #[test]
    fn an_email_with_html_is_multipart_alternative_with_plain_text_first() {
        let message = formatted(&email(Some("<p>مرحباً</p>")), BodyEncoding::Auto);
        let content_type = header(&message, "Content-Type").unwrap();
        assert!(
            content_type.starts_with("multipart/alternative"),
            "{content_type}"
        );
        let plain = message.find("text/plain; charset=utf-8").unwrap();
        let html = message.find("text/html; charset=utf-8").unwrap();
        assert!(plain < html);
    }

    #[test]
    fn the_message_id_uses_the_sender_domain_not_the_host_name() {
        let message = formatted(&email(None), BodyEncoding::Auto);
        let id = header(&message, "Message-ID").unwrap();
        assert!(id.starts_with('<') && id.ends_with("@hafla.jo>"), "{id}");
    }

    #[test]
    fn the_readable_encoding_keeps_the_link_verbatim_in_the_file() {
        let readable = formatted(&email(None), BodyEncoding::Readable);
        assert!(readable.contains("https://hafla.jo/verify?token=abc"));
        assert!(readable.contains("Content-Transfer-Encoding: 8bit"));
        assert!(readable.contains("مرحباً"));
    }

    #[test]
    fn the_readable_encoding_keeps_long_arabic_lines_as_they_are() {
        let mut long = email(None);
        long.text = format!("{}\nhttps://hafla.jo/verify?token=abc", "ح".repeat(400));
        let message = formatted(&long, BodyEncoding::Readable);
        assert!(message.contains("Content-Transfer-Encoding: 8bit"));
        assert!(message.contains(&format!("{}\r\nhttps://hafla.jo/", "ح".repeat(400))));
    }

    #[test]
    fn the_readable_encoding_falls_back_when_a_line_is_too_long_for_8bit() {
        let mut long = email(None);
        long.text = "ح".repeat(2_000);
        let message = formatted(&long, BodyEncoding::Readable);
        assert!(!message.contains("Content-Transfer-Encoding: 8bit"));
        assert!(message.lines().all(|l| l.len() <= 998));
    }
}
