//! The less happy paths: an admin rejects an event with a reason the organizer reads; a
//! refund revokes the buyer's ticket on their device; a ticket goes to a friend; a ticket
//! goes into the calendar.

use crate::ONE_AT_A_TIME;
use hafla_e2e::api::{PASSWORD, event_input, string_at};
use hafla_e2e::steps::{Cast, SYNC_TIMEOUT, admin_and_organizer, sign_in, unique_email};
use hafla_e2e::{Api, AppSession, ServerProcess, VirtualDisplay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_reason_reaches_the_organizer_and_a_refund_revokes_the_ticket_on_the_buyers_device()
 {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let Cast {
        admin_email,
        admin_token: admin,
        organizer_email,
        organizer_token: organizer,
        org,
        ..
    } = admin_and_organizer(&server, &api, "حكايات السلط", "Salt Stories")
        .await
        .unwrap();
    // One event published with a paid ticket type, one waiting for review.
    let sold = api
        .create_event(
            &organizer,
            &org,
            event_input("حكواتي السلط", "Salt storyteller", 26, 4_000),
        )
        .await
        .unwrap();
    let sold_id = string_at(&sold, "/id").unwrap();
    let sold_type = string_at(&sold, "/ticket_types/0/id").unwrap();
    api.submit_event(&organizer, &org, &sold_id).await.unwrap();
    api.approve_event(&admin, &sold_id).await.unwrap();
    let waiting = api
        .create_event(
            &organizer,
            &org,
            event_input("ليلة بلا وصف", "A night without details", 50, 0),
        )
        .await
        .unwrap();
    let waiting_id = string_at(&waiting, "/id").unwrap();
    api.submit_event(&organizer, &org, &waiting_id)
        .await
        .unwrap();
    // The buyer pays two tickets on the sandbox page.
    let buyer_email = unique_email("buyer");
    let buyer = api.register(&buyer_email, "Lama").await.unwrap();
    let order = api
        .create_order(&buyer, &sold_id, &sold_type, 2)
        .await
        .unwrap();
    let order_id = string_at(&order, "/id").unwrap();
    let pay = api.pay(&buyer, &order_id, "sandbox").await.unwrap();
    let page = string_at(&pay, "/redirect_url").unwrap();
    api.approve_on_sandbox_page(&page).await.unwrap();

    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");

    // The admin rejects: first without a reason (the form asks for one), then with one.
    sign_in(&app, &admin_email, PASSWORD).await.unwrap();
    app.click("#nav-admin").await.unwrap();
    let item = format!(".review-item[data-event-id='{waiting_id}']");
    app.click(&format!("{item} .reject")).await.unwrap();
    app.wait_present(&format!("{item} .error-text"))
        .await
        .expect("a reason is asked for");
    app.type_into(
        &format!("{item} .reject-reason"),
        "Add a description in both languages, please.",
    )
    .await
    .unwrap();
    app.click(&format!("{item} .reject")).await.unwrap();
    app.wait_present("#review-done").await.expect("rejected");

    // The organizer reads why, then refunds the buyer's order.
    sign_in(&app, &organizer_email, PASSWORD).await.unwrap();
    app.click("#nav-organizer").await.unwrap();
    let reason = app
        .text_of(&format!(
            ".org-event[data-event-id='{waiting_id}'][data-status='rejected'] .rejection-reason"
        ))
        .await
        .expect("the rejection and its reason");
    assert!(
        reason.contains("Add a description in both languages"),
        "{reason}"
    );
    app.click("#org-tab-orders").await.unwrap();
    app.type_into("#refund-order-id", &order_id).await.unwrap();
    app.type_into("#refund-reason", "The storyteller is ill")
        .await
        .unwrap();
    app.click("#refund-submit").await.unwrap();
    app.wait_present("#refund-done").await.expect("refunded");

    // On the buyer's device both tickets stop admitting, and the order says refunded.
    sign_in(&app, &buyer_email, PASSWORD).await.unwrap();
    app.click("#nav-tickets").await.unwrap();
    app.wait_longer("the revoked tickets", SYNC_TIMEOUT, || async {
        let cards = app.texts_of_all(".ticket-card").await.ok()?;
        let valid = app.exists(".ticket-card[data-valid='true']").await;
        (cards.len() == 2 && !valid).then_some(())
    })
    .await
    .expect("both tickets revoked");
    app.wait_attribute(
        &format!(".order-row[data-order-id='{order_id}']"),
        "data-status",
        "refunded",
    )
    .await
    .expect("the order is refunded");
    app.screenshot("journey-refunded-tickets").await.unwrap();
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_goes_into_the_calendar_and_then_to_a_friend() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let scene = hafla_e2e::steps::scene_with_published_event(
        &server,
        &api,
        "أمسية في عجلون",
        "An evening in Ajloun",
    )
    .await
    .expect("scene");
    let buyer_email = unique_email("buyer");
    let buyer = api.register(&buyer_email, "Rami").await.unwrap();
    let (ticket, _) = hafla_e2e::steps::ticket_for(&api, &scene, &buyer)
        .await
        .unwrap();
    let friend_email = unique_email("friend");
    let friend = api.register(&friend_email, "Sami").await.unwrap();

    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");
    sign_in(&app, &buyer_email, PASSWORD).await.unwrap();
    app.click("#nav-tickets").await.unwrap();
    let card = format!(".ticket-card[data-ticket-id='{ticket}']");
    app.click(&format!("{card} .add-calendar")).await.unwrap();
    let path = app
        .text_of(&format!("{card} .calendar-path"))
        .await
        .expect("the calendar file's path");
    let ics = std::fs::read_to_string(&path).expect("the calendar file");
    assert!(
        ics.contains("BEGIN:VCALENDAR") && ics.contains("BEGIN:VEVENT"),
        "{ics}"
    );

    app.click(&format!("{card} .transfer-toggle"))
        .await
        .unwrap();
    app.type_into(&format!("{card} .transfer-email"), &friend_email)
        .await
        .unwrap();
    app.click(&format!("{card} .transfer-submit"))
        .await
        .unwrap();
    app.wait_present(".transfer-done")
        .await
        .expect("transferred");
    let theirs = api.my_tickets(&friend).await.unwrap();
    assert_eq!(theirs.len(), 1, "the friend holds it now: {theirs:?}");
    app.wait_longer("the old ticket revoked", SYNC_TIMEOUT, || async {
        let valid = app.attribute(&card, "data-valid").await.ok()??;
        (valid == "false").then_some(())
    })
    .await
    .expect("no longer valid here");
    app.close().await.unwrap();
}
