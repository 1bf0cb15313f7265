//! Door staff download an event's door list, keep admitting while the server is down, and
//! the server learns of every admission once it is back.

use crate::ONE_AT_A_TIME;
use hafla_e2e::steps::{
    SYNC_TIMEOUT, admissions_on_server, door_staff_app, download_door_list,
    scene_with_published_event, ticket_for, unique_email,
};
use hafla_e2e::{Api, ServerProcess, VirtualDisplay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn door_staff_admit_a_ticket_offline_refuse_it_the_second_time_and_the_server_learns_of_it_when_back()
 {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let scene =
        scene_with_published_event(&server, &api, "ليلة دبكة في جرش", "Dabke night in Jerash")
            .await
            .expect("scene");
    let buyer = api
        .register(&unique_email("buyer"), "Yousef")
        .await
        .expect("buyer");
    let (_ticket, qr_text) = ticket_for(&api, &scene, &buyer).await.expect("ticket");
    let display = VirtualDisplay::start().await.expect("display");
    let (app, _staff) = door_staff_app(&api, &scene, &display, server.url())
        .await
        .expect("door staff signed in");

    // Choose the event and download its door list; the bar reaches the total.
    let (done, total) = download_door_list(&app, &scene.event)
        .await
        .expect("door list");
    assert!(total >= 1 && done == total, "progress {done}/{total}");
    app.screenshot("journey-door-downloaded").await.unwrap();

    app.type_into("#door-gate", "North").await.unwrap();
    app.click("#door-start").await.unwrap();
    app.wait_for("the scanner input focused", || async {
        (app.focused_id().await.ok()? == "scan-input").then_some(())
    })
    .await
    .expect("the scanner input takes the focus by itself");

    // The server goes down: the app says so, and the door keeps working.
    server.stop().await.expect("server stopped");
    app.wait_longer("the offline badge", SYNC_TIMEOUT, || async {
        app.exists("#offline-badge").await.then_some(())
    })
    .await
    .expect("offline badge");

    // A wedge scanner types the code and Enter.
    app.type_into("#scan-input", &format!("{qr_text}\n"))
        .await
        .unwrap();
    app.wait_attribute("#verdict", "data-verdict", "admitted")
        .await
        .expect("admitted");
    assert_eq!(
        app.attribute("#verdict", "data-signal")
            .await
            .unwrap()
            .as_deref(),
        Some("admit")
    );
    assert_eq!(
        app.focused_id().await.unwrap(),
        "scan-input",
        "focus stays on the scanner input"
    );
    let left = app
        .execute(
            "return document.querySelector('#scan-input').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        left.as_str(),
        Some(""),
        "the input is cleared for the next scan"
    );
    app.screenshot("journey-door-admitted").await.unwrap();

    // The same ticket again, with no click in between.
    app.type_into("#scan-input", &format!("{qr_text}\n"))
        .await
        .unwrap();
    app.wait_attribute("#verdict", "data-verdict", "already_admitted")
        .await
        .expect("refused the second time");
    // Not let in, in amber: a ticket already inside may have a story staff should hear
    // (the door's "check" signal); the admitted count does not move.
    assert_eq!(
        app.attribute("#verdict", "data-signal")
            .await
            .unwrap()
            .as_deref(),
        Some("attention")
    );
    app.wait_attribute("#door-admitted", "data-value", "1")
        .await
        .expect("still one admitted");
    let pending = app
        .wait_for("scans waiting to upload", || async {
            let v = app.attribute("#door-pending", "data-value").await.ok()??;
            v.parse::<u64>().ok().filter(|n| *n >= 1)
        })
        .await
        .expect("pending scans");
    assert!(pending >= 1);
    app.screenshot("journey-door-refused-offline")
        .await
        .unwrap();

    // The server comes back on the same data and port; the app uploads the scans.
    server.start_again().await.expect("server back");
    let api = Api::new(server.url());
    let admitted = app
        .wait_longer(
            "the server counting the admission",
            SYNC_TIMEOUT,
            || async {
                admissions_on_server(&api, &scene)
                    .await
                    .ok()
                    .filter(|n| *n >= 1)
            },
        )
        .await
        .expect("the server shows the admission");
    assert_eq!(admitted, 1, "one admission (the second scan was refused)");
    app.wait_longer("the uploads done", SYNC_TIMEOUT, || async {
        let v = app.attribute("#door-pending", "data-value").await.ok()??;
        (v == "0" && !app.exists("#offline-badge").await).then_some(())
    })
    .await
    .expect("nothing left to upload, back online");
    app.close().await.unwrap();
}
