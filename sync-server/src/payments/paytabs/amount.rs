//! PayTabs amounts are decimal currency units (`"12.500"` JOD); Hafla's are integer minor
//! units (12500 fils). Both directions work on the decimal text, digit by digit: a float
//! would turn 0.1 + 0.2 into 0.30000000000000004 and a refund into a dispute.

use hafla_core::money::{Currency, Money};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    #[error("the amount is negative")]
    Negative,
    #[error("the amount is not a plain decimal number")]
    NotADecimal,
    #[error("the amount has more than {0} decimals")]
    TooPrecise(u32),
    #[error("the amount is out of range")]
    OutOfRange,
}

/// `Money` as the decimal text PayTabs reads, with every minor digit: 12500 fils is
/// `12.500`, 1 fils is `0.001`, 0 is `0.000`. Negative amounts are refused.
pub fn amount_to_decimal(amount: Money) -> Result<String, AmountError> {
    if amount.minor < 0 {
        return Err(AmountError::Negative);
    }
    if amount.minor > Money::MAX_MINOR {
        return Err(AmountError::OutOfRange);
    }
    let digits = amount.currency.minor_units();
    let scale = 10i64.pow(digits);
    Ok(format!(
        "{}.{:0width$}",
        amount.minor / scale,
        amount.minor % scale,
        width = digits as usize
    ))
}

/// Decimal text as PayTabs writes it (`12.5`, `12.500`, `700`) to `Money`, exactly.
///
/// Strict: ASCII digits, at most one `.` with at least one digit on each side, no sign, no
/// exponent, no spaces, and at most the currency's number of decimals (3 for JOD): a fourth
/// decimal would be an amount Hafla cannot represent, so it is refused rather than rounded.
pub fn amount_from_decimal(text: &str, currency: Currency) -> Result<Money, AmountError> {
    let digits = currency.minor_units();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    if !is_digits(whole) || fraction.is_some_and(|f| !is_digits(f)) {
        return Err(AmountError::NotADecimal);
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > digits as usize {
        return Err(AmountError::TooPrecise(digits));
    }
    let padded = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(digits as usize);
    let mut minor: i64 = 0;
    for digit in whole.bytes().chain(padded) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(digit - b'0')))
            .ok_or(AmountError::OutOfRange)?;
    }
    if minor > Money::MAX_MINOR {
        return Err(AmountError::OutOfRange);
    }
    Ok(Money { minor, currency })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn jod(text: &str) -> Result<Money, AmountError> {
        amount_from_decimal(text, Currency::JOD)
    }

    #[test]
    fn zero_fils_is_written_0_000() {
        assert_eq!(amount_to_decimal(Money::jod_fils(0)).unwrap(), "0.000");
        assert_eq!(jod("0"), Ok(Money::jod_fils(0)));
        assert_eq!(jod("0.000"), Ok(Money::jod_fils(0)));
    }

    #[test]
    fn one_fils_is_written_0_001() {
        assert_eq!(amount_to_decimal(Money::jod_fils(1)).unwrap(), "0.001");
        assert_eq!(jod("0.001"), Ok(Money::jod_fils(1)));
    }

    #[test]
    fn twelve_and_a_half_dinars_is_12_500_both_ways() {
        assert_eq!(
            amount_to_decimal(Money::jod_fils(12_500)).unwrap(),
            "12.500"
        );
        for text in ["12.500", "12.50", "12.5"] {
            assert_eq!(jod(text), Ok(Money::jod_fils(12_500)), "{text}");
        }
        assert_eq!(jod("12"), Ok(Money::jod_fils(12_000)));
    }

    #[test]
    fn large_amounts_convert_exactly() {
        // Fifteen significant digits: as many as an f64 holds, and none lost here.
        let large = Money::jod_fils(987_654_321_098_765);
        assert_eq!(amount_to_decimal(large).unwrap(), "987654321098.765");
        assert_eq!(jod("987654321098.765"), Ok(large));
        let max = Money::jod_fils(Money::MAX_MINOR);
        assert_eq!(jod(&amount_to_decimal(max).unwrap()), Ok(max));
        assert_eq!(
            amount_to_decimal(Money::jod_fils(Money::MAX_MINOR + 1)),
            Err(AmountError::OutOfRange)
        );
        assert_eq!(jod("1000000000000.001"), Err(AmountError::OutOfRange));
        assert_eq!(jod("99999999999999999999999"), Err(AmountError::OutOfRange));
    }

    #[test]
    fn negative_amounts_are_refused() {
        assert_eq!(
            amount_to_decimal(Money::jod_fils(-1)),
            Err(AmountError::Negative)
        );
        assert_eq!(jod("-0.001"), Err(AmountError::Negative));
        assert_eq!(jod("-12.500"), Err(AmountError::Negative));
    }

    #[test]
    fn more_than_three_decimals_are_refused_not_rounded() {
        assert_eq!(jod("12.5001"), Err(AmountError::TooPrecise(3)));
        assert_eq!(jod("0.0001"), Err(AmountError::TooPrecise(3)));
        assert_eq!(jod("12.5000"), Err(AmountError::TooPrecise(3)));
        assert_eq!(
            amount_from_decimal("1.234", Currency::USD),
            Err(AmountError::TooPrecise(2))
        );
    }

    #[test]
    fn text_that_is_not_a_plain_decimal_is_refused() {
        for bad in [
            "", ".5", "12.", "1,5", " 12.5", "12.5 ", "+12.5", "1e3", "12.5.0", "١٢", "0x10", "NaN",
        ] {
            assert_eq!(jod(bad), Err(AmountError::NotADecimal), "{bad:?}");
        }
    }

    #[test]
    fn usd_has_two_decimals() {
        assert_eq!(
            amount_to_decimal(Money {
                minor: 1_230,
                currency: Currency::USD
            })
            .unwrap(),
            "12.30"
        );
        assert_eq!(
            amount_from_decimal("12.3", Currency::USD).map(|m| m.minor),
            Ok(1_230)
        );
    }

    proptest! {
        #[test]
        fn every_jod_amount_round_trips_exactly(fils in 0..=Money::MAX_MINOR) {
            let money = Money::jod_fils(fils);
            let text = amount_to_decimal(money).unwrap();
            prop_assert_eq!(text.split_once('.').map(|(_, f)| f.len()), Some(3));
            prop_assert_eq!(jod(&text), Ok(money));
        }

        #[test]
        fn hafla_core_reads_our_text_the_same(fils in 0..=Money::MAX_MINOR) {
            let text = amount_to_decimal(Money::jod_fils(fils)).unwrap();
            prop_assert_eq!(Money::parse(&text, Currency::JOD), Ok(Money::jod_fils(fils)));
        }
    }
}
