//! Live hints over server-sent events: one `hint` event per changed scope the device
//! listens to, with the version it reached; on connecting, one per scope, so a device that
//! reconnects learns at once whether to pull. Hints carry no data: pull decides
//! correctness, a lost hint only costs time. Announcements come from the store (on
//! PostgreSQL they cross instances by NOTIFY); when some may have been missed (a lagging
//! receiver, a listener that reconnected) every scope is hinted again.

use crate::store::sync::ScopeKey;
use crate::store::{Change, Store};
use axum::response::sse::Event;
use futures_util::Stream;
use hafla_core::wire::sync::SyncHint;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast::error::RecvError;

/// How often an idle stream sends a comment, so proxies and the device's own timeout keep
/// the connection open.
pub(super) const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

struct Listener {
    store: Arc<dyn Store>,
    scopes: Vec<ScopeKey>,
    changes: tokio::sync::broadcast::Receiver<Change>,
    /// Scopes owed a hint, each with when this stream first learned it was owed.
    due: VecDeque<(ScopeKey, Instant)>,
}

impl Listener {
    fn owe(&mut self, scope: ScopeKey) {
        if self.scopes.contains(&scope) && !self.due.iter().any(|(s, _)| *s == scope) {
            self.due.push_back((scope, Instant::now()));
        }
    }

    fn owe_all(&mut self) {
        for scope in self.scopes.clone() {
            self.owe(scope);
        }
    }

    /// The next hint to send; `None` once the server is shutting down.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some((scope, owed_since)) = self.due.pop_front() {
                let version = match self.store.scope_head(scope).await {
                    Ok(head) => head.map_or(0, |h| h.version),
                    // Say it changed anyway: the device's pull will meet the error itself.
                    Err(_) => 0,
                };
                let hint = SyncHint {
                    scope: scope.scope(),
                    version,
                };
                // Sync lag as devices feel it: from this stream learning of a change (or
                // of the device connecting) to the hint going out, by scope kind.
                let kind = scope.kind.key();
                metrics::histogram!("hafla_sync_hint_delay_seconds", "scope_kind" => kind)
                    .record(owed_since.elapsed().as_secs_f64());
                metrics::counter!("hafla_sync_hints_total", "scope_kind" => kind).increment(1);
                let data = serde_json::to_string(&hint).unwrap_or_default();
                return Some(Event::default().event("hint").data(data));
            }
            match self.changes.recv().await {
                Ok(Change::Scope(scope)) => self.owe(scope),
                Ok(Change::Everything) | Err(RecvError::Lagged(_)) => {
                    metrics::counter!("hafla_sync_hint_resyncs_total").increment(1);
                    self.owe_all()
                }
                Ok(_) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// The hint stream for `scopes` (already authorized).
pub(super) fn stream(
    store: Arc<dyn Store>,
    scopes: Vec<ScopeKey>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    // On /metrics once anyone listens, so a rate over it is defined.
    metrics::counter!("hafla_sync_hint_resyncs_total").increment(0);
    // Subscribe before the first hints are read, so no change falls in between.
    let changes = store.subscribe_changes();
    let mut listener = Listener {
        store,
        scopes,
        changes,
        due: VecDeque::new(),
    };
    listener.owe_all();
    futures_util::stream::unfold(listener, |mut listener| async move {
        listener.next().await.map(|event| (Ok(event), listener))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sync::ScopeKind;
    use futures_util::StreamExt;

    /// Every hint sent records how long its scope waited, by scope kind.
    #[test]
    fn each_hint_records_its_delay_by_scope_kind() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[0.1, 1.0])
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let store: Arc<dyn Store> =
                    Arc::new(crate::store::SqliteStore::open(dir.path()).unwrap());
                let scopes = vec![
                    ScopeKey {
                        kind: ScopeKind::Catalog,
                        subject: uuid::Uuid::nil(),
                    },
                    ScopeKey {
                        kind: ScopeKind::Door,
                        subject: uuid::Uuid::now_v7(),
                    },
                ];
                let mut hints = Box::pin(stream(store, scopes));
                for _ in 0..2 {
                    assert!(hints.next().await.is_some());
                }
            })
        });
        let rendered = handle.render();
        for kind in ["catalog", "door"] {
            let line = format!("hafla_sync_hint_delay_seconds_count{{scope_kind=\"{kind}\"}} 1");
            assert!(rendered.contains(&line), "{line} in {rendered}");
        }
    }
}
