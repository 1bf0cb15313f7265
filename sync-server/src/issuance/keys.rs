//! Each event's ticket-signing keys, kept in the store sealed under the master key.
//!
//! An event's first key is made when it is first needed; instances racing to make it all
//! end up with the one the database let in. [`EventKeys::rotate`] makes a new active key
//! and retires the previous one, which stays listed so tickets it signed keep verifying.
//! The sealed secret's associated data names its event, key id and public key: a blob
//! copied into another row does not open, and a public key changed in the database is
//! caught when its secret is opened (as [`EventKeys::public_keys`] does for every key).

use super::vault::{Fingerprint, MasterKey, Sealed, VaultError};
use crate::store::{NewSigningKey, Reseal, Store, StoreError, StoredSigningKey};
use hafla_core::credential::keys::{KeyError, KeyRing, TicketPublicKey, TicketSigningKey};
use std::sync::Arc;
use uuid::Uuid;

/// Domain separation of the associated data of sealed signing keys.
const ASSOCIATED_TAG: &[u8] = b"hafla/ticket-signing-key/v1\0";
/// How often to look again for an event's active key while others keep changing it.
const ATTEMPTS: usize = 3;
/// Sealed secrets re-sealed per transaction by [`EventKeys::reseal_all`].
const RESEAL_BATCH: u32 = 100;

#[derive(Debug, thiserror::Error)]
pub enum IssuanceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret was sealed under another master key than the one used to open it.
    #[error(
        "signing key {key_id} is sealed under master key {found}, not {expected}: give the master key it was sealed with (or reseal it)"
    )]
    WrongMasterKey {
        key_id: u32,
        expected: Fingerprint,
        found: Fingerprint,
    },
    /// The sealed secret does not open: altered, or moved from another row.
    #[error("signing key {key_id} cannot be opened: {source}")]
    Sealed { key_id: u32, source: VaultError },
    /// It opened, but what it holds does not match its row.
    #[error("signing key {key_id} is damaged: {reason}")]
    Damaged { key_id: u32, reason: &'static str },
    #[error("cannot make a signing key: {0}")]
    Key(#[from] KeyError),
    #[error("the active signing key of event {0} kept changing; try again")]
    Contended(Uuid),
    #[error("the old and new master keys are the same key ({0})")]
    SameMasterKey(Fingerprint),
    /// The event's dates do not fit a credential's window (before 2024, or years long).
    #[error("the event's dates do not fit a credential: {0}")]
    Window(#[from] hafla_core::credential::WindowError),
}

fn sealed_error(key_id: u32, e: VaultError) -> IssuanceError {
    match e {
        VaultError::WrongMasterKey { expected, found } => IssuanceError::WrongMasterKey {
            key_id,
            expected,
            found,
        },
        source => IssuanceError::Sealed { key_id, source },
    }
}

/// What a signing key's sealed secret is bound to.
fn associated_data(event_id: Uuid, key_id: u32, public_key: &[u8; 32]) -> Vec<u8> {
    let mut data = Vec::with_capacity(ASSOCIATED_TAG.len() + 16 + 4 + 32);
    data.extend_from_slice(ASSOCIATED_TAG);
    data.extend_from_slice(event_id.as_bytes());
    data.extend_from_slice(&key_id.to_be_bytes());
    data.extend_from_slice(public_key);
    data
}

/// Opens a stored key with `master` and checks it is the key its row says.
fn open(master: &MasterKey, stored: &StoredSigningKey) -> Result<TicketSigningKey, IssuanceError> {
    let key_id = stored.key_id;
    let sealed = Sealed::from_bytes(&stored.sealed_secret).map_err(|e| sealed_error(key_id, e))?;
    let text = master
        .open(
            &sealed,
            &associated_data(stored.event_id, key_id, &stored.public_key),
        )
        .map_err(|e| sealed_error(key_id, e))?;
    let damaged = |reason| IssuanceError::Damaged { key_id, reason };
    let text = std::str::from_utf8(&text).map_err(|_| damaged("not a key text"))?;
    let key = TicketSigningKey::from_secret_text(text).map_err(|_| damaged("not a key text"))?;
    if key.key_id() != key_id {
        return Err(damaged("it holds another key id"));
    }
    if key.public().key.to_bytes() != stored.public_key {
        return Err(damaged("its public key does not match its secret"));
    }
    Ok(key)
}

/// Seals `key` for its row.
fn seal(
    master: &MasterKey,
    event_id: Uuid,
    key: &TicketSigningKey,
) -> Result<Vec<u8>, IssuanceError> {
    let key_id = key.key_id();
    let public_key = key.public().key.to_bytes();
    let sealed = master
        .seal(
            key.to_secret_text().as_bytes(),
            &associated_data(event_id, key_id, &public_key),
        )
        .map_err(|e| sealed_error(key_id, e))?;
    Ok(sealed.to_bytes())
}

/// The signing keys of every event, over any store, under one master key. Cheap to clone.
#[derive(Clone)]
pub struct EventKeys {
    store: Arc<dyn Store>,
    master: Arc<MasterKey>,
}

impl std::fmt::Debug for EventKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventKeys({:?})", self.master)
    }
}

impl EventKeys {
    pub fn new(store: Arc<dyn Store>, master: MasterKey) -> EventKeys {
        EventKeys {
            store,
            master: Arc::new(master),
        }
    }

    /// The fingerprint of the master key new secrets are sealed under.
    pub fn master_fingerprint(&self) -> Fingerprint {
        self.master.fingerprint()
    }

    /// The event's active signing key, made (and stored sealed) if it has none yet.
    /// `Store(NotFound("event"))` for an unknown event.
    pub async fn signing_key(&self, event_id: Uuid) -> Result<TicketSigningKey, IssuanceError> {
        for _ in 0..ATTEMPTS {
            if let Some(stored) = self.store.active_signing_key(event_id).await? {
                return open(&self.master, &stored);
            }
            let (new, key) = self.make(event_id).await?;
            if self.store.insert_signing_key(new).await? {
                tracing::info!(%event_id, key_id = key.key_id(), "made the event's signing key");
                return Ok(key);
            }
            // Another instance or task made the event's key first: use that one.
        }
        Err(IssuanceError::Contended(event_id))
    }

    /// Makes a new active key for the event and retires the previous one (still listed by
    /// [`EventKeys::public_keys`]). Returns the new active key's id; when a concurrent
    /// rotation won, that is the id of its key, just as new.
    pub async fn rotate(&self, event_id: Uuid) -> Result<u32, IssuanceError> {
        let (new, key) = self.make(event_id).await?;
        match self.store.rotate_signing_key(new).await {
            Ok(retired) => {
                tracing::info!(%event_id, key_id = key.key_id(), ?retired, "rotated the event's signing key");
                Ok(key.key_id())
            }
            Err(StoreError::Conflict("active_signing_key")) => self
                .store
                .active_signing_key(event_id)
                .await?
                .map(|k| k.key_id)
                .ok_or(IssuanceError::Contended(event_id)),
            Err(e) => Err(e.into()),
        }
    }

    /// Every public key of the event, active and retired, oldest first: what its door list
    /// carries. Each secret is opened to prove its public key was not changed in the database.
    pub async fn public_keys(&self, event_id: Uuid) -> Result<Vec<TicketPublicKey>, IssuanceError> {
        self.store
            .signing_keys(event_id)
            .await?
            .iter()
            .map(|stored| open(&self.master, stored).map(|key| key.public()))
            .collect()
    }

    /// [`EventKeys::public_keys`] as the ring a door verifies with.
    pub async fn key_ring(&self, event_id: Uuid) -> Result<KeyRing, IssuanceError> {
        let mut ring = KeyRing::default();
        for key in self.public_keys(event_id).await? {
            ring.insert(key);
        }
        Ok(ring)
    }

    /// Master-key rotation: re-seals every stored secret from `old` to `new`, one
    /// transaction per batch; afterwards `old` opens nothing. Secrets already under `new`
    /// are left as they are, so an interrupted run is finished by running it again. Any
    /// secret under a third key stops it with [`IssuanceError::WrongMasterKey`] (batches
    /// done so far stay done). Returns how many secrets were re-sealed. Run it while no
    /// server is making keys under `old`, then start them with `new`.
    pub async fn reseal_all(&self, old: &MasterKey, new: &MasterKey) -> Result<u64, IssuanceError> {
        self.reseal_in_batches(old, new, RESEAL_BATCH).await
    }

    pub(crate) async fn reseal_in_batches(
        &self,
        old: &MasterKey,
        new: &MasterKey,
        batch: u32,
    ) -> Result<u64, IssuanceError> {
        if old.fingerprint() == new.fingerprint() {
            return Err(IssuanceError::SameMasterKey(new.fingerprint()));
        }
        let (mut after, mut resealed) = (0, 0);
        loop {
            let page = self.store.signing_keys_after(after, batch).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.key_id;
            let mut reseals = Vec::with_capacity(page.len());
            for stored in &page {
                let sealed = Sealed::from_bytes(&stored.sealed_secret)
                    .map_err(|e| sealed_error(stored.key_id, e))?;
                if sealed.master_fingerprint() == new.fingerprint() {
                    continue;
                }
                let key = open(old, stored)?;
                reseals.push(Reseal {
                    key_id: stored.key_id,
                    expected: stored.sealed_secret.clone(),
                    sealed_secret: seal(new, stored.event_id, &key)?,
                });
            }
            if !reseals.is_empty() {
                resealed += reseals.len() as u64;
                self.store.reseal_signing_keys(reseals).await?;
            }
        }
        tracing::info!(
            resealed,
            from = %old.fingerprint(),
            to = %new.fingerprint(),
            "re-sealed the signing keys under the new master key"
        );
        Ok(resealed)
    }

    /// A fresh key with a new id, and its row.
    async fn make(
        &self,
        event_id: Uuid,
    ) -> Result<(NewSigningKey, TicketSigningKey), IssuanceError> {
        let key_id = self.store.next_key_id().await?;
        let key = TicketSigningKey::generate(key_id)?;
        let new = NewSigningKey {
            event_id,
            key_id,
            public_key: key.public().key.to_bytes(),
            sealed_secret: seal(&self.master, event_id, &key)?,
            created_at: jiff::Timestamp::now(),
        };
        Ok((new, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;
    use crate::store::signing_keys_conformance::event;

    fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        (dir, Arc::new(store))
    }

    fn secret_hex(key: &TicketSigningKey) -> String {
        let text = key.to_secret_text();
        text.rsplit(':').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn no_debug_form_shows_a_secret() {
        let (_dir, store) = sqlite();
        let event_id = event(&store).await;
        let master = MasterKey::generate().unwrap();
        let master_text = master.to_base64().to_string();
        let keys = EventKeys::new(store.clone(), master);
        let key = keys.signing_key(event_id).await.unwrap();
        let hex = secret_hex(&key);
        let stored = store.active_signing_key(event_id).await.unwrap().unwrap();
        let sealed = Sealed::from_bytes(&stored.sealed_secret).unwrap();
        for shown in [
            format!("{key:?}"),
            format!("{keys:?}"),
            format!("{stored:?}"),
            format!("{sealed:?}"),
            format!("{:?}", keys.public_keys(event_id).await.unwrap()),
        ] {
            assert!(!shown.contains(&hex), "{shown}");
            assert!(
                !shown.contains(master_text.trim_end_matches('=')),
                "{shown}"
            );
        }
        assert!(format!("{keys:?}").contains(&keys.master_fingerprint().to_string()));
    }

    /// Someone with write access to the database but not the master key swaps a public key
    /// for their own, hoping doors will accept tickets they sign: the door list refuses it.
    #[tokio::test]
    async fn a_public_key_changed_in_the_database_is_caught() {
        let (dir, store) = sqlite();
        let event_id = event(&store).await;
        let keys = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
        let key = keys.signing_key(event_id).await.unwrap();
        let forger = TicketSigningKey::generate(key.key_id()).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("hafla.db")).unwrap();
        conn.execute(
            "UPDATE signing_keys SET public_key = ?1 WHERE key_id = ?2",
            rusqlite::params![forger.public().key.to_bytes(), key.key_id()],
        )
        .unwrap();
        let err = keys.public_keys(event_id).await.unwrap_err();
        assert!(
            matches!(
                err,
                IssuanceError::Sealed {
                    source: VaultError::Undecryptable,
                    ..
                }
            ),
            "{err}"
        );
        assert!(keys.signing_key(event_id).await.is_err());
    }
}
