//! The development sender: appends each message to a JSON-lines file, which
//! is where developers read their sign-in codes on their own machine.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::sync::Mutex;

use super::{SmsError, SmsFuture, SmsMessage, SmsReceipt, SmsSender};

/// The outbox's file name inside the configured directory.
pub const OUTBOX_FILE: &str = "sms-outbox.jsonl";

/// Writes messages to `<dir>/sms-outbox.jsonl`, one JSON object per line.
/// For development only: the file holds codes in clear text.
#[derive(Debug)]
pub struct DevSms {
    path: PathBuf,
    /// Serializes appends so concurrent sends never interleave within a line.
    write: Mutex<()>,
}

/// One line of the outbox.
#[derive(Serialize)]
struct OutboxLine<'a> {
    id: &'a str,
    at: jiff::Timestamp,
    to: &'a str,
    body: &'a str,
}

impl DevSms {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DevSms {
            path: dir.into().join(OUTBOX_FILE),
            write: Mutex::new(()),
        }
    }

    /// Where the messages go, to tell the developer at startup.
    pub fn outbox_path(&self) -> &Path {
        &self.path
    }

    async fn append(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let id = format!("dev-{}", uuid::Uuid::now_v7());
        let line = OutboxLine {
            id: &id,
            at: jiff::Timestamp::now(),
            to: message.to.as_e164(),
            body: &message.body,
        };
        let mut json = serde_json::to_string(&line)
            .map_err(|e| SmsError::Unavailable(format!("could not encode the message: {e}")))?;
        json.push('\n');

        let path = self.path.clone();
        let _guard = self.write.lock().await;
        // Plain blocking file I/O on the blocking pool: tiny writes, no extra tokio features.
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            file.write_all(json.as_bytes())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(SmsError::Unavailable(format!(
                    "could not write the SMS outbox {}: {e}",
                    self.path.display()
                )));
            }
            Err(e) => {
                return Err(SmsError::Unavailable(format!(
                    "the SMS outbox writer stopped: {e}"
                )));
            }
        }

        tracing::info!(
            to = %message.to.masked(),
            outbox = %self.path.display(),
            "SMS written to the development outbox"
        );
        Ok(SmsReceipt { provider_id: id })
    }
}

impl SmsSender for DevSms {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(self.append(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::phone::PhoneNumber;

    fn message(body: &str) -> SmsMessage {
        SmsMessage {
            to: PhoneNumber::parse("0791234567").unwrap(),
            body: body.to_owned(),
        }
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn each_message_becomes_one_json_line_in_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let sms = DevSms::new(dir.path());
        let receipt = sms.send(&message("رمز حفلة: 482913")).await.unwrap();
        sms.send(&message("Your Hafla code is 105577"))
            .await
            .unwrap();

        assert_eq!(sms.outbox_path(), dir.path().join("sms-outbox.jsonl"));
        let lines = lines(sms.outbox_path());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["to"], "+962791234567");
        assert_eq!(lines[0]["body"], "رمز حفلة: 482913");
        assert_eq!(lines[0]["id"], receipt.provider_id.as_str());
        assert!(lines[0]["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(lines[1]["body"], "Your Hafla code is 105577");
    }

    #[tokio::test]
    async fn the_outbox_directory_is_created_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("var").join("dev");
        let sms = DevSms::new(&nested);
        sms.send(&message("code 1")).await.unwrap();
        assert_eq!(lines(&nested.join(OUTBOX_FILE)).len(), 1);
    }

    #[tokio::test]
    async fn concurrent_sends_never_interleave_lines() {
        let dir = tempfile::tempdir().unwrap();
        let sms = std::sync::Arc::new(DevSms::new(dir.path()));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let sms = sms.clone();
                tokio::spawn(async move { sms.send(&message(&format!("code {i}"))).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(lines(sms.outbox_path()).len(), 20);
    }

    #[tokio::test]
    async fn an_unwritable_outbox_is_reported_not_panicked() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let sms = DevSms::new(blocker.join("sub"));
        let err = sms.send(&message("code")).await.unwrap_err();
        assert!(matches!(err, SmsError::Unavailable(_)), "{err:?}");
    }
}
