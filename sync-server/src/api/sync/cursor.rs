//! Pull cursors: where a device stands in one scope, opaque to it. Base64url of the scope's
//! epoch, the version reached, and 8 bytes of SHA-256 over both and the scope, so a
//! garbled cursor or one of another scope is refused instead of misread.

use crate::store::sync::ScopeKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A position in a scope's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    /// The scope's life the version belongs to (0 before anything was written).
    pub epoch: i64,
    pub version: u64,
}

fn check(scope: ScopeKey, epoch: i64, version: u64) -> [u8; 8] {
    let mut hash = Sha256::new();
    hash.update(b"hafla-sync-cursor\0");
    hash.update(scope.payload().as_bytes());
    hash.update(epoch.to_be_bytes());
    hash.update(version.to_be_bytes());
    let digest = hash.finalize();
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

pub(super) fn encode(scope: ScopeKey, at: Position) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&at.epoch.to_be_bytes());
    bytes.extend_from_slice(&at.version.to_be_bytes());
    bytes.extend_from_slice(&check(scope, at.epoch, at.version));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `None` for anything `encode` did not make for this scope.
pub(super) fn decode(scope: ScopeKey, text: &str) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let bytes: [u8; 24] = bytes.try_into().ok()?;
    let epoch = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    let version = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
    (bytes[16..] == check(scope, epoch, version)).then_some(Position { epoch, version })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sync::ScopeKind;
    use uuid::Uuid;

    fn door() -> ScopeKey {
        ScopeKey {
            kind: ScopeKind::Door,
            subject: Uuid::now_v7(),
        }
    }

    #[test]
    fn a_cursor_reads_back_as_the_position_it_was_made_from() {
        let scope = door();
        let at = Position {
            epoch: -42,
            version: 123_456,
        };
        assert_eq!(decode(scope, &encode(scope, at)), Some(at));
    }

    #[test]
    fn a_garbled_cursor_or_one_of_another_scope_is_refused() {
        let scope = door();
        let text = encode(
            scope,
            Position {
                epoch: 7,
                version: 9,
            },
        );
        assert_eq!(decode(door(), &text), None);
        let mut garbled = text.clone().into_bytes();
        garbled[3] = if garbled[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(decode(scope, &String::from_utf8(garbled).unwrap()), None);
        assert_eq!(decode(scope, "not a cursor"), None);
        assert_eq!(decode(scope, ""), None);
    }
}
