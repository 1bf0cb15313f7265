//! The demo's people: a platform admin, Sahra Live's owner and door staff, and an attendee
//! holding a paid ticket, so the demo can be tried as each of them. They all sign in with
//! one password: [`DEMO_PASSWORD`] unless the operator gives another.

use super::DemoError;
use crate::auth::password;
use crate::store::orders::{Actor, DEFAULT_HOLD, LineRequest, NewOrder, new_reference};
use crate::store::payments::{Applied, NewPayment, Reported};
use crate::store::{Invite, NewOrganization, OrgRole, SignupMethod, Store, User};
use hafla_core::Lang;
use uuid::Uuid;

/// The password of every demo account when the operator gives none. Public development
/// data: never the password of a real account.
pub const DEMO_PASSWORD: &str = "hafla-demo-2026";
/// The environment variable that replaces [`DEMO_PASSWORD`].
pub const DEMO_PASSWORD_ENV: &str = "HAFLA_DEMO_PASSWORD";

/// The written organizer the demo's organizer and door staff work for.
pub const DEMO_ORGANIZER_KEY: &str = "sahra_live";
/// The ticket type the demo attendee holds, by its English name.
const ATTENDEE_TICKET_TYPE: &str = "General";

/// What a demo account is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoRole {
    Admin,
    Owner,
    DoorStaff,
    Attendee,
}

pub struct DemoAccount {
    pub email: &'static str,
    pub display_name: &'static str,
    pub role: DemoRole,
    /// What the account is, for the seeding report.
    pub summary: &'static str,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "admin@demo.hafla.jo",
        display_name: "إدارة حفلة",
        role: DemoRole::Admin,
        summary: "platform admin",
    },
    DemoAccount {
        email: "organizer@demo.hafla.jo",
        display_name: "رامي الخطيب",
        role: DemoRole::Owner,
        summary: "owner of Sahra Live",
    },
    DemoAccount {
        email: "door@demo.hafla.jo",
        display_name: "عمر النسور",
        role: DemoRole::DoorStaff,
        summary: "door staff of Sahra Live",
    },
    DemoAccount {
        email: "layla@demo.hafla.jo",
        display_name: "ليلى",
        role: DemoRole::Attendee,
        summary: "attendee with a paid ticket to Sahra Live's next event",
    },
];

/// The demo accounts, checked and hashed before anything is written.
pub(super) struct PreparedAccounts {
    users: Vec<(DemoRole, User)>,
}

/// Checks `password` against the rules a new password must meet and makes the accounts'
/// users with it, hashed as registration hashes passwords.
pub(super) fn prepare(password: &str, now: jiff::Timestamp) -> Result<PreparedAccounts, DemoError> {
    let emails: Vec<&str> = DEMO_ACCOUNTS.iter().map(|a| a.email).collect();
    password::check_rules(password, &emails).map_err(DemoError::WeakPassword)?;
    let users = DEMO_ACCOUNTS
        .iter()
        .map(|account| {
            let user = User {
                id: Uuid::now_v7(),
                email: Some(account.email.to_owned()),
                email_verified: true,
                phone: None,
                phone_verified: false,
                password_hash: Some(password::hash(password)?),
                display_name: account.display_name.to_owned(),
                lang: Lang::Ar,
                is_admin: account.role == DemoRole::Admin,
                signup_method: match account.role {
                    DemoRole::Admin => SignupMethod::Admin,
                    _ => SignupMethod::Email,
                },
                created_at: now,
            };
            Ok((account.role, user))
        })
        .collect::<Result<_, DemoError>>()?;
    Ok(PreparedAccounts { users })
}

impl PreparedAccounts {
    fn user(&self, role: DemoRole) -> &User {
        &self
            .users
            .iter()
            .find(|(r, _)| *r == role)
            .expect("every demo role has an account")
            .1
    }

    pub(super) fn count(&self) -> usize {
        self.users.len()
    }

    /// Creates the accounts, then the demo organizer's organization with its owner, as an
    /// organizer creates theirs (the rest of the catalog follows).
    pub(super) async fn create(
        &self,
        store: &dyn Store,
        organization: NewOrganization,
        now: jiff::Timestamp,
    ) -> Result<(), DemoError> {
        for (_, user) in &self.users {
            if store
                .user_by_email(user.email.as_deref().unwrap_or_default())
                .await?
                .is_some()
            {
                return Err(DemoError::Invalid(format!(
                    "{} already has an account",
                    user.email.as_deref().unwrap_or_default()
                )));
            }
        }
        for (_, user) in &self.users {
            store.create_user(user.clone()).await?;
        }
        store
            .create_organization(organization, self.user(DemoRole::Owner).id, now)
            .await?;
        Ok(())
    }

    /// Once the catalog is in: the owner invites the door staff, who join; the attendee buys
    /// one ticket of `ticket_type_id` at `event_id`.
    pub(super) async fn finish(
        &self,
        store: &dyn Store,
        organization_id: Uuid,
        event_id: Uuid,
        ticket_type_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), DemoError> {
        let owner = self.user(DemoRole::Owner);
        let door = self.user(DemoRole::DoorStaff);
        store
            .create_invite(Invite {
                id: Uuid::now_v7(),
                organization_id,
                email: door.email.clone(),
                phone: None,
                role: OrgRole::DoorStaff,
                invited_by: owner.id,
                created_at: now,
            })
            .await?;
        store
            .accept_invites(door.id, door.email.as_deref(), None, now)
            .await?;
        buy_ticket(
            store,
            self.user(DemoRole::Attendee).id,
            event_id,
            ticket_type_id,
            now,
        )
        .await
    }
}

/// Buys one ticket the way a buyer paying by CliQ does: the order is reserved, payment by
/// CliQ transfer starts, and the organizer's confirmation of the transfer pays it and issues
/// the ticket (its credential is signed with the event's key when its holder asks for it).
async fn buy_ticket(
    store: &dyn Store,
    buyer_id: Uuid,
    event_id: Uuid,
    ticket_type_id: Uuid,
    now: jiff::Timestamp,
) -> Result<(), DemoError> {
    let order = store
        .reserve_order(
            NewOrder {
                id: Uuid::now_v7(),
                reference: new_reference(),
                buyer_id,
                event_id,
                lines: vec![LineRequest {
                    ticket_type_id,
                    quantity: 1,
                }],
                lang: Lang::Ar,
                idempotency_key: None,
                hold: DEFAULT_HOLD,
            },
            now,
        )
        .await?;
    if order.total.is_zero() {
        store
            .complete_free_order(order.id, Actor::Buyer(buyer_id), now)
            .await?;
        return Ok(());
    }
    let payment_id = Uuid::now_v7();
    store
        .start_payment(
            order.id,
            NewPayment {
                id: payment_id,
                provider: "cliq".into(),
                amount: order.total,
                hold_until: Some(now + jiff::SignedDuration::from_hours(24)),
                idempotency_key: None,
            },
            Actor::Buyer(buyer_id),
            now,
        )
        .await?;
    match store
        .apply_payment(
            payment_id,
            &format!("cliq:{payment_id}"),
            Reported::Paid {
                amount: order.total,
            },
            now,
        )
        .await?
    {
        Applied::Paid { .. } => Ok(()),
        other => Err(DemoError::Invalid(format!(
            "the demo attendee's order was not paid: {other:?}"
        ))),
    }
}

/// The written event the demo attendee holds a ticket to: the demo organizer's soonest, and
/// its ticket type, as indexes into the written catalog.
pub(super) fn attendee_event() -> Result<(usize, usize), DemoError> {
    let (index, event) = super::catalog::EVENTS
        .iter()
        .enumerate()
        .filter(|(_, e)| e.organizer == DEMO_ORGANIZER_KEY && e.days_from_now > 0)
        .min_by_key(|(_, e)| e.days_from_now)
        .ok_or_else(|| DemoError::Invalid(format!("{DEMO_ORGANIZER_KEY} has no events")))?;
    let ticket_type = event
        .ticket_types
        .iter()
        .position(|t| t.name_en == ATTENDEE_TICKET_TYPE)
        .ok_or_else(|| {
            DemoError::Invalid(format!(
                "{} has no {ATTENDEE_TICKET_TYPE} tickets",
                event.title_en
            ))
        })?;
    Ok((index, ticket_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{AppState, Services, SessionTokens, app};
    use crate::demo::{SeedOutcome, seed_with_accounts, today_in_amman};
    use crate::store::SqliteStore;
    use hafla_core::credential::Credential;
    use serde_json::{Value, json};
    use std::sync::Arc;

    struct Demo {
        url: String,
        store: Arc<dyn Store>,
        issuer: crate::issuance::EventKeys,
        http: reqwest::Client,
        _dir: tempfile::TempDir,
    }

    /// A real server on a demo database seeded with the written catalog and the accounts.
    async fn serve_demo(password: &str) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let outcome = seed_with_accounts(&*store, today_in_amman().unwrap(), 0, password)
            .await
            .unwrap();
        assert!(
            matches!(outcome, SeedOutcome::Seeded { accounts: 4, .. }),
            "{outcome:?}"
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(
            store.clone(),
            Services {
                tokens: Arc::new(crate::auth::tokens::TokenKeys::from_seed(&[7; 32]).unwrap()),
                mailer: Arc::new(crate::mail::MemoryMailer::new()),
                public_url: "https://hafla.test".into(),
                sms: Arc::new(crate::sms::MemorySms::new()),
                otp: Arc::new(crate::auth::otp::OtpHasher::new([5; 32])),
                oidc: Default::default(),
                trusted_proxies: Default::default(),
                checkout: Default::default(),
                master_key: crate::issuance::MasterKey::generate().unwrap(),
            },
        );
        let issuer = state.issuer.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        Demo {
            url,
            store,
            issuer,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    impl Demo {
        async fn call(
            &self,
            method: reqwest::Method,
            path: &str,
            token: Option<&str>,
            body: Option<Value>,
        ) -> (u16, Value) {
            let mut request = self.http.request(method, format!("{}{path}", self.url));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        }

        async fn get(&self, path: &str, token: &str) -> Value {
            let (status, body) = self
                .call(reqwest::Method::GET, path, Some(token), None)
                .await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }

        /// Signs in over the API; the status and, when signed in, the access token.
        async fn sign_in(&self, email: &str, password: &str) -> (u16, Option<String>) {
            let (status, body) = self
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({ "email": email, "password": password })),
                )
                .await;
            let token = serde_json::from_value::<SessionTokens>(body)
                .ok()
                .map(|s| s.access_token);
            (status, token)
        }

        async fn signed_in(&self, email: &str, password: &str) -> String {
            let (status, token) = self.sign_in(email, password).await;
            assert_eq!(status, 200, "{email} signs in");
            token.unwrap()
        }
    }

    fn account(role: DemoRole) -> &'static DemoAccount {
        DEMO_ACCOUNTS.iter().find(|a| a.role == role).unwrap()
    }

    fn sahra_live(me: &Value) -> (&Value, &str) {
        let orgs = me["organizations"].as_array().unwrap();
        assert_eq!(orgs.len(), 1, "{me}");
        assert_eq!(orgs[0]["name"]["en"], "Sahra Live");
        (
            &orgs[0]["organization_id"],
            orgs[0]["role"].as_str().unwrap(),
        )
    }

    #[test]
    fn the_default_demo_password_meets_the_password_rules() {
        let emails: Vec<&str> = DEMO_ACCOUNTS.iter().map(|a| a.email).collect();
        assert_eq!(password::check_rules(DEMO_PASSWORD, &emails), Ok(()));
    }

    #[test]
    fn the_demo_attendees_ticket_is_a_paid_general_ticket_to_sahra_lives_soonest_event() {
        let (event, ticket_type) = attendee_event().unwrap();
        let event = &super::super::catalog::EVENTS[event];
        assert_eq!(event.title_en, "Oud Under the Stars at the Roman Theatre");
        assert_eq!(event.ticket_types[ticket_type].name_en, "General");
        assert!(event.ticket_types[ticket_type].price_fils > 0);
    }

    #[tokio::test]
    async fn seeding_an_empty_database_creates_the_four_verified_demo_accounts() {
        let demo = serve_demo(DEMO_PASSWORD).await;
        assert_eq!(DEMO_ACCOUNTS.len(), 4);
        for account in DEMO_ACCOUNTS {
            let user = demo
                .store
                .user_by_email(account.email)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{} exists", account.email));
            assert!(user.email_verified, "{}", account.email);
            assert_eq!(user.display_name, account.display_name);
            assert!(
                user.display_name
                    .chars()
                    .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{} has an Arabic name",
                account.email
            );
            assert_eq!(user.is_admin, account.role == DemoRole::Admin);
            assert!(password::verify(
                DEMO_PASSWORD,
                user.password_hash.as_deref().unwrap()
            ));
        }
        assert_eq!(account(DemoRole::Attendee).display_name, "ليلى");
    }

    #[tokio::test]
    async fn each_demo_account_signs_in_over_the_api_as_what_it_is() {
        let demo = serve_demo(DEMO_PASSWORD).await;

        let admin = demo
            .signed_in(account(DemoRole::Admin).email, DEMO_PASSWORD)
            .await;
        let me = demo.get("/api/v1/me", &admin).await;
        assert_eq!(me["is_admin"], true);
        demo.get("/api/v1/admin/events/review-queue", &admin).await;

        let owner = demo
            .signed_in(account(DemoRole::Owner).email, DEMO_PASSWORD)
            .await;
        let me = demo.get("/api/v1/me", &owner).await;
        assert_eq!(me["is_admin"], false);
        let (org, role) = sahra_live(&me);
        assert_eq!(role, "owner");
        let org = org.as_str().unwrap().to_owned();
        let events = demo
            .get(&format!("/api/v1/orgs/{org}/events"), &owner)
            .await;
        assert!(
            events.to_string().contains("Oud Under the Stars"),
            "the owner sees Sahra Live's events: {events}"
        );

        let door = demo
            .signed_in(account(DemoRole::DoorStaff).email, DEMO_PASSWORD)
            .await;
        let me = demo.get("/api/v1/me", &door).await;
        let (door_org, role) = sahra_live(&me);
        assert_eq!(role, "door_staff");
        assert_eq!(door_org.as_str(), Some(org.as_str()));

        let layla = demo
            .signed_in(account(DemoRole::Attendee).email, DEMO_PASSWORD)
            .await;
        let me = demo.get("/api/v1/me", &layla).await;
        assert_eq!(me["display_name"], "ليلى");
        assert_eq!(me["organizations"], json!([]));
        let tickets = demo.get("/api/v1/me/tickets", &layla).await;
        let tickets = tickets["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 1, "{tickets:?}");
        assert_eq!(tickets[0]["valid"], true);
        let event_id: Uuid = serde_json::from_value(tickets[0]["event_id"].clone()).unwrap();
        let event = demo
            .store
            .event(event_id)
            .await
            .unwrap()
            .expect("the ticket's event");
        assert_eq!(event.organization_id.to_string(), org);
        let ticket_id = tickets[0]["id"].as_str().unwrap();
        let order = demo
            .get(
                &format!(
                    "/api/v1/orders/{}",
                    tickets[0]["order_id"].as_str().unwrap()
                ),
                &layla,
            )
            .await;
        assert_eq!(order["status"], "paid", "{order}");
        assert_eq!(order["payment_method"], "cliq", "{order}");

        let credential = demo
            .get(&format!("/api/v1/tickets/{ticket_id}/credential"), &layla)
            .await;
        let credential = Credential::parse(credential["text"].as_str().unwrap()).unwrap();
        assert_eq!(
            credential.claims.ticket_serial,
            tickets[0]["serial"].as_u64().unwrap() as u32
        );
        let ring = demo.issuer.key_ring(event_id).await.unwrap();
        assert_eq!(credential.signature_is_valid(&ring), Some(true));

        // The door staff's list of the event carries the ticket, by its serial.
        let door_list = demo
            .get(&format!("/api/v1/sync/orgs/{org}/door/{event_id}"), &door)
            .await;
        let serial = tickets[0]["serial"].to_string();
        assert!(
            door_list["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|row| row["kind"] == "ticket" && row["key"] == serial.as_str()),
            "the door list has Layla's ticket: {door_list}"
        );
    }

    #[tokio::test]
    async fn seeding_a_second_time_changes_nothing() {
        let demo = serve_demo(DEMO_PASSWORD).await;
        let today = today_in_amman().unwrap();
        let users = async || {
            let mut users = vec![];
            for account in DEMO_ACCOUNTS {
                users.push(demo.store.user_by_email(account.email).await.unwrap());
            }
            users
        };
        let before = users().await;
        let layla = before[3].as_ref().unwrap().id;
        let orders = demo.store.orders_of_buyer(layla, 10).await.unwrap();
        assert_eq!(
            seed_with_accounts(&*demo.store, today, 0, "another demo password")
                .await
                .unwrap(),
            SeedOutcome::AlreadyPresent
        );
        assert_eq!(users().await, before);
        assert_eq!(demo.store.orders_of_buyer(layla, 10).await.unwrap(), orders);
        assert_eq!(
            demo.store.tickets_of_holder(layla, 10).await.unwrap().len(),
            1
        );
        let (status, _) = demo
            .sign_in(account(DemoRole::Owner).email, "another demo password")
            .await;
        assert_eq!(status, 401, "the first password stays");
    }

    #[tokio::test]
    async fn a_given_password_replaces_the_default_one() {
        let chosen = "نجوم وادي رم ٢٠٢٦";
        let demo = serve_demo(chosen).await;
        for account in DEMO_ACCOUNTS {
            let (status, _) = demo.sign_in(account.email, DEMO_PASSWORD).await;
            assert_eq!(status, 401, "{} refuses the default", account.email);
            demo.signed_in(account.email, chosen).await;
        }
    }

    #[tokio::test]
    async fn a_password_the_rules_refuse_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(dir.path()).unwrap();
        let store: &dyn Store = &sqlite;
        let today = today_in_amman().unwrap();
        let refused = seed_with_accounts(store, today, 0, "short").await;
        assert!(
            matches!(
                refused,
                Err(DemoError::WeakPassword(
                    password::PasswordRuleError::TooShort
                ))
            ),
            "{refused:?}"
        );
        assert_eq!(store.count_organizations().await.unwrap(), 0);
        assert!(
            store
                .user_by_email(DEMO_ACCOUNTS[0].email)
                .await
                .unwrap()
                .is_none()
        );
    }
}
