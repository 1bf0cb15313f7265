//! Ticket holders and transfers in SQLite.

use super::SqliteStore;
use super::payments::{issue_ticket, revoke, ticket_row};
use crate::store::StoreError;
use crate::store::orders::Actor;
use crate::store::payments::{Revocation, RevokeCause, Ticket, TicketRow};
use crate::store::rows::{event_status, timestamp};
use crate::store::tickets::{CredentialFacts, TicketStore, check_transfer};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

const TICKET_COLUMNS: &str = "t.id, t.order_id, t.event_id, t.ticket_type_id, t.serial,
    e.credential_ref, t.holder_id, t.status, t.issued_at";

fn ticket_by_id(c: &Connection, id: Uuid) -> Result<Option<Ticket>, StoreError> {
    c.query_row(
        &format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t JOIN events e ON e.id = t.event_id
             WHERE t.id = ?1"
        ),
        [id],
        ticket_row,
    )
    .optional()?
    .map(TicketRow::into_ticket)
    .transpose()
}

fn transfer(
    c: &Connection,
    ticket_id: Uuid,
    from: Uuid,
    to: Uuid,
    now: jiff::Timestamp,
) -> Result<Ticket, StoreError> {
    let ticket = ticket_by_id(c, ticket_id)?
        .filter(|t| t.holder_id == from)
        .ok_or(StoreError::NotFound("ticket"))?;
    let (status, ends_at): (String, i64) = c.query_row(
        "SELECT status, ends_at FROM events WHERE id = ?1",
        [ticket.event_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    check_transfer(
        &ticket,
        to,
        event_status(&status)?,
        timestamp(ends_at)?,
        now,
    )?;
    let at = now.as_second();
    let cause = RevokeCause {
        reason: Revocation::Transferred,
        note: None,
        actor: Actor::Buyer(from),
        refund_id: None,
        release_place: false,
    };
    revoke(c, ticket.id, cause, at)?;
    let id = issue_ticket(
        c,
        (ticket.order_id, ticket.event_id),
        ticket.ticket_type_id,
        to,
        at,
    )?;
    ticket_by_id(c, id)?.ok_or(StoreError::NotFound("ticket"))
}

#[async_trait]
impl TicketStore for SqliteStore {
    async fn credential_facts(
        &self,
        ticket_id: Uuid,
    ) -> Result<Option<CredentialFacts>, StoreError> {
        self.read(move |c| {
            let Some(ticket) = ticket_by_id(c, ticket_id)? else {
                return Ok(None);
            };
            let (position, starts_at, ends_at): (i64, i64, i64) = c.query_row(
                "SELECT t.position, e.starts_at, e.ends_at FROM ticket_types t
                 JOIN events e ON e.id = t.event_id WHERE t.id = ?1",
                [ticket.ticket_type_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            Ok(Some(CredentialFacts {
                ticket_type_number: u16::try_from(position)
                    .map_err(|_| StoreError::Corrupt(format!("ticket type position {position}")))?,
                starts_at: timestamp(starts_at)?,
                ends_at: timestamp(ends_at)?,
                ticket,
            }))
        })
        .await
    }

    async fn ticket(&self, id: Uuid) -> Result<Option<Ticket>, StoreError> {
        self.read(move |c| ticket_by_id(c, id)).await
    }

    async fn tickets_of_holder(
        &self,
        holder_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM tickets t JOIN events e ON e.id = t.event_id
                 WHERE t.holder_id = ?1 ORDER BY t.issued_at DESC, t.id DESC LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(params![holder_id, limit], ticket_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(TicketRow::into_ticket).collect()
        })
        .await
    }

    async fn transfer_ticket(
        &self,
        ticket_id: Uuid,
        from: Uuid,
        to: Uuid,
        now: jiff::Timestamp,
    ) -> Result<Ticket, StoreError> {
        self.write(move |tx| transfer(tx, ticket_id, from, to, now))
            .await
    }
}
