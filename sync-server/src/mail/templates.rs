//! The emails Hafla sends, in Arabic or English, from the Fluent messages in `locales/`.

use super::{Email, EmailAddress};
use hafla_core::Lang;
use hafla_core::i18n::localizer;

/// Fluent wraps arguments in these invisible bidi marks; around a URL in plain text they can
/// end up inside the link a mail client detects, so they are taken off again.
pub(super) const FIRST_STRONG_ISOLATE: char = '\u{2068}';
pub(super) const POP_DIRECTIONAL_ISOLATE: char = '\u{2069}';

/// Asks the recipient to confirm their address by opening `link`.
pub fn verification_email(to: EmailAddress, lang: Lang, link: &str) -> Email {
    compose(to, lang, "mail-verify-subject", "mail-verify-body", link)
}

/// Offers a new password through `link`, after someone asked for it.
pub fn password_reset_email(to: EmailAddress, lang: Lang, link: &str) -> Email {
    compose(to, lang, "mail-reset-subject", "mail-reset-body", link)
}

fn compose(to: EmailAddress, lang: Lang, subject_id: &str, body_id: &str, link: &str) -> Email {
    let l10n = localizer();
    let subject = one_line(&l10n.message(lang, subject_id, &[]));
    let text = body_text(&l10n.message(lang, body_id, &[("link", link.into())]), link);
    let html = layout(lang, &subject, &text, link);
    Email {
        to,
        subject,
        text,
        html: Some(html),
        attachments: Vec::new(),
    }
}

/// A subject is one line: newlines, controls and bidi isolation marks become plain spaces.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            FIRST_STRONG_ISOLATE | POP_DIRECTIONAL_ISOLATE => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The formatted body with the link bare; the link is appended if the message lacks it,
/// so an email never goes out without the one thing it is for.
pub(super) fn body_text(formatted: &str, link: &str) -> String {
    let isolated = format!("{FIRST_STRONG_ISOLATE}{link}{POP_DIRECTIONAL_ISOLATE}");
    let mut text = formatted.replace(&isolated, link).replace("\r\n", "\n");
    if !link.is_empty() && !text.contains(link) {
        text = format!("{}\n\n{link}", text.trim_end());
    }
    text
}

/// A plain, single-column layout. `lang` and `dir` are set on the container as well as on
/// `<html>`, because webmail clients drop the outer elements; the link keeps `dir="ltr"` so
/// a URL inside Arabic text reads left to right.
fn layout(lang: Lang, subject: &str, text: &str, link: &str) -> String {
    let mut paragraphs = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = paragraph
            .lines()
            .map(|line| line_html(line.trim(), link))
            .collect();
        paragraphs.push_str(&format!(
            "<p style=\"margin:0 0 16px\">{}</p>\n",
            lines.join("<br>\n")
        ));
    }
    page(lang, subject, &paragraphs)
}

/// The page around `content` (HTML, already escaped): `<html>` and the centred card, both
/// carrying the language and direction.
pub(super) fn page(lang: Lang, title: &str, content: &str) -> String {
    let tag = lang.tag();
    let (dir, align) = if lang.is_rtl() {
        ("rtl", "right")
    } else {
        ("ltr", "left")
    };
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"{tag}\" dir=\"{dir}\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         </head>\n\
         <body style=\"margin:0;padding:16px;background-color:#f4f4f5\">\n\
         <div lang=\"{tag}\" dir=\"{dir}\" style=\"max-width:560px;margin:0 auto;padding:24px;\
         background-color:#ffffff;color:#18181b;font-family:Tahoma,Arial,sans-serif;\
         font-size:16px;line-height:1.7;text-align:{align}\">\n\
         {content}</div>\n\
         </body>\n\
         </html>\n",
        title = escape(title),
    )
}

/// One line of text as HTML, with each occurrence of the link made clickable.
pub(super) fn line_html(line: &str, link: &str) -> String {
    if link.is_empty() {
        return escape(line);
    }
    line.split(link)
        .map(escape)
        .collect::<Vec<_>>()
        .join(&link_html(link))
}

/// Only web links become anchors: anything else (say `javascript:`) stays inert text.
fn link_html(link: &str) -> String {
    let shown = escape(link);
    let is_web = url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
    if is_web {
        format!(
            "<a href=\"{shown}\" dir=\"ltr\" style=\"color:#6d28d9;word-break:break-all\">{shown}</a>"
        )
    } else {
        format!("<span dir=\"ltr\">{shown}</span>")
    }
}

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://hafla.jo/verify?token=a1B2c3&lang=ar";

    fn to() -> EmailAddress {
        EmailAddress::parse("lina@example.com").unwrap()
    }

    fn both_templates(lang: Lang, link: &str) -> [Email; 2] {
        [
            verification_email(to(), lang, link),
            password_reset_email(to(), lang, link),
        ]
    }

    #[test]
    fn every_template_has_a_subject_and_the_link_once_in_the_text() {
        for lang in Lang::ALL {
            for email in both_templates(lang, LINK) {
                assert!(!email.subject.trim().is_empty(), "{lang:?}");
                assert!(!email.subject.contains('\n'), "{:?}", email.subject);
                assert_eq!(email.text.matches(LINK).count(), 1, "{}", email.text);
                assert!(!email.text.contains(FIRST_STRONG_ISOLATE));
                assert_eq!(email.to, to());
            }
        }
    }

    #[test]
    fn arabic_html_is_right_to_left_and_english_html_left_to_right() {
        for (ar, en) in both_templates(Lang::Ar, LINK)
            .into_iter()
            .zip(both_templates(Lang::En, LINK))
        {
            let ar = ar.html.unwrap();
            let en = en.html.unwrap();
            assert!(ar.contains(r#"<html lang="ar" dir="rtl">"#), "{ar}");
            assert!(ar.contains(r#"<div lang="ar" dir="rtl""#), "{ar}");
            assert!(ar.contains("text-align:right"));
            assert!(en.contains(r#"<html lang="en" dir="ltr">"#), "{en}");
            assert!(en.contains(r#"<div lang="en" dir="ltr""#), "{en}");
            assert!(en.contains("text-align:left"));
            assert_ne!(ar, en);
        }
    }

    #[test]
    fn the_html_escapes_the_link_and_keeps_it_left_to_right() {
        let email = verification_email(to(), Lang::Ar, LINK);
        let html = email.html.unwrap();
        let escaped = "https://hafla.jo/verify?token=a1B2c3&amp;lang=ar";
        assert!(
            html.contains(&format!(r#"<a href="{escaped}" dir="ltr""#)),
            "{html}"
        );
        assert!(html.contains(&format!(">{escaped}</a>")), "{html}");
        assert!(!html.contains("a1B2c3&lang"), "{html}");
    }

    #[test]
    fn a_hostile_link_cannot_inject_markup() {
        let hostile = r#"https://hafla.jo/v?t="><script>alert('x')</script>"#;
        for email in both_templates(Lang::En, hostile) {
            let html = email.html.unwrap();
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains(r#""><script"#), "{html}");
            assert!(html.contains("&quot;&gt;&lt;script&gt;"), "{html}");
        }
    }

    #[test]
    fn a_link_that_is_not_a_web_address_is_shown_but_not_clickable() {
        let email = verification_email(to(), Lang::En, "javascript:alert(1)");
        let html = email.html.unwrap();
        assert!(!html.contains("href="), "{html}");
        assert!(html.contains(r#"<span dir="ltr">javascript:alert(1)</span>"#));
    }

    #[test]
    fn the_link_is_appended_when_the_message_does_not_contain_it() {
        assert_eq!(
            body_text("mail-verify-body", LINK),
            format!("mail-verify-body\n\n{LINK}")
        );
    }

    #[test]
    fn fluent_isolation_marks_around_the_link_are_removed() {
        let formatted = format!("افتح الرابط:\n\n\u{2068}{LINK}\u{2069}\n\nشكراً");
        assert_eq!(
            body_text(&formatted, LINK),
            format!("افتح الرابط:\n\n{LINK}\n\nشكراً")
        );
    }

    #[test]
    fn paragraphs_and_line_breaks_carry_over_to_the_html() {
        let html = layout(Lang::En, "Hi & welcome", "One\ntwo\n\nthree", LINK);
        assert!(html.contains("<title>Hi &amp; welcome</title>"), "{html}");
        assert!(html.contains(">One<br>\ntwo</p>"), "{html}");
        assert!(html.contains(">three</p>"), "{html}");
    }

    #[test]
    fn a_subject_is_always_a_single_line() {
        assert_eq!(
            one_line("  Confirm\n your\u{2068} email\r\n"),
            "Confirm your email"
        );
    }
}
