//! The server's master key and the sealed form of every secret stored under it.
//!
//! # Master key
//!
//! 32 random bytes the operator gives as base64 (standard or URL-safe alphabet, padded or
//! not), in `HAFLA_MASTER_KEY` or in a file (`--master-key-file`; surrounding whitespace is
//! ignored). On unix a key file that anyone outside its owner and group may read or write,
//! or that its group may write, is refused: `chmod 600` (or `640` for a service group) fixes
//! it. A group-readable file is accepted with a warning in the log. The key is wiped from
//! memory when dropped and is never printed: `Debug` and `Display` show its fingerprint.
//!
//! # Fingerprint
//!
//! The first 8 bytes of SHA-256 over a domain tag and the key, shown as 16 hex digits. It
//! names the key in logs and tags every sealed blob, so a blob opened with another master
//! key is reported as exactly that, not as damage.
//!
//! # Sealed blob (format version 1)
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (1) |
//! | 8 | fingerprint of the master key that sealed it |
//! | 24 | XChaCha20-Poly1305 nonce, random per seal |
//! | n + 16 | ciphertext and tag |
//!
//! The version and fingerprint are authenticated together with the caller's associated data,
//! which names what the secret belongs to (for a signing key: its event and key id), so a
//! blob copied into another row does not open.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

/// The environment variable that holds the master key.
pub const MASTER_KEY_ENV: &str = "HAFLA_MASTER_KEY";
/// The sealed-blob format this build writes and reads.
pub const SEALED_VERSION: u8 = 1;
const KEY_LEN: usize = 32;
const FINGERPRINT_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + FINGERPRINT_LEN;
/// Key files longer than this are not a base64 key with some whitespace.
const MAX_FILE_LEN: u64 = 1024;
const FINGERPRINT_TAG: &[u8] = b"hafla/master-key-fingerprint/v1\0";

/// Why a master key could not be had. Messages name where the key came from, never its text.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("no master key: set {MASTER_KEY_ENV} or give a master key file")]
    Missing,
    #[error("both {MASTER_KEY_ENV} and a master key file are given: give only one")]
    Both,
    #[error("the master key in {origin} is empty")]
    Empty { origin: String },
    #[error(
        "the master key in {origin} is not base64 (standard or URL-safe); make one with `openssl rand -base64 32`"
    )]
    NotBase64 { origin: String },
    #[error(
        "the master key in {origin} is {len} bytes long; it must be exactly 32 (44 base64 characters)"
    )]
    WrongLength { origin: String, len: usize },
    #[error("cannot read the master key file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "the master key file {path} is open to other users (mode {mode:03o}); `chmod 600 {path}` (or 640 for a service group)"
    )]
    TooOpen { path: String, mode: u32 },
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// Why a sealed blob could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error(
        "sealed under another master key (fingerprint {found}; this one is {expected}): use the master key it was sealed with"
    )]
    WrongMasterKey {
        expected: Fingerprint,
        found: Fingerprint,
    },
    #[error(
        "the sealed secret does not open: it was altered, or it belongs to another row than the one it was read from"
    )]
    Undecryptable,
    #[error("the sealed secret has format version {0}, which this build does not know")]
    UnknownVersion(u8),
    #[error("the sealed secret is cut short")]
    Truncated,
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// The short public name of a master key (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; FINGERPRINT_LEN]);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The key every stored secret is sealed under. Wiped from memory on drop; prints as its
/// fingerprint only.
pub struct MasterKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    fingerprint: Fingerprint,
}

impl MasterKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<MasterKey, MasterKeyError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(key.as_mut_slice()).map_err(|e| MasterKeyError::Random(e.to_string()))?;
        Ok(MasterKey::from_key(key))
    }

    fn from_key(key: Zeroizing<[u8; KEY_LEN]>) -> MasterKey {
        let digest = Sha256::new()
            .chain_update(FINGERPRINT_TAG)
            .chain_update(key.as_slice())
            .finalize();
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        MasterKey {
            key,
            fingerprint: Fingerprint(fingerprint),
        }
    }

    /// The key from `env_value` (the value of `HAFLA_MASTER_KEY`, if set) or from the file
    /// `file`, exactly one of them. Both are base64 of 32 bytes, whitespace around ignored.
    pub fn from_env_or_file(
        env_value: Option<&str>,
        file: Option<&Path>,
    ) -> Result<MasterKey, MasterKeyError> {
        match (env_value, file) {
            (Some(_), Some(_)) => Err(MasterKeyError::Both),
            (None, None) => Err(MasterKeyError::Missing),
            (Some(value), None) => Self::from_base64(value, MASTER_KEY_ENV),
            (None, Some(path)) => Self::from_file(path),
        }
    }

    /// Parses base64 of exactly 32 bytes; `origin` names where the text came from in errors.
    pub fn from_base64(text: &str, origin: &str) -> Result<MasterKey, MasterKeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MasterKeyError::Empty {
                origin: origin.to_owned(),
            });
        }
        let url_safe = text.contains(['-', '_']);
        let engine = GeneralPurpose::new(
            if url_safe {
                &alphabet::URL_SAFE
            } else {
                &alphabet::STANDARD
            },
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        // The decode error names the offending character: part of the key, so not repeated.
        let bytes = Zeroizing::new(engine.decode(text).map_err(|_| MasterKeyError::NotBase64 {
            origin: origin.to_owned(),
        })?);
        if bytes.len() != KEY_LEN {
            return Err(MasterKeyError::WrongLength {
                origin: origin.to_owned(),
                len: bytes.len(),
            });
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&bytes);
        Ok(MasterKey::from_key(key))
    }

    /// Reads the key from a file (see the module documentation for the permission rules).
    pub fn from_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
        let shown = path.display().to_string();
        let unreadable = |e: std::io::Error| MasterKeyError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let metadata = file.metadata().map_err(unreadable)?;
        if !metadata.is_file() {
            return Err(MasterKeyError::Unreadable {
                path: shown,
                reason: "not a regular file".into(),
            });
        }
        check_permissions(&metadata, &shown)?;
        // Room for the whole file at once, so no copy of the key is left behind by a reallocation.
        let mut text = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN as usize + 1));
        file.take(MAX_FILE_LEN + 1)
            .read_to_end(&mut text)
            .map_err(unreadable)?;
        if text.len() as u64 > MAX_FILE_LEN {
            return Err(MasterKeyError::Unreadable {
                path: shown,
                reason: format!("longer than {MAX_FILE_LEN} bytes: not a master key file"),
            });
        }
        let origin = format!("file {shown}");
        let text = std::str::from_utf8(&text).map_err(|_| MasterKeyError::NotBase64 {
            origin: origin.clone(),
        })?;
        Self::from_base64(text, &origin)
    }

    /// The key as standard padded base64, to hand to an operator once. Never log it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(48));
        base64::engine::general_purpose::STANDARD.encode_string(self.key.as_slice(), &mut out);
        out
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.key.as_slice()))
    }

    /// Encrypts `plaintext` under this key with a fresh random nonce, bound to
    /// `associated_data` (which must be given again to open it).
    pub fn seal(&self, plaintext: &[u8], associated_data: &[u8]) -> Result<Sealed, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
        let aad = authenticated(SEALED_VERSION, self.fingerprint, associated_data);
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Only for inputs beyond XChaCha20's 256 GiB.
            .map_err(|_| VaultError::Undecryptable)?;
        Ok(Sealed {
            fingerprint: self.fingerprint,
            nonce,
            ciphertext,
        })
    }

    /// Decrypts what [`MasterKey::seal`] made with this key and the same associated data.
    pub fn open(
        &self,
        sealed: &Sealed,
        associated_data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.fingerprint != self.fingerprint {
            return Err(VaultError::WrongMasterKey {
                expected: self.fingerprint,
                found: sealed.fingerprint,
            });
        }
        let aad = authenticated(SEALED_VERSION, sealed.fingerprint, associated_data);
        self.cipher()
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Undecryptable)
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({}, <secret>)", self.fingerprint)
    }
}

impl std::fmt::Display for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "master key {}", self.fingerprint)
    }
}

/// What the AEAD tag covers besides the ciphertext: the blob's header, then the caller's data.
fn authenticated(version: u8, fingerprint: Fingerprint, associated_data: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + associated_data.len());
    aad.push(version);
    aad.extend_from_slice(&fingerprint.0);
    aad.extend_from_slice(associated_data);
    aad
}

#[cfg(unix)]
fn check_permissions(metadata: &std::fs::Metadata, path: &str) -> Result<(), MasterKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    // Others may do nothing; the group may read (a service group) but not write.
    if mode & 0o027 != 0 {
        return Err(MasterKeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    if mode & 0o040 != 0 {
        tracing::warn!(
            path,
            mode = %format!("{mode:03o}"),
            "the master key file is readable by its group"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &std::fs::Metadata, _: &str) -> Result<(), MasterKeyError> {
    Ok(())
}

/// A secret sealed under a master key, in the byte form stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    fingerprint: Fingerprint,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// The fingerprint of the master key that sealed it.
    pub fn master_fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + self.ciphertext.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(&self.fingerprint.0);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Reads the stored form. Checks only the shape; [`MasterKey::open`] checks the rest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sealed, VaultError> {
        let (&version, rest) = bytes.split_first().ok_or(VaultError::Truncated)?;
        if version != SEALED_VERSION {
            return Err(VaultError::UnknownVersion(version));
        }
        if rest.len() < FINGERPRINT_LEN + NONCE_LEN + TAG_LEN {
            return Err(VaultError::Truncated);
        }
        let (fingerprint, rest) = rest.split_at(FINGERPRINT_LEN);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        Ok(Sealed {
            fingerprint: Fingerprint(fingerprint.try_into().map_err(|_| VaultError::Truncated)?),
            nonce: nonce.try_into().map_err(|_| VaultError::Truncated)?,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sealed(master {}, {} bytes)",
            self.fingerprint,
            self.ciphertext.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    const AD: &[u8] = b"event 1, key 7";

    fn key() -> MasterKey {
        MasterKey::generate().unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_associated_data() {
        let master = key();
        let sealed = master.seal(b"the secret", AD).unwrap();
        let stored = sealed.to_bytes();
        assert_eq!(stored.len(), 1 + 8 + 24 + 10 + 16);
        assert_eq!(stored[0], SEALED_VERSION);
        let read = Sealed::from_bytes(&stored).unwrap();
        assert_eq!(read, sealed);
        assert_eq!(read.master_fingerprint(), master.fingerprint());
        assert_eq!(master.open(&read, AD).unwrap().as_slice(), b"the secret");
        // A fresh nonce each time: sealing twice never gives the same bytes.
        assert_ne!(master.seal(b"the secret", AD).unwrap().to_bytes(), stored);
    }

    #[test]
    fn another_master_key_is_reported_as_such_with_both_fingerprints() {
        let (master, other) = (key(), key());
        let sealed = master.seal(b"the secret", AD).unwrap();
        assert_eq!(
            other.open(&sealed, AD).unwrap_err(),
            VaultError::WrongMasterKey {
                expected: other.fingerprint(),
                found: master.fingerprint()
            }
        );
        let message = other.open(&sealed, AD).unwrap_err().to_string();
        assert!(
            message.contains(&master.fingerprint().to_string()),
            "{message}"
        );
        assert!(message.contains("another master key"), "{message}");
    }

    #[test]
    fn any_altered_byte_or_other_associated_data_does_not_open() {
        let master = key();
        let stored = master.seal(b"the secret", AD).unwrap().to_bytes();
        for i in 0..stored.len() {
            let mut altered = stored.clone();
            altered[i] ^= 0x01;
            let result = Sealed::from_bytes(&altered).and_then(|s| master.open(&s, AD));
            let expected = match i {
                0 => VaultError::UnknownVersion(SEALED_VERSION ^ 1),
                1..=8 => VaultError::WrongMasterKey {
                    expected: master.fingerprint(),
                    found: Sealed::from_bytes(&altered).unwrap().master_fingerprint(),
                },
                _ => VaultError::Undecryptable,
            };
            assert_eq!(result.unwrap_err(), expected, "byte {i}");
        }
        let sealed = Sealed::from_bytes(&stored).unwrap();
        assert_eq!(
            master.open(&sealed, b"event 2, key 7").unwrap_err(),
            VaultError::Undecryptable
        );
        assert_eq!(
            master.open(&sealed, b"").unwrap_err(),
            VaultError::Undecryptable
        );
    }

    #[test]
    fn short_or_unknown_blobs_are_refused_without_panicking() {
        assert_eq!(Sealed::from_bytes(&[]).unwrap_err(), VaultError::Truncated);
        assert_eq!(
            Sealed::from_bytes(&[SEALED_VERSION; 48]).unwrap_err(),
            VaultError::Truncated
        );
        assert_eq!(
            Sealed::from_bytes(&[9; 80]).unwrap_err(),
            VaultError::UnknownVersion(9)
        );
        // The shortest blob (empty plaintext) is well-formed.
        let master = key();
        let empty = master.seal(b"", AD).unwrap().to_bytes();
        assert_eq!(empty.len(), 49);
        let sealed = Sealed::from_bytes(&empty).unwrap();
        assert!(master.open(&sealed, AD).unwrap().is_empty());
    }

    #[test]
    fn a_master_key_reads_from_either_base64_alphabet_with_or_without_padding() {
        let master = key();
        let text = master.to_base64();
        assert_eq!(text.len(), 44);
        let raw = STANDARD.decode(text.as_str()).unwrap();
        for form in [
            text.to_string(),
            format!("  {}\n", text.as_str()),
            text.trim_end_matches('=').to_owned(),
            base64::engine::general_purpose::URL_SAFE.encode(&raw),
            URL_SAFE_NO_PAD.encode(&raw),
        ] {
            let again = MasterKey::from_env_or_file(Some(&form), None).unwrap();
            assert_eq!(again.fingerprint(), master.fingerprint(), "{form:?}");
        }
    }

    /// The variant of an error, to compare cases in a table.
    fn kind(e: &MasterKeyError) -> String {
        match e {
            MasterKeyError::WrongLength { len, .. } => format!("WrongLength({len})"),
            other => format!("{other:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    #[test]
    fn bad_master_key_inputs_get_clear_errors_that_never_repeat_the_key() {
        let short = STANDARD.encode([7u8; 31]);
        let long = STANDARD.encode([7u8; 33]);
        let cases = [
            (Some(""), "Empty"),
            (Some("  \n"), "Empty"),
            (Some(short.as_str()), "WrongLength(31)"),
            (Some(long.as_str()), "WrongLength(33)"),
            (
                Some("this is not base64 at all!!!!!!!!!!!!!!!!!!"),
                "NotBase64",
            ),
            // Both alphabets mixed in one text is neither.
            (
                Some("ab+c_defghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"),
                "NotBase64",
            ),
            (None, "Missing"),
        ];
        for (value, expected) in cases {
            let err = MasterKey::from_env_or_file(value, None).unwrap_err();
            assert_eq!(kind(&err), expected, "{value:?}: {err}");
            let message = err.to_string();
            assert!(message.contains(MASTER_KEY_ENV), "{message}");
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                assert!(!message.contains(v.trim()), "{message}");
            }
        }
        let both =
            MasterKey::from_env_or_file(Some(short.as_str()), Some(Path::new("/etc/hafla/key")))
                .unwrap_err();
        assert_eq!(kind(&both), "Both", "{both}");
    }

    fn key_file(contents: &str, mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        (dir, path)
    }

    #[test]
    fn a_master_key_file_is_read_trimmed() {
        let master = key();
        let (_dir, path) = key_file(&format!("{}\n", master.to_base64().as_str()), 0o600);
        let again = MasterKey::from_env_or_file(None, Some(&path)).unwrap();
        assert_eq!(again.fingerprint(), master.fingerprint());
        // Group-readable is accepted (with a warning in the log).
        let (_dir, path) = key_file(master.to_base64().as_str(), 0o640);
        assert!(MasterKey::from_file(&path).is_ok());
    }

    #[test]
    fn a_missing_empty_wrong_or_oversized_key_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere.key");
        let err = MasterKey::from_env_or_file(None, Some(&missing)).unwrap_err();
        assert!(matches!(err, MasterKeyError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("nowhere.key"), "{err}");

        let err = MasterKey::from_file(dir.path()).unwrap_err();
        assert!(matches!(err, MasterKeyError::Unreadable { .. }), "{err}");

        let (_d, empty) = key_file("\n", 0o600);
        let err = MasterKey::from_file(&empty).unwrap_err();
        assert!(matches!(err, MasterKeyError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("master.key"), "{err}");

        let (_d, short) = key_file(&STANDARD.encode([1u8; 16]), 0o600);
        let err = MasterKey::from_file(&short).unwrap_err();
        assert!(
            matches!(err, MasterKeyError::WrongLength { len: 16, .. }),
            "{err}"
        );

        let (_d, huge) = key_file(&"A".repeat(5000), 0o600);
        let err = MasterKey::from_file(&huge).unwrap_err();
        assert!(matches!(err, MasterKeyError::Unreadable { .. }), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("binary.key");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = MasterKey::from_file(&binary).unwrap_err();
        assert!(matches!(err, MasterKeyError::NotBase64 { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_open_to_others_or_writable_by_its_group_is_refused() {
        let text = key().to_base64();
        for mode in [0o644, 0o604, 0o602, 0o660, 0o666, 0o620] {
            let (_dir, path) = key_file(text.as_str(), mode);
            let err = MasterKey::from_file(&path).unwrap_err();
            assert!(
                matches!(err, MasterKeyError::TooOpen { mode: m, .. } if m == mode),
                "{mode:o}: {err}"
            );
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        for mode in [0o600, 0o400, 0o640, 0o440] {
            let (_dir, path) = key_file(text.as_str(), mode);
            assert!(MasterKey::from_file(&path).is_ok(), "{mode:o}");
        }
    }

    #[test]
    fn debug_and_display_show_the_fingerprint_and_never_the_key() {
        let master = key();
        let text = master.to_base64();
        let raw = STANDARD.decode(text.as_str()).unwrap();
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let sealed = master.seal(b"secret", AD).unwrap();
        for shown in [
            format!("{master:?}"),
            format!("{master}"),
            format!("{master:#?}"),
            format!("{sealed:?}"),
        ] {
            assert!(shown.contains(&master.fingerprint().to_string()), "{shown}");
            assert!(!shown.contains(text.as_str()), "{shown}");
            assert!(!shown.contains(text.trim_end_matches('=')), "{shown}");
            assert!(!shown.contains(&hex), "{shown}");
            assert!(!shown.contains(&format!("{raw:?}")), "{shown}");
            assert!(!shown.contains(&format!("{:?}", &raw[..8])), "{shown}");
        }
    }

    #[test]
    fn the_fingerprint_is_stable_and_differs_between_keys() {
        let text = STANDARD.encode([42u8; 32]);
        let a = MasterKey::from_base64(&text, "test").unwrap();
        let b = MasterKey::from_base64(&text, "test").unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().to_string().len(), 16);
        assert_ne!(a.fingerprint(), key().fingerprint());
        // Not a plain hash prefix of the key.
        let plain = Sha256::digest([42u8; 32]);
        assert_ne!(a.fingerprint().0[..], plain[..8]);
    }
}
