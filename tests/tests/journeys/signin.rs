//! Signing in with a one-time code texted to a Jordanian mobile number (and no provider
//! button where the server offers none).

use crate::ONE_AT_A_TIME;
use hafla_e2e::steps::use_language;
use hafla_e2e::{AppSession, ServerProcess, VirtualDisplay};

/// The newest code the server's development SMS outbox holds for `to` (E.164).
fn texted_code(server: &ServerProcess, to: &str) -> Option<String> {
    let outbox = std::fs::read_to_string(server.data_dir().join("sms-outbox.jsonl")).ok()?;
    outbox
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["to"] == to)
        .filter_map(|m| {
            let body = m["body"].as_str()?.to_owned();
            let digits: String = body
                .split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 6)?
                .to_owned();
            Some(digits)
        })
        .next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_a_code_texted_to_their_phone_typed_in_arabic_digits() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");
    use_language(&app, "ar").await.unwrap();

    app.click("#nav-account").await.unwrap();
    // The demo server has no OpenID Connect provider: no button leads nowhere.
    app.click("#tab-oidc").await.unwrap();
    app.wait_present("#oidc-none")
        .await
        .expect("no provider offered");
    assert!(!app.exists(".oidc-button").await);
    app.click("#tab-phone").await.unwrap();
    app.type_into("#phone-number", "079 555 0123")
        .await
        .unwrap();
    app.click("#phone-send").await.unwrap();
    app.wait_present("#phone-code")
        .await
        .expect("asked for the code");
    let code = app
        .wait_for("the texted code", || async {
            texted_code(&server, "+962795550123")
        })
        .await
        .expect("a code in the SMS outbox");
    // Typed with Arabic-Indic digits, as an Arabic keyboard gives them.
    let arabic: String = code
        .chars()
        .map(|d| char::from_u32(0x0660 + d.to_digit(10).unwrap()).unwrap())
        .collect();
    app.type_into("#phone-code", &arabic).await.unwrap();
    app.screenshot("signin-phone-ar").await.unwrap();
    app.click("#phone-verify").await.unwrap();
    let phone = app.text_of("#account-phone").await.expect("signed in");
    assert!(phone.contains("795550123"), "{phone}");
    app.close().await.unwrap();
}
