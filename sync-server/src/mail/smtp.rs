//! Sending through an SMTP relay: the production mailer.

use super::message::{self, BodyEncoding};
use super::{Email, EmailAddress, MailError, Mailer, SendFuture};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on this machine or a test server.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (port 587): the production default.
    #[default]
    StartTls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
}

impl SmtpSecurity {
    /// The port usually paired with this security.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// A password that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself; call only where it is handed to the protocol.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where and how to reach the SMTP relay.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The sender shown to people, e.g. `Hafla <no-reply@hafla.jo>`.
    pub from: Mailbox,
    /// The longest one send may take, from connecting to the server's last reply.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// Production defaults: STARTTLS on port 587, no credentials, a 15 second limit.
    pub fn new(host: impl Into<String>, from: Mailbox) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: SmtpSecurity::StartTls.default_port(),
            security: SmtpSecurity::StartTls,
            username: None,
            password: None,
            from,
            timeout: Duration::from_secs(15),
        }
    }
}

/// Sends each email over a new SMTP connection (emails are rare: sign-up and password reset).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

/// Written by hand: the transport's own `Debug` would print the password.
impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Checks the settings and prepares the transport; connects only when sending.
    pub fn new(config: SmtpConfig) -> Result<SmtpMailer, MailError> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(MailError::Config("the SMTP host is empty".to_owned()));
        }
        if config.timeout.is_zero() {
            return Err(MailError::Config("the SMTP timeout is zero".to_owned()));
        }
        let credentials = match (config.username, config.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user, password.0)),
            (None, None) => None,
            _ => {
                return Err(MailError::Config(
                    "the SMTP username and password must be given together".to_owned(),
                ));
            }
        };
        if credentials.is_some() && config.security == SmtpSecurity::None && !is_loopback(host) {
            return Err(MailError::Config(format!(
                "refusing to send SMTP credentials unencrypted to {host}: use StartTls or Tls"
            )));
        }
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from: config.from,
            timeout: config.timeout,
        })
    }

    async fn deliver(&self, email: &Email) -> Result<(), MailError> {
        let message = message::build(&self.from, email, BodyEncoding::Auto)?;
        // lettre bounds only the connect; a server that accepts and then stays silent would
        // otherwise hold this request forever.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(classify(&error, &email.to)),
            Err(_) => Err(MailError::Unavailable(format!(
                "the SMTP server did not finish within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            let outcome = self.deliver(email).await;
            match &outcome {
                Ok(()) => tracing::info!(to = %email.to.masked(), "email sent"),
                Err(error) => tracing::warn!(to = %email.to.masked(), %error, "email not sent"),
            }
            outcome
        })
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, MailError> {
    TlsParameters::new(host.to_owned())
        .map_err(|e| MailError::Config(format!("cannot set up TLS for {host}: {e}")))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Sorts lettre's errors by what the caller should do: 5xx is final, except the
/// authentication codes, which mean our credentials are wrong; everything else is transient.
fn classify(error: &lettre::transport::smtp::Error, to: &EmailAddress) -> MailError {
    let detail = mask_recipient(&error.to_string(), to);
    if let Some(code) = error.status() {
        let auth_failure = matches!(code.to_string().as_str(), "530" | "534" | "535" | "538");
        return if !error.is_permanent() {
            MailError::Unavailable(detail)
        } else if auth_failure {
            MailError::Config(detail)
        } else {
            MailError::Rejected(detail)
        };
    }
    if error.is_tls() || error.is_client() {
        MailError::Config(detail)
    } else {
        MailError::Unavailable(detail)
    }
}

/// Replaces the recipient in a server reply (servers echo it) with its masked form.
fn mask_recipient(text: &str, to: &EmailAddress) -> String {
    let needle = to.as_str().to_ascii_lowercase();
    let haystack = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // ASCII lower-casing keeps byte offsets, so positions found in `haystack` fit `text`.
    for (start, _) in haystack.match_indices(&needle) {
        if start < rest {
            continue;
        }
        out.push_str(&text[rest..start]);
        out.push_str(&to.masked());
        rest = start + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::testing::{self, ScriptedServer, SmtpServer};
    use crate::mail::verification_email;
    use hafla_core::Lang;
    use std::time::Instant;

    const LINK: &str = "https://hafla.jo/verify?token=Zm9vYmFy&lang=ar";

    fn from() -> Mailbox {
        "Hafla <no-reply@hafla.jo>".parse().unwrap()
    }

    fn local_config(port: u16) -> SmtpConfig {
        SmtpConfig {
            port,
            security: SmtpSecurity::None,
            timeout: Duration::from_secs(5),
            ..SmtpConfig::new("127.0.0.1", from())
        }
    }

    fn to() -> EmailAddress {
        EmailAddress::parse("Rania.Haddad@Example.com").unwrap()
    }

    #[test]
    fn the_production_default_is_starttls_on_port_587() {
        let config = SmtpConfig::new("smtp.example.com", from());
        assert_eq!(config.security, SmtpSecurity::StartTls);
        assert_eq!(config.port, 587);
        assert!(!config.timeout.is_zero());
        assert_eq!(SmtpSecurity::default(), SmtpSecurity::StartTls);
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = SmtpConfig {
            username: Some("hafla".to_owned()),
            password: Some(Secret::new("hunter2-very-secret")),
            ..SmtpConfig::new("smtp.example.com", from())
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let mailer = SmtpMailer::new(config).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
    }

    #[test]
    fn credentials_are_never_sent_unencrypted_to_a_remote_host() {
        let config = SmtpConfig {
            security: SmtpSecurity::None,
            username: Some("hafla".to_owned()),
            password: Some(Secret::new("pw")),
            ..SmtpConfig::new("smtp.example.com", from())
        };
        assert!(matches!(
            SmtpMailer::new(config.clone()),
            Err(MailError::Config(_))
        ));
        let local = SmtpConfig {
            host: "localhost".to_owned(),
            ..config
        };
        assert!(SmtpMailer::new(local).is_ok());
    }

    #[test]
    fn incomplete_settings_are_a_config_error() {
        let half = SmtpConfig {
            username: Some("hafla".to_owned()),
            ..SmtpConfig::new("smtp.example.com", from())
        };
        assert!(matches!(SmtpMailer::new(half), Err(MailError::Config(_))));
        let no_host = SmtpConfig::new("  ", from());
        assert!(matches!(
            SmtpMailer::new(no_host),
            Err(MailError::Config(_))
        ));
        let no_time = SmtpConfig {
            timeout: Duration::ZERO,
            ..SmtpConfig::new("smtp.example.com", from())
        };
        assert!(matches!(
            SmtpMailer::new(no_time),
            Err(MailError::Config(_))
        ));
    }

    #[test]
    fn the_recipient_is_masked_in_server_replies_whatever_its_case() {
        let to = to();
        let reply = "permanent error (550): 5.1.1 <rania.haddad@example.com>: unknown; \
                     <Rania.Haddad@Example.com>";
        let masked = mask_recipient(reply, &to);
        assert_eq!(
            masked,
            "permanent error (550): 5.1.1 <R***@example.com>: unknown; <R***@example.com>"
        );
    }

    #[tokio::test]
    async fn an_arabic_verification_email_arrives_intact_at_a_real_smtp_server() {
        let server = SmtpServer::start().await;
        let mailer = SmtpMailer::new(local_config(server.port())).unwrap();
        let mut email = verification_email(to(), Lang::Ar, LINK);
        // Forced to Arabic so the header and body encodings are exercised even before the
        // mail-* Fluent messages exist (until then the template yields the message ids).
        email.subject = "تأكيد بريدك الإلكتروني في حفلة".to_owned();
        email.text = format!("أهلاً بك في حفلة!\n\n{}", email.text);

        mailer.send(&email).await.unwrap();

        let stored = server.single_message().await;
        let raw = std::fs::read_to_string(&stored).unwrap();
        let raw_subject = raw
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .unwrap_or_default();
        assert!(raw_subject.is_ascii(), "subject sent raw: {raw_subject}");
        let decoded = testing::decode_with_python(&stored);
        assert_eq!(
            decoded.envelope_to.as_deref(),
            Some("Rania.Haddad@example.com")
        );
        assert_eq!(decoded.to, "Rania.Haddad@example.com");
        assert_eq!(decoded.from, "Hafla <no-reply@hafla.jo>");
        assert_eq!(decoded.subject, "تأكيد بريدك الإلكتروني في حفلة");
        assert_eq!(decoded.content_type, "multipart/alternative");
        let text = decoded.text.unwrap();
        assert!(text.contains("أهلاً بك في حفلة!"), "{text}");
        assert_eq!(text.matches(LINK).count(), 1, "{text}");
        let html = decoded.html.unwrap();
        assert!(html.contains(r#"dir="rtl""#));
        assert!(html.contains("token=Zm9vYmFy&amp;lang=ar"));
        assert!(decoded.defects.is_empty(), "{:?}", decoded.defects);
    }

    #[tokio::test]
    async fn a_closed_port_is_unavailable_without_waiting_for_the_timeout() {
        let port = testing::closed_port();
        let mailer = SmtpMailer::new(SmtpConfig {
            timeout: Duration::from_secs(3),
            ..local_config(port)
        })
        .unwrap();
        let started = Instant::now();
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        assert!(
            matches!(result, Err(MailError::Unavailable(_))),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_unavailable_after_the_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts connections and keeps them open without ever sending a greeting.
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let mailer = SmtpMailer::new(SmtpConfig {
            timeout: Duration::from_millis(500),
            ..local_config(port)
        })
        .unwrap();
        let started = Instant::now();
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        let elapsed = started.elapsed();
        silent.abort();
        assert!(
            matches!(result, Err(MailError::Unavailable(_))),
            "{result:?}"
        );
        assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_refused_recipient_is_rejected_and_the_error_masks_the_address() {
        let server =
            ScriptedServer::start("550 5.1.1 <Rania.Haddad@example.com>: no such user").await;
        let mailer = SmtpMailer::new(local_config(server.port)).unwrap();
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        let Err(MailError::Rejected(detail)) = result else {
            panic!("expected Rejected, got {result:?}");
        };
        assert!(detail.contains("550"), "{detail}");
        assert!(detail.contains("R***@example.com"), "{detail}");
        assert!(
            !detail.to_ascii_lowercase().contains("rania.haddad@"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_temporary_refusal_is_unavailable() {
        let server = ScriptedServer::start("451 4.3.0 try again later").await;
        let mailer = SmtpMailer::new(local_config(server.port)).unwrap();
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        assert!(
            matches!(result, Err(MailError::Unavailable(_))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn wrong_credentials_are_a_config_error() {
        let server = ScriptedServer::start("250 OK").await;
        let mailer = SmtpMailer::new(SmtpConfig {
            username: Some("hafla".to_owned()),
            password: Some(Secret::new("wrong")),
            ..local_config(server.port)
        })
        .unwrap();
        let result = mailer.send(&verification_email(to(), Lang::En, LINK)).await;
        assert!(matches!(result, Err(MailError::Config(_))), "{result:?}");
    }

    #[tokio::test]
    async fn an_arabic_receipt_arrives_with_every_attachment_intact_at_a_real_smtp_server() {
        let server = SmtpServer::start().await;
        let mailer = SmtpMailer::new(local_config(server.port())).unwrap();
        let mut receipt = testing::receipt(Lang::Ar);
        receipt.to = to();
        let email =
            crate::mail::order_confirmation_email(&receipt, jiff::Timestamp::now()).unwrap();

        mailer.send(&email).await.unwrap();

        let decoded = testing::decode_with_python(&server.single_message().await);
        assert!(decoded.defects.is_empty(), "{:?}", decoded.defects);
        assert_eq!(decoded.subject, email.subject);
        assert_eq!(decoded.content_type, "multipart/mixed");
        assert!(decoded.text.unwrap().contains("60.000 د.أ."));
        assert!(
            decoded
                .html
                .unwrap()
                .contains(r#"<html lang="ar" dir="rtl">"#)
        );
        assert_eq!(decoded.attachments.len(), email.attachments.len());
        for (arrived, sent) in decoded.attachments.iter().zip(&email.attachments) {
            assert_eq!(arrived.filename.as_deref(), Some(sent.filename.as_str()));
            assert_eq!(arrived.bytes, sent.bytes, "{}", sent.filename);
        }
    }
}
