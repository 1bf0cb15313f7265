//! A validated email address, the only kind the mailers accept.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The longest address that fits an SMTP forward path (RFC 5321 §4.5.3.1.3, minus `<>`).
const MAX_LEN: usize = 254;

/// An address that SMTP can deliver to: trimmed, ASCII, with a lower-cased domain.
///
/// Internationalised domains (such as `.الاردن`) are stored in their ASCII (punycode) form,
/// because the SMTP client does not negotiate SMTPUTF8; for the same reason the local part
/// must be ASCII. The local part is kept as given: some servers treat it case-sensitively.
///
/// `Debug` shows only the masked form, so an address logged by accident stays private;
/// use [`EmailAddress::as_str`] where the full address is really needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Why a text is not an email address. Carries no part of the input, so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email address is empty")]
    Empty,
    #[error("email address is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("email address contains spaces or control characters")]
    Whitespace,
    #[error("email address has no @")]
    MissingAt,
    #[error("email address has more than one @")]
    MultipleAt,
    #[error("email address has nothing before the @")]
    EmptyLocalPart,
    #[error("email address has nothing after the @")]
    EmptyDomain,
    #[error("the part before the @ must use Latin letters, digits and punctuation only")]
    NonAsciiLocalPart,
    #[error("email address domain has no dot")]
    DomainWithoutDot,
    #[error("email address domain is not a valid domain name")]
    InvalidDomain,
    #[error("email address is not valid: {0}")]
    Invalid(String),
}

impl EmailAddress {
    /// Validates and normalises an address typed by a person.
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let (local, domain) = match input.split_once('@') {
            None => return Err(EmailError::MissingAt),
            Some((_, rest)) if rest.contains('@') => return Err(EmailError::MultipleAt),
            Some(parts) => parts,
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocalPart);
        }
        if domain.is_empty() {
            return Err(EmailError::EmptyDomain);
        }
        if !local.is_ascii() {
            return Err(EmailError::NonAsciiLocalPart);
        }
        let domain = ascii_domain(domain)?;
        if !domain.contains('.') {
            return Err(EmailError::DomainWithoutDot);
        }
        if !is_host_name(&domain) {
            return Err(EmailError::InvalidDomain);
        }
        let address = format!("{local}@{domain}");
        if address.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        address
            .parse::<lettre::Address>()
            .map_err(|e| EmailError::Invalid(e.to_string()))?;
        Ok(EmailAddress(address))
    }

    /// The full address, for the SMTP envelope and the `To:` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part hidden, e.g. `r***@example.com`: the only form to log.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let first = local.chars().next().map(String::from).unwrap_or_default();
        format!("{first}***@{domain}")
    }

    /// The same address in lettre's type; cannot fail for a parsed address, but is checked.
    pub(crate) fn to_lettre(&self) -> Result<lettre::Address, EmailError> {
        self.0
            .parse::<lettre::Address>()
            .map_err(|e| EmailError::Invalid(e.to_string()))
    }
}

/// Lower-cases an ASCII domain, or converts an internationalised one to punycode.
fn ascii_domain(domain: &str) -> Result<String, EmailError> {
    if domain.is_ascii() {
        return Ok(domain.to_ascii_lowercase());
    }
    match url::Host::parse(domain) {
        Ok(url::Host::Domain(ascii)) if ascii.is_ascii() => Ok(ascii.to_ascii_lowercase()),
        _ => Err(EmailError::InvalidDomain),
    }
}

/// Letters, digits and inner hyphens in labels of 1 to 63 characters, and a top-level label
/// that is not all digits. Stricter than lettre, which lets `exam!ple.com` through; domain
/// literals such as `[192.0.2.1]` are refused as well, as no customer has a reason to use one.
fn is_host_name(domain: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_level_ok = domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    domain.len() <= 253 && domain.split('.').all(label_ok) && top_level_ok
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Validates on the way in, so a stored or posted address is never trusted unchecked.
impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        EmailAddress::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_addresses_are_accepted() {
        for address in [
            "rania.haddad@gmail.com",
            "omar+tickets@outlook.com",
            "info@hafla.jo",
            "m_khalil@ju.edu.jo",
            "box-office@royal-cultural-centre.gov.jo",
            "o'connor@example.co.uk",
            "x@y.io",
        ] {
            let parsed = EmailAddress::parse(address);
            assert_eq!(
                parsed.as_ref().map(EmailAddress::as_str),
                Ok(address),
                "{address}"
            );
        }
    }

    #[test]
    fn surrounding_spaces_are_trimmed_and_only_the_domain_is_lower_cased() {
        let parsed = EmailAddress::parse("  Rania.Haddad@Gmail.COM \n").unwrap();
        assert_eq!(parsed.as_str(), "Rania.Haddad@gmail.com");
    }

    #[test]
    fn an_arabic_domain_is_stored_in_its_ascii_form() {
        let parsed = EmailAddress::parse("info@مثال.الاردن").unwrap();
        assert!(parsed.as_str().is_ascii(), "{}", parsed.as_str());
        assert!(
            parsed.as_str().starts_with("info@xn--"),
            "{}",
            parsed.as_str()
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_specific_reason() {
        let long_local = "a".repeat(250);
        let cases: Vec<(&str, EmailError)> = vec![
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("rania.example.com", EmailError::MissingAt),
            ("rania@@example.com", EmailError::MultipleAt),
            ("rania@example@com.jo", EmailError::MultipleAt),
            ("@example.com", EmailError::EmptyLocalPart),
            ("rania@", EmailError::EmptyDomain),
            ("rania@localhost", EmailError::DomainWithoutDot),
            ("rania haddad@example.com", EmailError::Whitespace),
            ("rania@exa mple.com", EmailError::Whitespace),
            ("rania\u{0}@example.com", EmailError::Whitespace),
            (
                "rania@example.com\r\nBcc: all@example.com",
                EmailError::Whitespace,
            ),
            ("رانيا@example.com", EmailError::NonAsciiLocalPart),
        ];
        for (input, expected) in cases {
            assert_eq!(EmailAddress::parse(input), Err(expected), "{input:?}");
        }
        let too_long = format!("{long_local}@example.com");
        assert_eq!(EmailAddress::parse(&too_long), Err(EmailError::TooLong));
    }

    #[test]
    fn local_parts_lettre_refuses_are_refused() {
        for input in [
            "rania.@example.com",
            ".rania@example.com",
            "ra..nia@example.com",
            "rania(comment)@example.com",
            "<rania@example.com",
            "rania\\@example.com",
        ] {
            assert!(
                matches!(EmailAddress::parse(input), Err(EmailError::Invalid(_))),
                "{input:?} gave {:?}",
                EmailAddress::parse(input)
            );
        }
    }

    #[test]
    fn domains_that_are_not_host_names_are_refused() {
        let long_label = format!("rania@{}.com", "a".repeat(64));
        for input in [
            "rania@-example.com",
            "rania@example-.com",
            "rania@example..com",
            "rania@.example.com",
            "rania@example.com.",
            "rania@exam!ple.com",
            "rania@exa_mple.com",
            "rania@192.0.2.1",
            "rania@[192.0.2.1]",
            "rania@example.com>",
            long_label.as_str(),
        ] {
            assert_eq!(
                EmailAddress::parse(input),
                Err(EmailError::InvalidDomain),
                "{input:?}"
            );
        }
    }

    #[test]
    fn arabic_text_is_an_error_not_a_panic() {
        for input in [
            "البريد الإلكتروني",
            "رانيا",
            "رانيا@مثال",
            "\u{200f}rania@example.com",
            "rania@\u{202e}moc.elpmaxe",
            "مرحبا@",
            "@مرحبا",
            "٣٤٥@٦٧٨.٩",
        ] {
            assert!(EmailAddress::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn the_masked_form_keeps_only_the_first_letter_and_the_domain() {
        let parsed = EmailAddress::parse("rania.haddad@example.com").unwrap();
        assert_eq!(parsed.masked(), "r***@example.com");
        assert_eq!(EmailAddress::parse("x@y.io").unwrap().masked(), "x***@y.io");
        assert_eq!(format!("{parsed:?}"), "EmailAddress(r***@example.com)");
    }

    #[test]
    fn serde_writes_a_plain_string_and_validates_when_reading() {
        let parsed = EmailAddress::parse("Omar@Example.com").unwrap();
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            "\"Omar@example.com\""
        );
        let read: EmailAddress = serde_json::from_str("\" omar@EXAMPLE.com\"").unwrap();
        assert_eq!(read.as_str(), "omar@example.com");
        let refused = serde_json::from_str::<EmailAddress>("\"not an address\"");
        assert!(refused.is_err());
        assert!(serde_json::from_str::<EmailAddress>("42").is_err());
    }
}
