//! The app's typed client (`hafla_core::api_client::ApiClient`) against a real server over
//! real HTTP: every method it has, with the wire types both sides share. The provider
//! sign-in uses the local OpenID Connect provider of `oidc_sign_in.rs` (installed with
//! `npm ci --prefix sync-server/tests/support/oidc-mock`).

mod common;

use common::{TestApp, spawn_app};
use hafla_core::api_client::{ApiClient, ClientError};
use hafla_core::door::verifier::EntryPolicy;
use hafla_core::places::City;
use hafla_core::wire::accounts::{CreateOrgRequest, InviteRequest, RegisterRequest, SessionTokens};
use hafla_core::wire::analytics::AnalyticsBucket;
use hafla_core::wire::{
    Category, CliqDecision, ErrorCode, EventInput, EventStatus, OrderInput, OrderLineInput,
    OrderStatus, OrgRole, OrganizerEvent, PayInput, RefundInput, RejectInput, TicketTypeInput,
    TransferInput, Venue,
};
use hafla_core::{Bilingual, Lang, Money};
use hafla_server::auth::oidc::{OidcClient, OidcProviderConfig};
use hafla_server::checkout::sandbox::{self, Choice};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

const PASSWORD: &str = "a long enough password";

fn client(app: &TestApp, lang: Lang) -> ApiClient {
    ApiClient::new(&app.url, lang).unwrap()
}

/// A new account made through the client, and a client signed in as it.
async fn signed_up(app: &TestApp, email: &str) -> (ApiClient, SessionTokens) {
    let anonymous = client(app, Lang::En);
    let tokens = anonymous
        .register(&RegisterRequest {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            display_name: "Layla".to_owned(),
            lang: Some(Lang::Ar),
        })
        .await
        .unwrap();
    (
        anonymous.with_token(Some(tokens.access_token.clone())),
        tokens,
    )
}

/// A platform admin: admin rights ride in the access token, so it signs in again after
/// being made one.
async fn admin(app: &TestApp) -> ApiClient {
    let (me, _) = signed_up(app, "admin@hafla.jo").await;
    let id = me.me().await.unwrap().id;
    app.store.set_admin(id, true).await.unwrap();
    let anonymous = client(app, Lang::En);
    let tokens = anonymous.login("admin@hafla.jo", PASSWORD).await.unwrap();
    anonymous.with_token(Some(tokens.access_token))
}

/// A fresh access token of the account `email`.
async fn access_token_of(app: &TestApp, email: &str) -> String {
    client(app, Lang::En)
        .login(email, PASSWORD)
        .await
        .unwrap()
        .access_token
}

/// An organization created through the client, and its owner.
async fn organization(app: &TestApp, owner_email: &str) -> (ApiClient, Uuid) {
    let (owner, _) = signed_up(app, owner_email).await;
    let org = owner
        .create_org(&CreateOrgRequest {
            name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(org.your_role, Some(OrgRole::Owner));
    (owner, org.id)
}

/// An evening in Amman a month from now, in Arabic and English, selling tickets at 12.500
/// JOD (two at most) and free invitations.
fn event_input(title_ar: &str, title_en: &str) -> EventInput {
    let starts = Timestamp::now() + SignedDuration::from_hours(24 * 30);
    let ticket = |ar: &str, en: &str, fils: i64, capacity: u32| TicketTypeInput {
        id: None,
        name: Bilingual::new(ar, en).unwrap(),
        price: Money::jod_fils(fils),
        capacity,
        sales_start: None,
        sales_end: None,
        per_order_limit: 4,
        entry_policy: EntryPolicy::default(),
    };
    EventInput {
        title: Bilingual::new(title_ar, title_en).unwrap(),
        description: Bilingual::new("أمسية طرب في جبل اللويبدة", "An evening of tarab").unwrap(),
        category: Category::Music,
        tags: vec!["عود".into(), "jazz".into()],
        venue: Venue {
            name: Bilingual::new("دارة الفنون", "Darat al Funun").unwrap(),
            address: Bilingual::new("جبل اللويبدة", "Jabal al-Luweibdeh").unwrap(),
            city: City::Amman,
            location: City::Amman.centre(),
        },
        starts_at: starts,
        ends_at: starts + SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        ticket_types: vec![
            ticket("عام", "General", 12_500, 10),
            ticket("دعوة", "Invitation", 0, 50),
        ],
        version: None,
    }
}

/// An event of `org` created, submitted and approved through the client.
async fn published(owner: &ApiClient, admin: &ApiClient, org: Uuid) -> OrganizerEvent {
    let draft = owner
        .create_event(org, &event_input("ليالي الطرب", "Tarab Nights"))
        .await
        .unwrap();
    owner.submit_event(org, draft.id).await.unwrap();
    admin.approve_event(draft.id).await.unwrap()
}

/// The buyer's choice on the sandbox payment page at `redirect_url`, delivered as the
/// sandbox's signed notification.
async fn choose_on_sandbox(app: &TestApp, redirect_url: &str, choice: Choice) {
    let payment: Uuid = redirect_url.rsplit('/').next().unwrap().parse().unwrap();
    let (body, signature) = app
        .checkout
        .sandbox()
        .unwrap()
        .choose(payment, choice)
        .unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(sandbox::SIGNATURE_HEADER, signature.parse().unwrap());
    app.checkout
        .notification("sandbox", &headers, &body, Timestamp::now())
        .await
        .unwrap();
}

fn order_of(event: &OrganizerEvent, ticket_type: usize, quantity: i64) -> OrderInput {
    OrderInput {
        event_id: event.id,
        lines: vec![OrderLineInput {
            ticket_type_id: event.ticket_types[ticket_type].id,
            quantity,
        }],
    }
}

fn api_code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Api { code, .. }) => code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_person_registers_signs_in_and_sees_the_organization_they_created() {
    let app = spawn_app().await;
    let (owner, org) = organization(&app, "layla@example.jo").await;
    let signed_in = client(&app, Lang::En)
        .login("layla@example.jo", PASSWORD)
        .await
        .unwrap();
    assert_eq!(signed_in.token_type, "Bearer");
    let me = owner
        .with_token(Some(signed_in.access_token))
        .me()
        .await
        .unwrap();
    assert_eq!(me.email.as_deref(), Some("layla@example.jo"));
    assert_eq!((me.display_name.as_str(), me.lang), ("Layla", Lang::Ar));
    assert!(!me.is_admin && !me.email_verified);
    assert_eq!(me.organizations.len(), 1);
    assert_eq!(me.organizations[0].organization_id, org);
    assert_eq!(me.organizations[0].role, OrgRole::Owner);
    assert_eq!(me.organizations[0].name.en, "Sahra Live");

    let signed_out = client(&app, Lang::En);
    assert_eq!(api_code(signed_out.me().await), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn an_owner_invites_a_door_keeper_who_joins_on_sign_up_and_appears_among_the_members() {
    let app = spawn_app().await;
    let (owner, org) = organization(&app, "owner@sahra.jo").await;
    let invite = owner
        .invite(
            org,
            &InviteRequest {
                email: Some("omar@example.jo".into()),
                phone: None,
                role: OrgRole::DoorStaff,
            },
        )
        .await
        .unwrap();
    assert_eq!(invite.role, OrgRole::DoorStaff);
    let owner_role = owner
        .invite(
            org,
            &InviteRequest {
                email: Some("sami@example.jo".into()),
                phone: None,
                role: OrgRole::Owner,
            },
        )
        .await;
    assert_eq!(api_code(owner_role), ErrorCode::OwnerRequired);

    let (omar, _) = signed_up(&app, "omar@example.jo").await;
    let roles: Vec<OrgRole> = omar
        .me()
        .await
        .unwrap()
        .organizations
        .iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles, [OrgRole::DoorStaff]);
    let mut members = owner.members(org).await.unwrap();
    members.sort_by_key(|m| m.role);
    let emails: Vec<(OrgRole, Option<&str>)> = members
        .iter()
        .map(|m| (m.role, m.email.as_deref()))
        .collect();
    assert_eq!(
        emails,
        [
            (OrgRole::Owner, Some("owner@sahra.jo")),
            (OrgRole::DoorStaff, Some("omar@example.jo")),
        ]
    );
    assert_eq!(
        api_code(omar.members(org).await),
        ErrorCode::Forbidden,
        "door staff do not see the members"
    );
}

#[tokio::test]
async fn an_event_goes_from_draft_through_review_to_the_public_and_another_is_rejected() {
    let app = spawn_app().await;
    let (owner, org) = organization(&app, "owner@sahra.jo").await;
    let admin = admin(&app).await;

    let draft = owner
        .create_event(org, &event_input("ليالي الطرب", "Tarab Nights"))
        .await
        .unwrap();
    assert_eq!(draft.status, EventStatus::Draft);
    assert_eq!(draft.title.ar, "ليالي الطرب");
    assert_eq!(draft.ticket_types.len(), 2);
    let mut edit = event_input("ليالي الطرب", "Tarab Nights in Weibdeh");
    edit.version = Some(draft.version);
    for (input, view) in edit.ticket_types.iter_mut().zip(&draft.ticket_types) {
        input.id = Some(view.id);
    }
    let edited = owner.update_event(org, draft.id, &edit).await.unwrap();
    assert_eq!(edited.title.en, "Tarab Nights in Weibdeh");
    assert!(edited.version > draft.version);
    assert_eq!(
        api_code(owner.update_event(org, draft.id, &edit).await),
        ErrorCode::EditConflict,
        "an edit of an older version"
    );
    let pending = owner.submit_event(org, draft.id).await.unwrap();
    assert_eq!(pending.status, EventStatus::PendingReview);

    let doomed = owner
        .create_event(org, &event_input("عرض", "A show"))
        .await
        .unwrap();
    owner.submit_event(org, doomed.id).await.unwrap();

    let queue = admin.review_queue(0, 20).await.unwrap();
    assert_eq!(queue.total, 2);
    assert_eq!(queue.next_offset, None);
    let waiting: Vec<Uuid> = queue.events.iter().map(|e| e.id).collect();
    assert_eq!(waiting, [draft.id, doomed.id], "the longest waiting first");
    assert_eq!(
        admin.review_queue(1, 1).await.unwrap().events[0].id,
        doomed.id
    );
    assert_eq!(
        api_code(owner.review_queue(0, 20).await),
        ErrorCode::Forbidden
    );

    let approved = admin.approve_event(draft.id).await.unwrap();
    assert_eq!(approved.status, EventStatus::Published);
    let rejected = admin
        .reject_event(
            doomed.id,
            &RejectInput {
                reason: "The venue is missing its address".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, EventStatus::Rejected);
    let seen = owner.org_event(org, doomed.id).await.unwrap();
    assert_eq!(
        seen.rejection_reason.as_deref(),
        Some("The venue is missing its address")
    );
    let mut listed: Vec<(Uuid, EventStatus)> = owner
        .org_events(org)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.status))
        .collect();
    listed.sort_by_key(|(id, _)| *id);
    let mut expected = vec![
        (draft.id, EventStatus::Published),
        (doomed.id, EventStatus::Rejected),
    ];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(listed, expected);

    let public = client(&app, Lang::Ar).event_detail(draft.id).await.unwrap();
    assert_eq!(public.title.en, "Tarab Nights in Weibdeh");
    assert_eq!(public.organizer.ar, "سهرة لايف");
    assert_eq!(public.price_from, Some(Money::jod_fils(0)));
    assert_eq!(
        api_code(client(&app, Lang::Ar).event_detail(doomed.id).await),
        ErrorCode::NotFound,
        "a rejected event is not public"
    );
    let page = client(&app, Lang::En).list_events(0, 10).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].id, draft.id);
}

#[tokio::test]
async fn an_attendee_pays_on_the_sandbox_page_gets_free_tickets_at_once_and_gives_one_away() {
    let app = spawn_app().await;
    let (owner, org) = organization(&app, "owner@sahra.jo").await;
    let event = published(&owner, &admin(&app).await, org).await;
    let (buyer, _) = signed_up(&app, "rami@example.jo").await;
    let (friend, _) = signed_up(&app, "dana@example.jo").await;

    let detail = buyer.event_detail(event.id).await.unwrap();
    assert_eq!(detail.ticket_types[0].price, Money::jod_fils(12_500));

    let order = buyer.create_order(&order_of(&event, 0, 2)).await.unwrap();
    assert_eq!(order.status, OrderStatus::Reserved);
    assert_eq!(order.total, Money::jod_fils(25_000));
    let started = buyer
        .pay(
            order.id,
            &PayInput {
                method: "sandbox".into(),
            },
        )
        .await
        .unwrap();
    let redirect = started.redirect_url.expect("a hosted payment page");
    assert!(redirect.starts_with("http"), "{redirect}");
    assert_eq!(started.order.payment_method.as_deref(), Some("sandbox"));
    choose_on_sandbox(&app, &redirect, Choice::Approve).await;
    assert_eq!(
        buyer.order(order.id).await.unwrap().status,
        OrderStatus::Paid
    );

    let free = buyer.create_order(&order_of(&event, 1, 1)).await.unwrap();
    let paid = buyer
        .pay(
            free.id,
            &PayInput {
                method: "sandbox".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        paid.order.status,
        OrderStatus::Paid,
        "free orders are paid at once"
    );
    assert_eq!((paid.redirect_url, paid.cliq), (None, None));

    let given_up = buyer.create_order(&order_of(&event, 0, 1)).await.unwrap();
    let cancelled = buyer.cancel_order(given_up.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        api_code(friend.order(order.id).await),
        ErrorCode::NotFound,
        "someone else's order does not exist for the caller"
    );

    let orders = buyer.my_orders().await.unwrap().orders;
    let mut statuses: Vec<(Uuid, OrderStatus)> = orders.iter().map(|o| (o.id, o.status)).collect();
    statuses.sort_by_key(|(id, _)| *id);
    let mut expected = vec![
        (order.id, OrderStatus::Paid),
        (free.id, OrderStatus::Paid),
        (given_up.id, OrderStatus::Cancelled),
    ];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(statuses, expected);
    let tickets = buyer.my_tickets().await.unwrap().tickets;
    assert_eq!(tickets.len(), 3);
    assert!(tickets.iter().all(|t| t.valid && t.event_id == event.id));

    let ticket = tickets.iter().find(|t| t.order_id == order.id).unwrap();
    let given = buyer
        .transfer_ticket(
            ticket.id,
            &TransferInput {
                email: Some("dana@example.jo".into()),
                phone: None,
            },
        )
        .await
        .unwrap();
    assert!(given.valid);
    assert_eq!(given.event_id, event.id);
    let theirs = friend.my_tickets().await.unwrap().tickets;
    assert_eq!(theirs.iter().map(|t| t.id).collect::<Vec<_>>(), [given.id]);
    let old = buyer
        .my_tickets()
        .await
        .unwrap()
        .tickets
        .into_iter()
        .find(|t| t.id == ticket.id)
        .unwrap();
    assert!(!old.valid, "the given ticket no longer admits its giver");
    let again = buyer
        .transfer_ticket(
            ticket.id,
            &TransferInput {
                email: Some("dana@example.jo".into()),
                phone: None,
            },
        )
        .await;
    assert_eq!(api_code(again), ErrorCode::TicketNotTransferable);
}

#[tokio::test]
async fn an_organizer_reads_the_dashboard_exports_csv_refunds_and_confirms_a_cliq_transfer() {
    let app = spawn_app().await;
    let (owner, org) = organization(&app, "owner@sahra.jo").await;
    let event = published(&owner, &admin(&app).await, org).await;
    let (buyer, _) = signed_up(&app, "maha@example.jo").await;
    let order = buyer.create_order(&order_of(&event, 0, 2)).await.unwrap();
    let started = buyer
        .pay(
            order.id,
            &PayInput {
                method: "sandbox".into(),
            },
        )
        .await
        .unwrap();
    choose_on_sandbox(&app, &started.redirect_url.unwrap(), Choice::Approve).await;

    let dashboard = owner
        .event_analytics(org, event.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(dashboard.event_id, event.id);
    assert_eq!(dashboard.bucket, AnalyticsBucket::Day);
    assert_eq!(dashboard.totals.sold, 2);
    assert_eq!(dashboard.totals.revenue_fils, 25_000);
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Amman").unwrap())
        .date();
    let hourly = owner
        .event_analytics(
            org,
            event.id,
            Some(AnalyticsBucket::Hour),
            Some(today),
            Some(today),
        )
        .await
        .unwrap();
    assert_eq!(hourly.bucket, AnalyticsBucket::Hour);
    assert_eq!(
        (hourly.from.clone(), hourly.to.clone()),
        (today.to_string(), today.to_string())
    );
    assert_eq!(hourly.sales.len(), 24);
    let backwards = owner
        .event_analytics(org, event.id, None, Some(today), today.yesterday().ok())
        .await;
    assert_eq!(api_code(backwards), ErrorCode::InvalidDateRange);

    let csv = owner.export_csv(org, event.id, "orders").await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark first");
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains(&order.reference), "{text}");
    let signed_out = owner
        .with_token(None)
        .export_csv(org, event.id, "orders")
        .await;
    assert_eq!(api_code(signed_out), ErrorCode::Unauthenticated);
    assert_eq!(
        api_code(owner.export_csv(org, event.id, "payroll").await),
        ErrorCode::UnknownExport
    );

    let tickets = buyer.my_tickets().await.unwrap().tickets;
    let refund = owner
        .refund(
            org,
            order.id,
            &RefundInput {
                ticket_ids: Some(vec![tickets[0].id]),
                amount: None,
                reason: "cannot come".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.order.status, OrderStatus::PartlyRefunded);
    assert_eq!(refund.revoked, [tickets[0].id]);
    assert_eq!(refund.amount, Some(Money::jod_fils(12_500)));
    let too_much = owner
        .refund(
            org,
            order.id,
            &RefundInput {
                ticket_ids: None,
                amount: Some(1_000_000),
                reason: "goodwill".into(),
            },
        )
        .await;
    assert_eq!(api_code(too_much), ErrorCode::RefundExceedsPaid);

    // CliQ: the organization names its alias, the buyer transfers, the organizer confirms.
    let token = access_token_of(&app, "owner@sahra.jo").await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org}/cliq"),
            Some(token.as_str()),
            Some(json!({ "alias": "sahralive" })),
        )
        .await;
    assert_eq!(status, 200);
    let by_cliq = buyer.create_order(&order_of(&event, 0, 1)).await.unwrap();
    let instructions = buyer
        .pay(
            by_cliq.id,
            &PayInput {
                method: "cliq".into(),
            },
        )
        .await
        .unwrap()
        .cliq
        .expect("CliQ instructions");
    assert_eq!(instructions.alias, "SAHRALIVE");
    assert_eq!(instructions.reference, by_cliq.reference);
    let confirmed = owner
        .decide_cliq(org, by_cliq.id, &CliqDecision { received: true })
        .await
        .unwrap();
    assert_eq!(confirmed.id, by_cliq.id);
    assert_eq!(confirmed.status, OrderStatus::Paid);
    assert_eq!(
        api_code(
            buyer
                .decide_cliq(org, by_cliq.id, &CliqDecision { received: true })
                .await
        ),
        ErrorCode::Forbidden,
        "buyers cannot confirm their own transfer"
    );
}

#[tokio::test]
async fn a_refresh_gives_a_new_pair_and_the_spent_refresh_token_is_then_refused() {
    let app = spawn_app().await;
    let (_, first) = signed_up(&app, "layla@example.jo").await;
    let anonymous = client(&app, Lang::En);
    let second = anonymous.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = anonymous
        .with_token(Some(second.access_token.clone()))
        .me()
        .await
        .unwrap();
    assert_eq!(me.email.as_deref(), Some("layla@example.jo"));
    assert_eq!(
        api_code(anonymous.refresh(&first.refresh_token).await),
        ErrorCode::TokenReused
    );
    assert_eq!(
        api_code(anonymous.refresh(&second.refresh_token).await),
        ErrorCode::InvalidToken,
        "a reused token ends the whole sign-in"
    );
}

#[tokio::test]
async fn logging_out_ends_the_sign_in_so_its_refresh_token_stops_working() {
    let app = spawn_app().await;
    let (signed_in, tokens) = signed_up(&app, "layla@example.jo").await;
    signed_in.logout().await.unwrap();
    assert_eq!(
        api_code(signed_in.refresh(&tokens.refresh_token).await),
        ErrorCode::InvalidToken
    );
    assert_eq!(
        api_code(client(&app, Lang::En).logout().await),
        ErrorCode::Unauthenticated
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_its_code_and_a_message_in_the_clients_language() {
    let app = spawn_app().await;
    signed_up(&app, "layla@example.jo").await;
    for (lang, expected) in [
        (Lang::Ar, "البريد الإلكتروني أو كلمة المرور غير صحيحة."),
        (Lang::En, "The email or password is not correct."),
    ] {
        match client(&app, lang)
            .login("layla@example.jo", "not the password at all")
            .await
        {
            Err(ClientError::Api { code, message }) => {
                assert_eq!(code, ErrorCode::InvalidCredentials);
                assert_eq!(message, expected);
            }
            other => panic!("expected invalid_credentials, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_texted_code_signs_in_and_creates_the_account() {
    let app = spawn_app().await;
    let anonymous = client(&app, Lang::En);
    anonymous
        .send_phone_code("079 123 4567", Lang::En)
        .await
        .unwrap();
    let phone = hafla_server::auth::phone::PhoneNumber::parse("+962791234567").unwrap();
    let sms = app.sms.last_to(&phone).expect("an SMS was sent");
    assert!(sms.body.contains("Hafla"), "in English: {}", sms.body);
    let code: String = sms
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        api_code(anonymous.verify_phone_code("0791234567", wrong).await),
        ErrorCode::OtpWrong
    );
    let tokens = anonymous
        .verify_phone_code("0791234567", &code)
        .await
        .unwrap();
    let me = anonymous
        .with_token(Some(tokens.access_token))
        .me()
        .await
        .unwrap();
    assert_eq!(me.phone.as_deref(), Some("+962791234567"));
    assert_eq!(
        api_code(anonymous.send_phone_code("12", Lang::Ar).await),
        ErrorCode::InvalidPhone
    );
}

#[tokio::test]
async fn a_provider_sign_in_started_and_finished_by_the_client_signs_in() {
    const APP_REDIRECT: &str = "hafla://auth/callback";
    let mock = hafla_server::test_support::start_oidc_mock("RS256").await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let config = OidcProviderConfig::new(
        "mock",
        mock.issuer.clone(),
        "hafla-app",
        APP_REDIRECT.parse().unwrap(),
    );
    let provider = OidcClient::discover(config, no_redirects.clone())
        .await
        .expect("discovery");
    let app =
        common::spawn_app_with(HashMap::from([("mock".to_owned(), Arc::new(provider))])).await;
    let anonymous = client(&app, Lang::En);

    let offered = anonymous.oidc_providers().await.unwrap();
    assert_eq!(offered.providers, vec!["mock".to_owned()]);
    let start = anonymous.oidc_start("mock").await.unwrap();
    // The system browser's part: the provider redirects to the app with `code` and `state`.
    let page = no_redirects
        .get(&start.authorization_url)
        .send()
        .await
        .unwrap();
    let location = page.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(APP_REDIRECT), "{location}");
    let query: HashMap<String, String> = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["state"], start.state);
    let tokens = anonymous
        .oidc_callback(&query["state"], &query["code"])
        .await
        .unwrap();
    let me = anonymous
        .with_token(Some(tokens.access_token))
        .me()
        .await
        .unwrap();
    assert_eq!(me.email.as_deref(), Some("layla@example.jo"));
    assert!(me.email_verified);
    assert_eq!(
        api_code(
            anonymous
                .oidc_callback(&query["state"], &query["code"])
                .await
        ),
        ErrorCode::InvalidToken,
        "a state is single-use"
    );
}

#[tokio::test]
async fn provider_sign_in_refuses_an_unknown_provider_and_an_unknown_state() {
    let app = spawn_app().await;
    let anonymous = client(&app, Lang::En);
    // A server without providers offers none, so the app shows no buttons.
    assert!(
        anonymous
            .oidc_providers()
            .await
            .unwrap()
            .providers
            .is_empty()
    );
    assert_eq!(
        api_code(anonymous.oidc_start("myspace").await),
        ErrorCode::UnknownProvider
    );
    assert_eq!(
        api_code(anonymous.oidc_start("a/../b c").await),
        ErrorCode::UnknownProvider,
        "a provider name is one path segment, whatever it contains"
    );
    assert_eq!(
        api_code(anonymous.oidc_callback("made-up-state", "a-code").await),
        ErrorCode::InvalidToken
    );
}

#[tokio::test]
async fn an_unreachable_server_is_reported_as_server_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = ApiClient::new(&url, Lang::Ar)
        .unwrap()
        .with_token(Some("a-token".into()))
        .me()
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::ServerUnreachable);
}
