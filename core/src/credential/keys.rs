//! Ed25519 keys that sign ticket credentials, and the ring of public keys a door holds.
//!
//! A key is known by a small numeric id that the credential carries. Keys rotate: the
//! issuer signs with its one active key; retired keys stay in the door's ring so tickets
//! they signed keep verifying until the tickets themselves expire. A key id the ring does
//! not hold (never issued, or removed after a compromise) is refused.

use ed25519_dalek::{SigningKey, VerifyingKey};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

const SECRET_PREFIX: &str = "hafla-sk1:";
const PUBLIC_PREFIX: &str = "hafla-pk1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error("not a Hafla {0} key text")]
    BadText(&'static str),
    #[error("the public key bytes are not a valid Ed25519 point")]
    BadPoint,
    #[error("key {0} is not in this key set")]
    UnknownKey(u32),
    #[error("key id {0} is already in use")]
    DuplicateKey(u32),
}

/// The signing half of a credential key. Its secret is wiped from memory on drop.
pub struct TicketSigningKey {
    key_id: u32,
    key: SigningKey,
}

impl TicketSigningKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate(key_id: u32) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(TicketSigningKey {
            key_id,
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn public(&self) -> TicketPublicKey {
        TicketPublicKey {
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// `hafla-sk1:<id>:<64 hex>`: for the server's encrypted key storage. Never log it.
    pub fn to_secret_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{SECRET_PREFIX}{}:{}",
            self.key_id,
            hex_encode(self.key.as_bytes())
        ))
    }

    pub fn from_secret_text(text: &str) -> Result<Self, KeyError> {
        let (key_id, bytes) = parse_key_text(text, SECRET_PREFIX, "secret")?;
        Ok(TicketSigningKey {
            key_id,
            key: SigningKey::from_bytes(&bytes),
        })
    }
}

impl std::fmt::Debug for TicketSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TicketSigningKey({}, <secret>)", self.key_id)
    }
}

/// The verifying half, safe to hand to every door device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TicketPublicKey {
    pub key_id: u32,
    pub key: VerifyingKey,
}

impl TicketPublicKey {
    pub fn from_bytes(key_id: u32, bytes: &[u8; 32]) -> Result<Self, KeyError> {
        Ok(TicketPublicKey {
            key_id,
            key: VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::BadPoint)?,
        })
    }

    /// `hafla-pk1:<id>:<64 hex>`.
    pub fn to_text(&self) -> String {
        format!(
            "{PUBLIC_PREFIX}{}:{}",
            self.key_id,
            hex_encode(self.key.as_bytes())
        )
    }

    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let (key_id, bytes) = parse_key_text(text, PUBLIC_PREFIX, "public")?;
        Self::from_bytes(key_id, &bytes)
    }
}

/// The issuer's keys: exactly one active key signs; retired ones are kept for the ring.
#[derive(Debug)]
pub struct IssuerKeys {
    active: TicketSigningKey,
    retired: Vec<TicketPublicKey>,
}

impl IssuerKeys {
    pub fn new(active: TicketSigningKey) -> Self {
        IssuerKeys {
            active,
            retired: vec![],
        }
    }

    pub fn active(&self) -> &TicketSigningKey {
        &self.active
    }

    /// Makes `next` the signing key; the previous one is retired but still verifies.
    pub fn rotate(&mut self, next: TicketSigningKey) -> Result<(), KeyError> {
        let id = next.key_id();
        if id == self.active.key_id() || self.retired.iter().any(|k| k.key_id == id) {
            return Err(KeyError::DuplicateKey(id));
        }
        let previous = std::mem::replace(&mut self.active, next);
        self.retired.push(previous.public());
        Ok(())
    }

    /// Every public key a door needs: the active one and the retired ones.
    pub fn key_ring(&self) -> KeyRing {
        let mut ring = KeyRing::default();
        ring.insert(self.active.public());
        for k in &self.retired {
            ring.insert(*k);
        }
        ring
    }
}

/// The public keys a door device verifies with, by key id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<u32, TicketPublicKey>,
}

impl KeyRing {
    pub fn insert(&mut self, key: TicketPublicKey) {
        self.keys.insert(key.key_id, key);
    }

    /// Drops a key (after a compromise): its tickets then read as "unknown key".
    pub fn remove(&mut self, key_id: u32) -> Result<(), KeyError> {
        self.keys
            .remove(&key_id)
            .map(|_| ())
            .ok_or(KeyError::UnknownKey(key_id))
    }

    pub fn get(&self, key_id: u32) -> Option<&TicketPublicKey> {
        self.keys.get(&key_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TicketPublicKey> {
        self.keys.values()
    }
}

fn parse_key_text(
    text: &str,
    prefix: &str,
    kind: &'static str,
) -> Result<(u32, Zeroizing<[u8; 32]>), KeyError> {
    let bad = || KeyError::BadText(kind);
    let (id, hex) = text
        .trim()
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(bad)?;
    let key_id = id.parse().map_err(|_| bad())?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex_decode(hex, bytes.as_mut_slice()).ok_or_else(bad)?;
    Ok((key_id, bytes))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str, out: &mut [u8]) -> Option<()> {
    if text.len() != out.len() * 2 || !text.is_ascii() {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_their_text_forms() {
        let key = TicketSigningKey::generate(7).unwrap();
        let again = TicketSigningKey::from_secret_text(&key.to_secret_text()).unwrap();
        assert_eq!(again.public(), key.public());
        assert_eq!(
            TicketPublicKey::from_text(&key.public().to_text()).unwrap(),
            key.public()
        );
    }

    #[test]
    fn the_debug_form_never_shows_the_secret() {
        let key = TicketSigningKey::generate(1).unwrap();
        let secret_hex = &key.to_secret_text()[SECRET_PREFIX.len() + 2..];
        assert!(!format!("{key:?}").contains(secret_hex));
    }

    #[test]
    fn malformed_key_texts_are_refused() {
        for text in [
            "",
            "hafla-pk1:1:zz",
            "hafla-pk1:x:00",
            "hafla-sk1:1:00",
            "pk:1:00",
        ] {
            assert!(TicketPublicKey::from_text(text).is_err(), "{text}");
        }
        let not_hex = format!("hafla-sk1:1:{}", "g".repeat(64));
        assert_eq!(
            TicketSigningKey::from_secret_text(&not_hex).unwrap_err(),
            KeyError::BadText("secret")
        );
    }

    #[test]
    fn rotation_keeps_the_retired_key_in_the_ring_and_refuses_a_reused_id() {
        let mut keys = IssuerKeys::new(TicketSigningKey::generate(1).unwrap());
        keys.rotate(TicketSigningKey::generate(2).unwrap()).unwrap();
        assert_eq!(keys.active().key_id(), 2);
        let ring = keys.key_ring();
        assert!(ring.get(1).is_some() && ring.get(2).is_some());
        assert_eq!(
            keys.rotate(TicketSigningKey::generate(1).unwrap())
                .unwrap_err(),
            KeyError::DuplicateKey(1)
        );
    }
}
