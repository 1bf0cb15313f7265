//! A calendar file (RFC 5545) with one event, attached to order confirmations.
//!
//! Written here rather than with the `icalendar` crate: that crate is built on `chrono`
//! (Hafla's dates are `jiff`), so it would bring a second date library into the server to
//! write a file of a dozen lines. What such a file needs to get right is small and is tested
//! below: TEXT escaping (§3.3.11), folding at 75 octets without cutting a UTF-8 character in
//! two (§3.1; Arabic letters are two octets each), CRLF line ends, and UTC times (`…Z`), which
//! spare us a VTIMEZONE block.

use hafla_core::Lang;
use jiff::Timestamp;

/// RFC 5545 §3.1: content lines SHOULD NOT be longer than 75 octets, line break excluded.
const MAX_LINE_OCTETS: usize = 75;

const PRODID: &str = "-//Hafla//Hafla Tickets//EN";

/// The event of a calendar file; every text is plain (escaping happens here).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CalendarEvent<'a> {
    /// Stable across re-sends, so a calendar updates the entry instead of adding a second.
    pub uid: &'a str,
    /// When the file was made.
    pub stamp: Timestamp,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The language of the texts, written as their `LANGUAGE` parameter.
    pub lang: Lang,
    pub summary: &'a str,
    pub location: &'a str,
    /// Latitude and longitude in degrees; left out unless both are finite and in range.
    pub geo: Option<(f64, f64)>,
    pub description: &'a str,
    /// Left out unless it is an `http` or `https` URL.
    pub url: Option<&'a str>,
}

/// The whole `.ics` file: `VCALENDAR` with one `VEVENT`, folded, with CRLF line ends.
pub(crate) fn calendar(event: &CalendarEvent<'_>) -> String {
    let language = format!("LANGUAGE={}", event.lang.tag());
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:{PRODID}"),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape_text(event.uid)),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.ends_at)),
        format!("SUMMARY;{language}:{}", escape_text(event.summary)),
    ];
    if !event.location.trim().is_empty() {
        lines.push(format!(
            "LOCATION;{language}:{}",
            escape_text(event.location)
        ));
    }
    if let Some((lat, lng)) = event.geo
        && lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
    {
        lines.push(format!("GEO:{lat:.6};{lng:.6}"));
    }
    if !event.description.trim().is_empty() {
        lines.push(format!(
            "DESCRIPTION;{language}:{}",
            escape_text(event.description)
        ));
    }
    if let Some(url) = event.url.filter(|u| is_web_url(u)) {
        lines.push(format!("URL:{url}"));
    }
    lines.extend(
        [
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        .map(str::to_owned),
    );
    let mut out = String::new();
    for line in &lines {
        out.push_str(&fold(line));
    }
    out
}

/// A UTC date-time in the basic format RFC 5545 uses, e.g. `20261211T170000Z`.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Only a web address goes into `URL`; its characters must be the URI's own (no spaces or
/// controls, which would break the line), as `url` guarantees after parsing.
fn is_web_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>'))
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, every kind of
/// line break as `\n`, other control characters (forbidden in TEXT) dropped.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded (CRLF and a space) so that no physical line is longer than 75
/// octets, and ended with CRLF. Folds fall between characters, never inside one.
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 32 + 2);
    let mut octets = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if octets + width > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            // The leading space of a continuation line counts towards its 75 octets.
            octets = 1;
        }
        out.push(c);
        octets += width;
    }
    out.push_str("\r\n");
    out
}

/// The content lines of a file, folds undone (RFC 5545 §3.1); for tests and for reading
/// back what [`calendar`] wrote.
#[cfg(test)]
pub(crate) fn unfold(file: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in file.split("\r\n") {
        match physical.strip_prefix([' ', '\t']) {
            Some(rest) if !lines.is_empty() => {
                if let Some(last) = lines.last_mut() {
                    last.push_str(rest);
                }
            }
            _ if physical.is_empty() => {}
            _ => lines.push(physical.to_owned()),
        }
    }
    lines
}

/// Undoes [`escape_text`]; for tests.
#[cfg(test)]
pub(crate) fn unescape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The value of property `name` in unfolded `lines`, parameters skipped; for tests.
#[cfg(test)]
pub(crate) fn property<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        if let Some(value) = rest.strip_prefix(':') {
            return Some(value);
        }
        // `NAME;PARAM=…:value`: parameter values here never contain a colon.
        let params = rest.strip_prefix(';')?;
        params.split_once(':').map(|(_, value)| value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(summary: &'a str, description: &'a str) -> CalendarEvent<'a> {
        CalendarEvent {
            uid: "0190f3a4-0000-7000-8000-000000000001.0190f3a4-0000-7000-8000-000000000002@hafla",
            stamp: "2026-11-25T10:00:00Z".parse().unwrap(),
            starts_at: "2026-12-11T17:00:00Z".parse().unwrap(),
            ends_at: "2026-12-11T20:00:00Z".parse().unwrap(),
            lang: Lang::Ar,
            summary,
            location: "المركز الثقافي الملكي، شارع الملكة علياء، عمّان",
            geo: Some((31.963_158, 35.930_359)),
            description,
            url: Some("https://hafla.jo/tickets?order=HF-7K3Q9"),
        }
    }

    #[test]
    fn the_file_is_a_calendar_with_one_published_event_in_utc() {
        let file = calendar(&event("أمسية جاز", "الطلب HF-7K3Q9"));
        let lines = unfold(&file);
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
        assert_eq!(property(&lines, "VERSION"), Some("2.0"));
        assert_eq!(property(&lines, "PRODID"), Some(PRODID));
        assert_eq!(property(&lines, "METHOD"), Some("PUBLISH"));
        assert_eq!(property(&lines, "CALSCALE"), Some("GREGORIAN"));
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 1);
        assert_eq!(property(&lines, "DTSTART"), Some("20261211T170000Z"));
        assert_eq!(property(&lines, "DTEND"), Some("20261211T200000Z"));
        assert_eq!(property(&lines, "DTSTAMP"), Some("20261125T100000Z"));
        assert_eq!(property(&lines, "GEO"), Some("31.963158;35.930359"));
        assert_eq!(
            property(&lines, "URL"),
            Some("https://hafla.jo/tickets?order=HF-7K3Q9")
        );
        assert!(lines.contains(&"SUMMARY;LANGUAGE=ar:أمسية جاز".to_owned()));
        assert!(
            lines[lines.iter().position(|l| l == "BEGIN:VEVENT").unwrap() + 1].starts_with("UID:")
        );
    }

    #[test]
    fn every_line_ends_with_crlf_and_no_bare_line_feed_is_left() {
        let file = calendar(&event("سطر أول\nسطر ثانٍ", "a\r\nb\rc"));
        assert!(file.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(file.matches('\n').count(), file.matches("\r\n").count());
        assert_eq!(file.matches('\r').count(), file.matches("\r\n").count());
    }

    #[test]
    fn commas_semicolons_backslashes_and_newlines_are_escaped_and_read_back() {
        let summary = r"Jazz, Blues; and \ more";
        let description = "Line one\nLine two, with; all\\ of them\r\nend";
        let file = calendar(&event(summary, description));
        let lines = unfold(&file);
        let raw_summary = property(&lines, "SUMMARY").unwrap();
        assert_eq!(raw_summary, r"Jazz\, Blues\; and \\ more");
        assert_eq!(unescape_text(raw_summary), summary);
        let raw_description = property(&lines, "DESCRIPTION").unwrap();
        assert!(!raw_description.contains('\n'));
        assert_eq!(
            unescape_text(raw_description),
            "Line one\nLine two, with; all\\ of them\nend"
        );
    }

    #[test]
    fn control_characters_are_dropped_from_text() {
        assert_eq!(escape_text("a\u{0}b\u{7}c\u{1b}d\te"), "abcd\te");
    }

    #[test]
    fn a_long_arabic_title_is_folded_at_75_octets_without_splitting_a_letter() {
        let title = "حفل موسيقي كبير في المدرج الروماني بوسط عمّان احتفالاً بعيد الاستقلال مع نخبة من الفنانين الأردنيين والعرب";
        let file = calendar(&event(title, "الطلب HF-7K3Q9"));
        // Every physical line is at most 75 octets and, split at the CRLFs as raw bytes,
        // valid UTF-8 on its own: no two-octet letter was cut in two.
        let bytes = file.as_bytes();
        let mut start = 0;
        for end in (0..bytes.len().saturating_sub(1)).filter(|&i| &bytes[i..i + 2] == b"\r\n") {
            let physical = &bytes[start..end];
            assert!(
                physical.len() <= MAX_LINE_OCTETS,
                "{} octets",
                physical.len()
            );
            assert!(std::str::from_utf8(physical).is_ok(), "{physical:?}");
            start = end + 2;
        }
        assert_eq!(start, bytes.len());
        let folded_summary: Vec<&str> = file
            .split("\r\n")
            .skip_while(|l| !l.starts_with("SUMMARY"))
            .take_while(|l| l.starts_with("SUMMARY") || l.starts_with(' '))
            .collect();
        assert!(folded_summary.len() >= 3, "{folded_summary:?}");
        let lines = unfold(&file);
        assert_eq!(property(&lines, "SUMMARY"), Some(title));
    }

    #[test]
    fn folding_and_unfolding_round_trips_any_text() {
        let samples = [
            String::new(),
            "x".repeat(75),
            "x".repeat(76),
            "ح".repeat(200),
            format!("{}ح{}", "x".repeat(74), "y".repeat(10)),
            "😀".repeat(40),
            "mixed عربي and English, أرقام 12.500".repeat(5),
        ];
        for sample in samples {
            let line = format!("DESCRIPTION:{sample}");
            let folded = fold(&line);
            assert!(folded.ends_with("\r\n"));
            for physical in folded.trim_end_matches("\r\n").split("\r\n") {
                assert!(physical.len() <= MAX_LINE_OCTETS, "{physical:?}");
            }
            assert_eq!(unfold(&folded), vec![line]);
        }
        // A line of exactly 75 octets stays whole.
        assert_eq!(fold(&"x".repeat(75)), format!("{}\r\n", "x".repeat(75)));
    }

    #[test]
    fn a_position_that_is_not_on_earth_and_a_link_that_is_not_a_web_page_are_left_out() {
        let mut odd = event("حفلة", "");
        odd.geo = Some((f64::NAN, 35.9));
        odd.url = Some("javascript:alert(1)");
        let lines = unfold(&calendar(&odd));
        assert_eq!(property(&lines, "GEO"), None);
        assert_eq!(property(&lines, "URL"), None);
        assert_eq!(property(&lines, "DESCRIPTION"), None);
        odd.geo = Some((95.0, 35.9));
        odd.url = Some("https://hafla.jo/a b");
        let lines = unfold(&calendar(&odd));
        assert_eq!(property(&lines, "GEO"), None);
        assert_eq!(property(&lines, "URL"), None);
    }
}
