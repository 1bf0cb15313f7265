//! The confirmation mail of a paid order: in the buyer's language, with each ticket's QR
//! code and the event's calendar entry (`mail::order_confirmation_email`). Sending is best
//! effort: a mail that cannot be made or sent is logged, and the tickets are in the app
//! anyway. Buyers without an email address (signed up by phone) get none.

use super::Checkout;
use crate::mail::{
    EmailAddress, OrderReceipt, ReceiptEvent, ReceiptLine, ReceiptPayment, ReceiptTicket,
    order_confirmation_email,
};
use crate::store::orders::Order;

impl Checkout {
    /// Mails the buyer of a paid order its receipt and tickets.
    pub(super) async fn send_receipt(&self, order: &Order, now: jiff::Timestamp) {
        match self.receipt(order, now).await {
            Ok(Some(email)) => {
                if let Err(e) = self.mailer.send(&email).await {
                    tracing::warn!(order = %order.id, error = %e, "the order's receipt was not sent");
                }
            }
            Ok(None) => {}
            Err(reason) => {
                tracing::error!(order = %order.id, %reason, "the order's receipt could not be made");
            }
        }
    }

    async fn receipt(
        &self,
        order: &Order,
        now: jiff::Timestamp,
    ) -> Result<Option<crate::mail::Email>, String> {
        let text = |e: &dyn std::fmt::Display| e.to_string();
        let buyer = self
            .store
            .user_by_id(order.buyer_id)
            .await
            .map_err(|e| text(&e))?
            .ok_or("the buyer is gone")?;
        let Some(address) = buyer.email.as_deref() else {
            return Ok(None);
        };
        let to = EmailAddress::parse(address).map_err(|e| text(&e))?;
        let event = self
            .store
            .event(order.event_id)
            .await
            .map_err(|e| text(&e))?
            .ok_or("the event is gone")?;
        // One key for every ticket of the order: opened once, not per ticket.
        let key = self
            .issuer
            .signing_key(order.event_id)
            .await
            .map_err(|e| text(&e))?;
        let mut tickets = Vec::new();
        for ticket in self
            .store
            .order_tickets(order.id)
            .await
            .map_err(|e| text(&e))?
        {
            let facts = self
                .store
                .credential_facts(ticket.id)
                .await
                .map_err(|e| text(&e))?
                .ok_or("a ticket is gone")?;
            let claims =
                crate::issuance::credentials::claims(&facts, key.key_id()).map_err(|e| text(&e))?;
            let credential = hafla_core::credential::Credential::issue(claims, &key);
            let ticket_type = order
                .lines
                .iter()
                .find(|l| l.ticket_type_id == ticket.ticket_type_id)
                .map(|l| l.name.clone())
                .ok_or("a ticket of no line")?;
            tickets.push(ReceiptTicket {
                ticket_id: ticket.id,
                ticket_type,
                credential_text: credential.to_text(),
            });
        }
        let payment = match order.payment_method.as_deref() {
            Some("cliq") => ReceiptPayment::Cliq {
                alias: self
                    .store
                    .cliq_alias(order.organization_id)
                    .await
                    .map_err(|e| text(&e))?
                    .unwrap_or_default(),
                reference: order.reference.clone(),
            },
            Some("free") | None => ReceiptPayment::Free,
            Some(provider) => ReceiptPayment::Card {
                provider: provider.to_owned(),
            },
        };
        let receipt = OrderReceipt {
            to,
            lang: order.lang,
            buyer_name: buyer.display_name.clone(),
            order_id: order.id,
            order_reference: order.reference.clone(),
            event: ReceiptEvent {
                event_id: event.id,
                title: event.title,
                venue_name: event.venue.name,
                venue_address: event.venue.address,
                lat: event.venue.location.lat,
                lng: event.venue.location.lng,
                starts_at: event.starts_at,
                ends_at: event.ends_at,
                time_zone: event.time_zone,
            },
            lines: order
                .lines
                .iter()
                .map(|l| ReceiptLine {
                    ticket_type: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
                .collect(),
            total: order.total,
            payment,
            tickets,
            tickets_url: Some(format!("hafla://order/{}", order.id)),
        };
        order_confirmation_email(&receipt, now)
            .map(Some)
            .map_err(|e| text(&e))
    }
}
