//! Phone numbers that can receive a sign-in SMS, normalized to E.164.
//!
//! People in Jordan type their number in many ways (`079 123 4567`, `00962…`,
//! Arabic-Indic digits from an Arabic keyboard); all of them must land on the
//! same account, so every accepted form is normalized to one E.164 string.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest input we hand to the parser: generous for any formatted number,
/// small enough that a hostile client cannot make us parse a novel.
const MAX_INPUT_CHARS: usize = 32;

/// Why a typed phone number was refused. The messages never echo the input,
/// so an error can be logged without leaking a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("the phone number is longer than {MAX_INPUT_CHARS} characters")]
    TooLong,
    #[error("the phone number contains characters other than digits and separators")]
    InvalidCharacters,
    #[error("the input is not a phone number")]
    NotANumber,
    #[error("the phone number does not exist in its country's numbering plan")]
    Invalid,
    #[error("the phone number is not a mobile number and cannot receive SMS")]
    NotMobile,
}

/// A mobile phone number in E.164 form (`+962791234567`), checked to be able
/// to receive SMS. `Debug` masks the middle digits so it is safe in logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person typed, assuming Jordan when no country code is given.
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneError> {
        let cleaned = clean(input)?;
        let parsed = phonenumber::parse(Some(country::Id::JO), &cleaned).map_err(|e| match e {
            phonenumber::ParseError::TooLong => PhoneError::TooLong,
            _ => PhoneError::NotANumber,
        })?;
        if parsed.extension().is_some() {
            return Err(PhoneError::NotANumber);
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();

        if let Some(national) = e164.strip_prefix(JORDAN_PREFIX) {
            // Jordan's mobile ranges are stated explicitly (77/78/79 + 7 digits)
            // rather than trusting the metadata, which lags new allocations.
            if is_jordanian_mobile(national) {
                return Ok(PhoneNumber(e164));
            }
            return Err(
                if parsed.is_valid() || is_jordanian_landline_shape(national) {
                    PhoneError::NotMobile
                } else {
                    PhoneError::Invalid
                },
            );
        }

        if !parsed.is_valid() {
            return Err(PhoneError::Invalid);
        }
        match parsed.number_type(&phonenumber::metadata::DATABASE) {
            phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile => {
                Ok(PhoneNumber(e164))
            }
            _ => Err(PhoneError::NotMobile),
        }
    }

    /// The number as `+` and digits, for providers and storage.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The number with its middle digits hidden (`+96279*****67`): the only
    /// form that may appear in logs.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let len = chars.len();
        let head = 6.min(len / 2);
        let tail = 2.min(len.saturating_sub(head));
        let hidden = len - head - tail;
        let mut out = String::with_capacity(len);
        out.extend(&chars[..head]);
        out.extend(std::iter::repeat_n('*', hidden));
        out.extend(&chars[len - tail..]);
        out
    }

    /// Whether the number belongs to Jordan's numbering plan (+962).
    pub fn is_jordanian(&self) -> bool {
        self.0.starts_with(JORDAN_PREFIX)
    }
}

const JORDAN_PREFIX: &str = "+962";

/// Zain (79), Orange (77) and Umniah (78) mobile numbers: 9 national digits.
fn is_jordanian_mobile(national: &str) -> bool {
    national.len() == 9
        && national.bytes().all(|b| b.is_ascii_digit())
        && matches!(&national[..2], "77" | "78" | "79")
}

/// Area codes 2, 3, 5 and 6 with 7 more digits: a landline even where the
/// metadata does not list the exchange, so people hear "not a mobile"
/// rather than "no such number".
fn is_jordanian_landline_shape(national: &str) -> bool {
    national.len() == 8
        && national.bytes().all(|b| b.is_ascii_digit())
        && matches!(national.as_bytes()[0], b'2' | b'3' | b'5' | b'6')
}

/// Maps Arabic-Indic (٠-٩) and Persian (۰-۹) digits to ASCII, because
/// Arabic keyboards type them and they mean the same number.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => return Some(c),
        '\u{0660}'..='\u{0669}' => 0x0660,
        '\u{06F0}'..='\u{06F9}' => 0x06F0,
        _ => return None,
    };
    char::from_digit(c as u32 - zero, 10)
}

/// Reduces the input to an optional leading `+` and ASCII digits, refusing
/// letters and anything else a person would not type in a phone number.
fn clean(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if trimmed.chars().nth(MAX_INPUT_CHARS).is_some() {
        return Err(PhoneError::TooLong);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut seen_digit = false;
    for c in trimmed.chars() {
        if let Some(d) = ascii_digit(c) {
            out.push(d);
            seen_digit = true;
        } else if c == '+' && out.is_empty() {
            out.push('+');
        } else if is_separator(c) {
            continue;
        } else {
            return Err(PhoneError::InvalidCharacters);
        }
    }
    if !seen_digit {
        return Err(PhoneError::NotANumber);
    }
    Ok(out)
}

/// Separators people type or paste: spaces (including no-break), dashes,
/// dots, slashes, parentheses, and the invisible direction marks that come
/// along when a number is copied out of right-to-left text.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '/'
                | '('
                | ')'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    /// Validates again, so a number arriving in JSON obeys the same rules as one
    /// typed into a form.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        PhoneNumber::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> String {
        match PhoneNumber::parse(input) {
            Ok(p) => p.as_e164().to_owned(),
            Err(e) => panic!("{input:?} was refused: {e}"),
        }
    }

    #[test]
    fn a_local_jordanian_mobile_is_normalized_to_e164() {
        assert_eq!(e164("0791234567"), "+962791234567");
    }

    #[test]
    fn every_common_way_of_writing_a_jordanian_mobile_gives_the_same_number() {
        for input in [
            "0791234567",
            "079 123 4567",
            "079-123-4567",
            "(079) 123-4567",
            "079.123.4567",
            "+962791234567",
            "+962 79 123 4567",
            "+962-79-123-4567",
            "+962 (0)79 123 4567",
            "00962791234567",
            "00 962 79 123 4567",
            "962791234567",
            "791234567",
            "  0791234567  ",
            "079\u{00A0}123\u{00A0}4567",
        ] {
            assert_eq!(e164(input), "+962791234567", "input {input:?}");
        }
    }

    #[test]
    fn all_three_jordanian_operators_are_accepted() {
        assert_eq!(e164("0771234567"), "+962771234567");
        assert_eq!(e164("0781234567"), "+962781234567");
        assert_eq!(e164("0799876543"), "+962799876543");
    }

    #[test]
    fn arabic_indic_digits_are_read_as_digits() {
        assert_eq!(e164("٠٧٩١٢٣٤٥٦٧"), "+962791234567");
        assert_eq!(e164("+٩٦٢ ٧٩ ١٢٣ ٤٥٦٧"), "+962791234567");
    }

    #[test]
    fn persian_digits_are_read_as_digits() {
        assert_eq!(e164("۰۷۹۱۲۳۴۵۶۷"), "+962791234567");
    }

    #[test]
    fn mixed_digit_scripts_still_make_one_number() {
        assert_eq!(e164("079 ١٢٣ ۴۵۶۷"), "+962791234567");
    }

    #[test]
    fn direction_marks_pasted_from_arabic_text_are_ignored() {
        assert_eq!(e164("\u{200F}+962 79 123 4567\u{200E}"), "+962791234567");
        assert_eq!(e164("\u{2066}0791234567\u{2069}"), "+962791234567");
    }

    #[test]
    fn foreign_mobiles_in_international_form_are_accepted() {
        assert_eq!(e164("+44 7911 123456"), "+447911123456");
        assert_eq!(e164("+966 50 123 4567"), "+966501234567");
        assert_eq!(e164("+971 50 123 4567"), "+971501234567");
        assert_eq!(e164("+49 1512 3456789"), "+4915123456789");
        assert_eq!(e164("0044 7911 123456"), "+447911123456");
    }

    #[test]
    fn north_american_numbers_count_as_possible_mobiles() {
        // The NANP does not tell mobiles from landlines, so they are allowed.
        assert_eq!(e164("+1 (650) 253-0000"), "+16502530000");
    }

    #[test]
    fn a_jordanian_landline_is_not_a_mobile() {
        for input in [
            "06 550 1234",
            "065501234",
            "+962 6 550 1234",
            "(06) 500-1234",
            "02 720 1234",
            "05 355 1234",
            "06 512 3456",
        ] {
            assert_eq!(
                PhoneNumber::parse(input),
                Err(PhoneError::NotMobile),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn jordanian_pager_and_personal_numbers_are_not_mobiles() {
        assert_eq!(PhoneNumber::parse("0746612345"), Err(PhoneError::NotMobile));
        assert_eq!(PhoneNumber::parse("0700123456"), Err(PhoneError::NotMobile));
    }

    #[test]
    fn a_foreign_landline_is_not_a_mobile() {
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0018"),
            Err(PhoneError::NotMobile)
        );
        assert_eq!(
            PhoneNumber::parse("+966 11 234 5678"),
            Err(PhoneError::NotMobile)
        );
    }

    #[test]
    fn a_jordanian_mobile_with_a_digit_missing_or_extra_is_invalid() {
        assert_eq!(PhoneNumber::parse("079123456"), Err(PhoneError::Invalid));
        assert_eq!(PhoneNumber::parse("07912345678"), Err(PhoneError::Invalid));
    }

    #[test]
    fn an_empty_or_blank_input_is_empty() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("   "), Err(PhoneError::Empty));
    }

    #[test]
    fn letters_and_symbols_are_invalid_characters() {
        for input in [
            "079123456a",
            "call me",
            "0791234567 ext 12",
            "079*1234567",
            "079#123",
            "tel:+962791234567",
            "+962+791234567",
            "0791234567+",
        ] {
            assert_eq!(
                PhoneNumber::parse(input),
                Err(PhoneError::InvalidCharacters),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn separators_without_digits_are_not_a_number() {
        assert_eq!(PhoneNumber::parse("( - )"), Err(PhoneError::NotANumber));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneError::NotANumber));
    }

    #[test]
    fn too_few_digits_are_not_a_number() {
        assert_eq!(PhoneNumber::parse("07"), Err(PhoneError::NotANumber));
    }

    #[test]
    fn an_unknown_country_code_is_refused() {
        assert!(PhoneNumber::parse("+999 123 456 789").is_err());
    }

    #[test]
    fn input_over_32_characters_is_too_long_before_parsing() {
        let long = "0".repeat(33);
        assert_eq!(PhoneNumber::parse(&long), Err(PhoneError::TooLong));
        let spaced = format!("079{}1234567", " ".repeat(30));
        assert_eq!(PhoneNumber::parse(&spaced), Err(PhoneError::TooLong));
        let huge = "9".repeat(100_000);
        assert_eq!(PhoneNumber::parse(&huge), Err(PhoneError::TooLong));
    }

    #[test]
    fn more_digits_than_e164_allows_is_refused() {
        assert!(PhoneNumber::parse("+962 7912345678901234567").is_err());
    }

    #[test]
    fn the_masked_form_keeps_only_the_prefix_and_last_two_digits() {
        let phone = PhoneNumber::parse("0791234567").unwrap();
        assert_eq!(phone.masked(), "+96279*****67");
        let uk = PhoneNumber::parse("+447911123456").unwrap();
        assert_eq!(uk.masked(), "+44791*****56");
    }

    #[test]
    fn debug_output_never_shows_the_full_number() {
        let phone = PhoneNumber::parse("0791234567").unwrap();
        let debug = format!("{phone:?}");
        assert!(!debug.contains("791234567"), "{debug}");
        assert!(debug.contains("+96279*****67"), "{debug}");
    }

    #[test]
    fn jordanian_numbers_know_they_are_jordanian() {
        assert!(PhoneNumber::parse("0791234567").unwrap().is_jordanian());
        assert!(!PhoneNumber::parse("+447911123456").unwrap().is_jordanian());
    }

    #[test]
    fn serializes_as_the_bare_e164_string() {
        let phone = PhoneNumber::parse("079 123 4567").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+962791234567\"");
    }

    #[test]
    fn deserializing_validates_and_normalizes() {
        let phone: PhoneNumber = serde_json::from_str("\"+962791234567\"").unwrap();
        assert_eq!(phone.as_e164(), "+962791234567");
        let local: PhoneNumber = serde_json::from_str("\"0791234567\"").unwrap();
        assert_eq!(local, phone);
        assert!(serde_json::from_str::<PhoneNumber>("\"065123456\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"hello\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("962791234567").is_err());
    }

    #[test]
    fn equal_numbers_typed_differently_are_equal_and_hash_alike() {
        use std::collections::HashSet;
        let set: HashSet<PhoneNumber> = ["0791234567", "+962 79 123 4567", "٠٧٩١٢٣٤٥٦٧"]
            .into_iter()
            .map(|s| PhoneNumber::parse(s).unwrap())
            .collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn random_digit_strings_never_panic_and_accepted_ones_round_trip() {
        let mut bytes = [0u8; 40];
        for round in 0..3_000 {
            getrandom::fill(&mut bytes).unwrap();
            let len = 1 + usize::from(bytes[0]) % 24;
            let digits: String = bytes[1..=len]
                .iter()
                .map(|b| char::from(b'0' + b % 10))
                .collect();
            let input = match round % 3 {
                0 => format!("+{digits}"),
                1 => format!("00{digits}"),
                _ => digits,
            };
            if let Ok(phone) = PhoneNumber::parse(&input) {
                assert_eq!(PhoneNumber::parse(phone.as_e164()), Ok(phone.clone()));
                assert!(phone.as_e164().len() <= 16, "{input:?}");
            }
        }
    }

    #[test]
    fn from_str_parses_like_parse() {
        let phone: PhoneNumber = "0791234567".parse().unwrap();
        assert_eq!(phone.as_e164(), "+962791234567");
    }
}
