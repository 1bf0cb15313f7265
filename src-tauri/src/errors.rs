//! Everything that can go wrong in the shell, and the one place it becomes the
//! `{code, message}` the UI shows (the message in the person's language).

use hafla_core::Lang;
use hafla_core::api_client::ClientError;
use hafla_core::door::store::DoorStoreError;
use hafla_core::i18n::localizer;
use hafla_core::local_store::LocalStoreError;
use hafla_core::sync::{LocalError, RequestError, SyncError};
use hafla_core::wire::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("local database: {0}")]
    Local(#[from] LocalError),
    #[error("local database: {0}")]
    Settings(#[from] LocalStoreError),
    #[error("door store: {0}")]
    Door(#[from] DoorStoreError),
    /// The command needs a signed-in person.
    #[error("not signed in")]
    SignedOut,
    /// A ticket, event or door list the device does not hold.
    #[error("{what} is not on this device")]
    NotOnDevice { what: String },
    /// Input the UI should have stopped (an empty field, a number out of range).
    #[error("invalid {field}")]
    Invalid { field: &'static str },
    /// The OS refused something (writing a file, opening a browser).
    #[error("{action}: {reason}")]
    System {
        action: &'static str,
        reason: String,
    },
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Client(e) => e.code(),
            AppError::Sync(e) => e.code(),
            AppError::Request(e) => e.code(),
            AppError::SignedOut => ErrorCode::Unauthenticated,
            AppError::NotOnDevice { .. } => ErrorCode::NotFound,
            AppError::Invalid { .. } => ErrorCode::InvalidParameter,
            AppError::Local(_) | AppError::Settings(_) | AppError::Door(_) => ErrorCode::Internal,
            AppError::System { .. } => ErrorCode::Internal,
        }
    }

    /// The answer the UI gets: the server's own message when it sent one, else the
    /// localized message of the code. Internal details go to the log, not the screen.
    pub fn to_body(&self, lang: Lang) -> ErrorBody {
        let code = self.code();
        let message = match self {
            AppError::Client(ClientError::Api { message, .. }) => message.clone(),
            AppError::Client(ClientError::Unreachable { url, .. })
            | AppError::Client(ClientError::BadResponse { url, .. }) => {
                localizer().message(lang, code.message_id(), &[("url", url.clone().into())])
            }
            AppError::Invalid { field } => localizer().message(
                lang,
                code.message_id(),
                &[("name", (*field).into()), ("parameter", (*field).into())],
            ),
            _ => {
                if code == ErrorCode::Internal {
                    eprintln!("hafla-app: {self}");
                }
                localizer().message(lang, code.message_id(), &[("url", "".into())])
            }
        };
        ErrorBody {
            code,
            message,
            details: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_explained_in_arabic_with_its_address() {
        let err = AppError::Client(ClientError::Unreachable {
            url: "http://10.0.0.1:8080".into(),
            reason: "connection refused".into(),
        });
        let body = err.to_body(Lang::Ar);
        assert_eq!(body.code, ErrorCode::ServerUnreachable);
        assert!(body.message.contains("تعذّر الوصول"), "{}", body.message);
        assert!(
            body.message.contains("http://10.0.0.1:8080"),
            "{}",
            body.message
        );
    }

    #[test]
    fn the_servers_own_message_is_shown_as_it_came() {
        let err = AppError::Client(ClientError::Api {
            code: ErrorCode::SoldOut,
            message: "نفدت التذاكر".into(),
        });
        let body = err.to_body(Lang::Ar);
        assert_eq!(body.code, ErrorCode::SoldOut);
        assert_eq!(body.message, "نفدت التذاكر");
    }

    #[test]
    fn being_signed_out_is_a_localized_unauthenticated_error() {
        let body = AppError::SignedOut.to_body(Lang::En);
        assert_eq!(body.code, ErrorCode::Unauthenticated);
        assert!(!body.message.is_empty() && body.message != "unauthenticated");
    }
}
