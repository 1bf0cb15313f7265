//! What an attendee does: find events (offline, from the synced catalog), buy tickets
//! (online), and hold tickets (offline, QR drawn on the device).

use crate::calendar;
use crate::errors::AppError;
use crate::state::AppCore;
use crate::views::{EventCard, EventFilter, TicketQr};
use hafla_core::places::GeoPoint;
use hafla_core::sync::search::MAX_RESULTS;
use hafla_core::wire::sync::MyTicket;
use hafla_core::wire::{
    EventDetail, EventSummary, OrderInput, OrderLineInput, OrderView, PayInput, PayView,
    TransferInput,
};
use uuid::Uuid;

/// Pixels a side of a ticket's QR code (the UI scales the SVG; this sets its detail).
const QR_SIZE_PX: u32 = 320;

impl AppCore {
    /// Events of the device's catalog: matching words first, soonest first, or nearest
    /// first when a point is given. Works offline.
    pub fn search_events(&self, filter: &EventFilter) -> Result<Vec<EventCard>, AppError> {
        if filter.query.chars().count() > 200 {
            return Err(AppError::Invalid { field: "query" });
        }
        let found = self.db().search_catalog(&filter.query, MAX_RESULTS)?;
        let near = filter.near.map(|p| GeoPoint {
            lat: p.lat,
            lng: p.lng,
        });
        if near.is_some_and(|p| !p.is_valid()) {
            return Err(AppError::Invalid { field: "near" });
        }
        let mut cards: Vec<EventCard> = found
            .into_iter()
            .filter(|e| filter.category.is_none_or(|c| e.category == c))
            .filter(|e| filter.city.is_none_or(|c| e.venue.city == c))
            .map(|event| EventCard {
                distance_km: near.map(|p| p.distance_m(event.venue.location) as f64 / 1000.0),
                event,
            })
            .collect();
        if near.is_some() {
            let km = |c: &EventCard| c.distance_km.unwrap_or(f64::INFINITY);
            cards.sort_by(|a, b| km(a).total_cmp(&km(b)));
        }
        cards.truncate(filter.limit.clamp(1, MAX_RESULTS) as usize);
        Ok(cards)
    }

    pub fn catalog_event(&self, id: Uuid) -> Result<Option<EventSummary>, AppError> {
        Ok(self.db().catalog_event(id)?)
    }

    /// The event with its ticket types, from the server (buying needs a connection).
    pub async fn event_detail(&self, id: Uuid) -> Result<EventDetail, AppError> {
        Ok(self.api()?.event_detail(id).await?)
    }

    /// Opens the venue on a map in the browser (OpenStreetMap works everywhere, without
    /// an account or a key).
    pub fn open_maps(&self, id: Uuid) -> Result<(), AppError> {
        let event = self
            .catalog_event(id)?
            .ok_or_else(|| AppError::NotOnDevice {
                what: format!("event {id}"),
            })?;
        let p = event.venue.location;
        self.open_outside(&format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}",
            lat = p.lat,
            lng = p.lng
        ))
    }

    pub async fn create_order(
        &self,
        event_id: Uuid,
        lines: Vec<OrderLineInput>,
    ) -> Result<OrderView, AppError> {
        let input = OrderInput { event_id, lines };
        Ok(self.signed_in_api().await?.create_order(&input).await?)
    }

    /// Starts paying: a hosted page opens in the system browser (card details never pass
    /// through the app); CliQ answers with the transfer instructions.
    pub async fn pay_order(&self, order_id: Uuid, method: String) -> Result<PayView, AppError> {
        let view = self
            .signed_in_api()
            .await?
            .pay(order_id, &PayInput { method })
            .await?;
        if let Some(url) = &view.redirect_url {
            self.open_outside(url)?;
        }
        if view.order.status == hafla_core::wire::OrderStatus::Paid {
            self.sync.restart();
        }
        Ok(view)
    }

    /// The order as the server has it now; once paid, the tickets are fetched at once.
    pub async fn order(&self, order_id: Uuid) -> Result<OrderView, AppError> {
        let order = self.signed_in_api().await?.order(order_id).await?;
        if order.status == hafla_core::wire::OrderStatus::Paid
            && !self
                .my_tickets()?
                .iter()
                .any(|t| t.ticket.order_id == order.id)
        {
            self.sync.restart();
        }
        Ok(order)
    }

    pub async fn my_orders(&self) -> Result<Vec<OrderView>, AppError> {
        Ok(self.signed_in_api().await?.my_orders().await?.orders)
    }

    /// The person's tickets as the device holds them: offline, soonest event first.
    pub fn my_tickets(&self) -> Result<Vec<MyTicket>, AppError> {
        Ok(self.db().my_tickets()?)
    }

    fn my_ticket(&self, id: Uuid) -> Result<MyTicket, AppError> {
        self.my_tickets()?
            .into_iter()
            .find(|t| t.ticket.id == id)
            .ok_or_else(|| AppError::NotOnDevice {
                what: format!("ticket {id}"),
            })
    }

    /// The ticket's QR code, drawn here from the credential the device holds.
    pub fn ticket_qr(&self, id: Uuid) -> Result<TicketQr, AppError> {
        let ticket = self.my_ticket(id)?;
        let credential = ticket.credential.ok_or_else(|| AppError::NotOnDevice {
            what: format!("a valid credential of ticket {id}"),
        })?;
        let svg = hafla_core::qr::render_svg(&credential.text, QR_SIZE_PX).map_err(|e| {
            AppError::System {
                action: "drawing the QR code",
                reason: e.to_string(),
            }
        })?;
        Ok(TicketQr {
            svg,
            refresh_secs: None,
        })
    }

    /// Saves the ticket's event as an .ics file in the downloads folder and opens it with
    /// the calendar app; returns the file's path.
    pub fn save_to_calendar(&self, id: Uuid) -> Result<String, AppError> {
        let ticket = self.my_ticket(id)?;
        let ics = calendar::ics(&ticket, self.lang(), jiff::Timestamp::now());
        let path = self.data_path(&format!("hafla-{}.ics", ticket.ticket.id))?;
        self.write_file(&path, ics.as_bytes())?;
        let shown = path.display().to_string();
        if let Err(e) = self.outside.open(&shown) {
            // Saved is what was asked; opening is a courtesy.
            eprintln!("hafla-app: opening {shown}: {e}");
        }
        Ok(shown)
    }

    /// Gives the ticket to another Hafla account (by email, or by phone when the text is a
    /// number); the ticket leaves this device at the next sync.
    pub async fn transfer_ticket(&self, id: Uuid, recipient: &str) -> Result<(), AppError> {
        let recipient = recipient.trim();
        if recipient.is_empty() {
            return Err(AppError::Invalid { field: "recipient" });
        }
        let input = if recipient.contains('@') {
            TransferInput {
                email: Some(recipient.to_owned()),
                phone: None,
            }
        } else {
            TransferInput {
                email: None,
                phone: Some(recipient.to_owned()),
            }
        };
        self.signed_in_api()
            .await?
            .transfer_ticket(id, &input)
            .await?;
        self.sync.restart();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply, closed_url, event_json, hold_ticket, test_core};
    use crate::views::Point;
    use hafla_core::Lang;
    use hafla_core::wire::sync::{RowKind, Scope};

    const AMMAN: (f64, f64) = (31.9517, 35.9394);
    const IRBID: (f64, f64) = (32.5556, 35.85);
    const AQABA: (f64, f64) = (29.5321, 35.0063);

    fn filter(query: &str) -> EventFilter {
        EventFilter {
            query: query.into(),
            category: None,
            city: None,
            near: None,
            limit: 50,
        }
    }

    fn catalog(core: &AppCore) -> [Uuid; 3] {
        let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        let rows = vec![
            (
                ids[0],
                ("ليلة عود", "Oud night"),
                "music",
                "amman",
                AMMAN,
                "2027-01-03T18:00:00Z",
            ),
            (
                ids[1],
                ("مهرجان الطعام", "Food festival"),
                "food",
                "irbid",
                IRBID,
                "2027-01-01T18:00:00Z",
            ),
            (
                ids[2],
                ("عود على البحر", "Oud by the sea"),
                "music",
                "aqaba",
                AQABA,
                "2027-01-02T18:00:00Z",
            ),
        ]
        .into_iter()
        .map(|(id, title, cat, city, at, starts)| {
            (id.to_string(), event_json(id, title, cat, city, at, starts))
        })
        .collect();
        apply(core, Scope::Catalog, RowKind::Event, rows);
        ids
    }

    fn ids(cards: &[EventCard]) -> Vec<Uuid> {
        cards.iter().map(|c| c.event.id).collect()
    }

    #[test]
    fn arabic_words_find_events_offline_soonest_first() {
        let t = test_core(&closed_url());
        let [amman, _, aqaba] = catalog(&t.core);
        let found = t.core.search_events(&filter("عود")).unwrap();
        assert_eq!(ids(&found), vec![aqaba, amman]);
        assert!(found.iter().all(|c| c.distance_km.is_none()));
    }

    #[test]
    fn category_and_city_narrow_the_results() {
        let t = test_core(&closed_url());
        let [amman, irbid, _] = catalog(&t.core);
        let mut f = filter("");
        f.category = Some(hafla_core::wire::Category::Food);
        assert_eq!(ids(&t.core.search_events(&f).unwrap()), vec![irbid]);
        let mut f = filter("");
        f.city = Some(hafla_core::places::City::Amman);
        assert_eq!(ids(&t.core.search_events(&f).unwrap()), vec![amman]);
    }

    #[test]
    fn near_a_point_the_nearest_event_comes_first_with_its_distance() {
        let t = test_core(&closed_url());
        let [amman, irbid, aqaba] = catalog(&t.core);
        let mut f = filter("");
        f.near = Some(Point {
            lat: IRBID.0,
            lng: IRBID.1,
        });
        let found = t.core.search_events(&f).unwrap();
        assert_eq!(ids(&found), vec![irbid, amman, aqaba]);
        assert_eq!(found[0].distance_km, Some(0.0));
        let to_amman = found[1].distance_km.unwrap();
        assert!((60.0..80.0).contains(&to_amman), "{to_amman}");
    }

    #[test]
    fn a_point_off_the_globe_or_an_endless_query_is_refused() {
        let t = test_core(&closed_url());
        let mut f = filter("");
        f.near = Some(Point {
            lat: 91.0,
            lng: 0.0,
        });
        let err = t.core.search_events(&f).unwrap_err();
        assert_eq!(err.code(), hafla_core::wire::ErrorCode::InvalidParameter);
        let err = t.core.search_events(&filter(&"ع".repeat(201))).unwrap_err();
        assert_eq!(err.code(), hafla_core::wire::ErrorCode::InvalidParameter);
    }

    #[test]
    fn a_held_tickets_qr_is_drawn_on_the_device_without_a_server() {
        let t = test_core(&closed_url());
        let ticket = hold_ticket(&t.core, Some("HF:TESTCREDENTIAL"));
        let qr = t.core.ticket_qr(ticket).unwrap();
        assert!(
            qr.svg.starts_with("<svg") || qr.svg.contains("<svg"),
            "{}",
            &qr.svg[..40]
        );
        assert_eq!(qr.refresh_secs, None);
        assert_eq!(t.core.my_tickets().unwrap().len(), 1);
    }

    #[test]
    fn a_ticket_without_a_valid_credential_or_unknown_has_no_qr() {
        let t = test_core(&closed_url());
        let ticket = hold_ticket(&t.core, None);
        let code = |id| t.core.ticket_qr(id).unwrap_err().code();
        assert_eq!(code(ticket), hafla_core::wire::ErrorCode::NotFound);
        assert_eq!(code(Uuid::now_v7()), hafla_core::wire::ErrorCode::NotFound);
    }

    #[test]
    fn add_to_calendar_saves_an_ics_in_downloads_in_the_chosen_language_and_opens_it() {
        let t = test_core(&closed_url());
        t.core.set_language(Lang::Ar).unwrap();
        let ticket = hold_ticket(&t.core, Some("HF:X"));
        let path = t.core.save_to_calendar(ticket).unwrap();
        assert!(path.starts_with(t.dir.path().join("downloads").to_str().unwrap()));
        let ics = std::fs::read_to_string(&path).unwrap().replace("\r\n ", "");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        // The Arabic comma is text; only ASCII `,` and `;` are escaped.
        assert!(ics.contains("SUMMARY:ليلة عود، وطرب\r\n"), "{ics}");
        assert!(ics.contains("DTSTART:20270103T180000Z"), "{ics}");
        assert!(ics.contains(&format!("hafla://ticket/{ticket}")), "{ics}");
        assert_eq!(t.outside.opened.lock().unwrap().as_slice(), [path]);
    }

    #[tokio::test]
    async fn buying_while_signed_out_says_so_and_changes_nothing() {
        let t = test_core(&closed_url());
        let err = t
            .core
            .create_order(Uuid::now_v7(), vec![])
            .await
            .unwrap_err();
        assert_eq!(err.code(), hafla_core::wire::ErrorCode::Unauthenticated);
        assert!(t.outside.opened.lock().unwrap().is_empty());
    }
}
