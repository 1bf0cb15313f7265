//! The live hint stream (`GET /api/v1/sync/hints`, `text/event-stream`): a parser of the
//! event-stream format and a listener that reconnects with backoff and hands each hinted
//! scope to the engine.
//!
//! Hints carry no data, so a lost one costs only latency: correctness comes from pulling.
//! The server sends one hint per scope on connect, so a reconnect also catches up on
//! whatever was missed while the stream was down.

use super::backoff::{Backoff, RetryPolicy};
use super::client::{RequestError, SyncClient};
use super::connectivity::{Connectivity, ConnectivityMonitor};
use crate::wire::sync::{Scope, SyncHint};
use tokio::sync::{mpsc, watch};

/// One event of an event stream.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// `message` when the event named no type.
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// Longest line kept; a longer one (not a hint stream) is cut off rather than buffered
/// without end.
const MAX_LINE: usize = 64 * 1024;

/// An incremental parser of `text/event-stream`: feed it the bytes as they arrive, in
/// chunks split anywhere (mid-line, mid-character, between `\r` and `\n`).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The last byte was `\r`: a `\n` right after it ends nothing more.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Takes a chunk of the stream and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line) {
                        out.push(event);
                    }
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() < MAX_LINE {
                        self.line.push(byte);
                    }
                }
            }
        }
        out
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        let line = String::from_utf8_lossy(line);
        let line = line.strip_prefix('\u{feff}').unwrap_or(&line);
        if line.starts_with(':') {
            return None; // a comment: the keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {} // retry and unknown fields: the listener has its own backoff
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data: std::mem::take(&mut self.data),
            id: self.id.clone(),
        })
    }
}

/// The hint an event stands for, if it is one this build can read.
pub fn hint_of(event: &SseEvent) -> Option<SyncHint> {
    (event.event == "hint")
        .then(|| serde_json::from_str(&event.data).ok())
        .flatten()
}

/// Listens to the hint stream of `scopes` until `shutdown` turns true, sending every hinted
/// scope to `hints`. Reconnects after any failure, waiting per `retry` (its attempt limit
/// is ignored: a listener never gives up). Keeps `connectivity` up to date.
pub async fn listen(
    client: SyncClient,
    scopes: Vec<Scope>,
    hints: mpsc::Sender<SyncHint>,
    connectivity: ConnectivityMonitor,
    retry: RetryPolicy,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::from_policy(&retry);
    while !*shutdown.borrow() {
        let outcome = tokio::select! {
            outcome = stream_once(&client, &scopes, &hints, &connectivity, &mut backoff) => outcome,
            _ = shutdown.changed() => return,
        };
        if hints.is_closed() {
            return;
        }
        let retry_after = match &outcome {
            Err(e) => {
                connectivity.observe::<()>(&Err(e.clone()));
                e.retry_after()
            }
            Ok(()) => None,
        };
        let wait = backoff.next_delay(retry_after);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One connection: returns when it ends (cleanly or not).
async fn stream_once(
    client: &SyncClient,
    scopes: &[Scope],
    hints: &mpsc::Sender<SyncHint>,
    connectivity: &ConnectivityMonitor,
    backoff: &mut Backoff,
) -> Result<(), RequestError> {
    let mut response = client.open_hints(scopes).await?;
    connectivity.set(Connectivity::Online);
    backoff.reset();
    let mut parser = SseParser::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| client.unreachable(e))?;
        let Some(chunk) = chunk else {
            return Ok(());
        };
        for event in parser.push(&chunk) {
            if let Some(hint) = hint_of(&event)
                && hints.send(hint).await.is_err()
            {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks.iter().flat_map(|c| parser.push(c)).collect()
    }

    #[test]
    fn a_hint_event_is_parsed_into_its_scope_and_version() {
        let mut p = SseParser::new();
        let events = p.push(b"event: hint\ndata: {\"scope\":\"catalog\",\"version\":\"42\"}\n\n");
        assert_eq!(events.len(), 1);
        assert_eq!(
            hint_of(&events[0]),
            Some(SyncHint {
                scope: Scope::Catalog,
                version: 42
            })
        );
    }

    #[test]
    fn keep_alive_comments_produce_no_events() {
        let mut p = SseParser::new();
        assert!(p.push(b": keep-alive\n\n:\n\n: ping\r\n\r\n").is_empty());
        let events = p.push(b"event: hint\ndata: {\"scope\":\"me\",\"version\":\"1\"}\n\n");
        assert_eq!(events.len(), 1, "a comment does not disturb the next event");
    }

    #[test]
    fn an_event_split_across_chunks_anywhere_is_parsed_whole() {
        let text = "event: hint\r\ndata: {\"scope\":\"door:0190a1b2-0000-7000-8000-000000000001\",\"version\":\"9\"}\r\n\r\n";
        let bytes = text.as_bytes();
        for split in 1..bytes.len() {
            let mut p = SseParser::new();
            let events = feed(&mut p, &[&bytes[..split], &bytes[split..]]);
            assert_eq!(events.len(), 1, "split at {split}");
            assert_eq!(hint_of(&events[0]).unwrap().version, 9, "split at {split}");
        }
        let mut p = SseParser::new();
        let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed(&mut p, &one_by_one).len(), 1);
    }

    #[test]
    fn a_multibyte_character_split_between_chunks_survives() {
        let text = "data: حفلة\n\n".as_bytes();
        let mut p = SseParser::new();
        let events = feed(&mut p, &[&text[..7], &text[7..]]);
        assert_eq!(events[0].data, "حفلة");
        assert_eq!(events[0].event, "message");
    }

    #[test]
    fn multi_line_data_joins_with_newlines_and_an_event_without_data_is_dropped() {
        let mut p = SseParser::new();
        let events = p.push(b"event: hint\n\nid: 7\ndata: a\ndata:b\n\n");
        assert_eq!(
            events,
            [SseEvent {
                event: "message".into(),
                data: "a\nb".into(),
                id: Some("7".into())
            }]
        );
    }

    #[test]
    fn events_of_other_types_and_unreadable_hints_are_not_hints() {
        let mut p = SseParser::new();
        let events = p.push(b"event: other\ndata: {}\n\nevent: hint\ndata: not json\n\n");
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| hint_of(e).is_none()));
    }

    #[test]
    fn an_endless_line_is_cut_instead_of_filling_memory() {
        let mut p = SseParser::new();
        let big = vec![b'x'; MAX_LINE * 3];
        assert!(p.push(b"data: ").is_empty());
        assert!(p.push(&big).is_empty());
        let events = p.push(b"\n\n");
        assert!(events[0].data.len() < MAX_LINE);
    }

    #[tokio::test]
    async fn the_listener_reconnects_after_each_stream_ends_and_hears_every_hint() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", server.local_addr().unwrap());
        tokio::spawn(async move {
            for version in 1..=3u64 {
                let (mut socket, _) = server.accept().await.unwrap();
                let mut request = vec![0u8; 4096];
                let read = socket.read(&mut request).await.unwrap();
                let request = String::from_utf8_lossy(&request[..read]).into_owned();
                assert!(request.contains("scopes=catalog"), "{request}");
                assert!(request.contains("text/event-stream"), "{request}");
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                let body = format!(
                    ": keep-alive\n\nevent: hint\ndata: {{\"scope\":\"catalog\",\"version\":\"{version}\"}}\n\n"
                );
                let (a, b) = body.as_bytes().split_at(body.len() / 2);
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.write_all(a).await.unwrap();
                socket.flush().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                socket.write_all(b).await.unwrap();
                // Closing ends the stream: the listener must come back. The last one stays
                // open, so the listener stays connected (and online) until told to stop.
                if version == 3 {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                }
            }
        });
        let client = SyncClient::new(&url, crate::Lang::En, None).unwrap();
        let (tx, mut rx) = mpsc::channel(8);
        let (stop, shutdown) = watch::channel(false);
        let monitor = ConnectivityMonitor::default();
        let retry = RetryPolicy {
            base: std::time::Duration::from_millis(1),
            cap: std::time::Duration::from_millis(5),
            max_attempts: None,
        };
        let task = tokio::spawn(listen(
            client,
            vec![Scope::Catalog],
            tx,
            monitor.clone(),
            retry,
            shutdown,
        ));
        for want in 1..=3 {
            let hint = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
                .await
                .expect("a hint in time")
                .unwrap();
            assert_eq!(hint.version, want);
        }
        assert_eq!(monitor.current(), Connectivity::Online);
        stop.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("the listener stops when told")
            .unwrap();
    }
}
