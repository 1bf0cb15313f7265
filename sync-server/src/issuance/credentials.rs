//! Ticket credentials: the signed text a ticket's QR code carries (`hafla_core::credential`),
//! made for its holder on demand with the event's active signing key. A credential says
//! nothing personal: the event's number, the ticket's serial and type number, and when it
//! admits.

use super::{EventKeys, IssuanceError};
use crate::store::tickets::CredentialFacts;
use hafla_core::credential::{Claims, Credential};

/// How long before an event starts its tickets admit (doors open early), and how long after
/// it ends (people leave and come back). A credential's window is in whole hours.
pub const ADMITS_BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_hours(12);
pub const ADMITS_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(6);

/// What the credential of a ticket claims, signed by key `key_id`.
pub fn claims(facts: &CredentialFacts, key_id: u32) -> Result<Claims, IssuanceError> {
    let (valid_from_hour, valid_hours) = Claims::window(
        facts.starts_at - ADMITS_BEFORE,
        facts.ends_at + ADMITS_AFTER,
    )?;
    Ok(Claims {
        key_id,
        event_ref: facts.ticket.event_ref,
        ticket_serial: facts.ticket.serial,
        ticket_type: facts.ticket_type_number,
        valid_from_hour,
        valid_hours,
        rotating: false,
    })
}

/// The credential of a ticket, signed now with its event's active key.
pub async fn credential(
    keys: &EventKeys,
    facts: &CredentialFacts,
) -> Result<Credential, IssuanceError> {
    let key = keys.signing_key(facts.ticket.event_id).await?;
    Ok(Credential::issue(claims(facts, key.key_id())?, &key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::payments::Ticket;
    use uuid::Uuid;

    fn facts() -> CredentialFacts {
        CredentialFacts {
            ticket: Ticket {
                id: Uuid::now_v7(),
                order_id: Uuid::now_v7(),
                event_id: Uuid::now_v7(),
                ticket_type_id: Uuid::now_v7(),
                serial: 42,
                event_ref: 7,
                holder_id: Uuid::now_v7(),
                valid: true,
                issued_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            },
            ticket_type_number: 1,
            starts_at: "2026-12-11T18:00:00Z".parse().unwrap(),
            ends_at: "2026-12-11T21:30:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_credential_admits_from_half_a_day_before_to_six_hours_after_the_event() {
        let claims = claims(&facts(), 9).unwrap();
        assert_eq!(
            (
                claims.key_id,
                claims.event_ref,
                claims.ticket_serial,
                claims.ticket_type
            ),
            (9, 7, 42, 1)
        );
        assert_eq!(claims.valid_from(), "2026-12-11T06:00:00Z".parse().unwrap());
        assert_eq!(
            claims.valid_until(),
            "2026-12-12T04:00:00Z".parse().unwrap()
        );
        assert!(!claims.rotating);
    }

    #[test]
    fn a_credential_signed_with_the_events_key_verifies_with_its_public_key() {
        let key = hafla_core::credential::keys::TicketSigningKey::generate(9).unwrap();
        let credential = Credential::issue(claims(&facts(), 9).unwrap(), &key);
        let mut ring = hafla_core::credential::keys::KeyRing::default();
        ring.insert(key.public());
        let read = Credential::parse(&credential.to_text()).unwrap();
        assert_eq!(read.signature_is_valid(&ring), Some(true));
    }
}
