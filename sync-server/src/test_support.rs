//! Helpers that start real peers for tests (here and in `tests/`). Not used by the server.

use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// A running `tests/support/oidc-mock/server.mjs`; killed when dropped.
pub struct MockProvider {
    pub issuer: Url,
    _process: Child,
}

pub async fn start_oidc_mock(alg: &str) -> MockProvider {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc-mock");
    assert!(
        folder.join("node_modules/oauth2-mock-server").is_dir(),
        "the OIDC test provider is not installed: run \
         `npm ci --prefix sync-server/tests/support/oidc-mock` from the repository root \
         (needs node >= 20.19), then rerun the tests"
    );
    let mut process = Command::new("node")
        .arg(folder.join("server.mjs"))
        .args(["0", "--alg", alg])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot start `node` (>= 20.19 must be on PATH) \
                 for the OIDC test provider: {error}"
            )
        });
    let stdout = process.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the OIDC test provider printed no issuer within 30 s")
        .expect("reading the OIDC test provider's stdout")
        .expect("the OIDC test provider exited before printing its issuer (its stderr is above)");
    let issuer = line
        .strip_prefix("OIDC_ISSUER=")
        .unwrap_or_else(|| panic!("unexpected first line from the OIDC test provider: {line:?}"));
    MockProvider {
        issuer: Url::parse(issuer).expect("issuer URL"),
        _process: process,
    }
}

/// Issues `quantity` tickets of the free type `ticket_type_id` at `event_id` to `buyer_id`,
/// the way a free checkout does (reserve, then complete): the event gets its credential
/// number and the change log its rows, as in production.
pub async fn issue_free_tickets(
    store: &dyn crate::store::Store,
    event_id: uuid::Uuid,
    ticket_type_id: uuid::Uuid,
    buyer_id: uuid::Uuid,
    quantity: u32,
) -> crate::store::orders::Order {
    use crate::store::orders::{Actor, LineRequest, NewOrder, new_reference};
    let order = store
        .reserve_order(
            NewOrder {
                id: uuid::Uuid::now_v7(),
                reference: new_reference(),
                buyer_id,
                event_id,
                lines: vec![LineRequest {
                    ticket_type_id,
                    quantity,
                }],
                lang: hafla_core::Lang::Ar,
                idempotency_key: None,
                hold: jiff::SignedDuration::from_mins(10),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("reserve the free tickets");
    store
        .complete_free_order(order.id, Actor::Buyer(buyer_id), jiff::Timestamp::now())
        .await
        .expect("complete the free order")
}
