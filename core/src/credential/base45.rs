//! Base45 (RFC 9285): bytes as QR alphanumeric characters, 2 bytes per 3 characters.
//!
//! Written here rather than taken from a crate because the decoder must be strict: every
//! byte string has exactly one text form, so no altered character can decode to the same
//! credential (checked by property tests in `credential`).

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

const INVALID: u8 = 0xFF;

const fn reverse_table() -> [u8; 256] {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

const REVERSE: [u8; 256] = reverse_table();

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    #[error("character {position} is not in the base45 alphabet")]
    InvalidCharacter { position: usize },
    #[error("a base45 text cannot have {0} characters (length mod 3 is 1)")]
    InvalidLength(usize),
    #[error("characters at {position} encode a value out of range")]
    OutOfRange { position: usize },
}

/// The base45 text of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |v: usize| out.push(ALPHABET[v] as char);
    for chunk in bytes.chunks(2) {
        match *chunk {
            [a, b] => {
                let n = (a as usize) * 256 + b as usize;
                push(n % 45);
                push(n / 45 % 45);
                push(n / 2025);
            }
            [a] => {
                let n = a as usize;
                push(n % 45);
                push(n / 45);
            }
            _ => unreachable!("chunks(2) yields one or two bytes"),
        }
    }
    out
}

/// Decodes base45 text, refusing anything that is not the canonical encoding of some bytes.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let raw = text.as_bytes();
    if raw.len() % 3 == 1 {
        return Err(Base45Error::InvalidLength(raw.len()));
    }
    let mut out = Vec::with_capacity(raw.len() / 3 * 2 + 1);
    for (i, chunk) in raw.chunks(3).enumerate() {
        let position = i * 3;
        let mut digits = [0usize; 3];
        for (j, &c) in chunk.iter().enumerate() {
            let v = REVERSE[c as usize];
            if v == INVALID {
                return Err(Base45Error::InvalidCharacter {
                    position: position + j,
                });
            }
            digits[j] = v as usize;
        }
        if chunk.len() == 3 {
            let n = digits[0] + digits[1] * 45 + digits[2] * 2025;
            if n > 0xFFFF {
                return Err(Base45Error::OutOfRange { position });
            }
            out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
        } else {
            let n = digits[0] + digits[1] * 45;
            if n > 0xFF {
                return Err(Base45Error::OutOfRange { position });
            }
            out.push(n as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_rfc_examples_encode_and_decode() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
    }

    #[test]
    fn out_of_range_and_foreign_characters_are_refused() {
        assert_eq!(decode("GGW"), Err(Base45Error::OutOfRange { position: 0 }));
        assert_eq!(decode("::"), Err(Base45Error::OutOfRange { position: 0 }));
        assert_eq!(
            decode("ab8"),
            Err(Base45Error::InvalidCharacter { position: 0 })
        );
        assert_eq!(decode("BB8B"), Err(Base45Error::InvalidLength(4)));
        assert_eq!(
            decode("Bé"),
            Err(Base45Error::InvalidCharacter { position: 1 })
        );
    }

    proptest! {
        #[test]
        fn any_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn every_decodable_text_is_the_canonical_encoding(text in "[0-9A-Z $%*+./:-]{0,60}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
