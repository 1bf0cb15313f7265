//! The order confirmation email: in the buyer's language, with each ticket's QR code and a
//! calendar file for the event.
//!
//! The order code fills an [`OrderReceipt`] (plain data, nothing to look up) and hands it to
//! [`order_confirmation_email`]; the result goes to any [`Mailer`](super::Mailer). Words come
//! from the `mail-receipt-*` Fluent messages in `locales/`; dates, times and amounts are
//! formatted here the way the app shows them (`ui/src/format.ts`): Latin digits, 24-hour
//! times in the event's own zone, every fils digit.
//!
//! What the email carries:
//! - a plain-text body and an HTML body (`dir="rtl"` in Arabic) with the event, the order
//!   lines, the total, the payment and the tickets;
//! - per ticket, its QR code twice: inline in the HTML (`cid:`), and as an ordinary attachment
//!   `ticket-N.png`, which is what a buyer can save to the phone or print, and what the text
//!   body points to;
//! - `event.ics`, the event for the buyer's calendar.

use super::ics::{self, CalendarEvent};
use super::templates::{
    FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, body_text, escape, line_html, one_line, page,
};
use super::{Attachment, Email, EmailAddress};
use fluent_bundle::FluentValue;
use hafla_core::i18n::localizer;
use hafla_core::qr::{self, QrError};
use hafla_core::{Bilingual, Currency, Lang, Money};
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use std::fmt;
use uuid::Uuid;

/// The name of the calendar attachment.
pub const CALENDAR_FILE: &str = "event.ics";

/// The zone whose name the email translates ("Amman time"); others are shown as IANA names.
const AMMAN: &str = "Asia/Amman";

/// Everything the order confirmation says. The order code fills it; nothing here is looked up.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderReceipt {
    pub to: EmailAddress,
    /// The buyer's language: subject, body, dates and the calendar entry follow it.
    pub lang: Lang,
    /// How the greeting addresses the buyer; may be empty.
    pub buyer_name: String,
    pub order_id: Uuid,
    /// The short reference people read out and type, e.g. `HF-7K3Q9`.
    pub order_reference: String,
    pub event: ReceiptEvent,
    pub lines: Vec<ReceiptLine>,
    pub total: Money,
    pub payment: ReceiptPayment,
    /// In order: the first becomes `ticket-1.png`. At least one.
    pub tickets: Vec<ReceiptTicket>,
    /// Where the buyer sees the tickets online; only `http(s)` links are made clickable.
    pub tickets_url: Option<String>,
}

/// The event the tickets are for.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptEvent {
    pub event_id: Uuid,
    pub title: Bilingual,
    pub venue_name: Bilingual,
    pub venue_address: Bilingual,
    pub lat: f64,
    pub lng: f64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The IANA zone the times are shown in, normally `Asia/Amman`.
    pub time_zone: String,
}

/// One line of the order: so many tickets of one type at one price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLine {
    pub ticket_type: Bilingual,
    pub quantity: u32,
    pub unit_price: Money,
}

/// How the order was paid, in the words the buyer saw at checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiptPayment {
    /// Free tickets: nothing was paid.
    Free,
    /// By card through a payment provider; `provider` is its name as buyers know it.
    Card { provider: String },
    /// By a CliQ instant transfer to `alias`, with the bank's `reference`.
    Cliq { alias: String, reference: String },
}

/// One issued ticket.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptTicket {
    pub ticket_id: Uuid,
    pub ticket_type: Bilingual,
    /// The signed credential its QR code carries (`HF:…`).
    pub credential_text: String,
}

/// The credential is as good as the ticket, so it stays out of logs.
impl fmt::Debug for ReceiptTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptTicket")
            .field("ticket_id", &self.ticket_id)
            .field("ticket_type", &self.ticket_type)
            .field(
                "credential_text",
                &format_args!("<{} bytes hidden>", self.credential_text.len()),
            )
            .finish()
    }
}

/// Why no confirmation email could be made; each is a bug in what the caller passed.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("the order has no tickets to send")]
    NoTickets,
    #[error("the event ends before it starts")]
    EndsBeforeStart,
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("an order line's amount is out of range")]
    AmountOutOfRange,
    #[error("cannot draw the QR code of ticket {ticket_id}: {source}")]
    Qr {
        ticket_id: Uuid,
        #[source]
        source: QrError,
    },
}

/// The confirmation email of a paid (or free) order. `now` is the calendar file's stamp.
pub fn order_confirmation_email(
    receipt: &OrderReceipt,
    now: Timestamp,
) -> Result<Email, ReceiptError> {
    let event = &receipt.event;
    if receipt.tickets.is_empty() {
        return Err(ReceiptError::NoTickets);
    }
    if event.ends_at < event.starts_at {
        return Err(ReceiptError::EndsBeforeStart);
    }
    let zone = TimeZone::get(&event.time_zone)
        .map_err(|_| ReceiptError::UnknownTimeZone(event.time_zone.clone()))?;
    let lang = receipt.lang;
    let words = Words(lang);
    let tickets = render_tickets(receipt)?;
    let facts = Facts::new(receipt, &words, &zone)?;

    let subject = one_line(&plain(&words.get(
        "mail-receipt-subject",
        &[
            ("event", facts.title.as_str().into()),
            ("reference", receipt.order_reference.as_str().into()),
        ],
    )));
    let text = text_body(receipt, &words, &facts, &tickets);
    let html = page(
        lang,
        &subject,
        &html_content(receipt, &words, &facts, &tickets),
    );

    let mut attachments = Vec::with_capacity(tickets.len() * 2 + 1);
    for ticket in &tickets {
        attachments.push(Attachment::inline(
            ticket.content_id.clone(),
            ticket.file.clone(),
            "image/png",
            ticket.png.clone(),
        ));
    }
    for ticket in &tickets {
        attachments.push(Attachment::file(
            ticket.file.clone(),
            "image/png",
            ticket.png.clone(),
        ));
    }
    attachments.push(Attachment::file(
        CALENDAR_FILE,
        "text/calendar; charset=utf-8",
        calendar_file(receipt, &words, &facts, now).into_bytes(),
    ));

    Ok(Email {
        to: receipt.to.clone(),
        subject,
        text,
        html: Some(html),
        attachments,
    })
}

/// The `mail-receipt-*` messages in one language.
struct Words(Lang);

impl Words {
    fn get(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        localizer().message(self.0, id, args)
    }
}

/// Text without Fluent's bidi isolation marks, for places that are not rendered as
/// paragraphs: the subject and the calendar file.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| *c != FIRST_STRONG_ISOLATE && *c != POP_DIRECTIONAL_ISOLATE)
        .collect()
}

/// The texts both bodies show, formatted once.
struct Facts {
    title: String,
    when: String,
    venue: String,
    /// Each line's description and amount.
    lines: Vec<(String, String)>,
    total: String,
    payment: String,
}

impl Facts {
    fn new(receipt: &OrderReceipt, words: &Words, zone: &TimeZone) -> Result<Facts, ReceiptError> {
        let lang = words.0;
        let event = &receipt.event;
        let mut lines = Vec::with_capacity(receipt.lines.len());
        for line in &receipt.lines {
            let amount = line
                .unit_price
                .minor
                .checked_mul(i64::from(line.quantity))
                .filter(|m| m.unsigned_abs() <= Money::MAX_MINOR.unsigned_abs())
                .ok_or(ReceiptError::AmountOutOfRange)?;
            let type_name = one_line(line.ticket_type.get(lang));
            let (item, amount) = if line.unit_price.is_zero() {
                (
                    words.get(
                        "mail-receipt-line-item-free",
                        &[
                            ("quantity", line.quantity.into()),
                            ("type", type_name.as_str().into()),
                        ],
                    ),
                    words.get("event-free", &[]),
                )
            } else {
                let unit = format_money(line.unit_price, lang);
                let total = Money {
                    minor: amount,
                    currency: line.unit_price.currency,
                };
                (
                    words.get(
                        "mail-receipt-line-item",
                        &[
                            ("quantity", line.quantity.into()),
                            ("type", type_name.as_str().into()),
                            ("unit", unit.into()),
                        ],
                    ),
                    format_money(total, lang),
                )
            };
            lines.push((item, amount));
        }
        let payment = match &receipt.payment {
            ReceiptPayment::Free => words.get("mail-receipt-payment-free", &[]),
            ReceiptPayment::Card { provider } => words.get(
                "mail-receipt-payment-card",
                &[("provider", provider.as_str().into())],
            ),
            ReceiptPayment::Cliq { alias, reference } => words.get(
                "mail-receipt-payment-cliq",
                &[
                    ("alias", alias.as_str().into()),
                    ("reference", reference.as_str().into()),
                ],
            ),
        };
        Ok(Facts {
            title: one_line(event.title.get(lang)),
            when: when(event, words, zone),
            venue: venue(event, words),
            lines,
            total: format_money(receipt.total, lang),
            payment,
        })
    }
}

/// The event's start and end in its own zone, e.g. "Friday 11 December 2026, 20:00 to 23:00
/// (Amman time)"; both dates are given when it ends on another day.
fn when(event: &ReceiptEvent, words: &Words, zone: &TimeZone) -> String {
    let lang = words.0;
    let start = event.starts_at.to_zoned(zone.clone());
    let end = event.ends_at.to_zoned(zone.clone());
    let zone_name = if event.time_zone == AMMAN {
        words.get("mail-receipt-zone-amman", &[])
    } else {
        event.time_zone.clone()
    };
    if start.date() == end.date() {
        words.get(
            "mail-receipt-when",
            &[
                ("date", local_date(&start, lang).into()),
                ("start", local_time(&start).into()),
                ("end", local_time(&end).into()),
                ("zone", zone_name.into()),
            ],
        )
    } else {
        let date_time = |at: &Zoned| {
            words.get(
                "mail-receipt-date-time",
                &[
                    ("date", local_date(at, lang).into()),
                    ("time", local_time(at).into()),
                ],
            )
        };
        words.get(
            "mail-receipt-when-multi-day",
            &[
                ("start", date_time(&start).into()),
                ("end", date_time(&end).into()),
                ("zone", zone_name.into()),
            ],
        )
    }
}

/// The venue's name and address, either alone when the other is missing.
fn venue(event: &ReceiptEvent, words: &Words) -> String {
    let name = one_line(event.venue_name.get(words.0));
    let address = one_line(event.venue_address.get(words.0));
    match (name.is_empty(), address.is_empty()) {
        (false, false) => words.get(
            "mail-receipt-venue",
            &[("venue", name.into()), ("address", address.into())],
        ),
        (false, true) => name,
        (true, _) => address,
    }
}

/// E.g. "الجمعة 11 كانون الأول 2026" or "Friday 11 December 2026": the month names used in
/// Jordan (as `Intl` gives for `ar-JO`), Latin digits as in the app.
fn local_date(at: &Zoned, lang: Lang) -> String {
    let (weekday, month) = match lang {
        Lang::Ar => (
            arabic_weekday(at.weekday()),
            ARABIC_MONTHS[usize::try_from(at.month() - 1).unwrap_or(0)],
        ),
        Lang::En => (
            english_weekday(at.weekday()),
            ENGLISH_MONTHS[usize::try_from(at.month() - 1).unwrap_or(0)],
        ),
    };
    format!("{weekday} {} {month} {}", at.day(), at.year())
}

/// 24-hour time, e.g. "20:00", as the app shows it.
fn local_time(at: &Zoned) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

const ARABIC_MONTHS: [&str; 12] = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
];

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn arabic_weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "الاثنين",
        Weekday::Tuesday => "الثلاثاء",
        Weekday::Wednesday => "الأربعاء",
        Weekday::Thursday => "الخميس",
        Weekday::Friday => "الجمعة",
        Weekday::Saturday => "السبت",
        Weekday::Sunday => "الأحد",
    }
}

fn english_weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// An amount with every minor digit: `12.500 JOD` in English (the `Display` of [`Money`]),
/// `12.500 د.أ.` in Arabic, the abbreviation Jordanian receipts and the app's `ar-JO` use.
fn format_money(money: Money, lang: Lang) -> String {
    let shown = money.to_string();
    match lang {
        Lang::En => shown,
        Lang::Ar => {
            let symbol = match money.currency {
                Currency::JOD => "د.أ.",
                Currency::USD => "دولار",
            };
            if let Some(number) = shown.strip_suffix(money.currency.code()) {
                return format!("{} {symbol}", number.trim_end());
            }
            shown
        }
    }
}

/// A ticket with its QR code drawn and its names chosen.
struct RenderedTicket {
    number: usize,
    type_name: String,
    /// `ticket-N.png`.
    file: String,
    /// What the HTML's `cid:` points at; unique per order and ticket.
    content_id: String,
    png: Vec<u8>,
    /// The image's width in pixels (it is square), so the HTML shows it at its own size.
    width: u32,
}

fn render_tickets(receipt: &OrderReceipt) -> Result<Vec<RenderedTicket>, ReceiptError> {
    receipt
        .tickets
        .iter()
        .enumerate()
        .map(|(index, ticket)| -> Result<RenderedTicket, ReceiptError> {
            let number = index + 1;
            let png =
                qr::render_png(&ticket.credential_text, qr::DEFAULT_SIZE_PX).map_err(|source| {
                    ReceiptError::Qr {
                        ticket_id: ticket.ticket_id,
                        source,
                    }
                })?;
            Ok(RenderedTicket {
                number,
                type_name: one_line(ticket.ticket_type.get(receipt.lang)),
                file: format!("ticket-{number}.png"),
                content_id: format!("ticket-{number}.{}@hafla", receipt.order_id),
                width: png_width(&png).unwrap_or(qr::DEFAULT_SIZE_PX),
                png,
            })
        })
        .collect()
}

/// The width in a PNG's header (signature, then the IHDR chunk with the width first).
fn png_width(png: &[u8]) -> Option<u32> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !png.starts_with(SIGNATURE) || png.get(12..16)? != b"IHDR" {
        return None;
    }
    Some(u32::from_be_bytes(png.get(16..20)?.try_into().ok()?))
}

fn text_body(
    receipt: &OrderReceipt,
    words: &Words,
    facts: &Facts,
    tickets: &[RenderedTicket],
) -> String {
    let label = |id: &str| words.get(id, &[]);
    let count = tickets.len();
    let mut paragraphs: Vec<String> = vec![greeting(receipt, words), intro(receipt, words)];

    let mut event = vec![format!(
        "{}: {}",
        label("mail-receipt-event-label"),
        facts.title
    )];
    event.push(format!(
        "{}: {}",
        label("mail-receipt-when-label"),
        facts.when
    ));
    if !facts.venue.is_empty() {
        event.push(format!(
            "{}: {}",
            label("mail-receipt-venue-label"),
            facts.venue
        ));
    }
    paragraphs.push(event.join("\n"));

    let mut order: Vec<String> = facts
        .lines
        .iter()
        .map(|(item, amount)| format!("{item}: {amount}"))
        .collect();
    order.push(format!(
        "{}: {}",
        label("mail-receipt-total-label"),
        facts.total
    ));
    order.push(format!(
        "{}: {}",
        label("mail-receipt-payment-label"),
        facts.payment
    ));
    paragraphs.push(order.join("\n"));

    let mut listed = vec![format!(
        "{}:",
        words.get("mail-receipt-tickets-heading", &[("count", count.into())])
    )];
    for ticket in tickets {
        listed.push(words.get(
            "mail-receipt-ticket-text",
            &[
                ("number", ticket.number.into()),
                ("count", count.into()),
                ("type", ticket.type_name.as_str().into()),
                ("file", ticket.file.as_str().into()),
            ],
        ));
    }
    paragraphs.push(listed.join("\n"));

    paragraphs.push(format!(
        "{}\n{}",
        label("mail-receipt-show-at-door"),
        label("mail-receipt-offline")
    ));
    if let Some(link) = receipt.tickets_url.as_deref() {
        paragraphs.push(tickets_link(link, words));
    }
    paragraphs.push(words.get("mail-receipt-calendar", &[("file", CALENDAR_FILE.into())]));
    paragraphs.push(label("mail-receipt-signoff"));
    let mut text = paragraphs.join("\n\n").replace("\r\n", "\n");
    text.push('\n');
    text
}

fn greeting(receipt: &OrderReceipt, words: &Words) -> String {
    let name = one_line(&receipt.buyer_name);
    if name.is_empty() {
        words.get("mail-receipt-greeting-no-name", &[])
    } else {
        words.get("mail-receipt-greeting", &[("name", name.into())])
    }
}

fn intro(receipt: &OrderReceipt, words: &Words) -> String {
    words.get(
        "mail-receipt-intro",
        &[("reference", receipt.order_reference.as_str().into())],
    )
}

/// The link sentence, with the link bare (no isolation marks a mail client could take
/// into the link).
fn tickets_link(link: &str, words: &Words) -> String {
    body_text(
        &words.get("mail-receipt-tickets-link", &[("link", link.into())]),
        link,
    )
}

const PARAGRAPH: &str = "margin:0 0 16px";
const LABEL_CELL: &str = "padding:4px 0;color:#52525b;vertical-align:top;white-space:nowrap";
const VALUE_CELL: &str = "padding:4px 0;vertical-align:top";

/// The HTML inside the page: every text inserted is escaped, including Fluent's output,
/// which carries the organizer's and buyer's text.
fn html_content(
    receipt: &OrderReceipt,
    words: &Words,
    facts: &Facts,
    tickets: &[RenderedTicket],
) -> String {
    let lang = words.0;
    let label = |id: &str| escape(&words.get(id, &[]));
    // The amount column sits on the side lines end on: the left in Arabic.
    let end = if lang.is_rtl() { "left" } else { "right" };
    let count = tickets.len();
    let mut html = String::new();
    let paragraph = |html: &mut String, text: &str, link: &str| {
        let lines: Vec<String> = text
            .lines()
            .map(|line| line_html(line.trim(), link))
            .collect();
        html.push_str(&format!(
            "<p style=\"{PARAGRAPH}\">{}</p>\n",
            lines.join("<br>\n")
        ));
    };
    paragraph(&mut html, &greeting(receipt, words), "");
    paragraph(&mut html, &intro(receipt, words), "");

    html.push_str(&format!(
        "<h1 style=\"margin:0 0 8px;font-size:20px;line-height:1.4\">{}</h1>\n",
        escape(&facts.title)
    ));
    html.push_str(
        "<table role=\"presentation\" style=\"width:100%;border-collapse:collapse;margin:0 0 16px\">\n",
    );
    let row = |html: &mut String, label: String, value: &str| {
        html.push_str(&format!(
            "<tr><td style=\"{LABEL_CELL};padding-{end}:12px\">{label}</td>\
             <td style=\"{VALUE_CELL}\">{}</td></tr>\n",
            escape(value)
        ));
    };
    row(&mut html, label("mail-receipt-when-label"), &facts.when);
    if !facts.venue.is_empty() {
        row(&mut html, label("mail-receipt-venue-label"), &facts.venue);
    }
    html.push_str("</table>\n");

    html.push_str(
        "<table role=\"presentation\" style=\"width:100%;border-collapse:collapse;margin:0 0 16px\">\n",
    );
    for (item, amount) in &facts.lines {
        html.push_str(&format!(
            "<tr><td style=\"{VALUE_CELL}\">{}</td>\
             <td style=\"{VALUE_CELL};text-align:{end};white-space:nowrap\">{}</td></tr>\n",
            escape(item),
            escape(amount)
        ));
    }
    html.push_str(&format!(
        "<tr><td style=\"{VALUE_CELL};border-top:1px solid #e4e4e7;font-weight:bold\">{}</td>\
         <td style=\"{VALUE_CELL};border-top:1px solid #e4e4e7;font-weight:bold;\
         text-align:{end};white-space:nowrap\">{}</td></tr>\n",
        label("mail-receipt-total-label"),
        escape(&facts.total)
    ));
    html.push_str("</table>\n");
    html.push_str(&format!(
        "<p style=\"{PARAGRAPH}\"><span style=\"color:#52525b\">{}:</span> {}</p>\n",
        label("mail-receipt-payment-label"),
        escape(&facts.payment)
    ));

    html.push_str(&format!(
        "<h2 style=\"margin:24px 0 12px;font-size:18px;line-height:1.4\">{}</h2>\n",
        escape(&words.get("mail-receipt-tickets-heading", &[("count", count.into())]))
    ));
    for ticket in tickets {
        let caption = words.get(
            "mail-receipt-ticket",
            &[
                ("number", ticket.number.into()),
                ("count", count.into()),
                ("type", ticket.type_name.as_str().into()),
            ],
        );
        let alt = words.get("mail-receipt-qr-alt", &[("number", ticket.number.into())]);
        html.push_str(&format!(
            "<div style=\"margin:0 0 24px;text-align:center\">\n\
             <p style=\"margin:0 0 8px\">{caption}</p>\n\
             <img src=\"cid:{cid}\" width=\"{w}\" height=\"{w}\" alt=\"{alt}\" \
             style=\"display:block;margin:0 auto;max-width:100%;height:auto;border:0\">\n\
             </div>\n",
            caption = escape(&caption),
            cid = escape(&ticket.content_id),
            w = ticket.width,
            alt = escape(&plain(&alt)),
        ));
    }

    paragraph(
        &mut html,
        &format!(
            "{}\n{}",
            words.get("mail-receipt-show-at-door", &[]),
            words.get("mail-receipt-offline", &[])
        ),
        "",
    );
    if let Some(link) = receipt.tickets_url.as_deref() {
        paragraph(&mut html, &tickets_link(link, words), link);
    }
    paragraph(
        &mut html,
        &words.get("mail-receipt-calendar", &[("file", CALENDAR_FILE.into())]),
        "",
    );
    paragraph(&mut html, &words.get("mail-receipt-signoff", &[]), "");
    html
}

/// The `.ics` attachment: the event in the buyer's language, with a UID that stays the same
/// for the same order and event, so a re-sent email updates the calendar entry.
fn calendar_file(receipt: &OrderReceipt, words: &Words, facts: &Facts, now: Timestamp) -> String {
    let event = &receipt.event;
    let uid = format!("{}.{}@hafla", receipt.order_id, event.event_id);
    let description = plain(&words.get(
        "mail-receipt-ics-description",
        &[
            ("reference", receipt.order_reference.as_str().into()),
            ("count", receipt.tickets.len().into()),
        ],
    ));
    let location = plain(&facts.venue);
    ics::calendar(&CalendarEvent {
        uid: &uid,
        stamp: now,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        lang: words.0,
        summary: &facts.title,
        location: &location,
        geo: Some((event.lat, event.lng)),
        description: &description,
        url: receipt.tickets_url.as_deref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::testing::{bi, general, receipt, ticket};

    /// Every message id the receipt uses.
    const MESSAGE_IDS: &[&str] = &[
        "mail-receipt-subject",
        "mail-receipt-greeting",
        "mail-receipt-greeting-no-name",
        "mail-receipt-intro",
        "mail-receipt-event-label",
        "mail-receipt-when-label",
        "mail-receipt-venue-label",
        "mail-receipt-when",
        "mail-receipt-when-multi-day",
        "mail-receipt-date-time",
        "mail-receipt-zone-amman",
        "mail-receipt-venue",
        "mail-receipt-line-item",
        "mail-receipt-line-item-free",
        "mail-receipt-total-label",
        "mail-receipt-payment-label",
        "mail-receipt-payment-free",
        "mail-receipt-payment-card",
        "mail-receipt-payment-cliq",
        "mail-receipt-tickets-heading",
        "mail-receipt-ticket",
        "mail-receipt-ticket-text",
        "mail-receipt-qr-alt",
        "mail-receipt-show-at-door",
        "mail-receipt-offline",
        "mail-receipt-tickets-link",
        "mail-receipt-calendar",
        "mail-receipt-signoff",
        "mail-receipt-ics-description",
        "event-free",
    ];

    fn now() -> Timestamp {
        "2026-11-25T10:00:00Z".parse().unwrap()
    }

    fn email(receipt: &OrderReceipt) -> Email {
        order_confirmation_email(receipt, now()).unwrap()
    }

    /// The text and HTML bodies without Fluent's invisible isolation marks.
    fn bodies(email: &Email) -> (String, String) {
        (plain(&email.text), plain(email.html.as_deref().unwrap()))
    }

    fn attachment<'a>(email: &'a Email, name: &str, inline: bool) -> &'a Attachment {
        email
            .attachments
            .iter()
            .find(|a| a.filename == name && a.inline_content_id.is_some() == inline)
            .unwrap_or_else(|| panic!("no attachment {name} (inline: {inline})"))
    }

    fn calendar_lines(email: &Email) -> Vec<String> {
        let file = attachment(email, CALENDAR_FILE, false);
        assert_eq!(file.content_type, "text/calendar; charset=utf-8");
        ics::unfold(std::str::from_utf8(&file.bytes).unwrap())
    }

    fn calendar_text(email: &Email, name: &str) -> Option<String> {
        ics::property(&calendar_lines(email), name).map(ics::unescape_text)
    }

    #[test]
    fn an_arabic_receipt_has_an_arabic_subject_rtl_html_jod_with_three_decimals_and_amman_time() {
        let email = email(&receipt(Lang::Ar));
        assert_eq!(
            email.subject,
            "تذاكرك لحضور «أمسية جاز في عمّان» – الطلب HF-7K3Q9"
        );
        let (text, html) = bodies(&email);
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
        assert!(html.contains(r#"<div lang="ar" dir="rtl""#), "{html}");
        assert!(html.contains("text-align:right"), "{html}");
        for body in [&text, &html] {
            assert!(body.contains("مرحباً رانيا،"), "{body}");
            assert!(body.contains("تمّ تأكيد طلبك رقم HF-7K3Q9"), "{body}");
            assert!(
                body.contains("الجمعة 11 كانون الأول 2026، من الساعة 20:00 حتى 23:00 بتوقيت عمّان"),
                "{body}"
            );
            assert!(!body.contains("17:00"), "UTC time shown: {body}");
            assert!(
                body.contains("المركز الثقافي الملكي، شارع الملكة علياء، الشميساني"),
                "{body}"
            );
            assert!(
                body.contains("2 × دخول عام (12.500 د.أ. للتذكرة)"),
                "{body}"
            );
            assert!(body.contains("25.000 د.أ."), "{body}");
            assert!(
                body.contains("1 × كبار الشخصيات (35.000 د.أ. للتذكرة)"),
                "{body}"
            );
            assert!(body.contains("60.000 د.أ."), "{body}");
            assert!(
                body.contains("تحويل CliQ إلى HAFLA (الرقم المرجعي CLQ-20261125-8841)"),
                "{body}"
            );
            assert!(body.contains("تعمل تذاكرك في تطبيق حفلة حتى دون اتصال بالإنترنت"));
            assert!(body.contains("التذكرة 3 من 3: كبار الشخصيات"), "{body}");
        }
        assert!(text.contains("2 × دخول عام (12.500 د.أ. للتذكرة): 25.000 د.أ.\n"));
        assert!(text.contains("\nالمجموع: 60.000 د.أ.\n"), "{text}");
        assert!(text.contains("تذاكرك:\n"), "{text}");
        assert!(text.contains("(رمز QR في المرفق ticket-1.png)"), "{text}");
        assert!(text.contains("أرفقنا ملف event.ics"), "{text}");
        // The link stays clean of isolation marks even before they are stripped.
        assert!(
            email
                .text
                .contains(" https://hafla.jo/orders/HF-7K3Q9?lang=ar\n")
        );
    }

    #[test]
    fn an_english_receipt_is_left_to_right_with_jod_and_amman_time() {
        let email = email(&receipt(Lang::En));
        assert_eq!(
            email.subject,
            "Your tickets for “Jazz Night in Amman” – order HF-7K3Q9"
        );
        let (text, html) = bodies(&email);
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#), "{html}");
        assert!(html.contains(r#"<div lang="en" dir="ltr""#), "{html}");
        assert!(!html.contains("rtl"), "{html}");
        for body in [&text, &html] {
            assert!(body.contains("Hi Rania,"), "{body}");
            assert!(
                body.contains("Friday 11 December 2026, 20:00 to 23:00 (Amman time)"),
                "{body}"
            );
            assert!(
                body.contains("Royal Cultural Centre, Queen Alia Street, Shmeisani"),
                "{body}"
            );
            assert!(
                body.contains("2 × General admission (12.500 JOD each)"),
                "{body}"
            );
            assert!(body.contains("25.000 JOD"), "{body}");
            assert!(body.contains("60.000 JOD"), "{body}");
            assert!(
                body.contains("CliQ transfer to HAFLA (reference CLQ-20261125-8841)"),
                "{body}"
            );
            assert!(
                body.contains("also work offline in the Hafla app"),
                "{body}"
            );
        }
        assert!(text.contains("\nTotal: 60.000 JOD\n"), "{text}");
        assert!(text.contains("\nWhen: Friday 11 December 2026"), "{text}");
        assert!(
            text.contains("Ticket 1 of 3: General admission (QR code attached as ticket-1.png)"),
            "{text}"
        );
        assert!(
            text.ends_with("Enjoy the event!\nThe Hafla team\n"),
            "{text}"
        );
    }

    #[test]
    fn every_tickets_qr_code_decodes_back_to_its_credential_text() {
        let receipt = receipt(Lang::Ar);
        let email = email(&receipt);
        assert_eq!(email.attachments.len(), 2 * receipt.tickets.len() + 1);
        for (index, ticket) in receipt.tickets.iter().enumerate() {
            let name = format!("ticket-{}.png", index + 1);
            for inline in [true, false] {
                let image = attachment(&email, &name, inline);
                assert_eq!(image.content_type, "image/png");
                assert_eq!(
                    qr::decode_png(&image.bytes).unwrap(),
                    vec![ticket.credential_text.clone()],
                    "{name}, inline: {inline}"
                );
            }
        }
    }

    #[test]
    fn the_html_shows_every_inline_image_by_its_content_id() {
        let email = email(&receipt(Lang::Ar));
        let html = email.html.as_deref().unwrap();
        let ids: Vec<&str> = email
            .attachments
            .iter()
            .filter_map(|a| a.inline_content_id.as_deref())
            .collect();
        assert_eq!(ids.len(), 3);
        for (index, id) in ids.iter().enumerate() {
            assert_eq!(
                *id,
                format!(
                    "ticket-{}.0190f3a4-5b6c-7d8e-9f00-112233445566@hafla",
                    index + 1
                )
            );
            assert_eq!(
                html.matches(&format!("src=\"cid:{id}\"")).count(),
                1,
                "{html}"
            );
        }
        assert_eq!(html.matches("<img ").count(), 3);
        assert!(html.contains(r#"alt="رمز QR للتذكرة 2""#), "{html}");
        // Shown at the image's own size, so the modules stay crisp.
        let width = png_width(&attachment(&email, "ticket-1.png", true).bytes).unwrap();
        assert!(width >= qr::DEFAULT_SIZE_PX);
        assert!(html.contains(&format!("width=\"{width}\" height=\"{width}\"")));
    }

    #[test]
    fn the_calendar_file_holds_the_event_in_the_buyers_language_in_utc() {
        let email = email(&receipt(Lang::Ar));
        let lines = calendar_lines(&email);
        assert_eq!(ics::property(&lines, "METHOD"), Some("PUBLISH"));
        assert_eq!(
            ics::property(&lines, "UID"),
            Some("0190f3a4-5b6c-7d8e-9f00-112233445566.0190f3a4-0000-7000-8000-00000000e001@hafla")
        );
        assert_eq!(ics::property(&lines, "DTSTAMP"), Some("20261125T100000Z"));
        assert_eq!(ics::property(&lines, "DTSTART"), Some("20261211T170000Z"));
        assert_eq!(ics::property(&lines, "DTEND"), Some("20261211T200000Z"));
        assert_eq!(ics::property(&lines, "GEO"), Some("31.963158;35.930359"));
        assert_eq!(
            ics::property(&lines, "URL"),
            Some("https://hafla.jo/orders/HF-7K3Q9?lang=ar")
        );
        assert!(lines.iter().any(|l| l.starts_with("SUMMARY;LANGUAGE=ar:")));
        assert_eq!(
            calendar_text(&email, "SUMMARY").as_deref(),
            Some("أمسية جاز في عمّان")
        );
        assert_eq!(
            calendar_text(&email, "LOCATION").as_deref(),
            Some("المركز الثقافي الملكي، شارع الملكة علياء، الشميساني")
        );
        assert_eq!(
            calendar_text(&email, "DESCRIPTION").as_deref(),
            Some("الطلب HF-7K3Q9: 3 تذاكر")
        );

        let english = self::email(&receipt(Lang::En));
        let lines = calendar_lines(&english);
        assert_eq!(
            ics::property(&lines, "LOCATION"),
            Some(r"Royal Cultural Centre\, Queen Alia Street\, Shmeisani")
        );
        assert_eq!(
            calendar_text(&english, "SUMMARY").as_deref(),
            Some("Jazz Night in Amman")
        );
        assert_eq!(
            calendar_text(&english, "DESCRIPTION").as_deref(),
            Some("Order HF-7K3Q9: 3 tickets")
        );
    }

    #[test]
    fn the_calendar_uid_stays_the_same_when_the_email_is_made_again() {
        let receipt = receipt(Lang::En);
        let first = order_confirmation_email(&receipt, now()).unwrap();
        let later = order_confirmation_email(&receipt, now() + jiff::SignedDuration::from_hours(5))
            .unwrap();
        assert_eq!(
            ics::property(&calendar_lines(&first), "UID"),
            ics::property(&calendar_lines(&later), "UID")
        );
        assert_ne!(
            ics::property(&calendar_lines(&first), "DTSTAMP"),
            ics::property(&calendar_lines(&later), "DTSTAMP")
        );
    }

    #[test]
    fn arabic_ticket_counts_use_the_singular_dual_and_plural_forms() {
        let mut receipt = receipt(Lang::Ar);
        for (count, expected) in [
            (1, "الطلب HF-7K3Q9: تذكرة واحدة"),
            (2, "الطلب HF-7K3Q9: تذكرتان"),
            (3, "الطلب HF-7K3Q9: 3 تذاكر"),
            (11, "الطلب HF-7K3Q9: 11 تذكرة"),
        ] {
            receipt.tickets = (0..count).map(|n| ticket(2000 + n, general())).collect();
            let email = email(&receipt);
            assert_eq!(
                calendar_text(&email, "DESCRIPTION").as_deref(),
                Some(expected)
            );
            let heading = match count {
                1 => "تذكرتك:",
                2 => "تذكرتاك:",
                _ => "تذاكرك:",
            };
            assert!(plain(&email.text).contains(heading), "{count}");
        }
    }

    #[test]
    fn a_title_missing_in_the_buyers_language_falls_back_to_the_other() {
        let mut receipt = receipt(Lang::Ar);
        receipt.event.title = bi("", "Jazz Night");
        receipt.event.venue_address = Bilingual {
            ar: String::new(),
            en: String::new(),
        };
        receipt.tickets[0].ticket_type = bi("", "Early bird");
        let email = email(&receipt);
        assert_eq!(email.subject, "تذاكرك لحضور «Jazz Night» – الطلب HF-7K3Q9");
        assert_eq!(
            calendar_text(&email, "SUMMARY").as_deref(),
            Some("Jazz Night")
        );
        assert_eq!(
            calendar_text(&email, "LOCATION").as_deref(),
            Some("المركز الثقافي الملكي")
        );
        let (text, _) = bodies(&email);
        assert!(text.contains("التذكرة 1 من 3: Early bird"), "{text}");
        assert!(text.contains("المكان: المركز الثقافي الملكي\n"), "{text}");
    }

    #[test]
    fn text_from_organizers_and_buyers_is_escaped_in_the_html() {
        let mut receipt = receipt(Lang::En);
        receipt.event.title = bi("", r#"<script>alert("x")</script> & Friends"#);
        receipt.buyer_name = "<b>Omar</b>".to_owned();
        receipt.event.venue_name = bi("", "Caf\u{e9} <i>Rumi</i>");
        receipt.lines[0].ticket_type = bi("", "<img src=x onerror=alert(1)>");
        receipt.tickets[0].ticket_type = bi("", "<img src=x onerror=alert(1)>");
        receipt.payment = ReceiptPayment::Card {
            provider: "\"><svg onload=alert(1)>".to_owned(),
        };
        receipt.tickets_url = Some("javascript:alert(1)".to_owned());
        let email = email(&receipt);
        let html = email.html.unwrap();
        for raw in [
            "<script",
            "<b>",
            "<i>",
            "<img src=x",
            "<svg",
            "href=\"javascript",
        ] {
            assert!(!html.contains(raw), "{raw} in {html}");
        }
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Friends"));
        assert!(html.contains("&lt;b&gt;Omar&lt;/b&gt;"), "{html}");
        assert!(
            html.contains("<span dir=\"ltr\">javascript:alert(1)</span>"),
            "{html}"
        );
        // The subject and the calendar carry the title as text, not markup.
        assert!(
            email
                .subject
                .contains(r#"<script>alert("x")</script> & Friends"#)
        );
    }

    #[test]
    fn free_tickets_and_card_payments_read_naturally_in_both_languages() {
        let mut free = receipt(Lang::Ar);
        free.lines = vec![ReceiptLine {
            ticket_type: general(),
            quantity: 2,
            unit_price: Money::jod_fils(0),
        }];
        free.total = Money::jod_fils(0);
        free.payment = ReceiptPayment::Free;
        let (text, _) = bodies(&email(&free));
        assert!(text.contains("2 × دخول عام: مجاناً\n"), "{text}");
        assert!(text.contains("المجموع: 0.000 د.أ.\n"), "{text}");
        assert!(
            text.contains("طريقة الدفع: لا يوجد دفع: التذاكر مجانية"),
            "{text}"
        );

        free.lang = Lang::En;
        let (text, _) = bodies(&email(&free));
        assert!(text.contains("2 × General admission: Free\n"), "{text}");
        assert!(
            text.contains("Payment: None: the tickets are free"),
            "{text}"
        );

        let mut card = receipt(Lang::Ar);
        card.payment = ReceiptPayment::Card {
            provider: "HyperPay".to_owned(),
        };
        let (text, _) = bodies(&email(&card));
        assert!(text.contains("طريقة الدفع: بطاقة (عبر HyperPay)"), "{text}");
        card.lang = Lang::En;
        let (text, _) = bodies(&email(&card));
        assert!(text.contains("Payment: Card (via HyperPay)"), "{text}");
    }

    #[test]
    fn a_buyer_without_a_name_gets_a_greeting_without_one() {
        let mut receipt = receipt(Lang::Ar);
        receipt.buyer_name = "  ".to_owned();
        let (text, _) = bodies(&email(&receipt));
        assert!(text.starts_with("مرحباً،\n\n"), "{text}");
    }

    #[test]
    fn an_event_that_ends_after_midnight_shows_both_dates() {
        let mut receipt = receipt(Lang::Ar);
        receipt.event.ends_at = "2026-12-11T23:30:00Z".parse().unwrap();
        let (text, _) = bodies(&email(&receipt));
        assert!(
            text.contains(
                "من الجمعة 11 كانون الأول 2026، الساعة 20:00 حتى السبت 12 كانون الأول 2026، \
                 الساعة 02:30 بتوقيت عمّان"
            ),
            "{text}"
        );
        receipt.lang = Lang::En;
        let (text, _) = bodies(&email(&receipt));
        assert!(
            text.contains(
                "From Friday 11 December 2026, 20:00 to Saturday 12 December 2026, 02:30 \
                 (Amman time)"
            ),
            "{text}"
        );
    }

    #[test]
    fn another_time_zone_is_shown_by_its_name() {
        let mut receipt = receipt(Lang::En);
        receipt.event.time_zone = "Europe/London".to_owned();
        let (text, _) = bodies(&email(&receipt));
        assert!(
            text.contains("Friday 11 December 2026, 17:00 to 20:00 (Europe/London time)"),
            "{text}"
        );
    }

    #[test]
    fn impossible_orders_are_errors_rather_than_broken_emails() {
        let mut none = receipt(Lang::Ar);
        none.tickets.clear();
        assert!(matches!(
            order_confirmation_email(&none, now()),
            Err(ReceiptError::NoTickets)
        ));

        let mut backwards = receipt(Lang::Ar);
        backwards.event.ends_at = "2026-12-11T16:00:00Z".parse().unwrap();
        assert!(matches!(
            order_confirmation_email(&backwards, now()),
            Err(ReceiptError::EndsBeforeStart)
        ));

        let mut nowhere = receipt(Lang::Ar);
        nowhere.event.time_zone = "Mars/Olympus_Mons".to_owned();
        assert!(matches!(
            order_confirmation_email(&nowhere, now()),
            Err(ReceiptError::UnknownTimeZone(zone)) if zone == "Mars/Olympus_Mons"
        ));

        let mut huge = receipt(Lang::Ar);
        huge.tickets[1].credential_text = "A".repeat(600);
        let ticket_id = huge.tickets[1].ticket_id;
        assert!(matches!(
            order_confirmation_email(&huge, now()),
            Err(ReceiptError::Qr { ticket_id: id, source: QrError::TooLong { .. } }) if id == ticket_id
        ));

        let mut overflow = receipt(Lang::Ar);
        overflow.lines[0].unit_price = Money::jod_fils(Money::MAX_MINOR);
        overflow.lines[0].quantity = 10;
        assert!(matches!(
            order_confirmation_email(&overflow, now()),
            Err(ReceiptError::AmountOutOfRange)
        ));
    }

    #[test]
    fn every_message_the_receipt_uses_exists_in_arabic_and_english() {
        for lang in Lang::ALL {
            for id in MESSAGE_IDS {
                assert!(localizer().has(lang, id), "{id} missing in {}", lang.tag());
            }
        }
    }

    #[test]
    fn debug_output_of_a_receipt_hides_the_credentials() {
        let receipt = receipt(Lang::En);
        let shown = format!("{receipt:?}");
        for ticket in &receipt.tickets {
            assert!(!shown.contains(&ticket.credential_text), "{shown}");
        }
        assert!(!shown.contains("rania@"), "{shown}");
        assert!(shown.contains("HF-7K3Q9"));
    }

    #[test]
    fn amounts_show_every_fils_digit_in_both_languages() {
        assert_eq!(
            format_money(Money::jod_fils(12_500), Lang::En),
            "12.500 JOD"
        );
        assert_eq!(
            format_money(Money::jod_fils(12_500), Lang::Ar),
            "12.500 د.أ."
        );
        assert_eq!(format_money(Money::jod_fils(5), Lang::Ar), "0.005 د.أ.");
    }
}
