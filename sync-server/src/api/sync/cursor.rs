//! Pull cursors: where a device stands in one scope, opaque to it. Base64url of the scope's
//! epoch, the log position reached (a version, and the kind and key of the last row when a
//! page ended inside a version), and 8 bytes of SHA-256 over all of it and the scope, so a
//! garbled cursor or one of another scope is refused instead of misread.

use crate::store::sync::{LogPosition, ScopeKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A position in a scope's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Position {
    /// The scope's life the version belongs to (0 before anything was written).
    pub epoch: i64,
    pub at: LogPosition,
}

const CHECK: usize = 8;

fn check(scope: ScopeKey, body: &[u8]) -> [u8; CHECK] {
    let mut hash = Sha256::new();
    hash.update(b"hafla-sync-cursor\0");
    hash.update(scope.payload().as_bytes());
    hash.update(body);
    let digest = hash.finalize();
    let mut out = [0; CHECK];
    out.copy_from_slice(&digest[..CHECK]);
    out
}

pub(super) fn encode(scope: ScopeKey, position: &Position) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&position.epoch.to_be_bytes());
    bytes.extend_from_slice(&position.at.version.to_be_bytes());
    if let Some((kind, key)) = &position.at.within {
        // Kinds are short names (`ticket`, `conflict`…), far below 256 bytes.
        bytes.push(kind.len().min(255) as u8);
        bytes.extend_from_slice(kind.as_bytes());
        bytes.extend_from_slice(key.as_bytes());
    }
    let check = check(scope, &bytes);
    bytes.extend_from_slice(&check);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `None` for anything `encode` did not make for this scope.
pub(super) fn decode(scope: ScopeKey, text: &str) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(CHECK)?)?;
    if sum != check(scope, body) {
        return None;
    }
    let epoch = i64::from_be_bytes(body.get(..8)?.try_into().ok()?);
    let version = u64::from_be_bytes(body.get(8..16)?.try_into().ok()?);
    let within = match body.get(16..)? {
        [] => None,
        [len, rest @ ..] => {
            let (kind, key) = rest.split_at_checked(usize::from(*len))?;
            Some((
                String::from_utf8(kind.to_vec()).ok()?,
                String::from_utf8(key.to_vec()).ok()?,
            ))
        }
    };
    Some(Position {
        epoch,
        at: LogPosition { version, within },
    })
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
        let through = Position {
            epoch: -42,
            at: LogPosition::through(123_456),
        };
        assert_eq!(decode(scope, &encode(scope, &through)), Some(through));
        let inside = Position {
            epoch: 7,
            at: LogPosition {
                version: 9,
                within: Some(("ticket".into(), "1234".into())),
            },
        };
        assert_eq!(decode(scope, &encode(scope, &inside)), Some(inside));
    }

    #[test]
    fn a_garbled_cursor_or_one_of_another_scope_is_refused() {
        let scope = door();
        let text = encode(
            scope,
            &Position {
                epoch: 7,
                at: LogPosition::through(9),
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
