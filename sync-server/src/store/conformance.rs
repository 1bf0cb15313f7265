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
    a_draft_event_is_stored_in_full_and_listed_with_its_organization(fresh().await).await;
    edits_replace_content_under_optimistic_concurrency(fresh().await).await;
    status_changes_follow_the_review_rules_and_leave_a_trail(fresh().await).await;
    a_published_event_goes_back_to_review_only_when_what_attendees_paid_for_changes(fresh().await)
        .await;
    the_review_queue_lists_pending_events_longest_waiting_first(fresh().await).await;
    two_admins_deciding_on_one_event_at_once_let_exactly_one_win(fresh().await).await;
    a_new_cover_replaces_the_previous_one(fresh().await).await;
    event_changes_are_announced_and_refused_ones_are_not(fresh().await).await;
    super::search_conformance::run(&fresh).await;
    super::orders_conformance::run(&fresh).await;
    super::payments_conformance::run(&fresh).await;
    super::signing_keys_conformance::run(&fresh).await;
    super::sync_conformance::run(&fresh).await;
    super::analytics_conformance::run(&fresh).await;
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

/// The next announcement other than a reconnect's `Everything` or a sync scope's (the
/// change log's own), waiting up to 5 s.
async fn next_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Option<Change> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(Ok(Change::Everything | Change::Scope(_))) => continue,
            Ok(Ok(change)) => return Some(change),
            _ => return None,
        }
    }
}

/// An organization with an owner and an admin, for the event scenarios.
async fn event_world(store: &Arc<dyn Store>) -> (NewOrganization, Uuid, Uuid) {
    let o = org();
    let owner = user(Some("organizer@example.jo"), None);
    let admin = user(Some("moderator@example.jo"), None);
    store.create_user(owner.clone()).await.unwrap();
    store.create_user(admin.clone()).await.unwrap();
    store
        .create_organization(o.clone(), owner.id, now())
        .await
        .unwrap();
    (o, owner.id, admin.id)
}

fn draft_event(organization_id: Uuid, prices: &[i64]) -> super::NewEvent {
    use super::{NewEvent, NewTicketType};
    use hafla_core::door::verifier::EntryPolicy;
    use hafla_core::money::Money;
    use hafla_core::places::{City, GeoPoint};
    use hafla_core::wire::{Category, EventStatus, Venue};
    let starts = now() + SignedDuration::from_hours(24 * 30);
    NewEvent {
        id: Uuid::now_v7(),
        organization_id,
        status: EventStatus::Draft,
        title: Bilingual::new("أمسية عود", "").expect("title"),
        description: Bilingual::new("عزف على العود في جبل عمّان", "").expect("text"),
        category: Category::Music,
        venue: Venue {
            name: Bilingual::new("دارة الفنون", "Darat al Funun").expect("name"),
            address: Bilingual::new("جبل اللويبدة", "Jabal al-Luweibdeh").expect("address"),
            city: City::Amman,
            location: GeoPoint {
                lat: 31.9566,
                lng: 35.9106,
            },
        },
        starts_at: starts,
        ends_at: starts + SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec!["عود".into(), "live".into()],
        ticket_types: prices
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut t = NewTicketType::simple(
                    Uuid::now_v7(),
                    Bilingual::new(format!("فئة {i}"), format!("Tier {i}")).expect("name"),
                    Money::jod_fils(*p),
                    100,
                );
                t.sales_end = Some(starts);
                t.per_order_limit = 4;
                t.entry_policy = EntryPolicy::InAndOut;
                t
            })
            .collect(),
    }
}

pub(super) fn status_change(
    event_id: Uuid,
    organization_id: Option<Uuid>,
    transition: super::Transition,
    actor: Uuid,
    reason: Option<&str>,
) -> super::StatusChange {
    super::StatusChange {
        event_id,
        organization_id,
        transition,
        actor,
        reason: reason.map(str::to_owned),
        now: now(),
    }
}

async fn a_draft_event_is_stored_in_full_and_listed_with_its_organization(store: Arc<dyn Store>) {
    use hafla_core::wire::EventStatus;
    let (o, _, _) = event_world(&store).await;
    let mut changes = store.subscribe_changes();
    let new = draft_event(o.id, &[15_000, 5_000]);
    let created = store.create_event(new.clone()).await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Catalog));
    let stored = store.event(new.id).await.unwrap().expect("stored");
    assert_eq!(created, stored);
    assert_eq!(stored.status, EventStatus::Draft);
    assert_eq!(stored.organizer, o.name);
    assert_eq!(
        (&stored.title, &stored.description, stored.category),
        (&new.title, &new.description, new.category)
    );
    assert_eq!(stored.tags, new.tags);
    assert_eq!(stored.venue, new.venue);
    assert_eq!(
        (stored.starts_at, stored.ends_at, stored.time_zone.as_str()),
        (new.starts_at, new.ends_at, "Asia/Amman")
    );
    assert_eq!(stored.ticket_types, new.ticket_types, "all rules, in order");
    assert_eq!((stored.version, stored.cover_image.as_deref()), (1, None));
    assert_eq!(
        (stored.rejection_reason.as_deref(), stored.submitted_at),
        (None, None)
    );
    let other = org();
    store
        .insert_catalog(vec![other.clone()], vec![])
        .await
        .unwrap();
    store
        .create_event(draft_event(other.id, &[]))
        .await
        .unwrap();
    let listed = store.organization_events(o.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![new.id]
    );
    assert_eq!(
        (listed[0].status, listed[0].version, &listed[0].organizer),
        (EventStatus::Draft, 1, &o.name)
    );
    assert_eq!(store.event(Uuid::now_v7()).await.unwrap(), None);
}

async fn edits_replace_content_under_optimistic_concurrency(store: Arc<dyn Store>) {
    use super::{EventEdit, NewTicketType};
    use hafla_core::money::Money;
    let (o, owner, _) = event_world(&store).await;
    let new = draft_event(o.id, &[15_000, 5_000]);
    store.create_event(new.clone()).await.unwrap();
    let mut content = new.clone();
    content.title = Bilingual::new("أمسية عود وقانون", "Oud night").unwrap();
    content.tags = vec!["قانون".into()];
    let kept = content.ticket_types[1].clone();
    let added = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("", "Student").unwrap(),
        Money::jod_fils(2_500),
        30,
    );
    content.ticket_types = vec![added.clone(), kept.clone()];
    let edit = |content: super::NewEvent, expected_version, added: Vec<Uuid>| EventEdit {
        event: content,
        expected_version,
        added_ticket_types: added,
        actor: owner,
        now: now(),
    };
    let outcome = store
        .update_event(edit(content.clone(), 1, vec![added.id]))
        .await
        .unwrap();
    assert_eq!(outcome.returned_to_review, None);
    let stored = store.event(new.id).await.unwrap().unwrap();
    assert_eq!(outcome.event, stored);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.title, content.title);
    assert_eq!(stored.tags, content.tags);
    assert_eq!(
        stored.ticket_types,
        vec![added.clone(), kept.clone()],
        "the new one added, the kept one with its id, the removed one gone, in the new order"
    );
    // Someone still holding version 1 loses and changes nothing.
    let mut stale = content.clone();
    stale.title = Bilingual::new("قديم", "").unwrap();
    assert!(matches!(
        store.update_event(edit(stale, 1, vec![])).await,
        Err(StoreError::Stale { current: 2 })
    ));
    // A ticket type id that is neither the event's nor a new one is refused.
    let mut foreign = content.clone();
    foreign.ticket_types[0].id = Uuid::now_v7();
    assert!(matches!(
        store.update_event(edit(foreign, 2, vec![])).await,
        Err(StoreError::Conflict("ticket_type"))
    ));
    // Another organization's event is not found.
    let mut elsewhere = content.clone();
    elsewhere.organization_id = Uuid::now_v7();
    assert!(matches!(
        store.update_event(edit(elsewhere, 2, vec![])).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.event(new.id).await.unwrap().unwrap(), stored);
}

async fn status_changes_follow_the_review_rules_and_leave_a_trail(store: Arc<dyn Store>) {
    use super::Transition::{Approve, Cancel, Reject, Submit};
    use hafla_core::wire::{EventStatus, ReviewAction};
    let (o, owner, admin) = event_world(&store).await;
    let empty = draft_event(o.id, &[]);
    store.create_event(empty.clone()).await.unwrap();
    assert!(matches!(
        store
            .change_status(status_change(empty.id, Some(o.id), Submit, owner, None))
            .await,
        Err(StoreError::Conflict("ticket_types"))
    ));
    let e = draft_event(o.id, &[10_000]);
    store.create_event(e.clone()).await.unwrap();
    assert!(matches!(
        store
            .change_status(status_change(e.id, None, Approve, admin, None))
            .await,
        Err(StoreError::Transition {
            from: EventStatus::Draft
        })
    ));
    assert!(matches!(
        store
            .change_status(status_change(
                e.id,
                Some(Uuid::now_v7()),
                Submit,
                owner,
                None
            ))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let submitted = store
        .change_status(status_change(e.id, Some(o.id), Submit, owner, None))
        .await
        .unwrap();
    assert_eq!(submitted.status, EventStatus::PendingReview);
    assert_eq!(submitted.submitted_at, Some(now()));
    let rejected = store
        .change_status(status_change(
            e.id,
            None,
            Reject,
            admin,
            Some("صورة الغلاف غير مناسبة"),
        ))
        .await
        .unwrap();
    assert_eq!(rejected.status, EventStatus::Rejected);
    assert_eq!(
        rejected.rejection_reason.as_deref(),
        Some("صورة الغلاف غير مناسبة")
    );
    assert!(matches!(
        store
            .change_status(status_change(e.id, None, Approve, admin, None))
            .await,
        Err(StoreError::Transition {
            from: EventStatus::Rejected
        })
    ));
    store
        .change_status(status_change(e.id, Some(o.id), Submit, owner, None))
        .await
        .unwrap();
    let published = store
        .change_status(status_change(e.id, None, Approve, admin, None))
        .await
        .unwrap();
    assert_eq!(published.status, EventStatus::Published);
    assert_eq!(published.rejection_reason, None);
    assert_eq!(published.reviewed_at, Some(now()));
    assert_eq!(published.version, 1, "status changes are not edits");
    let cancelled = store
        .change_status(status_change(e.id, Some(o.id), Cancel, owner, None))
        .await
        .unwrap();
    assert_eq!(cancelled.status, EventStatus::Cancelled);
    assert!(matches!(
        store
            .change_status(status_change(e.id, Some(o.id), Cancel, owner, None))
            .await,
        Err(StoreError::Transition {
            from: EventStatus::Cancelled
        })
    ));
    let trail = store.event_reviews(e.id).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .map(|r| (r.action, r.actor, r.reason.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            (ReviewAction::Submitted, Some(owner), None),
            (
                ReviewAction::Rejected,
                Some(admin),
                Some("صورة الغلاف غير مناسبة")
            ),
            (ReviewAction::Submitted, Some(owner), None),
            (ReviewAction::Approved, Some(admin), None),
            (ReviewAction::Cancelled, Some(owner), None),
        ]
    );
    assert!(trail.iter().all(|r| r.at == now()));
    assert!(store.event_reviews(empty.id).await.unwrap().is_empty());
}

async fn a_published_event_goes_back_to_review_only_when_what_attendees_paid_for_changes(
    store: Arc<dyn Store>,
) {
    use super::EventEdit;
    use super::Transition::{Approve, Cancel, Submit};
    use hafla_core::money::Money;
    use hafla_core::wire::{EventStatus, ReviewAction};
    let (o, owner, admin) = event_world(&store).await;
    let e = draft_event(o.id, &[10_000]);
    store.create_event(e.clone()).await.unwrap();
    for (t, actor) in [(Submit, owner), (Approve, admin)] {
        store
            .change_status(status_change(e.id, None, t, actor, None))
            .await
            .unwrap();
    }
    let edit = |content: super::NewEvent, expected_version| EventEdit {
        event: content,
        expected_version,
        added_ticket_types: vec![],
        actor: owner,
        now: now(),
    };
    // Cosmetic: a new title and more seats.
    let mut cosmetic = e.clone();
    cosmetic.title = Bilingual::new("أمسية عود", "Oud evening").unwrap();
    cosmetic.ticket_types[0].capacity = 500;
    let outcome = store.update_event(edit(cosmetic.clone(), 1)).await.unwrap();
    assert_eq!(outcome.returned_to_review, None);
    assert_eq!(outcome.event.status, EventStatus::Published);
    let page = store.list_published_events(now(), 0, 10).await.unwrap();
    assert_eq!(page.events.len(), 1, "still public");
    // Material: a higher price.
    let mut material = cosmetic.clone();
    material.ticket_types[0].price = Money::jod_fils(12_000);
    let outcome = store.update_event(edit(material.clone(), 2)).await.unwrap();
    let tt = material.ticket_types[0].id;
    assert_eq!(
        outcome.returned_to_review,
        Some(vec![format!("ticket_types[{tt}].price")])
    );
    assert_eq!(outcome.event.status, EventStatus::PendingReview);
    assert_eq!(outcome.event.version, 3);
    let page = store.list_published_events(now(), 0, 10).await.unwrap();
    assert!(page.events.is_empty(), "gone from the public catalog");
    let trail = store.event_reviews(e.id).await.unwrap();
    let last = trail.last().unwrap();
    assert_eq!(
        (last.action, last.actor),
        (ReviewAction::ReturnedToReview, Some(owner))
    );
    // Editing a pending event keeps it pending.
    let mut pending = material.clone();
    pending.starts_at += SignedDuration::from_hours(1);
    pending.ends_at += SignedDuration::from_hours(1);
    let outcome = store.update_event(edit(pending.clone(), 3)).await.unwrap();
    assert_eq!(outcome.event.status, EventStatus::PendingReview);
    assert_eq!(outcome.returned_to_review, None);
    // An event in review that lost every ticket type cannot be approved.
    let mut emptied = pending.clone();
    emptied.ticket_types.clear();
    store.update_event(edit(emptied.clone(), 4)).await.unwrap();
    assert!(matches!(
        store
            .change_status(status_change(e.id, None, Approve, admin, None))
            .await,
        Err(StoreError::Conflict("ticket_types"))
    ));
    // A cancelled event is never edited again.
    store
        .change_status(status_change(e.id, Some(o.id), Cancel, owner, None))
        .await
        .unwrap();
    assert!(matches!(
        store.update_event(edit(pending, 5)).await,
        Err(StoreError::Conflict("event_cancelled"))
    ));
}

async fn the_review_queue_lists_pending_events_longest_waiting_first(store: Arc<dyn Store>) {
    use super::Transition::Submit;
    let (o, owner, _) = event_world(&store).await;
    let mut ids = vec![];
    for minutes in [30, 10, 20] {
        let e = draft_event(o.id, &[1_000]);
        store.create_event(e.clone()).await.unwrap();
        let mut change = status_change(e.id, Some(o.id), Submit, owner, None);
        change.now = now() + SignedDuration::from_mins(minutes);
        store.change_status(change).await.unwrap();
        ids.push((minutes, e.id));
    }
    store
        .create_event(draft_event(o.id, &[1_000]))
        .await
        .unwrap();
    // Seeded straight into review, with no submission time: after those that have one.
    let mut seeded = draft_event(o.id, &[1_000]);
    seeded.status = hafla_core::wire::EventStatus::PendingReview;
    store
        .insert_catalog(vec![], vec![seeded.clone()])
        .await
        .unwrap();
    ids.sort();
    let mut expected: Vec<Uuid> = ids.iter().map(|(_, id)| *id).collect();
    expected.push(seeded.id);
    let queue = store.review_queue(0, 10).await.unwrap();
    assert_eq!(queue.total, 4);
    assert_eq!(
        queue.events.iter().map(|e| e.id).collect::<Vec<_>>(),
        expected
    );
    let second = store.review_queue(1, 1).await.unwrap();
    assert_eq!(
        (
            second.total,
            second.events.iter().map(|e| e.id).collect::<Vec<_>>()
        ),
        (4, vec![expected[1]])
    );
}

async fn two_admins_deciding_on_one_event_at_once_let_exactly_one_win(store: Arc<dyn Store>) {
    use super::Transition::{Approve, Reject, Submit};
    use hafla_core::wire::EventStatus;
    let (o, owner, admin) = event_world(&store).await;
    let e = draft_event(o.id, &[1_000]);
    store.create_event(e.clone()).await.unwrap();
    store
        .change_status(status_change(e.id, Some(o.id), Submit, owner, None))
        .await
        .unwrap();
    let results = all_at_once(8, |i| {
        let store = store.clone();
        let (transition, reason) = if i % 2 == 0 {
            (Approve, None)
        } else {
            (Reject, Some("التاريخ غير صحيح"))
        };
        async move {
            store
                .change_status(status_change(e.id, None, transition, admin, reason))
                .await
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(err) = r {
            assert!(
                matches!(
                    err,
                    StoreError::Transition {
                        from: EventStatus::Published | EventStatus::Rejected
                    }
                ),
                "{err:?}"
            );
        }
    }
    let stored = store.event(e.id).await.unwrap().unwrap();
    assert_eq!(stored.status, winners[0].status);
    assert_eq!(
        store.event_reviews(e.id).await.unwrap().len(),
        2,
        "one submission, one decision"
    );
}

async fn a_new_cover_replaces_the_previous_one(store: Arc<dyn Store>) {
    use super::CoverVariant;
    let (o, _, _) = event_world(&store).await;
    let e = draft_event(o.id, &[]);
    store.create_event(e.clone()).await.unwrap();
    let variants = |tag: u8| -> Vec<CoverVariant> {
        ["large", "medium", "thumb"]
            .iter()
            .enumerate()
            .map(|(i, name)| CoverVariant {
                variant: (*name).into(),
                content_type: "image/jpeg".into(),
                width: 1600 / (i as u32 + 1),
                height: 900 / (i as u32 + 1),
                sha256: format!("{tag}{i}"),
                bytes: vec![tag; 10 + i],
            })
            .collect()
    };
    store
        .save_cover(e.id, o.id, "first".into(), variants(1), now())
        .await
        .unwrap();
    store
        .save_cover(
            e.id,
            o.id,
            "second".into(),
            variants(2)[..2].to_vec(),
            now(),
        )
        .await
        .unwrap();
    let medium = store.cover_variant(e.id, "medium").await.unwrap().unwrap();
    assert_eq!(medium.image, variants(2)[1]);
    assert_eq!(medium.cover_image.as_deref(), Some("second"));
    assert_eq!(medium.organization_id, o.id);
    assert_eq!(
        store.cover_variant(e.id, "thumb").await.unwrap(),
        None,
        "the previous cover's variants are gone"
    );
    let stored = store.event(e.id).await.unwrap().unwrap();
    assert_eq!(stored.cover_image.as_deref(), Some("second"));
    assert!(matches!(
        store
            .save_cover(e.id, Uuid::now_v7(), "x".into(), vec![], now())
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn event_changes_are_announced_and_refused_ones_are_not(store: Arc<dyn Store>) {
    use super::EventEdit;
    use super::Transition::{Approve, Submit};
    let (o, owner, admin) = event_world(&store).await;
    let mut changes = store.subscribe_changes();
    let e = draft_event(o.id, &[1_000]);
    store.create_event(e.clone()).await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Catalog));
    assert!(
        store
            .change_status(status_change(e.id, None, Approve, admin, None))
            .await
            .is_err()
    );
    let stale = EventEdit {
        event: e.clone(),
        expected_version: 7,
        added_ticket_types: vec![],
        actor: owner,
        now: now(),
    };
    assert!(store.update_event(stale).await.is_err());
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), async {
        next_change(&mut changes).await
    })
    .await;
    assert!(
        quiet.is_err() || quiet == Ok(None),
        "refused changes announce nothing: {quiet:?}"
    );
    store
        .change_status(status_change(e.id, Some(o.id), Submit, owner, None))
        .await
        .unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Catalog));
}
