//! hafla-app: the Tauri shell. It opens the device's database, keeps it in sync in the
//! background, answers the UI's commands and passes `hafla://` links on; what each part
//! does lives in its own module, the domain in `hafla-core`.
//!
//! * `state` — the app's state ([`state::AppCore`]) and how it reaches the UI and the OS.
//! * `session` — tokens (refresh token in the OS keyring) and staying signed in.
//! * `sync_loop` — the background sync and the online/offline status.
//! * `account`, `attendee`, `door`, `organizer` — what each kind of person does.
//! * `calendar` — .ics files; `links` — `hafla://` links; `views` — shapes for the UI.
//! * `commands` — the thin Tauri commands over all of it.

mod account;
mod attendee;
pub mod calendar;
mod commands;
mod door;
pub mod errors;
pub mod links;
mod organizer;
pub mod session;
pub mod state;
mod sync_loop;
#[cfg(test)]
mod test_support;
pub mod views;

use state::{AppCore, Folders, Outside};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

/// The server the app talks to unless `HAFLA_SERVER_URL` says otherwise.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8080";

/// The window as [`Outside`]: events go to the web view, links to the system browser
/// (the one named in `BROWSER`, the Unix convention, when set).
struct Shell<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> Outside for Shell<R> {
    fn emit(&self, name: &'static str, payload: serde_json::Value) {
        if let Err(e) = self.app.emit(name, payload) {
            eprintln!("hafla-app: event {name}: {e}");
        }
    }

    fn open(&self, target: &str) -> Result<(), String> {
        let is_url = target.contains("://");
        if let Some(browser) = std::env::var_os("BROWSER").filter(|_| is_url) {
            return std::process::Command::new(browser)
                .arg(target)
                .spawn()
                .map(drop)
                .map_err(|e| e.to_string());
        }
        if is_url {
            tauri_plugin_opener::open_url(target, None::<&str>).map_err(|e| e.to_string())
        } else {
            tauri_plugin_opener::open_path(target, None::<&str>).map_err(|e| e.to_string())
        }
    }
}

/// The app, generic over the runtime so tests and `run` share one setup.
pub fn builder<R: Runtime>() -> tauri::Builder<R> {
    let builder = tauri::Builder::<R>::new();
    // A second launch (say, by a hafla:// link) hands its link to this instance instead.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
    }));
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let data = app.path().app_data_dir()?;
            std::fs::create_dir_all(&data)?;
            let downloads = app
                .path()
                .download_dir()
                .unwrap_or_else(|_| data.join("downloads"));
            let server_url =
                std::env::var("HAFLA_SERVER_URL").unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned());
            let vault = Box::new(session::KeyringVault::new(&server_url));
            let shell = Box::new(Shell {
                app: app.handle().clone(),
            });
            let core = Arc::new(AppCore::open(
                Folders { data, downloads },
                server_url,
                vault,
                shell,
            )?);
            app.manage(core.clone());
            // Registering the hafla:// handler runs xdg-mime and friends: not on the way to
            // the first screen.
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            {
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    if let Err(e) = handle.deep_link().register_all() {
                        eprintln!("hafla-app: cannot register hafla:// links: {e}");
                    }
                });
            }
            let at_start: Vec<String> = app
                .deep_link()
                .get_current()
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .map(String::from)
                .collect();
            let starting = core.clone();
            tauri::async_runtime::spawn(async move { starting.open_links(at_start, false).await });
            let linked = core.clone();
            app.deep_link().on_open_url(move |event| {
                let urls: Vec<String> = event.urls().into_iter().map(String::from).collect();
                let core = linked.clone();
                tauri::async_runtime::spawn(async move { core.open_links(urls, true).await });
            });
            tauri::async_runtime::spawn(core.keep_in_sync());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_language,
            commands::set_arabic_digits,
            commands::sync_status,
            commands::take_start_link,
            commands::session,
            commands::sign_in_with_password,
            commands::register,
            commands::send_phone_code,
            commands::verify_phone_code,
            commands::oidc_providers,
            commands::start_oidc_sign_in,
            commands::sign_out,
            commands::search_events,
            commands::catalog_event,
            commands::event_detail,
            commands::open_maps,
            commands::create_order,
            commands::pay_order,
            commands::get_order,
            commands::my_orders,
            commands::my_tickets,
            commands::ticket_qr,
            commands::save_to_calendar,
            commands::transfer_ticket,
            commands::door_events,
            commands::download_door_list,
            commands::scan_ticket,
            commands::door_counts,
            commands::door_conflicts,
            commands::decode_frame,
            commands::org_events,
            commands::create_event,
            commands::update_event,
            commands::submit_event,
            commands::members,
            commands::invite_member,
            commands::event_analytics,
            commands::export_csv,
            commands::refund_order,
            commands::decide_cliq,
            commands::review_queue,
            commands::approve_event,
            commands::reject_event,
        ])
}

/// Entry point of the desktop binary and of the iOS/Android libraries.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    if let Err(e) = builder::<tauri::Wry>().run(tauri::generate_context!()) {
        eprintln!("hafla-app: {e}");
        std::process::exit(1);
    }
}
