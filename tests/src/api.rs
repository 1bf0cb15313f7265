//! The server's HTTP API as a journey uses it to set the scene (accounts, organizations,
//! events, paid tickets) and to check what the app did, the way another person would.

use crate::HarnessError;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// A password every journey account uses (long and uncommon enough for the server's rules).
pub const PASSWORD: &str = "Qasr-Amra-Frescoes-1927";

/// A plain HTTP client of one server.
#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

fn api_error(what: &str, reason: impl std::fmt::Display) -> HarnessError {
    HarnessError::Api(format!("{what}: {reason}"))
}

impl Api {
    pub fn new(server_url: &str) -> Api {
        let http = reqwest::Client::builder()
            // The sandbox page redirects back to the app's deep link: look, don't follow.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Api {
            base: server_url.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// Calls `/api/v1{path}`; an answer other than 2xx is an error naming its status and body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, HarnessError> {
        let what = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| api_error(&what, e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| api_error(&what, e))?;
        if !status.is_success() {
            return Err(api_error(&what, format!("{status}: {text}")));
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| api_error(&what, format!("{e}: {text}")))
    }

    /// Creates an account; returns its access token.
    pub async fn register(&self, email: &str, name: &str) -> Result<String, HarnessError> {
        let body = json!({ "email": email, "password": PASSWORD, "display_name": name });
        let tokens = self
            .call(Method::POST, "/auth/register", None, Some(body))
            .await?;
        token_of(&tokens)
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<String, HarnessError> {
        let body = json!({ "email": email, "password": password });
        let tokens = self
            .call(Method::POST, "/auth/login", None, Some(body))
            .await?;
        token_of(&tokens)
    }

    /// Creates an organization owned by the caller; returns its id.
    pub async fn create_org(
        &self,
        token: &str,
        ar: &str,
        en: &str,
    ) -> Result<String, HarnessError> {
        let body = json!({ "name": { "ar": ar, "en": en } });
        let org = self
            .call(Method::POST, "/orgs", Some(token), Some(body))
            .await?;
        string_at(&org, "/id")
    }

    pub async fn invite(
        &self,
        token: &str,
        org: &str,
        email: &str,
        role: &str,
    ) -> Result<(), HarnessError> {
        let body = json!({ "email": email, "role": role });
        self.call(
            Method::POST,
            &format!("/orgs/{org}/invites"),
            Some(token),
            Some(body),
        )
        .await
        .map(|_| ())
    }

    /// Creates an event (see [`event_input`]) and returns it as the organizer sees it.
    pub async fn create_event(
        &self,
        token: &str,
        org: &str,
        input: Value,
    ) -> Result<Value, HarnessError> {
        self.call(
            Method::POST,
            &format!("/orgs/{org}/events"),
            Some(token),
            Some(input),
        )
        .await
    }

    pub async fn submit_event(
        &self,
        token: &str,
        org: &str,
        event: &str,
    ) -> Result<(), HarnessError> {
        self.call(
            Method::POST,
            &format!("/orgs/{org}/events/{event}/submit"),
            Some(token),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn approve_event(&self, admin_token: &str, event: &str) -> Result<(), HarnessError> {
        self.call(
            Method::POST,
            &format!("/admin/events/{event}/approve"),
            Some(admin_token),
            None,
        )
        .await
        .map(|_| ())
    }

    /// Reserves `quantity` tickets of one type; returns the order.
    pub async fn create_order(
        &self,
        token: &str,
        event: &str,
        ticket_type: &str,
        quantity: u32,
    ) -> Result<Value, HarnessError> {
        let body = json!({ "event_id": event, "lines": [{ "ticket_type_id": ticket_type, "quantity": quantity }] });
        self.call(Method::POST, "/orders", Some(token), Some(body))
            .await
    }

    /// Chooses how to pay; returns the `PayView` (a free order is paid at once).
    pub async fn pay(&self, token: &str, order: &str, method: &str) -> Result<Value, HarnessError> {
        self.call(
            Method::POST,
            &format!("/orders/{order}/pay"),
            Some(token),
            Some(json!({ "method": method })),
        )
        .await
    }

    /// What a person does on the sandbox's hosted page: open it, press "approve".
    pub async fn approve_on_sandbox_page(&self, page_url: &str) -> Result<(), HarnessError> {
        let what = format!("sandbox page {page_url}");
        let page = self
            .http
            .get(page_url)
            .send()
            .await
            .map_err(|e| api_error(&what, e))?;
        let status = page.status();
        let html = page.text().await.map_err(|e| api_error(&what, e))?;
        if status != StatusCode::OK || !html.contains("value=\"approve\"") {
            return Err(api_error(&what, format!("{status}: {html}")));
        }
        let answer = self
            .http
            .post(page_url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("choice=approve")
            .send()
            .await
            .map_err(|e| api_error(&what, e))?;
        let status = answer.status();
        if !(status.is_success() || status.is_redirection()) {
            let body = answer.text().await.unwrap_or_default();
            return Err(api_error(&what, format!("approve: {status}: {body}")));
        }
        // Follow the return redirect when it points back at the server (as a browser would).
        if let Some(location) = answer
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
        {
            let target = if location.starts_with('/') {
                format!("{}{location}", self.base)
            } else {
                location.to_owned()
            };
            if target.starts_with("http") {
                let _ = self.http.get(&target).send().await;
            }
        }
        Ok(())
    }

    /// Sets the organization's CliQ alias, so its buyers may pay by CliQ transfer.
    pub async fn set_cliq_alias(
        &self,
        token: &str,
        org: &str,
        alias: &str,
    ) -> Result<(), HarnessError> {
        self.call(
            Method::PUT,
            &format!("/orgs/{org}/cliq"),
            Some(token),
            Some(json!({ "alias": alias })),
        )
        .await
        .map(|_| ())
    }

    pub async fn order(&self, token: &str, order: &str) -> Result<Value, HarnessError> {
        self.call(Method::GET, &format!("/orders/{order}"), Some(token), None)
            .await
    }

    /// The caller's tickets (`TicketList`).
    pub async fn my_tickets(&self, token: &str) -> Result<Vec<Value>, HarnessError> {
        let list = self
            .call(Method::GET, "/me/tickets", Some(token), None)
            .await?;
        Ok(list["tickets"].as_array().cloned().unwrap_or_default())
    }

    /// The text a ticket's QR code carries, as its holder's app would show it.
    pub async fn credential_text(&self, token: &str, ticket: &str) -> Result<String, HarnessError> {
        let credential = self
            .call(
                Method::GET,
                &format!("/tickets/{ticket}/credential"),
                Some(token),
                None,
            )
            .await?;
        string_at(&credential, "/text")
    }

    pub async fn event_analytics(
        &self,
        token: &str,
        org: &str,
        event: &str,
    ) -> Result<Value, HarnessError> {
        self.call(
            Method::GET,
            &format!("/orgs/{org}/events/{event}/analytics"),
            Some(token),
            None,
        )
        .await
    }

    /// Public search, e.g. to find a demo event.
    pub async fn search(&self, query: &str) -> Result<Vec<Value>, HarnessError> {
        let what = format!("search {query}");
        let response = self
            .http
            .get(format!("{}/api/v1/events/search", self.base))
            .query(&[("q", query), ("limit", "50")])
            .send()
            .await
            .map_err(|e| api_error(&what, e))?;
        let page: Value = response.json().await.map_err(|e| api_error(&what, e))?;
        Ok(page["events"].as_array().cloned().unwrap_or_default())
    }

    /// A published event with its ticket types (`EventDetail`).
    pub async fn event(&self, event: &str) -> Result<Value, HarnessError> {
        self.call(Method::GET, &format!("/events/{event}"), None, None)
            .await
    }
}

fn token_of(tokens: &Value) -> Result<String, HarnessError> {
    string_at(tokens, "/access_token")
}

/// The string at a JSON pointer, or an error showing the whole value.
pub fn string_at(value: &Value, pointer: &str) -> Result<String, HarnessError> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| api_error(pointer, format!("missing in {value}")))
}

/// An event in both languages starting `starts_in_hours` from now (Amman time), with one
/// ticket type of `price_fils` (0: free) and 50 places.
pub fn event_input(title_ar: &str, title_en: &str, starts_in_hours: i64, price_fils: i64) -> Value {
    let now = jiff::Timestamp::now();
    let start = now + jiff::SignedDuration::from_hours(starts_in_hours);
    let end = start + jiff::SignedDuration::from_hours(3);
    json!({
        "title": { "ar": title_ar, "en": title_en },
        "description": {
            "ar": format!("{title_ar}: أمسية للاختبار من أولها إلى آخرها."),
            "en": format!("{title_en}: an evening tested from end to end."),
        },
        "category": "music",
        "venue": {
            "name": { "ar": "مسرح البلد", "en": "Al Balad Theatre" },
            "address": { "ar": "شارع الملك فيصل، وسط البلد", "en": "King Faisal Street, Downtown" },
            "city": "amman",
            "location": { "lat": 31.9514, "lng": 35.9366 },
        },
        "starts_at": start.to_string(),
        "ends_at": end.to_string(),
        "time_zone": "Asia/Amman",
        "ticket_types": [{
            "name": { "ar": "دخول عام", "en": "General admission" },
            "price": { "minor": price_fils, "currency": "JOD" },
            "capacity": 50,
        }],
    })
}
