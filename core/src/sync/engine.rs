//! The sync loop: pulling scopes to completion, pushing the outbox, bringing in other
//! devices' door scans, and — in [`SyncEngine::run`] — doing all of it again whenever a
//! hint, a nudge or a timer says so.
//!
//! Guarantees, and where they come from:
//! * A page and its cursor are one local transaction ([`SyncDb::apply_page`]), so a pull
//!   killed at any moment resumes from the last committed cursor.
//! * A `reset` page is applied as the fresh start it is; a second reset within one pull is
//!   an error, never a loop.
//! * After the last page the server's digest is compared with ours; on a mismatch the scope
//!   is dropped and fetched once more, and a second mismatch is an error.
//! * An outbox row is deleted only after the server answered it; a rejected one is kept
//!   aside for the app and never blocks those after it; a deferred one stays queued.
//! * Network failures, 5xx, 408 and 429 are retried with capped, jittered exponential
//!   backoff (at least `Retry-After`).

use super::SyncTarget;
use super::backoff::{Backoff, RetryPolicy};
use super::client::{Counts, RequestError, SyncClient};
use super::connectivity::{Connectivity, ConnectivityMonitor};
use super::hints;
use super::local::{LocalError, SyncDb};
use crate::door::store::{DoorStore, DoorStoreError};
use crate::wire::ErrorCode;
use crate::wire::sync::{
    DEFAULT_PAGE_ROWS, MAX_PUSH_MUTATIONS, MAX_SCAN_PAGE, PushRequest, Scope, ScopeDigest,
};
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Door(#[from] DoorStoreError),
    /// The server answered a pull with a reset twice in a row: following it again could
    /// go on forever.
    #[error("the server reset scope {scope} twice in one pull")]
    RepeatedReset { scope: Scope },
    /// The copy still differs from the server's after dropping it and fetching it again.
    #[error(
        "scope {scope} is incomplete after fetching it again: the server has {} rows (sum {}), this device {} (sum {})",
        server.count, server.version_sum, local.count, local.version_sum
    )]
    DigestMismatch {
        scope: Scope,
        server: ScopeDigest,
        local: ScopeDigest,
    },
    #[error("asked for scope {asked}, the server answered with {got}")]
    WrongScope { asked: Scope, got: Scope },
    /// `has_more` with the cursor that was sent: asking again would loop.
    #[error("the server's pull of scope {scope} does not advance")]
    CursorStuck { scope: Scope },
    #[error("the server answered none of the {sent} mutations pushed")]
    PushUnanswered { sent: usize },
    #[error("the server's scan pages for event {event_ref} do not advance")]
    ScansStuck { event_ref: u32 },
}

impl SyncError {
    /// The stable code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::Request(e) => e.code(),
            SyncError::Local(_) | SyncError::Door(_) => ErrorCode::Internal,
            _ => ErrorCode::BadResponse,
        }
    }
}

/// How the engine works; the defaults suit the app.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Rows asked per page.
    pub page_limit: u32,
    /// Mutations per push.
    pub push_batch: usize,
    /// Scans asked per scan page.
    pub scan_page_limit: u32,
    /// Retries of one request.
    pub retry: RetryPolicy,
    /// Waits between rounds of [`SyncEngine::run`] after a round failed.
    pub round_retry: RetryPolicy,
    /// [`SyncEngine::run`] syncs everything this often even without hints.
    pub resync_every: Duration,
    /// [`SyncEngine::run`] asks for other doors' scans this often.
    pub scans_every: Duration,
    /// A complete copy proves itself whole with the server's digest at least this often
    /// (a download, a reset or a refetch always does): the server counts the whole scope
    /// for it, which is too dear for every small catch-up of a large door list.
    pub verify_every: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            page_limit: DEFAULT_PAGE_ROWS,
            push_batch: MAX_PUSH_MUTATIONS,
            scan_page_limit: MAX_SCAN_PAGE,
            retry: RetryPolicy::default(),
            round_retry: RetryPolicy {
                base: Duration::from_secs(2),
                cap: Duration::from_secs(300),
                max_attempts: None,
            },
            resync_every: Duration::from_secs(300),
            scans_every: Duration::from_secs(10),
            verify_every: Duration::from_secs(600),
        }
    }
}

/// A pull's progress, for a progress bar: rows held of the scope / rows the server has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub scope: Scope,
    pub done: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub scope: Scope,
    pub pages: u32,
    /// Rows received (changes and removals).
    pub rows: u64,
    pub resets: u32,
    /// The digest differed once and the scope was fetched again.
    pub refetched: bool,
    /// The server sent a digest and ours matched it.
    pub verified: bool,
    /// Live rows held at the end.
    pub held: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct PushReport {
    pub batches: u32,
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Answers "deferred": kept, to go again after the earlier numbers.
    pub deferred: u64,
    /// Still in the outbox afterwards.
    pub pending: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ScanReport {
    pub received: u64,
    /// New to this device.
    pub merged: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub push: PushReport,
    pub pull: PullReport,
    pub scans: Option<ScanReport>,
}

/// Runs the sync protocol for one device. Share it in an `Arc`; every method takes `&self`.
pub struct SyncEngine {
    client: SyncClient,
    db: Arc<Mutex<SyncDb>>,
    door: Option<Arc<Mutex<DoorStore>>>,
    config: EngineConfig,
    connectivity: ConnectivityMonitor,
    progress: watch::Sender<Option<Progress>>,
    last_error: watch::Sender<Option<(ErrorCode, String)>>,
    nudge: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves SQLite consistent (transactions roll
    // back), so the data behind a poisoned lock is still good.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SyncEngine {
    /// `door` is the door store of this device when it works a door: door pulls then reload
    /// its keys, and other devices' scans are merged into it.
    pub fn new(
        client: SyncClient,
        db: Arc<Mutex<SyncDb>>,
        door: Option<Arc<Mutex<DoorStore>>>,
        config: EngineConfig,
    ) -> Self {
        SyncEngine {
            client,
            db,
            door,
            config,
            connectivity: ConnectivityMonitor::default(),
            progress: watch::Sender::new(None),
            last_error: watch::Sender::new(None),
            nudge: Notify::new(),
        }
    }

    /// Online/offline as the last contact with the server said.
    pub fn connectivity(&self) -> watch::Receiver<Connectivity> {
        self.connectivity.subscribe()
    }

    /// The progress of the pull under way (the last one when none is).
    pub fn progress(&self) -> watch::Receiver<Option<Progress>> {
        self.progress.subscribe()
    }

    /// The error of the last round of [`SyncEngine::run`] (its code, for the UI to branch
    /// on, and its text, for the log), `None` after a good one.
    pub fn last_error(&self) -> watch::Receiver<Option<(ErrorCode, String)>> {
        self.last_error.subscribe()
    }

    /// Asks [`SyncEngine::run`] to push now (call it after a scan or another mutation).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    fn db(&self) -> MutexGuard<'_, SyncDb> {
        lock(&self.db)
    }

    /// Sends a request, retrying per the policy, and learns connectivity from each try.
    async fn request<T, F, Fut>(&self, mut call: F) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let retry = self.config.retry;
        let mut backoff = Backoff::from_policy(&retry);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let outcome = call().await;
            self.connectivity.observe(&outcome);
            match outcome {
                Err(e) if e.retryable() && retry.max_attempts.is_none_or(|m| attempts < m) => {
                    tokio::time::sleep(backoff.next_delay(e.retry_after())).await;
                }
                other => return other,
            }
        }
    }

    /// Pulls `target` until the server has nothing more, then proves the copy whole with
    /// the digest (see the module documentation).
    pub async fn pull(&self, target: SyncTarget) -> Result<PullReport, SyncError> {
        let scope = target.scope();
        let mut report = PullReport {
            scope,
            pages: 0,
            rows: 0,
            resets: 0,
            refetched: false,
            verified: false,
            held: 0,
            total: 0,
        };
        let state = self.db().state(scope)?;
        let started_whole = state.complete;
        let verify_due = state.digest_checked_at.is_none_or(|at| {
            jiff::Timestamp::now().as_second().saturating_sub(at)
                >= self.config.verify_every.as_secs() as i64
        });
        loop {
            let mut reset_seen = false;
            // A download (or a resumed one) asks the total once, for its progress bar.
            let mut ask_total = !self.db().state(scope)?.complete;
            let digest = loop {
                let state = self.db().state(scope)?;
                let counts = Counts {
                    total: ask_total,
                    digest: !state.complete || verify_due || reset_seen || report.refetched,
                };
                ask_total = false;
                let limit = self.config.page_limit;
                let page = self
                    .request(|| {
                        self.client
                            .pull(&target, state.cursor.as_deref(), limit, counts)
                    })
                    .await?;
                if page.scope != scope {
                    return Err(SyncError::WrongScope {
                        asked: scope,
                        got: page.scope,
                    });
                }
                if page.reset {
                    if reset_seen {
                        return Err(SyncError::RepeatedReset { scope });
                    }
                    reset_seen = true;
                    report.resets += 1;
                    // The scope starts over: count it again for the progress bar.
                    ask_total = page.total.is_none();
                } else if page.has_more && state.cursor.as_deref() == Some(page.cursor.as_str()) {
                    return Err(SyncError::CursorStuck { scope });
                }
                let applied = self.db().apply_page(&page)?;
                report.pages += 1;
                report.rows += page.rows.len() as u64;
                self.progress.send_replace(Some(Progress {
                    scope,
                    done: applied.rows,
                    total: applied.total,
                }));
                if !page.has_more {
                    if page.digest.is_none() && reset_seen && !counts.digest {
                        // A reset came unasked for on the last page: ask once more (from
                        // its cursor, so an empty page) for the digest that proves the
                        // rebuilt copy whole.
                        continue;
                    }
                    break page.digest;
                }
            };
            if let Some(server) = digest {
                let local = self.db().digest(scope)?;
                if server != local {
                    if report.refetched {
                        return Err(SyncError::DigestMismatch {
                            scope,
                            server,
                            local,
                        });
                    }
                    self.db().drop_scope(scope)?;
                    report.refetched = true;
                    continue;
                }
                report.verified = true;
            }
            let verified_at = report.verified.then(|| jiff::Timestamp::now().as_second());
            self.db().mark_complete(scope, verified_at)?;
            if matches!(scope, Scope::Door(_))
                && (!started_whole || report.resets > 0 || report.refetched)
            {
                // The scope was (re)built from the start: what the door kept for its
                // verifier meanwhile gives way to exactly what the server sent.
                self.db().rebuild_door(scope)?;
            }
            let state = self.db().state(scope)?;
            report.held = state.rows;
            report.total = state.total;
            if let (Scope::Door(_), Some(door)) = (scope, &self.door) {
                lock(door).reload()?;
            }
            return Ok(report);
        }
    }

    /// Sends the outbox in batches until it is empty (or a request fails).
    pub async fn push(&self) -> Result<PushReport, SyncError> {
        let device_id = self.db().device_id();
        let mut report = PushReport::default();
        loop {
            let batch = self.db().outbox_batch(self.config.push_batch)?;
            if batch.is_empty() {
                break;
            }
            let request = PushRequest {
                device_id,
                mutations: batch,
            };
            let answer = self.request(|| self.client.push(&request)).await?;
            let settled = self.db().settle(
                &request.mutations,
                &answer,
                jiff::Timestamp::now().as_second(),
            )?;
            report.batches += 1;
            report.applied += settled.applied;
            report.duplicates += settled.duplicates;
            report.rejected += settled.rejected;
            report.deferred += settled.deferred;
            if settled.total() == 0 {
                if settled.deferred > 0 {
                    // Another push of this device is still on its way (say, the app's and
                    // the command line's): try again in a later round, after it landed.
                    break;
                }
                return Err(SyncError::PushUnanswered {
                    sent: request.mutations.len(),
                });
            }
        }
        report.pending = self.db().outbox_len()?;
        Ok(report)
    }

    /// Brings in other devices' scans of the event until the server has no more, merged
    /// into the door store (which skips this device's own).
    pub async fn pull_scans(
        &self,
        org: uuid::Uuid,
        event: uuid::Uuid,
    ) -> Result<ScanReport, SyncError> {
        let scope = Scope::Door(event);
        let mut report = ScanReport::default();
        let Some(door) = &self.door else {
            return Ok(report);
        };
        // The server numbers an event for credentials when it first needs to (it sends
        // the door event row from then on); before that no ticket can have been scanned.
        let Some(event_ref) = self.db().state(scope)?.event_ref else {
            return Ok(report);
        };
        loop {
            let marks = self.db().scan_marks(event_ref)?;
            let limit = self.config.scan_page_limit;
            let page = self
                .request(|| self.client.scans(org, event, &marks, limit))
                .await?;
            report.received += page.scans.len() as u64;
            report.merged += lock(door).merge_remote_scans(&page.scans)? as u64;
            if !page.has_more {
                break;
            }
            if self.db().scan_marks(event_ref)? == marks {
                return Err(SyncError::ScansStuck { event_ref });
            }
        }
        Ok(report)
    }

    /// One whole round for a target: push the outbox (so the server's conflicts include
    /// this device's scans), pull the scope, and for a door, others' scans.
    pub async fn sync(&self, target: SyncTarget) -> Result<SyncReport, SyncError> {
        let push = self.push().await?;
        let pull = self.pull(target).await?;
        let scans = match target {
            SyncTarget::Door { org, event } if self.door.is_some() => {
                Some(self.pull_scans(org, event).await?)
            }
            _ => None,
        };
        Ok(SyncReport { push, pull, scans })
    }

    /// Keeps `targets` in sync until `shutdown` turns true: everything at start and every
    /// `resync_every`, a scope whenever its hint arrives, the outbox whenever nudged, and
    /// the doors' scans every `scans_every` (other doors' scans are not scope rows, so no
    /// hint announces them). A failed round is tried again after a jittered, growing wait.
    pub async fn run(
        self: Arc<Self>,
        targets: Vec<SyncTarget>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let (hint_tx, mut hint_rx) = mpsc::channel(64);
        let scopes: Vec<Scope> = targets.iter().map(SyncTarget::scope).collect();
        let listener = tokio::spawn(hints::listen(
            self.client.clone(),
            scopes,
            hint_tx,
            self.connectivity.clone(),
            self.config.round_retry,
            shutdown.clone(),
        ));
        let mut work = Work {
            push: true,
            pulls: targets.iter().copied().collect(),
            scans: true,
        };
        let mut backoff = Backoff::from_policy(&self.config.round_retry);
        let mut resync = tokio::time::interval(self.config.resync_every);
        let mut scans = tokio::time::interval(self.config.scans_every);
        for timer in [&mut resync, &mut scans] {
            // A round longer than a period must not be followed by a burst of rounds.
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            timer.tick().await;
        }
        while !*shutdown.borrow() {
            if !work.is_empty() {
                match self.round(&targets, &mut work).await {
                    Ok(()) => {
                        backoff.reset();
                        self.last_error.send_replace(None);
                    }
                    Err(e) => {
                        self.last_error
                            .send_replace(Some((e.code(), e.to_string())));
                        let retry_after = match &e {
                            SyncError::Request(r) => r.retry_after(),
                            _ => None,
                        };
                        tokio::select! {
                            _ = tokio::time::sleep(backoff.next_delay(retry_after)) => {}
                            _ = shutdown.changed() => break,
                        }
                        continue;
                    }
                }
            }
            tokio::select! {
                hint = hint_rx.recv() => {
                    let Some(hint) = hint else { break };
                    work.hinted(&targets, hint.scope);
                    while let Ok(hint) = hint_rx.try_recv() {
                        work.hinted(&targets, hint.scope);
                    }
                }
                _ = self.nudge.notified() => work.push = true,
                _ = resync.tick() => {
                    work.push = true;
                    work.pulls.extend(targets.iter().copied());
                }
                _ = scans.tick() => work.scans = true,
                _ = shutdown.changed() => break,
            }
        }
        listener.abort();
    }

    /// Does what `work` asks, each part on its own (a push refused does not keep the door
    /// list from updating); what succeeded leaves `work`, the first error is returned.
    async fn round(&self, targets: &[SyncTarget], work: &mut Work) -> Result<(), SyncError> {
        let mut first_error = None;
        if work.push {
            match self.push().await {
                Ok(_) => work.push = false,
                Err(e) => first_error = Some(e),
            }
        }
        let pulls: Vec<SyncTarget> = work.pulls.iter().copied().collect();
        for target in pulls {
            match self.pull(target).await {
                Ok(_) => {
                    work.pulls.remove(&target);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if work.scans && self.door.is_some() {
            let mut failed = false;
            for target in targets {
                if let SyncTarget::Door { org, event } = *target {
                    match self.pull_scans(org, event).await {
                        Ok(_) => {}
                        Err(e) => {
                            failed = true;
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            work.scans = failed;
        } else {
            work.scans = false;
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// What a round of [`SyncEngine::run`] still has to do.
struct Work {
    push: bool,
    pulls: HashSet<SyncTarget>,
    scans: bool,
}

impl Work {
    fn is_empty(&self) -> bool {
        !self.push && self.pulls.is_empty() && !self.scans
    }

    fn hinted(&mut self, targets: &[SyncTarget], scope: Scope) {
        self.pulls
            .extend(targets.iter().filter(|t| t.scope() == scope));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bilingual::Lang;
    use crate::door::Direction;
    use crate::door::store::Durability;
    use crate::sync::test_peer::{DoorFixture, Peer, event_json, hint_channel};
    use crate::wire::sync::{RowKind, SyncHint};
    use std::path::PathBuf;
    use uuid::Uuid;

    struct Device {
        _dir: tempfile::TempDir,
        path: PathBuf,
        db: Arc<Mutex<SyncDb>>,
        door: Arc<Mutex<DoorStore>>,
        engine: Arc<SyncEngine>,
    }

    fn quick_retry(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_attempts: Some(max_attempts),
        }
    }

    fn device(url: &str, page_limit: u32) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hafla.db");
        let db = Arc::new(Mutex::new(SyncDb::open(&path).unwrap()));
        let door = Arc::new(Mutex::new(
            DoorStore::open_device(&path, Durability::Normal).unwrap(),
        ));
        let client = SyncClient::new(url, Lang::En, Some("secret-token".into())).unwrap();
        let config = EngineConfig {
            page_limit,
            retry: quick_retry(2),
            round_retry: quick_retry(2),
            ..EngineConfig::default()
        };
        let engine = Arc::new(SyncEngine::new(
            client,
            db.clone(),
            Some(door.clone()),
            config,
        ));
        Device {
            _dir: dir,
            path,
            db,
            door,
            engine,
        }
    }

    impl Device {
        /// Scans ticket `serial` of the fixture's event at the North gate, offline.
        fn scan_at_north(&self, fixture: &DoorFixture, serial: u32) -> crate::door::Verdict {
            self.door
                .lock()
                .unwrap()
                .scan(
                    fixture.event_ref,
                    &fixture.ticket(serial),
                    "North",
                    Direction::In,
                    fixture.now,
                )
                .unwrap()
                .0
        }
    }

    fn publish_catalog(peer: &Peer, n: usize) -> Vec<Uuid> {
        peer.with(|s| {
            (0..n)
                .map(|i| {
                    let id = Uuid::now_v7();
                    let starts = format!("2027-01-{:02}T18:00:00Z", i % 28 + 1);
                    s.put(
                        "catalog",
                        RowKind::Event,
                        &id.to_string(),
                        Some(event_json(
                            id,
                            &format!("حفلة {i}"),
                            &format!("Concert {i}"),
                            &starts,
                        )),
                    );
                    id
                })
                .collect()
        })
    }

    #[tokio::test]
    async fn a_fresh_device_pulls_every_page_and_proves_its_copy_whole_with_the_digest() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 25);
        let d = device(&peer.url, 10);
        let progress = d.engine.progress();
        let report = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert_eq!((report.pages, report.held, report.total), (3, 25, 25));
        assert!(report.verified && !report.refetched);
        assert_eq!(
            *progress.borrow(),
            Some(Progress {
                scope: Scope::Catalog,
                done: 25,
                total: 25
            })
        );
        assert!(d.db.lock().unwrap().state(Scope::Catalog).unwrap().complete);
        assert_eq!(
            peer.with(|s| s.authorization.clone()).as_deref(),
            Some("Bearer secret-token")
        );
        assert_eq!(
            d.db.lock()
                .unwrap()
                .search_catalog("concert", 100)
                .unwrap()
                .len(),
            25
        );

        assert_eq!(
            peer.with(|s| s.counts_asked.clone()),
            vec![(true, true), (false, true), (false, true)],
            "the download asks the total once and the digest until its last page"
        );

        peer.with(|s| s.counts_asked.clear());
        let again = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert_eq!(
            (again.pages, again.rows),
            (1, 0),
            "caught up: one empty page"
        );
        assert_eq!(
            peer.with(|s| s.counts_asked.clone()),
            vec![(false, false)],
            "a catch-up of a copy proven whole moments ago has the server count nothing"
        );
    }

    #[tokio::test]
    async fn a_complete_copy_asks_for_the_digest_again_once_its_last_proof_is_old() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 5);
        let mut d = device(&peer.url, 10);
        d.engine.pull(SyncTarget::Catalog).await.unwrap();
        let client = SyncClient::new(&peer.url, Lang::En, None).unwrap();
        let config = EngineConfig {
            verify_every: Duration::ZERO,
            ..EngineConfig::default()
        };
        d.engine = Arc::new(SyncEngine::new(client, d.db.clone(), None, config));
        peer.with(|s| s.counts_asked.clear());
        let report = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert!(report.verified);
        assert_eq!(peer.with(|s| s.counts_asked.clone()), vec![(false, true)]);
    }

    #[tokio::test]
    async fn a_pull_cut_off_after_a_page_resumes_from_the_last_committed_cursor() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 25);
        let d = device(&peer.url, 10);
        peer.with(|s| s.fail_after_pages = Some(1));
        let err = d.engine.pull(SyncTarget::Catalog).await.unwrap_err();
        assert!(
            matches!(&err, SyncError::Request(e) if e.retryable()),
            "{err}"
        );
        let state = d.db.lock().unwrap().state(Scope::Catalog).unwrap();
        assert_eq!((state.cursor.as_deref(), state.rows), (Some("0.10"), 10));
        assert!(!state.complete);

        // As if the process had been killed: a new engine over the same file.
        let db = Arc::new(Mutex::new(SyncDb::open(&d.path).unwrap()));
        let client = SyncClient::new(&peer.url, Lang::En, None).unwrap();
        let engine = SyncEngine::new(client, db.clone(), None, EngineConfig::default());
        peer.with(|s| {
            s.fail_after_pages = None;
            s.cursors_asked.clear();
        });
        let report = engine.pull(SyncTarget::Catalog).await.unwrap();
        assert_eq!(
            peer.with(|s| s.cursors_asked.first().cloned()),
            Some(Some("0.10".to_owned())),
            "the first page of the resumed pull starts after the committed one"
        );
        assert_eq!((report.held, report.verified), (25, true));
    }

    #[tokio::test]
    async fn a_reset_starts_the_scope_over_and_forgets_what_the_server_no_longer_has() {
        let peer = Peer::start().await;
        let ids = publish_catalog(&peer, 5);
        let d = device(&peer.url, 10);
        d.engine.pull(SyncTarget::Catalog).await.unwrap();
        // The server was restored from a backup that never had the last event: old cursors
        // mean nothing to it any more.
        peer.with(|s| {
            s.epoch += 1;
            let rows = &mut s.scopes.get_mut("catalog").unwrap().rows;
            rows.retain(|(_, key), _| *key != ids[4].to_string());
        });
        let report = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert_eq!((report.resets, report.held, report.verified), (1, 4, true));
        assert!(
            d.db.lock()
                .unwrap()
                .catalog_event(ids[4])
                .unwrap()
                .is_none()
        );
        assert!(
            d.db.lock()
                .unwrap()
                .catalog_event(ids[0])
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_throttled_pull_waits_at_least_what_retry_after_says_then_succeeds() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 2);
        let d = device(&peer.url, 10);
        peer.with(|s| s.pull_failures.push_back((429, Some(1))));
        let started = std::time::Instant::now();
        let report = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(report.held, 2);
    }

    #[tokio::test]
    async fn a_refusal_is_reported_at_once_and_not_retried() {
        let peer = Peer::start().await;
        let d = device(&peer.url, 10);
        peer.with(|s| s.pull_failures.extend([(403, None), (403, None)]));
        let err = d.engine.pull(SyncTarget::Me).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        assert_eq!(peer.with(|s| s.cursors_asked.len()), 1);
        assert_eq!(*d.engine.connectivity().borrow(), Connectivity::Online);
    }

    #[tokio::test]
    async fn a_server_that_keeps_resetting_is_an_error_not_a_loop() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 25);
        let d = device(&peer.url, 10);
        peer.with(|s| s.always_reset = true);
        let err = d.engine.pull(SyncTarget::Catalog).await.unwrap_err();
        assert!(
            matches!(
                err,
                SyncError::RepeatedReset {
                    scope: Scope::Catalog
                }
            ),
            "{err}"
        );
        assert_eq!(peer.with(|s| s.pages_served), 2);
    }

    #[tokio::test]
    async fn a_digest_mismatch_drops_the_scope_and_fetches_it_once_more() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 12);
        let d = device(&peer.url, 10);
        peer.with(|s| s.digest_lies = 1);
        let report = d.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert!(report.refetched && report.verified);
        assert_eq!((report.pages, report.held), (4, 12));
        let starts = peer.with(|s| s.cursors_asked.iter().filter(|c| c.is_none()).count());
        assert_eq!(starts, 2, "fetched from the start twice");
    }

    #[tokio::test]
    async fn a_digest_that_still_differs_after_the_refetch_is_reported() {
        let peer = Peer::start().await;
        publish_catalog(&peer, 3);
        let d = device(&peer.url, 10);
        peer.with(|s| s.digest_lies = 5);
        let err = d.engine.pull(SyncTarget::Catalog).await.unwrap_err();
        match err {
            SyncError::DigestMismatch { server, local, .. } => {
                assert_eq!((server.count, local.count), (4, 3));
            }
            other => panic!("{other}"),
        }
        assert_eq!(peer.with(|s| s.pages_served), 2, "exactly one refetch");
    }

    #[tokio::test]
    async fn outbox_rows_leave_only_once_the_server_answered_them() {
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| fixture.publish(s, 5));
        let d = device(&peer.url, 100);
        d.engine.pull(fixture.target()).await.unwrap();
        for serial in 1..=3 {
            let verdict = d.scan_at_north(&fixture, serial);
            assert!(verdict.is_admitted(), "{verdict:?}");
        }
        assert_eq!(d.db.lock().unwrap().outbox_len().unwrap(), 3);

        peer.with(|s| s.push_failures = 10);
        assert!(d.engine.push().await.is_err());
        assert_eq!(
            d.db.lock().unwrap().outbox_len().unwrap(),
            3,
            "no answer, no deletion"
        );

        peer.with(|s| s.push_failures = 1);
        let report = d.engine.push().await.unwrap();
        assert_eq!(
            (report.applied, report.pending),
            (3, 0),
            "retried after a 503"
        );
        let pushed = peer.with(|s| s.scans.clone());
        assert_eq!(pushed.len(), 3);
        assert!(
            pushed
                .iter()
                .all(|s| s.device_id == d.db.lock().unwrap().device_id())
        );

        let nothing = d.engine.push().await.unwrap();
        assert_eq!(nothing.batches, 0);
    }

    #[tokio::test]
    async fn a_deferred_mutation_stays_queued_and_goes_again_in_a_later_push() {
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| fixture.publish(s, 5));
        let d = device(&peer.url, 100);
        d.engine.pull(fixture.target()).await.unwrap();
        for serial in 1..=2 {
            d.scan_at_north(&fixture, serial);
        }
        peer.with(|s| s.defer_pushes = 1);
        let report = d.engine.push().await.unwrap();
        assert_eq!((report.deferred, report.applied, report.pending), (2, 0, 2));
        let report = d.engine.push().await.unwrap();
        assert_eq!((report.deferred, report.applied, report.pending), (0, 2, 0));
        let numbers: Vec<u64> =
            peer.with(|s| s.pushes[1].mutations.iter().map(|m| m.number).collect());
        assert_eq!(
            numbers,
            [1, 2],
            "a device's numbers run 1, 2, 3… without gaps"
        );
    }

    #[tokio::test]
    async fn a_rejected_mutation_is_set_aside_and_does_not_block_the_ones_after_it() {
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| fixture.publish(s, 5));
        let d = device(&peer.url, 100);
        d.engine.pull(fixture.target()).await.unwrap();
        for serial in 1..=3 {
            d.scan_at_north(&fixture, serial);
        }
        peer.with(|s| s.reject.insert(2));
        let report = d.engine.push().await.unwrap();
        assert_eq!((report.applied, report.rejected, report.pending), (2, 1, 0));
        let rejected = d.db.lock().unwrap().rejected().unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(
            (rejected[0].number, rejected[0].code.as_str()),
            (2, "forbidden")
        );
    }

    #[tokio::test]
    async fn a_synced_door_admits_offline_learns_other_doors_scans_and_refuses_revoked_tickets() {
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| fixture.publish(s, 10));
        let north = device(&peer.url, 4);
        let south = device(&peer.url, 4);
        let report = north.engine.sync(fixture.target()).await.unwrap();
        assert_eq!((report.pull.held, report.pull.verified), (13, true));
        south.engine.sync(fixture.target()).await.unwrap();

        let scan = |d: &Device, serial: u32| {
            d.door
                .lock()
                .unwrap()
                .scan(
                    fixture.event_ref,
                    &fixture.ticket(serial),
                    "Gate",
                    Direction::In,
                    fixture.now,
                )
                .unwrap()
                .0
                .key()
        };
        assert_eq!(scan(&north, 1), "admitted");
        assert_eq!(scan(&south, 2), "admitted");
        let south_report = south.engine.sync(fixture.target()).await.unwrap();
        assert_eq!(south_report.push.applied, 1);

        let north_report = north.engine.sync(fixture.target()).await.unwrap();
        assert_eq!(north_report.push.applied, 1);
        assert_eq!(
            north_report.scans,
            Some(ScanReport {
                received: 1,
                merged: 1
            })
        );
        assert_eq!(
            scan(&north, 2),
            "already_admitted",
            "south's scan counts at north"
        );

        peer.with(|s| {
            s.put(
                &fixture.scope(),
                RowKind::Ticket,
                "3",
                Some(serde_json::json!({"t": 0, "r": {"reason": "refunded", "at": "2026-12-20T12:00:00Z"}})),
            )
        });
        north.engine.sync(fixture.target()).await.unwrap();
        assert_eq!(scan(&north, 3), "revoked");
        let status = north
            .db
            .lock()
            .unwrap()
            .door_status(fixture.event_ref)
            .unwrap();
        assert_eq!(
            (status.admitted, status.revoked, status.tickets),
            (2, 1, 10)
        );
        assert_eq!(status.remaining, 7);
    }

    #[tokio::test]
    async fn a_door_whose_event_has_no_number_yet_syncs_and_has_no_scans_to_exchange() {
        // A draft: the server numbers an event for credentials only once it needs to.
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| {
            s.put(
                &fixture.scope(),
                RowKind::TicketType,
                "0",
                Some(fixture.ticket_type_json()),
            )
        });
        let d = device(&peer.url, 100);
        let report = d.engine.sync(fixture.target()).await.unwrap();
        assert_eq!(report.pull.held, 1);
        assert_eq!(report.scans, Some(ScanReport::default()));
    }

    #[tokio::test]
    async fn a_closed_port_turns_the_engine_offline_and_an_answer_turns_it_online() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let offline = device(&url, 10);
        let rx = offline.engine.connectivity();
        let err = offline.engine.pull(SyncTarget::Catalog).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ServerUnreachable);
        assert_eq!(*rx.borrow(), Connectivity::Offline);

        let peer = Peer::start().await;
        let online = device(&peer.url, 10);
        let rx = online.engine.connectivity();
        online.engine.pull(SyncTarget::Catalog).await.unwrap();
        assert_eq!(*rx.borrow(), Connectivity::Online);
    }

    #[tokio::test]
    async fn a_running_door_learns_another_doors_scan_without_any_hint() {
        let peer = Peer::start().await;
        let fixture = DoorFixture::new();
        peer.with(|s| fixture.publish(s, 3));
        let mut north = device(&peer.url, 100);
        Arc::get_mut(&mut north.engine).unwrap().config.scans_every = Duration::from_millis(20);
        let south = device(&peer.url, 100);
        let (stop, shutdown) = watch::channel(false);
        let running = tokio::spawn(north.engine.clone().run(vec![fixture.target()], shutdown));

        south.engine.sync(fixture.target()).await.unwrap();
        let (verdict, _) = south
            .door
            .lock()
            .unwrap()
            .scan(
                fixture.event_ref,
                &fixture.ticket(1),
                "South",
                Direction::In,
                fixture.now,
            )
            .unwrap();
        assert!(verdict.is_admitted());
        south.engine.push().await.unwrap();

        let mut verdict = "";
        for _ in 0..300 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let door = north.door.lock().unwrap();
            if door.admitted_count(fixture.event_ref).unwrap() == 1 {
                drop(door);
                verdict = north.scan_at_north(&fixture, 1).key();
                break;
            }
        }
        assert_eq!(verdict, "already_admitted");
        stop.send(true).unwrap();
        running.await.unwrap();
    }

    #[tokio::test]
    async fn a_hint_makes_the_running_engine_pull_the_hinted_scope() {
        let hints = hint_channel();
        let peer = Peer::start_with_hints(hints.clone()).await;
        publish_catalog(&peer, 1);
        let d = device(&peer.url, 10);
        let (stop, shutdown) = watch::channel(false);
        let running = tokio::spawn(d.engine.clone().run(vec![SyncTarget::Catalog], shutdown));
        let held = |d: &Device| d.db.lock().unwrap().state(Scope::Catalog).unwrap().rows;
        let wait_for = |want: u64| {
            let d = &d;
            async move {
                for _ in 0..500 {
                    if held(d) == want {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("never held {want} events");
            }
        };
        wait_for(1).await;
        publish_catalog(&peer, 1);
        let version = peer.with(|s| s.scopes["catalog"].version);
        // The listener may still be connecting: hint until it has heard.
        for _ in 0..100 {
            let _ = hints.send(SyncHint {
                scope: Scope::Catalog,
                version,
            });
            if held(&d) == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        wait_for(2).await;
        assert_eq!(*d.engine.connectivity().borrow(), Connectivity::Online);
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("the engine stops when told")
            .unwrap();
    }
}
