//! Money as integer minor units. Never floats: 12.500 JOD is 12500 fils.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Currencies Hafla prices in. JOD first: it is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub enum Currency {
    #[default]
    JOD,
    USD,
}

impl Currency {
    /// Digits after the decimal point: JOD has 1000 fils to the dinar.
    pub fn minor_units(self) -> u32 {
        match self {
            Currency::JOD => 3,
            Currency::USD => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::JOD => "JOD",
            Currency::USD => "USD",
        }
    }

    pub fn from_code(code: &str) -> Option<Currency> {
        match code {
            "JOD" => Some(Currency::JOD),
            "USD" => Some(Currency::USD),
            _ => None,
        }
    }
}

/// An amount in a currency's minor units (fils for JOD).
///
/// On the wire `minor` is a JSON number: amounts are bounded by [`Money::MAX_MINOR`], far below
/// 2^53, so JavaScript reads them exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct Money {
    #[cfg_attr(test, ts(type = "number"))]
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("amount is not a decimal number")]
    NotANumber,
    #[error("amount has more than {0} decimal places")]
    TooPrecise(u32),
    #[error("amount is out of range")]
    OutOfRange,
}

impl Money {
    /// One trillion minor units: more than any ticket, order or payout, and exact in JavaScript.
    pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

    pub fn jod_fils(fils: i64) -> Money {
        Money {
            minor: fils,
            currency: Currency::JOD,
        }
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// Parses a decimal amount such as `12.5` or `12.500` into minor units, exactly.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let digits = currency.minor_units();
        let text = text.trim();
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return Err(MoneyError::NotANumber);
        }
        if frac.len() as u32 > digits {
            return Err(MoneyError::TooPrecise(digits));
        }
        let scale = 10i64.pow(digits);
        let whole: i64 = whole.parse().map_err(|_| MoneyError::OutOfRange)?;
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().map_err(|_| MoneyError::NotANumber)?
                * 10i64.pow(digits - frac.len() as u32)
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_value))
            .filter(|m| *m <= Self::MAX_MINOR)
            .ok_or(MoneyError::OutOfRange)?;
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }
}

/// `12.500 JOD`: every minor digit shown, as Jordanian receipts do.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_units();
        let scale = 10u64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency.code(),
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jod_has_three_minor_digits() {
        assert_eq!(Money::jod_fils(12_500).to_string(), "12.500 JOD");
        assert_eq!(Money::jod_fils(250).to_string(), "0.250 JOD");
        assert_eq!(Money::jod_fils(-1).to_string(), "-0.001 JOD");
    }

    #[test]
    fn decimal_text_parses_exactly_into_fils() {
        assert_eq!(
            Money::parse("12.5", Currency::JOD),
            Ok(Money::jod_fils(12_500))
        );
        assert_eq!(Money::parse("0.001", Currency::JOD), Ok(Money::jod_fils(1)));
        assert_eq!(Money::parse("7", Currency::JOD), Ok(Money::jod_fils(7_000)));
    }

    #[test]
    fn bad_amounts_are_refused_with_a_reason() {
        assert_eq!(
            Money::parse("1.2345", Currency::JOD),
            Err(MoneyError::TooPrecise(3))
        );
        assert_eq!(
            Money::parse("1,5", Currency::JOD),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse(".5", Currency::JOD),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse("١٢", Currency::JOD),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse("99999999999999999999", Currency::JOD),
            Err(MoneyError::OutOfRange)
        );
    }
}
