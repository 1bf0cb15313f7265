//! `hafla://` links: an event or a ticket to show, or the end of an OpenID Connect sign-in.
//! They arrive as the app's start argument or, with the app running, from the OS.

use crate::state::{AppCore, lock};
use crate::views::LinkRoute;
use tauri::Url;
use uuid::Uuid;

/// What a link asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Link {
    Show(LinkRoute),
    OidcCallback { state: String, code: String },
}

/// Reads a `hafla://` link; anything else (another scheme, an unknown path, a malformed
/// id) is `None` and ignored.
pub fn parse(text: &str) -> Option<Link> {
    let url = Url::parse(text).ok()?;
    if url.scheme() != "hafla" {
        return None;
    }
    let host = url.host_str()?;
    let path: Vec<&str> = url.path().trim_matches('/').split('/').collect();
    match (host, path.as_slice()) {
        ("event", [id]) => Some(Link::Show(LinkRoute::Event(Uuid::parse_str(id).ok()?))),
        ("ticket", [id]) => Some(Link::Show(LinkRoute::Ticket(Uuid::parse_str(id).ok()?))),
        ("auth", ["callback"]) => {
            let pair = |name: &str| {
                url.query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
            };
            Some(Link::OidcCallback {
                state: pair("state")?,
                code: pair("code")?,
            })
        }
        _ => None,
    }
}

impl AppCore {
    /// Acts on links from the OS: a route goes to the UI (or waits for it when the app is
    /// only starting), a sign-in callback finishes the sign-in.
    pub async fn open_links(&self, urls: Vec<String>, ui_ready: bool) {
        for url in urls {
            match parse(&url) {
                Some(Link::Show(route)) if ui_ready => self.emit("open-link", route),
                Some(Link::Show(route)) => *lock(&self.start_link) = Some(route),
                Some(Link::OidcCallback { state, code }) => {
                    if let Err(e) = self.finish_oidc_sign_in(&state, &code).await {
                        self.emit("sign-in-failed", e.to_body(self.lang()));
                    }
                }
                None => eprintln!("hafla-app: ignoring a link this app does not handle"),
            }
        }
    }

    /// The route of the link that started the app, once.
    pub fn take_start_link(&self) -> Option<LinkRoute> {
        lock(&self.start_link).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_and_ticket_links_name_what_to_show() {
        let id = Uuid::now_v7();
        assert_eq!(
            parse(&format!("hafla://event/{id}")),
            Some(Link::Show(LinkRoute::Event(id)))
        );
        assert_eq!(
            parse(&format!("hafla://ticket/{id}/")),
            Some(Link::Show(LinkRoute::Ticket(id)))
        );
    }

    #[test]
    fn a_sign_in_callback_carries_its_state_and_code() {
        assert_eq!(
            parse("hafla://auth/callback?code=abc%2F1&state=xyz"),
            Some(Link::OidcCallback {
                state: "xyz".into(),
                code: "abc/1".into()
            })
        );
        assert_eq!(parse("hafla://auth/callback?code=abc"), None);
    }

    #[test]
    fn foreign_or_malformed_links_are_ignored() {
        for text in [
            "https://hafla.jo/event/0190a0c4-0000-7000-8000-000000000000",
            "hafla://event/not-a-uuid",
            "hafla://event/",
            "hafla://admin/anything",
            "not a url",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
