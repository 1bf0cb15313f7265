//! Ticket credentials: what a ticket's QR code says, signed so a door can trust it offline.
//!
//! # Text form
//!
//! `HF:` followed by the base45 encoding (RFC 9285) of `payload ‖ signature [‖ code]`. Every
//! character is in the QR alphanumeric set, which costs 5.5 bits per character. A typical
//! credential is 123 characters: 690 QR data bits, against 928 for pretix's signed code.
//!
//! # Byte layout (format version 1)
//!
//! | field | encoding | meaning |
//! |---|---|---|
//! | header | 1 byte: version (high 4 bits) · flags (low 4 bits) | version 1; flag bit 0 = a rotating code follows the signature |
//! | key id | LEB128 u32 | which Ed25519 key signed (keys rotate; see [`keys`]) |
//! | event ref | LEB128 u32 | the event's compact number (stands for its UUID) |
//! | ticket serial | LEB128 u32 | the ticket's number within the event (stands for its UUID) |
//! | ticket type | LEB128 u16 | the type's number within the event |
//! | valid from | LEB128 u32 | whole hours since 2024-01-01T00:00Z |
//! | valid hours | LEB128 u16 | length of the validity window in hours |
//! | signature | 64 bytes | Ed25519 over `"hafla/ticket/v1\0" ‖ payload` (all fields above) |
//! | code | 4 bytes, only if flag bit 0 | the rotating code (see [`rotating`]) |
//!
//! LEB128 numbers must be minimal (no padding bytes), so each credential has exactly one
//! byte form and, with the strict base45 decoder, exactly one text form. Nothing personal is
//! in the credential.

pub mod base45;
pub mod keys;
pub mod rotating;

use ed25519_dalek::{Signature, Signer};
use keys::{KeyRing, TicketSigningKey};
use rotating::CODE_LEN;

/// The text every Hafla credential starts with.
pub const PREFIX: &str = "HF:";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Longest text the parser looks at; anything longer is refused before decoding.
pub const MAX_TEXT_LEN: usize = 200;
/// Domain separation: a signature over a ticket can never be mistaken for one over anything else.
const SIGNING_TAG: &[u8] = b"hafla/ticket/v1\0";
const FLAG_ROTATING: u8 = 0b0001;
const SIGNATURE_LEN: usize = 64;
/// 2024-01-01T00:00:00Z, the zero of `valid from`.
const EPOCH_SECONDS: i64 = 1_704_067_200;

/// What a credential asserts about its ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claims {
    pub key_id: u32,
    pub event_ref: u32,
    pub ticket_serial: u32,
    pub ticket_type: u16,
    /// Hours since 2024-01-01T00:00Z.
    pub valid_from_hour: u32,
    pub valid_hours: u16,
    /// Whether the shown QR must carry a rotating code (an app-only ticket).
    pub rotating: bool,
}

impl Claims {
    /// The whole-hour window that covers `from..until` (rounded outwards).
    pub fn window(
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<(u32, u16), WindowError> {
        let start = (from.as_second() - EPOCH_SECONDS).div_euclid(3600);
        let end = (until.as_second() - EPOCH_SECONDS + 3599).div_euclid(3600);
        let start = u32::try_from(start).map_err(|_| WindowError::BeforeEpoch)?;
        let hours = u16::try_from(end - i64::from(start)).map_err(|_| WindowError::TooLong)?;
        if hours == 0 {
            return Err(WindowError::Empty);
        }
        Ok((start, hours))
    }

    pub fn valid_from(&self) -> jiff::Timestamp {
        hour_to_timestamp(i64::from(self.valid_from_hour))
    }

    pub fn valid_until(&self) -> jiff::Timestamp {
        hour_to_timestamp(i64::from(self.valid_from_hour) + i64::from(self.valid_hours))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20);
        let flags = if self.rotating { FLAG_ROTATING } else { 0 };
        out.push(FORMAT_VERSION << 4 | flags);
        for n in [
            self.key_id,
            self.event_ref,
            self.ticket_serial,
            u32::from(self.ticket_type),
            self.valid_from_hour,
            u32::from(self.valid_hours),
        ] {
            leb128_write(&mut out, n);
        }
        out
    }
}

fn hour_to_timestamp(hour: i64) -> jiff::Timestamp {
    // In range for every u32 hour count: jiff covers years -9999..=9999.
    jiff::Timestamp::from_second(EPOCH_SECONDS + hour * 3600).unwrap_or(jiff::Timestamp::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("the validity window starts before 2024")]
    BeforeEpoch,
    #[error("the validity window is longer than 65535 hours")]
    TooLong,
    #[error("the validity window is empty")]
    Empty,
}

/// Why a scanned text is not a credential at all. Each maps to its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("empty")]
    Empty,
    #[error("longer than any Hafla ticket")]
    TooLong,
    #[error("contains characters outside ASCII")]
    NotAscii,
    #[error("lower-case letters (a Hafla code is upper-case)")]
    LowerCase,
    #[error("does not start with HF:")]
    WrongPrefix,
    #[error("not valid base45")]
    BadEncoding,
    #[error("made by a newer Hafla (format version {0})")]
    UnsupportedVersion(u8),
    #[error("unknown flags")]
    UnknownFlags,
    #[error("cut short")]
    Truncated,
    #[error("a number is not in its shortest form")]
    NonCanonical,
    #[error("has extra data at the end")]
    TrailingData,
}

impl Malformed {
    /// A stable key for logs and scan records.
    pub fn key(self) -> &'static str {
        match self {
            Malformed::Empty => "empty",
            Malformed::TooLong => "too_long",
            Malformed::NotAscii => "not_ascii",
            Malformed::LowerCase => "lower_case",
            Malformed::WrongPrefix => "wrong_prefix",
            Malformed::BadEncoding => "bad_encoding",
            Malformed::UnsupportedVersion(_) => "unsupported_version",
            Malformed::UnknownFlags => "unknown_flags",
            Malformed::Truncated => "truncated",
            Malformed::NonCanonical => "non_canonical",
            Malformed::TrailingData => "trailing_data",
        }
    }
}

/// A parsed credential: claims, signature and (for rotating tickets) the shown code.
/// Parsing proves only the shape; [`Credential::signature_is_valid`] proves the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub claims: Claims,
    payload: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
    /// Present exactly when `claims.rotating` and the text carried one.
    pub code: Option<[u8; CODE_LEN]>,
}

impl Credential {
    /// Signs `claims` (with `claims.key_id` set to the key's id).
    pub fn issue(mut claims: Claims, key: &TicketSigningKey) -> Credential {
        claims.key_id = key.key_id();
        let payload = claims.encode();
        let signature = key.signing_key().sign(&signed_message(&payload)).to_bytes();
        Credential {
            claims,
            payload,
            signature,
            code: None,
        }
    }

    /// Parses the text of a scanned QR code. Never panics, whatever the input.
    pub fn parse(text: &str) -> Result<Credential, Malformed> {
        if text.is_empty() {
            return Err(Malformed::Empty);
        }
        if text.len() > MAX_TEXT_LEN {
            return Err(Malformed::TooLong);
        }
        if !text.is_ascii() {
            return Err(Malformed::NotAscii);
        }
        if text.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(Malformed::LowerCase);
        }
        let body = text.strip_prefix(PREFIX).ok_or(Malformed::WrongPrefix)?;
        let bytes = base45::decode(body).map_err(|_| Malformed::BadEncoding)?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Credential, Malformed> {
        let (&header, mut rest) = bytes.split_first().ok_or(Malformed::Truncated)?;
        let version = header >> 4;
        if version != FORMAT_VERSION {
            return Err(Malformed::UnsupportedVersion(version));
        }
        let flags = header & 0x0F;
        if flags & !FLAG_ROTATING != 0 {
            return Err(Malformed::UnknownFlags);
        }
        let mut next = || leb128_read(&mut rest);
        let key_id = next()?;
        let event_ref = next()?;
        let ticket_serial = next()?;
        let ticket_type = u16::try_from(next()?).map_err(|_| Malformed::NonCanonical)?;
        let valid_from_hour = next()?;
        let valid_hours = u16::try_from(next()?).map_err(|_| Malformed::NonCanonical)?;
        let payload_len = bytes.len() - rest.len();
        let rotating = flags & FLAG_ROTATING != 0;
        let signature: [u8; SIGNATURE_LEN] = rest
            .get(..SIGNATURE_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(Malformed::Truncated)?;
        let code = match (&rest[SIGNATURE_LEN..], rotating) {
            ([], _) => None,
            (code, true) if code.len() == CODE_LEN => code.try_into().ok(),
            (code, true) if code.len() < CODE_LEN => return Err(Malformed::Truncated),
            _ => return Err(Malformed::TrailingData),
        };
        Ok(Credential {
            claims: Claims {
                key_id,
                event_ref,
                ticket_serial,
                ticket_type,
                valid_from_hour,
                valid_hours,
                rotating,
            },
            payload: bytes[..payload_len].to_vec(),
            signature,
            code,
        })
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.payload.clone();
        out.extend_from_slice(&self.signature);
        if let Some(code) = &self.code {
            out.extend_from_slice(code);
        }
        out
    }

    /// The text to put in the QR code (static form, or with the code set by [`Self::with_code`]).
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}", base45::encode(&self.to_bytes()))
    }

    /// The same credential carrying the rotating code shown now (ignored on static tickets).
    pub fn with_code(&self, code: [u8; CODE_LEN]) -> Credential {
        Credential {
            code: self.claims.rotating.then_some(code),
            ..self.clone()
        }
    }

    /// Whether a key of `ring` signed exactly this payload. `None` when the key is unknown.
    pub fn signature_is_valid(&self, ring: &KeyRing) -> Option<bool> {
        let key = ring.get(self.claims.key_id)?;
        let signature = Signature::from_bytes(&self.signature);
        Some(
            key.key
                .verify_strict(&signed_message(&self.payload), &signature)
                .is_ok(),
        )
    }
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_TAG.len() + payload.len());
    message.extend_from_slice(SIGNING_TAG);
    message.extend_from_slice(payload);
    message
}

fn leb128_write(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a minimal LEB128 u32, advancing `input`.
fn leb128_read(input: &mut &[u8]) -> Result<u32, Malformed> {
    let mut value: u64 = 0;
    for i in 0..5 {
        let (&byte, rest) = input.split_first().ok_or(Malformed::Truncated)?;
        *input = rest;
        value |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(Malformed::NonCanonical);
            }
            return u32::try_from(value).map_err(|_| Malformed::NonCanonical);
        }
    }
    Err(Malformed::NonCanonical)
}

/// Lets a credential format be sized on paper, before any code is drawn.
///
/// The bits of one alphanumeric-mode segment of `chars` characters:
///
/// `4 (mode) + 9 (character count) + 11 × ⌊chars / 2⌋ + 6 × (chars mod 2)`
///
/// The count field is 9 bits wide for versions 1–9 (11 for 10–26, 13 for 27–40); this uses
/// the 9 of versions 1–9, where ticket codes are meant to land. Compare the result with the
/// data capacity at level M: 688 bits for version 5, 864 for 6, 1 232 for 8, 1 728 for 10.
/// Saturates rather than overflows for absurd inputs.
pub fn qr_alphanumeric_bits(chars: usize) -> usize {
    const MODE_BITS: usize = 4;
    const COUNT_BITS_V1_TO_9: usize = 9;
    (chars / 2)
        .saturating_mul(11)
        .saturating_add(6 * (chars % 2))
        .saturating_add(MODE_BITS + COUNT_BITS_V1_TO_9)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn claims() -> Claims {
        Claims {
            key_id: 3,
            event_ref: 48_213,
            ticket_serial: 1_234_567,
            ticket_type: 2,
            valid_from_hour: 26_000,
            valid_hours: 30,
            rotating: false,
        }
    }

    fn key() -> TicketSigningKey {
        TicketSigningKey::from_secret_text(&format!("hafla-sk1:3:{}", "2a".repeat(32))).unwrap()
    }

    fn ring() -> KeyRing {
        let mut ring = KeyRing::default();
        ring.insert(key().public());
        ring
    }

    #[test]
    fn a_credential_round_trips_through_its_text() {
        let c = Credential::issue(claims(), &key());
        let parsed = Credential::parse(&c.to_text()).unwrap();
        assert_eq!(parsed, c);
        assert_eq!(parsed.signature_is_valid(&ring()), Some(true));
    }

    #[test]
    fn a_realistic_credential_needs_far_fewer_qr_bits_than_pretix() {
        let text = Credential::issue(claims(), &key()).to_text();
        let bits = qr_alphanumeric_bits(text.len());
        assert!(text.len() <= 126, "{} chars: {text}", text.len());
        assert!(bits <= 700, "{bits} bits");
        assert!(bits < 928);
        // Even with the largest numbers and a rotating code it stays under pretix's 928.
        let max = Claims {
            key_id: u32::MAX,
            event_ref: u32::MAX,
            ticket_serial: u32::MAX,
            ticket_type: u16::MAX,
            valid_from_hour: u32::MAX,
            valid_hours: u16::MAX,
            rotating: true,
        };
        let text = Credential::issue(max, &key()).with_code([9; 4]).to_text();
        assert!(
            qr_alphanumeric_bits(text.len()) < 928,
            "{} chars",
            text.len()
        );
    }

    #[test]
    fn the_window_rounds_outwards_to_whole_hours() {
        let from: jiff::Timestamp = "2026-12-03T17:30:00Z".parse().unwrap();
        let until: jiff::Timestamp = "2026-12-03T22:10:00Z".parse().unwrap();
        let (start, hours) = Claims::window(from, until).unwrap();
        let c = Claims {
            valid_from_hour: start,
            valid_hours: hours,
            ..claims()
        };
        assert_eq!(c.valid_from().to_string(), "2026-12-03T17:00:00Z");
        assert_eq!(c.valid_until().to_string(), "2026-12-03T23:00:00Z");
        let early: jiff::Timestamp = "2023-06-01T00:00:00Z".parse().unwrap();
        assert_eq!(Claims::window(early, until), Err(WindowError::BeforeEpoch));
    }

    #[test]
    fn each_kind_of_bad_text_gets_its_own_reason() {
        let good = Credential::issue(claims(), &key()).to_text();
        let rotating = Credential::issue(
            Claims {
                rotating: true,
                ..claims()
            },
            &key(),
        );
        let bytes = base45::decode(&good[3..]).unwrap();
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = bytes.clone();
            f(&mut b);
            format!("{PREFIX}{}", base45::encode(&b))
        };
        let cases: Vec<(String, Malformed)> = vec![
            (String::new(), Malformed::Empty),
            ("HF:".to_owned() + &"A".repeat(300), Malformed::TooLong),
            (good.replacen('H', "Ḣ", 1), Malformed::NotAscii),
            (good.to_lowercase(), Malformed::LowerCase),
            (good.replacen("HF:", "PX:", 1), Malformed::WrongPrefix),
            (good[3..].to_owned(), Malformed::WrongPrefix),
            (format!("{good}#"), Malformed::BadEncoding),
            ("HF:".to_owned(), Malformed::Truncated),
            (with(&|b| b.truncate(b.len() - 2)), Malformed::Truncated),
            (with(&|b| b[0] = 0x20), Malformed::UnsupportedVersion(2)),
            (with(&|b| b[0] = 0x14), Malformed::UnknownFlags),
            (with(&|b| b.push(0)), Malformed::TrailingData),
            (
                with(&|b| {
                    b[1] |= 0x80;
                    b.insert(2, 0);
                }),
                Malformed::NonCanonical,
            ),
            (
                format!(
                    "{PREFIX}{}",
                    base45::encode(&[rotating.to_bytes(), vec![1, 2]].concat())
                ),
                Malformed::Truncated,
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(Credential::parse(&text), Err(reason), "{text:?}");
        }
    }

    #[test]
    fn a_rotating_credential_carries_its_code_and_a_static_one_ignores_it() {
        let rotating = Credential::issue(
            Claims {
                rotating: true,
                ..claims()
            },
            &key(),
        );
        let shown = rotating.with_code([1, 2, 3, 4]);
        assert_eq!(
            Credential::parse(&shown.to_text()).unwrap().code,
            Some([1, 2, 3, 4])
        );
        assert_eq!(Credential::parse(&rotating.to_text()).unwrap().code, None);
        let static_ = Credential::issue(claims(), &key());
        assert_eq!(static_.with_code([1, 2, 3, 4]).to_text(), static_.to_text());
    }

    #[test]
    fn a_signature_by_another_key_with_the_same_id_is_invalid() {
        let forger =
            TicketSigningKey::from_secret_text(&format!("hafla-sk1:3:{}", "11".repeat(32)))
                .unwrap();
        let forged = Credential::issue(claims(), &forger);
        assert_eq!(
            Credential::parse(&forged.to_text())
                .unwrap()
                .signature_is_valid(&ring()),
            Some(false)
        );
        let unknown = Credential::issue(claims(), &TicketSigningKey::generate(99).unwrap());
        assert_eq!(unknown.signature_is_valid(&ring()), None);
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,250}") {
            let _ = Credential::parse(&text);
        }

        #[test]
        fn whatever_parses_is_in_its_one_canonical_form(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let text = format!("{PREFIX}{}", base45::encode(&bytes));
            if let Ok(parsed) = Credential::parse(&text) {
                prop_assert_eq!(parsed.to_text(), text);
            }
        }

        #[test]
        fn flipping_any_bit_never_yields_a_valid_signature(bit in 0usize..(8 * 90)) {
            let c = Credential::issue(claims(), &key());
            let mut bytes = c.to_bytes();
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            let text = format!("{PREFIX}{}", base45::encode(&bytes));
            if let Ok(parsed) = Credential::parse(&text) {
                prop_assert_ne!(parsed.signature_is_valid(&ring()), Some(true));
            }
        }

        #[test]
        fn replacing_any_character_never_yields_a_valid_signature(
            position in 0usize..200,
            replacement in proptest::sample::select(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:abcz".to_vec()),
        ) {
            let text = Credential::issue(claims(), &key()).to_text();
            let position = position % text.len();
            prop_assume!(text.as_bytes()[position] != replacement);
            let mut altered = text.into_bytes();
            altered[position] = replacement;
            let altered = String::from_utf8(altered).unwrap();
            if let Ok(parsed) = Credential::parse(&altered) {
                prop_assert_ne!(parsed.signature_is_valid(&ring()), Some(true));
            }
        }
    }
}
