//! Storage of the Ed25519 keys that sign ticket credentials, one set per event.
//!
//! An event has at most one active key (the database enforces it with a partial unique
//! index, so two instances creating the first key at once cannot both win) and keeps its
//! retired keys, so tickets they signed still verify. Key ids come from one server-wide
//! counter and are never reused. Secrets are stored only sealed under the master key
//! (`issuance::vault`); this layer never sees them in clear. `issuance::EventKeys` is the
//! service on top.

use super::StoreError;
use async_trait::async_trait;
use uuid::Uuid;

/// A signing key as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub key_id: u32,
    pub event_id: Uuid,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
    /// The secret key sealed under the master key (an `issuance::vault::Sealed` blob).
    pub sealed_secret: Vec<u8>,
    pub created_at: jiff::Timestamp,
    /// When it stopped signing; `None` for the event's active key.
    pub retired_at: Option<jiff::Timestamp>,
}

impl StoredSigningKey {
    pub fn is_active(&self) -> bool {
        self.retired_at.is_none()
    }
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("key_id", &self.key_id)
            .field("event_id", &self.event_id)
            .field(
                "sealed_secret",
                &format_args!("<{} bytes>", self.sealed_secret.len()),
            )
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A key to store as its event's active key.
#[derive(Clone)]
pub struct NewSigningKey {
    pub event_id: Uuid,
    /// From [`SigningKeyStore::next_key_id`].
    pub key_id: u32,
    pub public_key: [u8; 32],
    pub sealed_secret: Vec<u8>,
    pub created_at: jiff::Timestamp,
}

/// One sealed secret replaced by its re-sealed form (master-key rotation).
#[derive(Clone)]
pub struct Reseal {
    pub key_id: u32,
    /// The sealed secret as read; the row is changed only if it still holds exactly this.
    pub expected: Vec<u8>,
    pub sealed_secret: Vec<u8>,
}

#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// A key id never handed out before on this server (increasing; gaps are possible).
    async fn next_key_id(&self) -> Result<u32, StoreError>;
    /// Stores `key` as its event's active key, unless the event already has one: then
    /// nothing is written and the answer is `false` (read the winner with
    /// [`SigningKeyStore::active_signing_key`]). `NotFound("event")` for an unknown event,
    /// `Conflict("signing_key_id")` for a key id already stored.
    async fn insert_signing_key(&self, key: NewSigningKey) -> Result<bool, StoreError>;
    /// In one transaction: retires the event's active key (if any) at `key.created_at` and
    /// stores `key` as the active one. Returns the id of the key retired.
    /// `Conflict("active_signing_key")` when another key became active meanwhile (a
    /// concurrent rotation or creation won; nothing was changed).
    async fn rotate_signing_key(&self, key: NewSigningKey) -> Result<Option<u32>, StoreError>;
    /// Retires a key: it no longer signs, but stays listed for verification. `false` when
    /// it was already retired; `NotFound("signing_key")` when there is no such key.
    async fn retire_signing_key(
        &self,
        key_id: u32,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError>;
    /// The event's active key.
    async fn active_signing_key(
        &self,
        event_id: Uuid,
    ) -> Result<Option<StoredSigningKey>, StoreError>;
    /// Every key of the event, active and retired, oldest first.
    async fn signing_keys(&self, event_id: Uuid) -> Result<Vec<StoredSigningKey>, StoreError>;
    async fn signing_key_by_id(&self, key_id: u32) -> Result<Option<StoredSigningKey>, StoreError>;
    /// Keys of every event with ids above `after_key_id`, by id, at most `limit`: to walk all
    /// sealed secrets in batches.
    async fn signing_keys_after(
        &self,
        after_key_id: u32,
        limit: u32,
    ) -> Result<Vec<StoredSigningKey>, StoreError>;
    /// Replaces sealed secrets in one transaction: all of them, or none and
    /// `Conflict("sealed_secret")` when a row no longer holds its `expected` blob (another
    /// reseal ran meanwhile) or is gone.
    async fn reseal_signing_keys(&self, reseals: Vec<Reseal>) -> Result<(), StoreError>;
}

/// One stored row turned back into a [`StoredSigningKey`], checked the same way on both
/// backends.
pub(crate) fn stored_key(
    key_id: i64,
    event_id: Uuid,
    public_key: Vec<u8>,
    sealed_secret: Vec<u8>,
    created_at: i64,
    retired_at: Option<i64>,
) -> Result<StoredSigningKey, StoreError> {
    let key_id = u32::try_from(key_id)
        .map_err(|_| StoreError::Corrupt(format!("signing key id {key_id}")))?;
    let public_key = public_key
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("public key of signing key {key_id}")))?;
    Ok(StoredSigningKey {
        key_id,
        event_id,
        public_key,
        sealed_secret,
        created_at: super::rows::timestamp(created_at)?,
        retired_at: retired_at.map(super::rows::timestamp).transpose()?,
    })
}
