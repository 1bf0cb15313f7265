//! Feeds arbitrary input to the credential parser and the offline check.
//! Invariants: never panics; whatever parses is in canonical form; nothing random verifies.
#![no_main]

use hafla_core::credential::Credential;
use hafla_core::credential::keys::{KeyRing, TicketSigningKey};
use hafla_core::door::{DoorContext, check_credential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(credential) = Credential::parse(text) {
        assert_eq!(credential.to_text(), text, "parsed text must be canonical");
    }
    // A fixed, real key: random input must never carry a signature it accepts.
    let secret = format!("hafla-sk1:1:{}", "2a".repeat(32));
    let mut keys = KeyRing::default();
    keys.insert(TicketSigningKey::from_secret_text(&secret).unwrap().public());
    let door = DoorContext { event_ref: 1, keys: &keys, rotating: None };
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    assert!(check_credential(text, &door, now).is_err());
});
