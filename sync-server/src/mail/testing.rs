//! Test helpers: a real SMTP server (Python's aiosmtpd), a scripted one for error replies,
//! Python's `email` package as an independent decoder of what lettre produced, a small MIME
//! reader of our own, and a sample order for the receipt.

use super::{EmailAddress, OrderReceipt, ReceiptEvent, ReceiptLine, ReceiptPayment, ReceiptTicket};
use hafla_core::credential::keys::TicketSigningKey;
use hafla_core::credential::{Claims, Credential};
use hafla_core::{Bilingual, Lang, Money};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use uuid::Uuid;

const INSTALL_HINT: &str = "the mail tests need Python 3 with aiosmtpd as a real SMTP server; \
                            install it with: python3 -m pip install aiosmtpd";

/// How long aiosmtpd may take to start listening before the test fails.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// A port nobody listens on (bound once by us, then released).
pub(super) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// aiosmtpd storing every message in a Maildir; killed when dropped.
pub(super) struct SmtpServer {
    _child: Child,
    port: u16,
    dir: TempDir,
}

impl SmtpServer {
    /// Starts the server and waits (bounded) until it accepts connections.
    pub(super) async fn start() -> SmtpServer {
        require_aiosmtpd();
        let dir = tempfile::tempdir().expect("temporary folder");
        let log_path = dir.path().join("aiosmtpd.log");
        let log = std::fs::File::create(&log_path).expect("aiosmtpd log file");
        let port = closed_port();
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 ({e}): {INSTALL_HINT}"));
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("aiosmtpd exited early with {status}:\n{log}\n{INSTALL_HINT}");
            }
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            if started.elapsed() > STARTUP_LIMIT {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!(
                    "aiosmtpd did not accept connections on 127.0.0.1:{port} within {} s:\n{log}",
                    STARTUP_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpServer {
            _child: child,
            port,
            dir,
        }
    }

    pub(super) fn port(&self) -> u16 {
        self.port
    }

    /// The one message the server stored; fails if there is none (after a short wait) or more.
    pub(super) async fn single_message(&self) -> PathBuf {
        let new = self.dir.path().join("maildir").join("new");
        let started = Instant::now();
        loop {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&new)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            match found.len() {
                1 => return found.remove(0),
                0 if started.elapsed() < Duration::from_secs(5) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                n => panic!(
                    "expected one stored message in {}, found {n}",
                    new.display()
                ),
            }
        }
    }
}

/// Fails with an install hint when aiosmtpd is missing: these tests must not pass silently.
fn require_aiosmtpd() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Ok(status) if status.success() => {}
        Ok(_) => panic!("python3 cannot import aiosmtpd: {INSTALL_HINT}"),
        Err(e) => panic!("python3 is not available ({e}): {INSTALL_HINT}"),
    }
}

/// A message as Python's `email` package (policy `default`) decodes it.
#[derive(Debug, Deserialize)]
pub(super) struct Decoded {
    /// The envelope recipient, added by aiosmtpd as `X-RcptTo`.
    pub envelope_to: Option<String>,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub content_type: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub defects: Vec<String>,
    /// Every part with a file name or a content id, in message order.
    pub attachments: Vec<DecodedAttachment>,
}

/// A file part as Python sees it.
#[derive(Debug, Deserialize)]
pub(super) struct DecodedAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub content_id: Option<String>,
    pub disposition: Option<String>,
    /// The type of the multipart the part sits in, e.g. `multipart/related`.
    pub parent: String,
    pub bytes: Vec<u8>,
}

const DECODER: &str = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
def content(kind):
    part = msg.get_body(preferencelist=(kind,))
    return None if part is None else part.get_content()
rcpt = msg.get("X-RcptTo")
def files(part, parent):
    if part.is_multipart():
        for child in part.iter_parts():
            yield from files(child, part.get_content_type())
    elif part.get_filename() is not None or part.get("Content-ID") is not None:
        yield {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "content_id": None if part.get("Content-ID") is None else str(part.get("Content-ID")),
            "disposition": part.get_content_disposition(),
            "parent": parent,
            "bytes": list(part.get_payload(decode=True)),
        }
print(json.dumps({
    "envelope_to": None if rcpt is None else str(rcpt),
    "to": str(msg.get("To", "")),
    "from": str(msg.get("From", "")),
    "subject": str(msg.get("Subject", "")),
    "content_type": msg.get_content_type(),
    "text": content("plain"),
    "html": content("html"),
    "defects": [type(d).__name__ for part in msg.walk() for d in part.defects],
    "attachments": list(files(msg, "")),
}))
"#;

/// Decodes a stored message with Python, independently of lettre's own encoder.
pub(super) fn decode_with_python(path: &Path) -> Decoded {
    require_aiosmtpd();
    let output = std::process::Command::new("python3")
        .args(["-c", DECODER])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): {INSTALL_HINT}"));
    assert!(
        output.status.success(),
        "python could not parse {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("decoder prints JSON")
}

/// A minimal SMTP server that answers RCPT with a fixed reply and refuses every AUTH,
/// for the error paths aiosmtpd cannot be told to take.
pub(super) struct ScriptedServer {
    pub port: u16,
    task: JoinHandle<()>,
}

impl ScriptedServer {
    pub(super) async fn start(rcpt_reply: &str) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let rcpt_reply = rcpt_reply.to_owned();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(converse(socket, rcpt_reply.clone()));
            }
        });
        ScriptedServer { port, task }
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn converse(socket: TcpStream, rcpt_reply: String) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 scripted ESMTP\r\n").await.is_err() {
        return;
    }
    let mut in_data = false;
    while let Ok(Some(line)) = lines.next_line().await {
        let reply = if in_data {
            if line != "." {
                continue;
            }
            in_data = false;
            "250 OK queued".to_owned()
        } else {
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => "250-scripted\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".to_owned(),
                "HELO" | "MAIL" | "RSET" | "NOOP" => "250 OK".to_owned(),
                "AUTH" => "535 5.7.8 Authentication credentials invalid".to_owned(),
                "RCPT" => rcpt_reply.clone(),
                "DATA" => {
                    in_data = true;
                    "354 go ahead".to_owned()
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => "502 not implemented".to_owned(),
            }
        };
        if write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// One part of a MIME message, read by a deliberately small parser: headers, the boundary of
/// a multipart, and base64 bodies. Enough to check the structure lettre wrote.
#[derive(Debug)]
pub(super) struct MimePart {
    /// Header names lower-cased, values unfolded.
    pub headers: Vec<(String, String)>,
    /// The body as written (still encoded); empty for a multipart.
    pub raw_body: String,
    pub children: Vec<MimePart>,
}

impl MimePart {
    /// Parses a whole message or one part (CRLF line ends, as lettre writes them).
    pub(super) fn parse(raw: &str) -> MimePart {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().expect("a continuation follows a header");
                value.push_str(line);
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let mut part = MimePart {
            headers,
            raw_body: String::new(),
            children: Vec::new(),
        };
        let Some(boundary) = part.param("content-type", "boundary") else {
            part.raw_body = body.to_owned();
            return part;
        };
        let delimiter = format!("\r\n--{boundary}");
        let body = format!("\r\n{body}");
        let mut pieces = body.split(delimiter.as_str());
        pieces.next(); // the preamble
        let mut closed = false;
        for piece in pieces {
            if piece.starts_with("--") {
                closed = true;
                break;
            }
            let piece = piece.split_once("\r\n").map_or("", |(_padding, rest)| rest);
            part.children.push(MimePart::parse(piece));
        }
        assert!(
            closed,
            "multipart without its closing boundary --{boundary}--"
        );
        part
    }

    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `type/subtype`, lower-cased; `text/plain` when the header is missing.
    pub(super) fn content_type(&self) -> String {
        self.header("content-type")
            .map_or("text/plain", |v| {
                v.split(';').next().unwrap_or_default().trim()
            })
            .to_ascii_lowercase()
    }

    /// A parameter of a header, e.g. `boundary` of `content-type`; quotes taken off.
    pub(super) fn param(&self, header: &str, name: &str) -> Option<String> {
        self.header(header)?.split(';').skip(1).find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().trim_matches('"').to_owned())
        })
    }

    /// The body decoded from its transfer encoding (base64, 7bit or 8bit).
    pub(super) fn decoded(&self) -> Vec<u8> {
        use base64::Engine as _;
        let encoding = self
            .header("content-transfer-encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                let compact: String = self
                    .raw_body
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64")
            }
            "7bit" | "8bit" => self.raw_body.as_bytes().to_vec(),
            other => panic!("the test parser does not decode {other}"),
        }
    }

    /// The tree as `type[child, child]`, for asserting the nesting at a glance.
    pub(super) fn outline(&self) -> String {
        if self.children.is_empty() {
            return self.content_type();
        }
        let children: Vec<String> = self.children.iter().map(MimePart::outline).collect();
        format!("{}[{}]", self.content_type(), children.join(", "))
    }

    /// Every part that is not a multipart, depth first.
    pub(super) fn leaves(&self) -> Vec<&MimePart> {
        if self.children.is_empty() {
            return vec![self];
        }
        self.children.iter().flat_map(MimePart::leaves).collect()
    }
}

// An order the receipt tests and the mailer tests send: two ticket types, three tickets,
// paid by CliQ, for an evening in Amman.

/// A real signed credential, as the order code will pass it.
pub(super) fn credential(serial: u32) -> String {
    let key =
        TicketSigningKey::from_secret_text(&format!("hafla-sk1:3:{}", "2a".repeat(32))).unwrap();
    let claims = Claims {
        key_id: 3,
        event_ref: 48_213,
        ticket_serial: serial,
        ticket_type: 1,
        valid_from_hour: 26_000,
        valid_hours: 30,
        rotating: false,
    };
    Credential::issue(claims, &key).to_text()
}

pub(super) fn bi(ar: &str, en: &str) -> Bilingual {
    Bilingual::new(ar, en).unwrap()
}

pub(super) fn ticket(serial: u32, ticket_type: Bilingual) -> ReceiptTicket {
    ReceiptTicket {
        ticket_id: Uuid::from_u128(0x0190_f3a4_0000_7000_8000_0000_0000_0000 + u128::from(serial)),
        ticket_type,
        credential_text: credential(serial),
    }
}

pub(super) fn general() -> Bilingual {
    bi("دخول عام", "General admission")
}

pub(super) fn receipt(lang: Lang) -> OrderReceipt {
    OrderReceipt {
        to: EmailAddress::parse("rania@example.com").unwrap(),
        lang,
        buyer_name: match lang {
            Lang::Ar => "رانيا".to_owned(),
            Lang::En => "Rania".to_owned(),
        },
        order_id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
        order_reference: "HF-7K3Q9".to_owned(),
        event: ReceiptEvent {
            event_id: Uuid::parse_str("0190f3a4-0000-7000-8000-00000000e001").unwrap(),
            title: bi("أمسية جاز في عمّان", "Jazz Night in Amman"),
            venue_name: bi("المركز الثقافي الملكي", "Royal Cultural Centre"),
            venue_address: bi(
                "شارع الملكة علياء، الشميساني",
                "Queen Alia Street, Shmeisani",
            ),
            lat: 31.963_158,
            lng: 35.930_359,
            // 20:00 to 23:00 in Amman (UTC+3).
            starts_at: "2026-12-11T17:00:00Z".parse().unwrap(),
            ends_at: "2026-12-11T20:00:00Z".parse().unwrap(),
            time_zone: "Asia/Amman".to_owned(),
        },
        lines: vec![
            ReceiptLine {
                ticket_type: general(),
                quantity: 2,
                unit_price: Money::jod_fils(12_500),
            },
            ReceiptLine {
                ticket_type: bi("كبار الشخصيات", "VIP"),
                quantity: 1,
                unit_price: Money::jod_fils(35_000),
            },
        ],
        total: Money::jod_fils(60_000),
        payment: ReceiptPayment::Cliq {
            alias: "HAFLA".to_owned(),
            reference: "CLQ-20261125-8841".to_owned(),
        },
        tickets: vec![
            ticket(1001, general()),
            ticket(1002, general()),
            ticket(1003, bi("كبار الشخصيات", "VIP")),
        ],
        tickets_url: Some("https://hafla.jo/orders/HF-7K3Q9?lang=ar".to_owned()),
    }
}
