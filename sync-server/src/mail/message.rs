//! Turns an [`Email`] into an RFC 5322 message with lettre, shared by every mailer.

use super::{Attachment, Email, MailError};
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
///
/// With attachments the usual nesting is used, which every common client shows well:
///
/// ```text
/// multipart/mixed                  only when there are ordinary attachments
/// ├── multipart/alternative        only when there is HTML
/// │   ├── text/plain
/// │   └── multipart/related        only when the HTML shows inline images
/// │       ├── text/html
/// │       └── image/png            Content-ID: <…>, Content-Disposition: inline
/// └── ticket-1.png, event.ics …    Content-Disposition: attachment
/// ```
///
/// An email without attachments comes out exactly as before they existed.
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
    // Inline images only mean something next to HTML; without it they are plain files.
    let (inline, files): (Vec<&Attachment>, Vec<&Attachment>) = email
        .attachments
        .iter()
        .partition(|a| a.inline_content_id.is_some() && email.html.is_some());
    let text = part(ContentType::TEXT_PLAIN, &email.text, encoding);
    let content = match &email.html {
        Some(html) => {
            let html = part(ContentType::TEXT_HTML, html, encoding);
            let alternative = MultiPart::alternative().singlepart(text);
            if inline.is_empty() {
                Node::Multi(alternative.singlepart(html))
            } else {
                let mut related = MultiPart::related().singlepart(html);
                for attachment in inline {
                    related = related.singlepart(attachment_part(attachment, true)?);
                }
                Node::Multi(alternative.multipart(related))
            }
        }
        None => Node::Single(text),
    };
    let body = if files.is_empty() {
        content
    } else {
        let mut mixed = match content {
            Node::Single(part) => MultiPart::mixed().singlepart(part),
            Node::Multi(multi) => MultiPart::mixed().multipart(multi),
        };
        for attachment in files {
            mixed = mixed.singlepart(attachment_part(attachment, false)?);
        }
        Node::Multi(mixed)
    };
    let built = match body {
        Node::Single(part) => builder.singlepart(part),
        Node::Multi(multi) => builder.multipart(multi),
    };
    built.map_err(|e| MailError::Config(format!("cannot build the message: {e}")))
}

/// The body of a message or of a multipart: one part or several.
enum Node {
    Single(SinglePart),
    Multi(MultiPart),
}

/// One attachment; `inline` for an image beside the HTML, which gets its
/// Content-ID. Its name, type and content id go into headers, so they are checked first: a
/// quote or line break there would corrupt or inject headers.
fn attachment_part(attachment: &Attachment, inline: bool) -> Result<SinglePart, MailError> {
    let name = &attachment.filename;
    let safe_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| (b.is_ascii_graphic() && b != b'"' && b != b'\\') || b == b' ');
    if !safe_name {
        return Err(MailError::Config(format!(
            "attachment name {name:?} must be printable ASCII without quotes or backslashes"
        )));
    }
    let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
        MailError::Config(format!(
            "attachment {name} has an invalid content type {:?}: {e}",
            attachment.content_type
        ))
    })?;
    // Always base64, even for a text that 7bit would allow: the bytes arrive exactly as
    // given (a calendar file keeps its CRLF line ends), whatever the decoder does with text.
    let body = Body::new_with_encoding(attachment.bytes.clone(), ContentTransferEncoding::Base64)
        .map_err(|_| MailError::Config(format!("cannot encode attachment {name}")))?;
    let part = match attachment.inline_content_id.as_ref().filter(|_| inline) {
        Some(id) => {
            let safe_id = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'));
            if !safe_id {
                return Err(MailError::Config(format!(
                    "attachment {name} has an invalid content id {id:?}"
                )));
            }
            lettre::message::Attachment::new_inline_with_name(id.clone(), name.clone())
                .body(body, content_type)
        }
        None => lettre::message::Attachment::new(name.clone()).body(body, content_type),
    };
    Ok(part)
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
    use crate::mail::testing::MimePart;

    fn from() -> Mailbox {
        "Hafla <no-reply@hafla.jo>".parse().unwrap()
    }

    fn email(html: Option<&str>) -> Email {
        Email {
            to: EmailAddress::parse("rania@example.com").unwrap(),
            subject: "تأكيد بريدك الإلكتروني".to_owned(),
            text: "مرحباً\nhttps://hafla.jo/verify?token=abc".to_owned(),
            html: html.map(str::to_owned),
            attachments: Vec::new(),
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

    fn png(n: u8) -> Vec<u8> {
        vec![0x89, b'P', b'N', b'G', n, 0, 255, b'\r', b'\n']
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nSUMMARY:حفلة\r\nEND:VCALENDAR\r\n";

    fn with_attachments(html: Option<&str>) -> Email {
        let mut email = email(html);
        email.attachments = vec![
            Attachment::inline("qr-1@hafla", "ticket-1.png", "image/png", png(1)),
            Attachment::file("ticket-1.png", "image/png", png(1)),
            Attachment::file(
                "event.ics",
                "text/calendar; charset=utf-8",
                ICS.as_bytes().to_vec(),
            ),
        ];
        email
    }

    #[test]
    fn inline_images_sit_beside_the_html_and_files_beside_the_bodies() {
        let email = with_attachments(Some(r#"<p>مرحباً</p><img src="cid:qr-1@hafla">"#));
        for encoding in [BodyEncoding::Auto, BodyEncoding::Readable] {
            let message = MimePart::parse(&formatted(&email, encoding));
            assert_eq!(
                message.outline(),
                "multipart/mixed[multipart/alternative[text/plain, \
                 multipart/related[text/html, image/png]], image/png, text/calendar]"
            );
            let leaves = message.leaves();
            let inline = leaves[2];
            assert_eq!(inline.header("Content-ID"), Some("<qr-1@hafla>"));
            let disposition = inline.header("Content-Disposition").unwrap();
            assert!(disposition.starts_with("inline"), "{disposition}");
            assert_eq!(
                inline.param("Content-Disposition", "filename").as_deref(),
                Some("ticket-1.png")
            );
            assert_eq!(inline.decoded(), png(1));

            let file = leaves[3];
            let disposition = file.header("Content-Disposition").unwrap();
            assert!(disposition.starts_with("attachment"), "{disposition}");
            assert_eq!(
                file.param("Content-Disposition", "filename").as_deref(),
                Some("ticket-1.png")
            );
            assert_eq!(file.header("Content-ID"), None);
            assert_eq!(file.decoded(), png(1));

            let calendar = leaves[4];
            assert_eq!(
                calendar.param("Content-Type", "charset").as_deref(),
                Some("utf-8")
            );
            assert_eq!(calendar.decoded(), ICS.as_bytes());
            for attachment in &leaves[2..] {
                assert_eq!(
                    attachment.header("Content-Transfer-Encoding"),
                    Some("base64")
                );
            }
        }
        // Readable keeps the text part verbatim inside the nesting too.
        let readable = MimePart::parse(&formatted(&email, BodyEncoding::Readable));
        assert_eq!(
            String::from_utf8(readable.leaves()[0].decoded()).unwrap(),
            "مرحباً\r\nhttps://hafla.jo/verify?token=abc"
        );
    }

    #[test]
    fn without_html_an_inline_image_becomes_an_ordinary_file() {
        let mut email = email(None);
        email.attachments = vec![Attachment::inline(
            "qr-1@hafla",
            "ticket-1.png",
            "image/png",
            png(1),
        )];
        let message = MimePart::parse(&formatted(&email, BodyEncoding::Auto));
        assert_eq!(message.outline(), "multipart/mixed[text/plain, image/png]");
        let file = message.leaves()[1];
        assert!(
            file.header("Content-Disposition")
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(file.decoded(), png(1));
    }

    #[test]
    fn a_plain_ascii_attachment_is_base64_too_so_its_crlf_line_ends_survive() {
        let mut email = email(None);
        let ascii = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".to_vec();
        email.attachments = vec![Attachment::file(
            "event.ics",
            "text/calendar; charset=utf-8",
            ascii.clone(),
        )];
        let message = MimePart::parse(&formatted(&email, BodyEncoding::Readable));
        let file = message.leaves()[1];
        assert_eq!(file.header("Content-Transfer-Encoding"), Some("base64"));
        assert_eq!(file.decoded(), ascii);
    }

    #[test]
    fn html_with_only_inline_images_needs_no_mixed_part() {
        let mut email = with_attachments(Some(r#"<img src="cid:qr-1@hafla">"#));
        email.attachments.truncate(1);
        let message = MimePart::parse(&formatted(&email, BodyEncoding::Auto));
        assert_eq!(
            message.outline(),
            "multipart/alternative[text/plain, multipart/related[text/html, image/png]]"
        );
    }

    #[test]
    fn an_email_without_attachments_keeps_its_simple_structure() {
        let html = MimePart::parse(&formatted(&email(Some("<p>x</p>")), BodyEncoding::Auto));
        assert_eq!(
            html.outline(),
            "multipart/alternative[text/plain, text/html]"
        );
        let text = MimePart::parse(&formatted(&email(None), BodyEncoding::Auto));
        assert_eq!(text.outline(), "text/plain");
    }

    #[test]
    fn attachment_names_types_and_ids_that_could_break_headers_are_refused() {
        let refused = |attachment: Attachment| {
            let mut email = email(Some("<p>x</p>"));
            email.attachments = vec![attachment];
            let result = build(&from(), &email, BodyEncoding::Auto);
            assert!(matches!(result, Err(MailError::Config(_))), "{result:?}");
        };
        for name in [
            "",
            "a.png\r\nBcc: all@example.com",
            "quote\".png",
            "back\\slash.png",
            "تذكرة.png",
        ] {
            refused(Attachment::file(name, "image/png", png(1)));
        }
        refused(Attachment::file("a.png", "not a type", png(1)));
        for id in ["", "a>b@hafla", "a b@hafla", "a\r\nX-Injected: 1"] {
            refused(Attachment::inline(id, "a.png", "image/png", png(1)));
        }
    }
}
