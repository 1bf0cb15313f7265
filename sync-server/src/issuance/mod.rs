//! Issuing tickets' credentials: the keys that sign them and how the server keeps those keys.
//!
//! * [`vault`]: the operator's [`MasterKey`] and the sealed (encrypted, authenticated) form
//!   in which every secret is stored;
//! * [`keys`]: [`EventKeys`], one active Ed25519 signing key per event, created on first
//!   need, rotated on demand, older keys kept for verification; and master-key rotation;
//! * [`credentials`]: a ticket's credential, made for its holder with its event's key.
//!
//! **Invariant: a signing key's secret is in the database only sealed under the master key,
//! bound to its event and key id.** The master key itself is never stored; it comes from
//! `HAFLA_MASTER_KEY` or a key file, and prints only as its fingerprint.

pub mod credentials;
pub mod keys;
pub mod vault;

pub use keys::{EventKeys, IssuanceError};
pub use vault::{Fingerprint, MASTER_KEY_ENV, MasterKey, MasterKeyError, Sealed, VaultError};
