//! A buyer pays by CliQ and sees the transfer's details; the organizer confirms the transfer
//! in the app, exports the orders as CSV and edits the event.

use crate::ONE_AT_A_TIME;
use hafla_e2e::api::{PASSWORD, event_input, string_at};
use hafla_e2e::steps::{
    Cast, SYNC_TIMEOUT, admin_and_organizer, sign_in, unique_email, wait_for_card,
};
use hafla_e2e::{Api, AppSession, ServerProcess, VirtualDisplay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_by_cliq_the_organizer_confirms_it_exports_the_orders_and_edits_the_event() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let Cast {
        admin_token: admin,
        organizer_email,
        organizer_token: organizer,
        org,
        ..
    } = admin_and_organizer(&server, &api, "ليالي الفسيفساء", "Mosaic Nights")
        .await
        .expect("organization");
    api.set_cliq_alias(&organizer, &org, "MOSAICNITE")
        .await
        .expect("CliQ alias");
    let event = api
        .create_event(
            &organizer,
            &org,
            event_input(
                "سهرة فسيفساء في مادبا",
                "Mosaic soirée in Madaba",
                30,
                5_500,
            ),
        )
        .await
        .expect("event");
    let event_id = string_at(&event, "/id").unwrap();
    let ticket_type = string_at(&event, "/ticket_types/0/id").unwrap();
    api.submit_event(&organizer, &org, &event_id).await.unwrap();
    api.approve_event(&admin, &event_id).await.unwrap();
    let buyer_email = unique_email("buyer");
    let buyer = api.register(&buyer_email, "Dana").await.expect("buyer");

    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");
    sign_in(&app, &buyer_email, PASSWORD)
        .await
        .expect("buyer signs in");

    // The buyer chooses CliQ and is told exactly what to transfer.
    app.click("#nav-discover").await.unwrap();
    app.type_into("#search-input", "Mosaic").await.unwrap();
    wait_for_card(&app, "Mosaic", &event_id)
        .await
        .expect("found");
    app.click(&format!(".event-card[data-event-id='{event_id}']"))
        .await
        .unwrap();
    app.set_value(&format!("#qty-{ticket_type}"), "2")
        .await
        .unwrap();
    app.click("#buy-button").await.unwrap();
    app.click("#pay-method-cliq").await.unwrap();
    app.click("#pay-button").await.unwrap();
    let alias = app.text_of("#cliq-alias").await.expect("CliQ instructions");
    assert_eq!(alias, "MOSAICNITE");
    let amount = app.text_of("#cliq-amount").await.unwrap();
    assert!(
        amount.contains("11.000"),
        "two tickets of 5.500 JOD: {amount}"
    );
    let reference = app.text_of("#cliq-reference").await.unwrap();
    assert!(reference.starts_with("HF-"), "{reference}");
    let order_id = app
        .attribute("#payment", "data-order-id")
        .await
        .unwrap()
        .expect("order id");
    app.screenshot("journey-cliq-instructions").await.unwrap();

    // The organizer sees the transfer arrive and confirms it in the app.
    sign_in(&app, &organizer_email, PASSWORD)
        .await
        .expect("organizer signs in");
    app.click("#nav-organizer").await.unwrap();
    app.click("#org-tab-orders").await.unwrap();
    app.type_into("#cliq-order-id", &order_id).await.unwrap();
    app.click("#cliq-approve").await.unwrap();
    app.wait_present("#cliq-done")
        .await
        .expect("transfer confirmed");
    let order = api.order(&buyer, &order_id).await.unwrap();
    assert_eq!(order["status"], "paid", "{order}");

    // Orders export as CSV to a file the app names.
    app.click("#org-tab-events").await.unwrap();
    app.click(&format!(
        ".org-event[data-event-id='{event_id}'] .dashboard"
    ))
    .await
    .unwrap();
    app.wait_longer(
        "two tickets sold on the dashboard",
        SYNC_TIMEOUT,
        || async {
            let sold = app.attribute("#dash-sold", "data-value").await.ok()??;
            if sold == "2" {
                Some(())
            } else {
                // The dashboard reads the server when shown: look again.
                let _ = app.click("#bucket-hour").await;
                let _ = app.click("#bucket-day").await;
                None
            }
        },
    )
    .await
    .expect("dashboard figures");
    app.click("#export-orders").await.unwrap();
    let path = app.text_of("#export-path").await.expect("saved CSV");
    let csv = std::fs::read_to_string(&path).expect("the CSV file exists");
    assert!(
        csv.contains(&reference),
        "the order is in the export: {csv}"
    );

    // The organizer renames the event in English; the saved version moves on.
    app.click("#dashboard-back").await.unwrap();
    app.click(&format!(".org-event[data-event-id='{event_id}'] .edit"))
        .await
        .unwrap();
    app.set_value("#event-title-en", "Mosaic soirée in Madaba (new date soon)")
        .await
        .unwrap();
    app.click("#event-save").await.unwrap();
    app.wait_present("#event-saved").await.expect("edit saved");
    app.screenshot("journey-organizer-edited").await.unwrap();
    app.close().await.unwrap();
}
