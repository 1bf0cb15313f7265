//! In-process caches of hot reads. Each listens to the store's change announcements, which
//! on PostgreSQL come from every instance, so a change made through one instance is seen
//! by the others within milliseconds; a time limit bounds the damage of a missed one.

use crate::store::sync::CredentialEvent;
use crate::store::{Change, OrgRole, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

/// Longest a role is trusted without an announcement.
const ROLE_TTL: Duration = Duration::from_secs(60);
/// Entries kept at most; past this the cache starts over rather than grow.
const ROLE_CAPACITY: usize = 100_000;

/// Roles of users in organizations, as every organization-scoped request's authorization
/// reads them. Writes that depend on a role read the store, never this cache.
pub struct RoleCache {
    inner: Mutex<Roles>,
}

#[derive(Default)]
struct Roles {
    /// Bumped by every invalidation, so a read that raced one is not cached.
    generation: u64,
    entries: HashMap<(Uuid, Uuid), (Option<OrgRole>, Instant)>,
}

impl RoleCache {
    /// A cache that forgets what `changes` announce; the listening task ends with the cache.
    pub fn new(changes: broadcast::Receiver<Change>) -> Arc<RoleCache> {
        let cache = Arc::new(RoleCache {
            inner: Mutex::new(Roles::default()),
        });
        tokio::spawn(forget_on_change(Arc::downgrade(&cache), changes));
        cache
    }

    /// The user's role in the organization, from the cache or else the store.
    pub async fn role_in(
        &self,
        store: &dyn Store,
        organization_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<OrgRole>, StoreError> {
        let key = (organization_id, user_id);
        let generation = {
            let roles = self.lock();
            if let Some((role, at)) = roles.entries.get(&key)
                && at.elapsed() < ROLE_TTL
            {
                return Ok(*role);
            }
            roles.generation
        };
        let role = store.role_in(organization_id, user_id).await?;
        let mut roles = self.lock();
        if roles.generation == generation {
            if roles.entries.len() >= ROLE_CAPACITY {
                roles.entries.clear();
            }
            roles.entries.insert(key, (role, Instant::now()));
        }
        Ok(role)
    }

    fn forget(&self, change: Option<&Change>) {
        let mut roles = self.lock();
        roles.generation += 1;
        match change {
            Some(Change::Organization(id)) => roles.entries.retain(|(org, _), _| org != id),
            Some(Change::Catalog | Change::Scope(_)) => {}
            Some(Change::Everything) | None => roles.entries.clear(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Roles> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn forget_on_change(cache: Weak<RoleCache>, mut changes: broadcast::Receiver<Change>) {
    loop {
        let change = match changes.recv().await {
            Ok(change) => Some(change),
            // Announcements were dropped: forget everything.
            Err(RecvError::Lagged(_)) => None,
            Err(RecvError::Closed) => return,
        };
        let Some(cache) = cache.upgrade() else { return };
        cache.forget(change.as_ref());
    }
}

/// Entries kept at most; past this the cache starts over rather than grow.
const EVENT_REF_CAPACITY: usize = 100_000;

/// The events that credential numbers name, as every door push looks them up. An event's
/// credential number is given once and never changes, so a found answer never goes stale
/// and needs no announcement; unknown numbers are not cached (they may be given later).
#[derive(Default)]
pub struct EventRefCache {
    entries: Mutex<HashMap<u32, CredentialEvent>>,
}

impl EventRefCache {
    /// The event that `event_ref` names, from the cache or else the store.
    pub async fn event(
        &self,
        store: &dyn Store,
        event_ref: u32,
    ) -> Result<Option<CredentialEvent>, StoreError> {
        if let Some(event) = self.lock().get(&event_ref) {
            return Ok(Some(*event));
        }
        let found = store.credential_event(event_ref).await?;
        if let Some(event) = found {
            let mut entries = self.lock();
            if entries.len() >= EVENT_REF_CAPACITY {
                entries.clear();
            }
            entries.insert(event_ref, event);
        }
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, CredentialEvent>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Longest a catalog answer is reused without an announcement: as long as browsers may
/// keep it (`max-age` of `api::http_cache`).
const CATALOG_TTL: Duration = Duration::from_secs(30);
/// Answers kept at most; past this the cache starts over rather than grow.
const CATALOG_CAPACITY: usize = 2_048;

/// Answers to hot catalog reads (search pages, keyed by the canonical search and the page),
/// dropped as soon as any instance announces a catalog change.
///
/// Announcements are read on every lookup (the receiver lives inside the cache), so a
/// change this instance committed before a request is always seen by that request; those
/// of other instances arrive as fast as PostgreSQL delivers them.
pub struct CatalogCache<V> {
    inner: Mutex<Answers<V>>,
}

struct Answers<V> {
    changes: broadcast::Receiver<Change>,
    /// Bumped by every invalidation, so an answer computed across one is not kept.
    generation: u64,
    entries: HashMap<String, (Arc<V>, Instant)>,
}

impl<V> Answers<V> {
    /// Applies every announcement received so far.
    fn catch_up(&mut self) {
        loop {
            match self.changes.try_recv() {
                Ok(Change::Organization(_) | Change::Scope(_)) => {}
                Ok(Change::Catalog | Change::Everything)
                | Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    self.generation += 1;
                    self.entries.clear();
                }
                Err(
                    broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed,
                ) => return,
            }
        }
    }
}

impl<V> CatalogCache<V> {
    pub fn new(changes: broadcast::Receiver<Change>) -> CatalogCache<V> {
        CatalogCache {
            inner: Mutex::new(Answers {
                changes,
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }

    /// The answer for `key`, from the cache or else from `compute` (kept if no catalog
    /// change was announced meanwhile).
    pub async fn get_or_compute<E, F, Fut>(&self, key: String, compute: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let generation = {
            let mut answers = self.lock();
            answers.catch_up();
            if let Some((value, at)) = answers.entries.get(&key)
                && at.elapsed() < CATALOG_TTL
            {
                return Ok(value.clone());
            }
            answers.generation
        };
        let value = Arc::new(compute().await?);
        let mut answers = self.lock();
        answers.catch_up();
        if answers.generation == generation {
            if answers.entries.len() >= CATALOG_CAPACITY {
                answers.entries.clear();
            }
            answers.entries.insert(key, (value.clone(), Instant::now()));
        }
        Ok(value)
    }

    /// Answers held now (for tests and metrics).
    pub fn len(&self) -> usize {
        let mut answers = self.lock();
        answers.catch_up();
        answers.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Answers<V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CoordinationStore, NewOrganization, OrgStore, SqliteStore};
    use hafla_core::Bilingual;

    async fn user(store: &SqliteStore, email: &str) -> Uuid {
        let user = crate::store::User {
            id: Uuid::now_v7(),
            email: Some(email.into()),
            email_verified: true,
            phone: None,
            phone_verified: false,
            password_hash: None,
            display_name: "ليلى".into(),
            lang: hafla_core::Lang::Ar,
            is_admin: false,
            signup_method: crate::store::SignupMethod::Email,
            created_at: jiff::Timestamp::now(),
        };
        let id = user.id;
        crate::store::AccountStore::create_user(store, user)
            .await
            .unwrap();
        id
    }

    async fn store_with_org() -> (Arc<SqliteStore>, Uuid, Uuid, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let owner = user(&store, "owner@example.jo").await;
        let org = NewOrganization {
            id: Uuid::now_v7(),
            name: Bilingual::new("مسرح البلد", "Al Balad Theatre").unwrap(),
        };
        let org_id = org.id;
        store
            .create_organization(org, owner, jiff::Timestamp::now())
            .await
            .unwrap();
        (store, org_id, owner, dir)
    }

    #[tokio::test]
    async fn a_role_change_announced_by_the_store_is_seen_at_once() {
        let (store, org, owner, _dir) = store_with_org().await;
        let cache = RoleCache::new(store.subscribe_changes());
        let member = user(&store, "m@example.jo").await;
        assert_eq!(cache.role_in(&*store, org, member).await.unwrap(), None);
        store
            .create_invite(crate::store::Invite {
                id: Uuid::now_v7(),
                organization_id: org,
                email: Some("m@example.jo".into()),
                phone: None,
                role: OrgRole::Analyst,
                invited_by: owner,
                created_at: jiff::Timestamp::now(),
            })
            .await
            .unwrap();
        store
            .accept_invites(member, Some("m@example.jo"), None, jiff::Timestamp::now())
            .await
            .unwrap();
        tokio::task::yield_now().await;
        let seen = wait_for(
            || cache.role_in(&*store, org, member),
            Some(OrgRole::Analyst),
        )
        .await;
        assert!(
            seen,
            "the cache kept the role from before the invitation was accepted"
        );
        store.remove_member(org, member).await.unwrap();
        let seen = wait_for(|| cache.role_in(&*store, org, member), None).await;
        assert!(seen, "the cache kept the role of a removed member");
    }

    #[tokio::test]
    async fn a_catalog_answer_is_reused_until_a_catalog_change_is_announced() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let cache: CatalogCache<u32> = CatalogCache::new(store.subscribe_changes());
        let calls = std::sync::atomic::AtomicU32::new(0);
        let compute = || async {
            Ok::<_, StoreError>(calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
        };
        assert_eq!(*cache.get_or_compute("q".into(), compute).await.unwrap(), 0);
        assert_eq!(*cache.get_or_compute("q".into(), compute).await.unwrap(), 0);
        assert_eq!(
            *cache.get_or_compute("other".into(), compute).await.unwrap(),
            1
        );
        // An organization's change leaves catalog answers alone; a catalog change does not.
        let owner = user(&store, "o@example.jo").await;
        store
            .create_organization(
                NewOrganization {
                    id: Uuid::now_v7(),
                    name: Bilingual::new("رواق", "Riwaq").unwrap(),
                },
                owner,
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        assert_eq!(*cache.get_or_compute("q".into(), compute).await.unwrap(), 0);
        crate::store::CatalogStore::insert_catalog(&store, vec![], vec![])
            .await
            .unwrap();
        assert_eq!(*cache.get_or_compute("q".into(), compute).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_cached_role_is_served_without_asking_the_store() {
        let (store, org, owner, _dir) = store_with_org().await;
        let cache = RoleCache::new(store.subscribe_changes());
        let first = cache.role_in(&*store, org, owner).await.unwrap();
        assert_eq!(first, Some(OrgRole::Owner));
        // A change behind the store's back is not announced, so the cached answer stands
        // until its time runs out.
        rusqlite::Connection::open(store.path())
            .unwrap()
            .execute(
                "DELETE FROM organization_members WHERE user_id = ?1",
                [owner],
            )
            .unwrap();
        let cached = cache.role_in(&*store, org, owner).await.unwrap();
        assert_eq!(cached, Some(OrgRole::Owner));
        assert_eq!(store.role_in(org, owner).await.unwrap(), None);
    }

    /// Polls `read` until it gives `want` or a second passes.
    async fn wait_for<F, Fut>(read: F, want: Option<OrgRole>) -> bool
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<OrgRole>, StoreError>>,
    {
        for _ in 0..100 {
            if read().await.unwrap() == want {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}
