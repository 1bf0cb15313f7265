//! A ticket's event as an iCalendar file (RFC 5545), for "add to calendar". Times are in
//! UTC, so every calendar app places the event right whatever its own zone.

use hafla_core::Lang;
use hafla_core::wire::sync::MyTicket;

/// The whole .ics text of one event, with CRLF line ends and long lines folded.
pub fn ics(ticket: &MyTicket, lang: Lang, now: jiff::Timestamp) -> String {
    let event = &ticket.event;
    let pick = |text: &hafla_core::Bilingual| text.get(lang).to_owned();
    let venue = &event.venue;
    let location = format!("{}, {}", pick(&venue.name), pick(&venue.address));
    let description = format!(
        "{} · {}\nhafla://ticket/{}",
        pick(&ticket.ticket_type),
        pick(&event.organizer),
        ticket.ticket.id
    );
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Hafla//Hafla app//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@hafla.jo", ticket.ticket.id),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.ends_at)),
        format!("SUMMARY:{}", escape(&pick(&event.title))),
        format!("LOCATION:{}", escape(&location)),
        format!("GEO:{};{}", venue.location.lat, venue.location.lng),
        format!("DESCRIPTION:{}", escape(&description)),
        format!("URL:hafla://event/{}", event.id),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

fn utc(t: jiff::Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values: backslash, semicolon, comma and newline are escaped (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines longer than 75 octets continue on the next line after a space, never splitting
/// a UTF-8 character (Arabic letters are two bytes each).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn long_arabic_lines_fold_at_75_octets_without_splitting_a_letter() {
        let line = format!("SUMMARY:{}", "ليلة عود على مدرج عمّان الروماني ".repeat(4));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn times_are_written_in_utc() {
        let t: jiff::Timestamp = "2026-12-20T18:00:00+03:00".parse().unwrap();
        assert_eq!(utc(t), "20261220T150000Z");
    }
}
