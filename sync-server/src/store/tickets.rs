//! Tickets after the sale: who holds which, and handing one to someone else. A transfer
//! revokes the old ticket (its credential stops admitting) and issues a new one, with a
//! new serial, to the recipient, in one transaction.

use super::StoreError;
use super::payments::Ticket;
use async_trait::async_trait;
use uuid::Uuid;

/// Why a ticket cannot be transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferRefusal {
    #[error("the ticket is no longer valid")]
    NotValid,
    #[error("the ticket is already the recipient's")]
    ToSelf,
    #[error("the event is over or cancelled")]
    EventOver,
}

impl TransferRefusal {
    pub fn key(self) -> &'static str {
        match self {
            TransferRefusal::NotValid => "not_valid",
            TransferRefusal::ToSelf => "to_self",
            TransferRefusal::EventOver => "event_over",
        }
    }
}

/// The rules of a transfer, for both backends.
pub(crate) fn check_transfer(
    ticket: &Ticket,
    to: Uuid,
    event_status: hafla_core::wire::EventStatus,
    event_ends_at: jiff::Timestamp,
    now: jiff::Timestamp,
) -> Result<(), TransferRefusal> {
    if !ticket.valid {
        return Err(TransferRefusal::NotValid);
    }
    if ticket.holder_id == to {
        return Err(TransferRefusal::ToSelf);
    }
    if event_status == hafla_core::wire::EventStatus::Cancelled || event_ends_at <= now {
        return Err(TransferRefusal::EventOver);
    }
    Ok(())
}

/// What a ticket's credential says besides its key: filled from the ticket, its type and
/// its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialFacts {
    pub ticket: Ticket,
    /// The ticket type's number within its event (its position), as credentials carry it.
    pub ticket_type_number: u16,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// A ticket with what its credential needs to say.
    async fn credential_facts(
        &self,
        ticket_id: Uuid,
    ) -> Result<Option<CredentialFacts>, StoreError>;

    async fn ticket(&self, id: Uuid) -> Result<Option<Ticket>, StoreError>;

    /// The tickets someone holds (valid or not), newest first.
    async fn tickets_of_holder(
        &self,
        holder_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError>;

    /// Gives ticket `ticket_id` of `from` to `to`: the old one is revoked as transferred,
    /// a new one issued to `to`. `NotFound("ticket")` when `from` does not hold it.
    async fn transfer_ticket(
        &self,
        ticket_id: Uuid,
        from: Uuid,
        to: Uuid,
        now: jiff::Timestamp,
    ) -> Result<Ticket, StoreError>;
}
