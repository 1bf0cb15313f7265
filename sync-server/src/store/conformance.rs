//! The one behaviour suite every storage backend must pass, run against a fresh store per
//! scenario. `SqliteStore`'s tests run it; the PostgreSQL store's tests run it unchanged.

use super::{
    Change, Invite, NewOrganization, OrgRole, RateRule, RefreshOutcome, RefreshRecord,
    SignupMethod, Store, StoreError, TokenPurpose, User,
};
use hafla_core::{Bilingual, Lang};
use jiff::{SignedDuration, Timestamp};
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

/// Runs every scenario, each on a store made by `fresh`. Panics with the scenario's name.
pub async fn run_conformance_suite<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    the_catalog_lists_published_events_that_have_not_ended(fresh().await).await;
    users_are_unique_by_email_and_phone(fresh().await).await;
    account_updates_apply_to_existing_users_only(fresh().await).await;
    one_time_tokens_are_used_at_most_once_before_expiry(fresh().await).await;
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family(fresh().await).await;
    sessions_end_one_at_a_time_or_all_together(fresh().await).await;
    organizations_keep_exactly_one_owner(fresh().await).await;
    invitations_become_memberships_once(fresh().await).await;
    otp_challenges_are_kept_per_phone_until_deleted(fresh().await).await;
    pending_logins_are_taken_once_and_identities_link_to_users(fresh().await).await;
    concurrent_rotations_of_one_refresh_token_let_exactly_one_through(fresh().await).await;
    a_rate_limit_budget_is_never_overspent_by_concurrent_attempts(fresh().await).await;
    a_job_period_is_claimed_by_exactly_one_of_many_concurrent_claimants(fresh().await).await;
    purging_deletes_what_has_expired_and_keeps_the_rest(fresh().await).await;
    committed_organization_changes_are_announced_and_failed_ones_are_not(fresh().await).await;
    super::search_conformance::run(&fresh).await;
}

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

pub(crate) fn user(email: Option<&str>, phone: Option<&str>) -> User {
    User {
        id: Uuid::now_v7(),
        email: email.map(str::to_owned),
        email_verified: false,
        phone: phone.map(str::to_owned),
        phone_verified: phone.is_some(),
        password_hash: None,
        display_name: "سلمى".into(),
        lang: Lang::Ar,
        is_admin: false,
        signup_method: if email.is_some() {
            SignupMethod::Email
        } else {
            SignupMethod::Phone
        },
        created_at: now(),
    }
}

fn org() -> NewOrganization {
    NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("مسرح البلد", "Al Balad Theatre").expect("name"),
    }
}

async fn users_are_unique_by_email_and_phone(store: Arc<dyn Store>) {
    let salma = user(Some("salma@example.jo"), Some("+962791234567"));
    store.create_user(salma.clone()).await.expect("create");
    assert_eq!(
        store.user_by_id(salma.id).await.unwrap(),
        Some(salma.clone())
    );
    assert_eq!(
        store
            .user_by_email("Salma@Example.JO")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(salma.id)
    );
    assert_eq!(
        store
            .user_by_phone("+962791234567")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(salma.id)
    );
    assert_eq!(
        store.user_by_email("nobody@example.jo").await.unwrap(),
        None
    );
    let same_email = user(Some("SALMA@example.jo"), None);
    assert!(matches!(
        store.create_user(same_email).await,
        Err(StoreError::Conflict("email"))
    ));
    let same_phone = user(None, Some("+962791234567"));
    assert!(matches!(
        store.create_user(same_phone).await,
        Err(StoreError::Conflict("phone"))
    ));
}

async fn account_updates_apply_to_existing_users_only(store: Arc<dyn Store>) {
    let u = user(Some("omar@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    store
        .set_password(u.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        .await
        .unwrap();
    store.mark_email_verified(u.id, now()).await.unwrap();
    store.set_admin(u.id, true).await.unwrap();
    let stored = store.user_by_id(u.id).await.unwrap().expect("user");
    assert!(stored.email_verified && stored.is_admin && stored.password_hash.is_some());
    let ghost = Uuid::now_v7();
    assert!(matches!(
        store.set_password(ghost, "x").await,
        Err(StoreError::NotFound("user"))
    ));
    assert!(matches!(
        store.mark_email_verified(ghost, now()).await,
        Err(StoreError::NotFound("user"))
    ));
}

async fn one_time_tokens_are_used_at_most_once_before_expiry(store: Arc<dyn Store>) {
    let u = user(Some("rana@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    let expires = now() + SignedDuration::from_hours(1);
    store
        .insert_one_time_token([1; 32], u.id, TokenPurpose::VerifyEmail, expires)
        .await
        .unwrap();
    store
        .insert_one_time_token([2; 32], u.id, TokenPurpose::ResetPassword, expires)
        .await
        .unwrap();
    let verify = TokenPurpose::VerifyEmail;
    assert_eq!(
        store
            .consume_one_time_token([2; 32], verify, now())
            .await
            .unwrap(),
        None,
        "wrong purpose"
    );
    assert_eq!(
        store
            .consume_one_time_token([1; 32], verify, now())
            .await
            .unwrap(),
        Some(u.id)
    );
    assert_eq!(
        store
            .consume_one_time_token([1; 32], verify, now())
            .await
            .unwrap(),
        None,
        "used"
    );
    let late = expires + SignedDuration::from_secs(1);
    let reset = TokenPurpose::ResetPassword;
    assert_eq!(
        store
            .consume_one_time_token([2; 32], reset, late)
            .await
            .unwrap(),
        None,
        "expired"
    );
}

fn month() -> Timestamp {
    now() + SignedDuration::from_hours(24 * 30)
}

fn refresh(user_id: Uuid, hash: u8, family_id: Uuid) -> RefreshRecord {
    RefreshRecord {
        token_hash: [hash; 32],
        family_id,
        user_id,
        created_at: now(),
        expires_at: now() + SignedDuration::from_hours(24 * 30),
    }
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(store: Arc<dyn Store>) {
    let u = user(Some("lina@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    let family = Uuid::now_v7();
    store
        .insert_refresh_token(refresh(u.id, 1, family))
        .await
        .unwrap();
    let rotated = store
        .rotate_refresh_token([1; 32], [2; 32], month(), now())
        .await
        .unwrap();
    assert_eq!(
        rotated,
        RefreshOutcome::Rotated {
            user_id: u.id,
            family_id: family
        }
    );
    assert_eq!(
        store.refresh_family([2; 32], now()).await.unwrap(),
        Some((family, u.id))
    );
    // A copy of token 1 is presented again: the family is burnt, token 2 included.
    let reused = store
        .rotate_refresh_token([1; 32], [3; 32], month(), now())
        .await
        .unwrap();
    assert_eq!(
        reused,
        RefreshOutcome::Reused {
            user_id: u.id,
            family_id: family
        }
    );
    let after = store
        .rotate_refresh_token([2; 32], [4; 32], month(), now())
        .await
        .unwrap();
    assert_eq!(after, RefreshOutcome::Invalid);
    assert_eq!(
        store
            .rotate_refresh_token([9; 32], [5; 32], month(), now())
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    let other = Uuid::now_v7();
    store
        .insert_refresh_token(refresh(u.id, 6, other))
        .await
        .unwrap();
    let expired = now() + SignedDuration::from_hours(24 * 31);
    assert_eq!(
        store
            .rotate_refresh_token([6; 32], [7; 32], month(), expired)
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
}

async fn sessions_end_one_at_a_time_or_all_together(store: Arc<dyn Store>) {
    let u = user(Some("hadi@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    let (phone, laptop, tablet) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (hash, family) in [(1, phone), (2, laptop), (3, tablet)] {
        store
            .insert_refresh_token(refresh(u.id, hash, family))
            .await
            .unwrap();
    }
    assert_eq!(store.revoke_family(phone, now()).await.unwrap(), 1);
    assert_eq!(store.refresh_family([1; 32], now()).await.unwrap(), None);
    assert!(
        store
            .refresh_family([2; 32], now())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.revoke_all_sessions(u.id, now()).await.unwrap(), 2);
    assert_eq!(store.refresh_family([3; 32], now()).await.unwrap(), None);
}

async fn organizations_keep_exactly_one_owner(store: Arc<dyn Store>) {
    let (owner, door, stranger) = (
        user(Some("o@x.jo"), None),
        user(Some("d@x.jo"), None),
        user(Some("s@x.jo"), None),
    );
    for u in [&owner, &door, &stranger] {
        store.create_user(u.clone()).await.unwrap();
    }
    let o = org();
    store
        .create_organization(o.clone(), owner.id, now())
        .await
        .unwrap();
    assert_eq!(
        store.role_in(o.id, owner.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    store
        .create_invite(Invite {
            id: Uuid::now_v7(),
            organization_id: o.id,
            email: Some("d@x.jo".into()),
            phone: None,
            role: OrgRole::DoorStaff,
            invited_by: owner.id,
            created_at: now(),
        })
        .await
        .unwrap();
    store
        .accept_invites(door.id, Some("d@x.jo"), None, now())
        .await
        .unwrap();
    store
        .set_role(o.id, door.id, OrgRole::Analyst)
        .await
        .unwrap();
    assert_eq!(
        store.role_in(o.id, door.id).await.unwrap(),
        Some(OrgRole::Analyst)
    );
    assert!(matches!(
        store.set_role(o.id, owner.id, OrgRole::Manager).await,
        Err(StoreError::Conflict("owner"))
    ));
    assert!(matches!(
        store.remove_member(o.id, owner.id).await,
        Err(StoreError::Conflict("owner"))
    ));
    assert!(matches!(
        store.transfer_ownership(o.id, stranger.id).await,
        Err(StoreError::NotFound("member"))
    ));
    store.transfer_ownership(o.id, door.id).await.unwrap();
    assert_eq!(
        store.role_in(o.id, door.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(
        store.role_in(o.id, owner.id).await.unwrap(),
        Some(OrgRole::Manager)
    );
    let roles: Vec<OrgRole> = store
        .members(o.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(
        roles.iter().filter(|r| **r == OrgRole::Owner).count(),
        1,
        "{roles:?}"
    );
    store.remove_member(o.id, owner.id).await.unwrap();
    assert_eq!(store.role_in(o.id, owner.id).await.unwrap(), None);
    assert!(matches!(
        store.remove_member(o.id, owner.id).await,
        Err(StoreError::NotFound("member"))
    ));
}

async fn invitations_become_memberships_once(store: Arc<dyn Store>) {
    let owner = user(Some("boss@x.jo"), None);
    let guest = user(Some("guest@x.jo"), Some("+962781234567"));
    store.create_user(owner.clone()).await.unwrap();
    store.create_user(guest.clone()).await.unwrap();
    let (a, b) = (org(), org());
    store
        .create_organization(a.clone(), owner.id, now())
        .await
        .unwrap();
    store
        .create_organization(b.clone(), owner.id, now())
        .await
        .unwrap();
    let invite = |organization_id, email: Option<&str>, phone: Option<&str>, role| Invite {
        id: Uuid::now_v7(),
        organization_id,
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        role,
        invited_by: owner.id,
        created_at: now(),
    };
    store
        .create_invite(invite(a.id, Some("GUEST@x.jo"), None, OrgRole::Manager))
        .await
        .unwrap();
    store
        .create_invite(invite(
            b.id,
            None,
            Some("+962781234567"),
            OrgRole::DoorStaff,
        ))
        .await
        .unwrap();
    let joined = store
        .accept_invites(guest.id, Some("guest@x.jo"), Some("+962781234567"), now())
        .await
        .unwrap();
    let mut roles: Vec<(Uuid, OrgRole)> =
        joined.iter().map(|m| (m.organization_id, m.role)).collect();
    roles.sort();
    let mut expected = vec![(a.id, OrgRole::Manager), (b.id, OrgRole::DoorStaff)];
    expected.sort();
    assert_eq!(roles, expected);
    let again = store
        .accept_invites(guest.id, Some("guest@x.jo"), None, now())
        .await
        .unwrap();
    assert_eq!(again.len(), 2, "no duplicate memberships");
    assert_eq!(store.memberships(guest.id).await.unwrap().len(), 2);
}

async fn otp_challenges_are_kept_per_phone_until_deleted(store: Arc<dyn Store>) {
    use crate::auth::otp::{OtpChallenge, OtpPolicy};
    let phone = crate::auth::phone::PhoneNumber::parse("0791234567").expect("phone");
    assert!(store.otp_challenge(&phone).await.unwrap().is_none());
    let mut challenge = OtpChallenge::issue(phone.clone(), [3; 32], &OtpPolicy::default(), now());
    store.save_otp_challenge(challenge.clone()).await.unwrap();
    challenge.attempts = 2;
    challenge.code_hash = [4; 32];
    store.save_otp_challenge(challenge.clone()).await.unwrap();
    let stored = store
        .otp_challenge(&phone)
        .await
        .unwrap()
        .expect("challenge");
    assert_eq!(
        (stored.code_hash, stored.attempts, stored.expires_at),
        ([4; 32], 2, challenge.expires_at)
    );
    assert_eq!(stored.sends, challenge.sends);
    store.delete_otp_challenge(&phone).await.unwrap();
    assert!(store.otp_challenge(&phone).await.unwrap().is_none());
}

async fn pending_logins_are_taken_once_and_identities_link_to_users(store: Arc<dyn Store>) {
    use crate::auth::oidc::{PendingLogin, PkceVerifier};
    let pending = PendingLogin {
        provider: "google".into(),
        nonce: "n-123".into(),
        pkce_verifier: PkceVerifier::from_stored("v".repeat(43)),
        created_at: now(),
    };
    store.save_pending_login([5; 32], pending).await.unwrap();
    let taken = store
        .take_pending_login([5; 32])
        .await
        .unwrap()
        .expect("pending");
    assert_eq!(
        (taken.provider.as_str(), taken.nonce.as_str()),
        ("google", "n-123")
    );
    assert_eq!(taken.pkce_verifier.secret(), "v".repeat(43));
    assert!(
        store.take_pending_login([5; 32]).await.unwrap().is_none(),
        "a state works once"
    );
    let u = user(Some("nour@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    assert!(
        store
            .user_by_identity("google", "sub-1")
            .await
            .unwrap()
            .is_none()
    );
    store
        .link_identity("google", "sub-1", u.id, now())
        .await
        .unwrap();
    store
        .link_identity("google", "sub-1", u.id, now())
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_identity("google", "sub-1")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(u.id)
    );
    assert!(
        store
            .user_by_identity("apple", "sub-1")
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_catalog_lists_published_events_that_have_not_ended(store: Arc<dyn Store>) {
    use super::{NewEvent, NewTicketType};
    use hafla_core::money::Money;
    use hafla_core::places::{City, GeoPoint};
    use hafla_core::wire::{Category, EventStatus, Venue};
    let o = org();
    let text = |en: &str| Bilingual::new(format!("{en} بالعربية"), en).expect("text");
    let event = |status, starts: Timestamp, prices: &[i64]| NewEvent {
        id: Uuid::now_v7(),
        organization_id: o.id,
        status,
        title: text("Event"),
        description: text("About"),
        category: Category::Music,
        venue: Venue {
            name: text("Venue"),
            address: text("Street"),
            city: City::Irbid,
            location: GeoPoint {
                lat: 32.55,
                lng: 35.85,
            },
        },
        starts_at: starts,
        ends_at: starts + SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: prices
            .iter()
            .map(|p| NewTicketType::simple(Uuid::now_v7(), text("Seat"), Money::jod_fils(*p), 50))
            .collect(),
    };
    let day = SignedDuration::from_hours(24);
    let later = event(EventStatus::Published, now() + day + day, &[]);
    let soon = event(EventStatus::Published, now() + day, &[12_500, 7_000]);
    let over = event(EventStatus::Published, now() - day, &[1_000]);
    let draft = event(EventStatus::Draft, now() + day, &[1_000]);
    let (soon_id, later_id) = (soon.id, later.id);
    store
        .insert_catalog(vec![o.clone()], vec![later, soon, over, draft])
        .await
        .unwrap();
    assert_eq!(store.count_organizations().await.unwrap(), 1);
    let page = store.list_published_events(now(), 0, 10).await.unwrap();
    assert_eq!(
        page.events.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![soon_id, later_id]
    );
    assert_eq!((page.total, page.next_offset), (2, None));
    assert_eq!(
        page.events[0].price_from,
        Some(Money::jod_fils(7_000)),
        "the cheapest ticket"
    );
    assert_eq!(page.events[1].price_from, None, "no ticket types yet");
    assert_eq!(page.events[0].title, text("Event"));
    let first = store.list_published_events(now(), 0, 1).await.unwrap();
    assert_eq!((first.events.len(), first.next_offset), (1, Some(1)));
}

/// Runs `n` copies of `task` at once, each on its own tokio task, and returns their results.
async fn all_at_once<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}

async fn concurrent_rotations_of_one_refresh_token_let_exactly_one_through(store: Arc<dyn Store>) {
    let u = user(Some("race@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    store
        .insert_refresh_token(refresh(u.id, 1, Uuid::now_v7()))
        .await
        .unwrap();
    let outcomes = all_at_once(8, |i| {
        let store = store.clone();
        async move {
            let next = [10 + i as u8; 32];
            store
                .rotate_refresh_token([1; 32], next, month(), now())
                .await
        }
    })
    .await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(RefreshOutcome::Rotated { .. })))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    // The first loser reveals a copy and burns the family; later ones find it burnt.
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Ok(RefreshOutcome::Rotated { .. }
                | RefreshOutcome::Reused { .. }
                | RefreshOutcome::Invalid)
        )),
        "{outcomes:?}"
    );
    for i in 0..8u8 {
        let successor = store.refresh_family([10 + i; 32], now()).await.unwrap();
        assert_eq!(
            successor, None,
            "the winner's successor was revoked with its family"
        );
    }
}

async fn a_rate_limit_budget_is_never_overspent_by_concurrent_attempts(store: Arc<dyn Store>) {
    let rule = RateRule {
        emission_ms: 60_000,
        burst: 10,
    };
    let t0 = now().as_millisecond();
    let waits = all_at_once(30, |_| {
        let store = store.clone();
        async move { store.take_rate_limit([7; 32], rule, t0).await.unwrap() }
    })
    .await;
    assert_eq!(waits.iter().filter(|w| w.is_none()).count(), 10);
    // Refused attempts spend nothing: the next one fits exactly one emission later.
    assert!(waits.iter().flatten().all(|&w| w == 60_000), "{waits:?}");
    let early = store
        .take_rate_limit([7; 32], rule, t0 + 59_999)
        .await
        .unwrap();
    assert_eq!(early, Some(1));
    let on_time = store
        .take_rate_limit([7; 32], rule, t0 + 60_000)
        .await
        .unwrap();
    assert_eq!(on_time, None);
    let other_key = store.take_rate_limit([8; 32], rule, t0).await.unwrap();
    assert_eq!(other_key, None, "budgets are per key");
}

async fn a_job_period_is_claimed_by_exactly_one_of_many_concurrent_claimants(
    store: Arc<dyn Store>,
) {
    let claims = all_at_once(16, |i| {
        let store = store.clone();
        async move {
            let holder = format!("instance-{i}");
            store
                .claim_job_run("purge", 42, &holder, now())
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1, "{claims:?}");
    store
        .finish_job_run("purge", 42, "deleted 0 rows", now())
        .await
        .unwrap();
    assert!(
        !store
            .claim_job_run("purge", 42, "late", now())
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job_run("purge", 43, "next", now())
            .await
            .unwrap()
    );
    assert!(store.claim_job_run("other", 42, "x", now()).await.unwrap());
}

async fn purging_deletes_what_has_expired_and_keeps_the_rest(store: Arc<dyn Store>) {
    use crate::auth::otp::{OtpChallenge, OtpPolicy};
    let rule = RateRule {
        emission_ms: 1_000,
        burst: 1,
    };
    let t = now().as_millisecond();
    store
        .take_rate_limit([1; 32], rule, t - 10_000)
        .await
        .unwrap();
    store.take_rate_limit([2; 32], rule, t).await.unwrap();
    let old_phone = crate::auth::phone::PhoneNumber::parse("0791111111").expect("phone");
    let new_phone = crate::auth::phone::PhoneNumber::parse("0792222222").expect("phone");
    let long_ago = now() - SignedDuration::from_hours(3);
    let old = OtpChallenge::issue(old_phone.clone(), [3; 32], &OtpPolicy::default(), long_ago);
    let fresh = OtpChallenge::issue(new_phone.clone(), [3; 32], &OtpPolicy::default(), now());
    store.save_otp_challenge(old).await.unwrap();
    store.save_otp_challenge(fresh).await.unwrap();
    let u = user(Some("purge@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    let expired = RefreshRecord {
        expires_at: now() - SignedDuration::from_secs(1),
        ..refresh(u.id, 4, Uuid::now_v7())
    };
    store.insert_refresh_token(expired).await.unwrap();
    store
        .insert_refresh_token(refresh(u.id, 5, Uuid::now_v7()))
        .await
        .unwrap();
    let last_month = now() - SignedDuration::from_hours(24 * 31);
    assert!(
        store
            .claim_job_run("purge", 1, "a", last_month)
            .await
            .unwrap()
    );
    assert!(store.claim_job_run("purge", 2, "a", now()).await.unwrap());

    assert_eq!(store.purge_expired(now()).await.unwrap(), 4);
    assert!(store.otp_challenge(&old_phone).await.unwrap().is_none());
    assert!(store.otp_challenge(&new_phone).await.unwrap().is_some());
    assert!(
        store
            .refresh_family([5; 32], now())
            .await
            .unwrap()
            .is_some()
    );
    // The spent budget of key 2 is still there; key 1's was forgotten (its time had passed).
    assert!(
        store
            .take_rate_limit([2; 32], rule, t)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.claim_job_run("purge", 2, "b", now()).await.unwrap());
    assert!(store.claim_job_run("purge", 1, "b", now()).await.unwrap());
    assert_eq!(
        store.purge_expired(now()).await.unwrap(),
        0,
        "nothing left to purge"
    );
}

async fn committed_organization_changes_are_announced_and_failed_ones_are_not(
    store: Arc<dyn Store>,
) {
    let mut changes = store.subscribe_changes();
    let owner = user(Some("owner@example.jo"), None);
    store.create_user(owner.clone()).await.unwrap();
    let o = org();
    let org_id = o.id;
    store.create_organization(o, owner.id, now()).await.unwrap();
    assert_eq!(
        next_change(&mut changes).await,
        Some(Change::Organization(org_id))
    );
    let stranger = Uuid::now_v7();
    assert!(matches!(
        store.set_role(org_id, stranger, OrgRole::Manager).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.remove_member(org_id, owner.id).await,
        Err(StoreError::Conflict(_))
    ));
    store.insert_catalog(vec![], vec![]).await.unwrap();
    // The failed changes announced nothing: the next announcement is the catalog's.
    assert_eq!(next_change(&mut changes).await, Some(Change::Catalog));
}

/// The next announcement other than a reconnect's `Everything`, waiting up to 5 s.
async fn next_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Option<Change> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(Ok(Change::Everything)) => continue,
            Ok(Ok(change)) => return Some(change),
            _ => return None,
        }
    }
}
