//! A pull page: the log page of a scope (read by the store in one snapshot) with each row's
//! entity, the cursor to continue from, and the reset and digest rules.

use super::cursor::{self, Position};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::organizer::organizer_view;
use crate::api::tickets::ticket_view;
use crate::store::StoredEvent;
use crate::store::sync::{Count, LogPage, LogPosition, LogRow, ScopeKey, ScopeKind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hafla_core::wire::sync::{DoorKey, DoorTicketType, MyTicket, RowKind, SyncPage, SyncRow};
use hafla_core::wire::{EventSummary, TicketCredential};
use std::collections::HashMap;
use uuid::Uuid;

/// The scope's head as a position: everything written so far.
fn head_position(page: &LogPage) -> Position {
    page.head.map_or(
        Position {
            epoch: 0,
            at: LogPosition::through(0),
        },
        |h| Position {
            epoch: h.epoch,
            at: LogPosition::through(h.version),
        },
    )
}

/// One page of `scope` after `cursor` (`None`: from the start). A cursor from another life
/// of the scope, or ahead of it (the database was restored), answers the first page with
/// `reset`; that page's cursor is of the current life, so the next pull cannot reset again.
pub(super) async fn page(
    state: &AppState,
    scope: ScopeKey,
    cursor: Option<&str>,
    limit: u32,
    count: Count,
) -> Result<SyncPage, ApiError> {
    let asked = cursor
        .map(|text| {
            cursor::decode(scope, text)
                .ok_or_else(|| ApiError::invalid_parameter("cursor", "not a cursor of this scope"))
        })
        .transpose()?;
    let start = LogPosition::default();
    let after = asked.as_ref().map_or(&start, |p| &p.at);
    let mut log = state.store.log_page(scope, after, limit, count).await?;
    let reset = asked.as_ref().is_some_and(|asked| {
        let now = head_position(&log);
        asked.epoch != now.epoch || asked.at.version > now.at.version
    });
    if reset {
        log = state.store.log_page(scope, &start, limit, count).await?;
    }
    let mut reached = head_position(&log);
    if log.has_more
        && let Some(last) = log.rows.last()
    {
        reached.at = LogPosition::after_row(last);
    }
    let mut entities = Entities::new(state, scope);
    let mut rows = Vec::with_capacity(log.rows.len());
    for row in std::mem::take(&mut log.rows) {
        let data = if row.deleted {
            None
        } else {
            entities.data(&row, &mut log).await?
        };
        rows.push(SyncRow {
            kind: row.kind,
            key: row.wire_key(),
            version: row.version,
            data,
        });
    }
    Ok(SyncPage {
        scope: scope.scope(),
        reset,
        rows,
        cursor: cursor::encode(scope, &reached),
        has_more: log.has_more,
        total: log.live.map(|live| live.count),
        digest: log.live.filter(|_| !log.has_more),
    })
}

/// Reads the entities the store did not read in bulk, each event and key list once a page.
struct Entities<'a> {
    state: &'a AppState,
    scope: ScopeKey,
    events: HashMap<Uuid, Option<StoredEvent>>,
    keys: Option<Vec<DoorKey>>,
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "cannot serialize a sync row");
        ApiError::internal()
    })
}

impl<'a> Entities<'a> {
    fn new(state: &'a AppState, scope: ScopeKey) -> Self {
        Entities {
            state,
            scope,
            events: HashMap::new(),
            keys: None,
        }
    }

    async fn event(&mut self, id: Uuid) -> Result<Option<&StoredEvent>, ApiError> {
        if !self.events.contains_key(&id) {
            let event = self.state.store.event(id).await?;
            self.events.insert(id, event);
        }
        Ok(self.events.get(&id).and_then(Option::as_ref))
    }

    /// The row's entity; `None` when it is gone (a later version of the row says so).
    async fn data(
        &mut self,
        row: &LogRow,
        log: &mut LogPage,
    ) -> Result<Option<serde_json::Value>, ApiError> {
        if let Some(value) = log.data.remove(&(row.kind, row.key.clone())) {
            return Ok(Some(value));
        }
        match row.kind {
            RowKind::OrgEvent => {
                let Some(id) = row.entity_id() else {
                    return Ok(None);
                };
                let event = self.event(id).await?.cloned();
                event.map(|e| json(&organizer_view(e))).transpose()
            }
            RowKind::MyTicket => match row.entity_id() {
                Some(id) => self.my_ticket(id).await,
                None => Ok(None),
            },
            RowKind::TicketType if self.scope.kind == ScopeKind::Door => {
                let number: usize = row.key.parse().unwrap_or(usize::MAX);
                let event_id = self.scope.subject;
                let Some(event) = self.event(event_id).await? else {
                    return Ok(None);
                };
                event
                    .ticket_types
                    .get(number)
                    .map(|t| {
                        json(&DoorTicketType {
                            type_id: t.id,
                            number: number as u16,
                            name: t.name.clone(),
                            entry_policy: t.entry_policy,
                            capacity: t.capacity,
                        })
                    })
                    .transpose()
            }
            RowKind::Key if self.scope.kind == ScopeKind::Door => {
                if self.keys.is_none() {
                    let keys = self.state.store.signing_keys(self.scope.subject).await?;
                    self.keys = Some(
                        keys.into_iter()
                            .map(|k| DoorKey {
                                key_id: k.key_id,
                                public_key: URL_SAFE_NO_PAD.encode(k.public_key),
                            })
                            .collect(),
                    );
                }
                let key_id: Option<u32> = row.key.parse().ok();
                self.keys
                    .iter()
                    .flatten()
                    .find(|k| Some(k.key_id) == key_id)
                    .map(json)
                    .transpose()
            }
            _ => Ok(None),
        }
    }

    async fn my_ticket(&mut self, ticket_id: Uuid) -> Result<Option<serde_json::Value>, ApiError> {
        let Some(facts) = self.state.store.credential_facts(ticket_id).await? else {
            return Ok(None);
        };
        let credential = if facts.ticket.valid {
            let c = crate::issuance::credentials::credential(&self.state.issuer, &facts).await?;
            Some(TicketCredential {
                ticket_id,
                text: c.to_text(),
                valid_from: c.claims.valid_from(),
                valid_until: c.claims.valid_until(),
            })
        } else {
            None
        };
        let Some(event) = self.event(facts.ticket.event_id).await? else {
            return Ok(None);
        };
        let ticket_type = event
            .ticket_types
            .iter()
            .find(|t| t.id == facts.ticket.ticket_type_id)
            .map(|t| t.name.clone())
            .ok_or_else(ApiError::internal)?;
        let mine = MyTicket {
            ticket_type,
            event: summary(event),
            event_status: event.status,
            credential,
            ticket: ticket_view(facts.ticket),
        };
        json(&mine).map(Some)
    }
}

/// An event as the catalog shows it, from its stored form.
fn summary(e: &StoredEvent) -> EventSummary {
    EventSummary {
        id: e.id,
        title: e.title.clone(),
        description: e.description.clone(),
        category: e.category,
        organizer: e.organizer.clone(),
        venue: e.venue.clone(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.time_zone.clone(),
        price_from: e
            .ticket_types
            .iter()
            .map(|t| t.price)
            .min_by_key(|p| p.minor),
    }
}
