//! Ticket holders and transfers in PostgreSQL. A transfer locks the ticket's event row,
//! like everything that changes an event's tickets.

use super::PgStore;
use super::orders::lock_event;
use super::payments::{issue_ticket, revoke};
use crate::store::StoreError;
use crate::store::orders::Actor;
use crate::store::payments::{Revocation, RevokeCause, Ticket, TicketRow};
use crate::store::rows::{event_status, timestamp};
use crate::store::tickets::{CredentialFacts, TicketStore, check_transfer};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

const TICKET_COLUMNS: &str = "t.id, t.order_id, t.event_id, t.ticket_type_id, t.serial::bigint,
    e.credential_ref, t.holder_id, t.status, extract(epoch from t.issued_at)::bigint";

fn ticket_row(row: &PgRow) -> Result<Ticket, StoreError> {
    TicketRow {
        id: row.try_get(0)?,
        order_id: row.try_get(1)?,
        event_id: row.try_get(2)?,
        ticket_type_id: row.try_get(3)?,
        serial: row.try_get(4)?,
        event_ref: row.try_get(5)?,
        holder_id: row.try_get(6)?,
        status: row.try_get(7)?,
        issued_at: row.try_get(8)?,
    }
    .into_ticket()
}

async fn ticket_by_id(c: &mut PgConnection, id: Uuid) -> Result<Option<Ticket>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|row| ticket_row(&row)).transpose()
}

async fn transfer(
    c: &mut PgConnection,
    ticket_id: Uuid,
    from: Uuid,
    to: Uuid,
    now: jiff::Timestamp,
) -> Result<Ticket, StoreError> {
    let event_id: Option<Uuid> = sqlx::query_scalar("SELECT event_id FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *c)
        .await?;
    let event_id = event_id.ok_or(StoreError::NotFound("ticket"))?;
    lock_event(c, event_id).await?;
    let ticket = ticket_by_id(c, ticket_id)
        .await?
        .filter(|t| t.holder_id == from)
        .ok_or(StoreError::NotFound("ticket"))?;
    let row =
        sqlx::query("SELECT status, extract(epoch from ends_at)::bigint FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_one(&mut *c)
            .await?;
    let status: String = row.try_get(0)?;
    check_transfer(
        &ticket,
        to,
        event_status(&status)?,
        timestamp(row.try_get(1)?)?,
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
    revoke(c, ticket.id, cause, at).await?;
    let place = (ticket.order_id, event_id);
    let id = issue_ticket(c, place, ticket.ticket_type_id, to, at).await?;
    ticket_by_id(c, id)
        .await?
        .ok_or(StoreError::NotFound("ticket"))
}

#[async_trait]
impl TicketStore for PgStore {
    async fn credential_facts(
        &self,
        ticket_id: Uuid,
    ) -> Result<Option<CredentialFacts>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            let Some(ticket) = ticket_by_id(&mut c, ticket_id).await? else {
                return Ok(None);
            };
            let row = sqlx::query(
                "SELECT t.position::bigint, extract(epoch from e.starts_at)::bigint,
                        extract(epoch from e.ends_at)::bigint
                 FROM ticket_types t JOIN events e ON e.id = t.event_id WHERE t.id = $1",
            )
            .bind(ticket.ticket_type_id)
            .fetch_one(&mut *c)
            .await?;
            let position: i64 = row.try_get(0)?;
            Ok(Some(CredentialFacts {
                ticket_type_number: u16::try_from(position)
                    .map_err(|_| StoreError::Corrupt(format!("ticket type position {position}")))?,
                starts_at: timestamp(row.try_get(1)?)?,
                ends_at: timestamp(row.try_get(2)?)?,
                ticket,
            }))
        })
        .await
    }

    async fn ticket(&self, id: Uuid) -> Result<Option<Ticket>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            ticket_by_id(&mut c, id).await
        })
        .await
    }

    async fn tickets_of_holder(
        &self,
        holder_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError> {
        self.read(async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {TICKET_COLUMNS} FROM tickets t JOIN events e ON e.id = t.event_id
                 WHERE t.holder_id = $1 ORDER BY t.issued_at DESC, t.id DESC LIMIT $2"
            )))
            .bind(holder_id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(ticket_row).collect()
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
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let ticket = transfer(&mut tx, ticket_id, from, to, now).await?;
            tx.commit().await?;
            Ok(ticket)
        })
        .await
    }
}
