//! Test helpers: a real SMTP server (Python's aiosmtpd), a scripted one for error replies,
//! and Python's `email` package as an independent decoder of what lettre produced.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

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
}

const DECODER: &str = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
def content(kind):
    part = msg.get_body(preferencelist=(kind,))
    return None if part is None else part.get_content()
rcpt = msg.get("X-RcptTo")
print(json.dumps({
    "envelope_to": None if rcpt is None else str(rcpt),
    "to": str(msg.get("To", "")),
    "from": str(msg.get("From", "")),
    "subject": str(msg.get("Subject", "")),
    "content_type": msg.get_content_type(),
    "text": content("plain"),
    "html": content("html"),
    "defects": [type(d).__name__ for part in msg.walk() for d in part.defects],
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
