//! The real `hafla-server` on a PostgreSQL that goes away mid-traffic and comes back: while
//! the database is down every request answers promptly with 503 `database_unavailable` (never
//! a hang, a 500 or a crash) and `/readyz` says not ready; once it is back the same process
//! serves again by itself, with everything written before the outage.
//!
//! The test stops a database, so it runs its own PostgreSQL cluster (`pg_createcluster` on a
//! free port, dropped at the end) and never disturbs the shared one the other tests use.
//! It needs root or passwordless sudo, as `scripts/test.sh` has.

mod common;

use common::ServerProcess;
use serde_json::{Value, json};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Server settings: requests wait at most this long for a connection while the database is down.
const ACQUIRE_TIMEOUT_SECS: u64 = 1;
/// The slowest an answer may be while the database is down: the acquire timeout, plus a
/// password hash for sign-ups and sign-ins, plus slack for a busy machine.
const OUTAGE_ANSWER_BOUND: Duration = Duration::from_secs(5);
/// No request may take longer than this at any point: the client gives up here and the test
/// calls it a hang.
const HANG: Duration = Duration::from_secs(20);
/// How long the server may take to serve again once the database is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// How long the database stays down: long enough for every client to run a whole round
/// (four requests of about the acquire timeout each) against it.
const OUTAGE: Duration = Duration::from_secs(6);
const WORKERS: u8 = 4;
const PASSWORD: &str = "a long enough password";

/// Runs `program args` as root: directly when we are root, else through `sudo -n`.
fn as_root(program: &str, args: &[&str]) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if root {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", program]);
        sudo
    };
    command.args(args).current_dir("/");
    command
}

/// Runs `command` and fails the test with `what`, the command and its output when it fails.
fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| {
        panic!(
            "{what}: cannot run {command:?}: {e}. The database outage test needs PostgreSQL's \
             cluster tools (pg_createcluster, from postgresql-common, which scripts/setup.sh \
             installs) and root or passwordless sudo."
        )
    });
    assert!(
        output.status.success(),
        "{what}: {command:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The newest PostgreSQL major version installed (`/usr/lib/postgresql/VERSION/bin/postgres`).
fn postgres_version() -> String {
    let versions = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.path().join("bin/postgres").is_file())
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let version = versions.into_iter().max().unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server under /usr/lib/postgresql: the database outage test creates a \
             cluster of its own; run scripts/test.sh, which installs PostgreSQL"
        )
    });
    version.to_string()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A PostgreSQL cluster of this test's own, with a role and a database for the server.
/// Dropping it stops and deletes it, also when the test fails.
struct Cluster {
    version: String,
    name: String,
    port: u16,
    password: String,
}

impl Cluster {
    fn create() -> Cluster {
        let version = postgres_version();
        let name = format!(
            "hafla_outage_{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let port = free_port();
        let password = uuid::Uuid::new_v4().simple().to_string();
        run(
            as_root(
                "pg_createcluster",
                &[
                    &version,
                    &name,
                    "--port",
                    &port.to_string(),
                    "--",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                ],
            ),
            "cannot create a PostgreSQL cluster for the database outage test",
        );
        let cluster = Cluster {
            version,
            name,
            port,
            password,
        };
        cluster.start();
        // The password goes in as a psql variable, quoted by psql.
        cluster.psql(
            &[("password", &cluster.password)],
            "CREATE ROLE hafla_outage LOGIN PASSWORD :'password';
             CREATE DATABASE hafla OWNER hafla_outage;",
        );
        cluster
    }

    /// Runs `sql` (read from stdin, so `:'name'` variables work) as the postgres superuser.
    fn psql(&self, variables: &[(&str, &str)], sql: &str) {
        let port = self.port.to_string();
        let mut args = vec![
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-p",
            &port,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
        ];
        let assignments: Vec<String> = variables.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for assignment in &assignments {
            args.extend(["-v", assignment]);
        }
        let mut command = as_root("runuser", &args);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql as postgres");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "psql on the outage test's cluster failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn ctl(&self, args: &[&str]) {
        let mut all = vec![self.version.as_str(), self.name.as_str()];
        all.extend(args);
        run(as_root("pg_ctlcluster", &all), "pg_ctlcluster");
    }

    fn start(&self) {
        self.ctl(&["start"]);
    }

    /// Stops the server the way an operator or a failover does: active connections are
    /// ended (`admin_shutdown`), then it stops listening.
    fn stop(&self) {
        self.ctl(&["stop", "-m", "fast"]);
    }

    fn url(&self) -> String {
        format!(
            "postgres://hafla_outage:{}@127.0.0.1:{}/hafla?sslmode=disable",
            self.password, self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let dropped = as_root("pg_dropcluster", &[&self.version, &self.name, "--stop"]).output();
        if !dropped.is_ok_and(|o| o.status.success()) {
            eprintln!(
                "could not drop the PostgreSQL cluster {}/{}: remove it with pg_dropcluster --stop",
                self.version, self.name
            );
        }
    }
}

/// One answer, as a client saw it.
#[derive(Clone, Debug)]
struct Answer {
    what: &'static str,
    started: Instant,
    took: Duration,
    status: u16,
    code: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

/// A client whose requests come from `source` (a loopback address of its own, so the
/// per-address sign-in limits never kick in).
fn client(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .timeout(HANG)
        .build()
        .unwrap()
}

async fn call(what: &'static str, request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = match request.header("accept-language", "en").send().await {
        Ok(response) => response,
        Err(e) => panic!(
            "{what}: no answer after {:?} (a hang or a crash): {e}",
            started.elapsed()
        ),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Answer {
        what,
        started,
        took: started.elapsed(),
        status,
        code: body["code"].as_str().map(str::to_owned),
        retry_after,
        body,
    }
}

/// One client's loop until `stop`: sign up a new account, sign in to it, read the account,
/// list the events. `token` is an access token from before the outage, for reading the
/// account when this round's sign-in failed.
async fn traffic(
    url: String,
    worker: u8,
    token: String,
    stop: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<Answer>>>,
) {
    let mut round: u16 = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        // A new source address every round: each round signs up and signs in once.
        let source = Ipv4Addr::new(127, 10 + worker, (round >> 8) as u8, (round & 0xff) as u8);
        let http = client(source);
        let email = format!("w{worker}-r{round}@example.jo");
        let credentials = json!({ "email": email, "password": PASSWORD });
        let mut seen = vec![];
        seen.push(
            call(
                "register",
                http.post(format!("{url}/api/v1/auth/register"))
                    .json(&credentials),
            )
            .await,
        );
        let login = call(
            "login",
            http.post(format!("{url}/api/v1/auth/login"))
                .json(&credentials),
        )
        .await;
        let token = login.body["access_token"]
            .as_str()
            .map_or(token.clone(), str::to_owned);
        seen.push(login);
        seen.push(
            call(
                "me",
                http.get(format!("{url}/api/v1/me")).bearer_auth(&token),
            )
            .await,
        );
        seen.push(call("events", http.get(format!("{url}/api/v1/events"))).await);
        answers.lock().unwrap().extend(seen);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_unavailable(a: &Answer) -> bool {
    a.status == 503 && a.code.as_deref() == Some("database_unavailable")
}

fn summary(answers: &[&Answer]) -> String {
    answers
        .iter()
        .map(|a| format!("{} {} {:?} {:?}", a.what, a.status, a.code, a.took))
        .collect::<Vec<_>>()
        .join("\n")
}

fn percentile(mut took: Vec<Duration>, p: f64) -> Duration {
    took.sort();
    took.get(((took.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_promptly_and_the_server_recovers_by_itself() {
    let cluster = Cluster::create();
    let database_url = cluster.url();
    let acquire_timeout = ACQUIRE_TIMEOUT_SECS.to_string();
    let mut server = ServerProcess::start(
        &[
            "--db-max-connections",
            "4",
            "--db-statement-timeout-secs",
            "2",
            "--db-acquire-timeout-secs",
            &acquire_timeout,
        ],
        &[
            ("HAFLA_DATABASE_URL", &database_url),
            ("HAFLA_LOG_FORMAT", "json"),
        ],
    );
    let url = server.url.clone();
    let http = client(Ipv4Addr::new(127, 9, 0, 1));

    // Written before the outage: an account with an organization.
    let registered = call(
        "register",
        http.post(format!("{url}/api/v1/auth/register"))
            .json(&json!({ "email": "before@example.jo", "password": PASSWORD })),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let before_token = registered.body["access_token"].as_str().unwrap().to_owned();
    let org = call(
        "create org",
        http.post(format!("{url}/api/v1/orgs"))
            .bearer_auth(&before_token)
            .json(&json!({ "name": { "ar": "قبل الانقطاع", "en": "Before the outage" } })),
    )
    .await;
    assert_eq!(org.status, 201, "{}", org.body);
    let ready = call("readyz", http.get(format!("{url}/readyz"))).await;
    assert_eq!(ready.status, 200, "{}", ready.body);

    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            tokio::spawn(traffic(
                url.clone(),
                worker,
                before_token.clone(),
                stop.clone(),
                answers.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let served_before = answers.lock().unwrap().len();
    assert!(served_before > 0, "traffic flows before the outage");

    // The database goes away mid-traffic.
    let stopping = Instant::now();
    tokio::task::block_in_place(|| cluster.stop());
    let down = Instant::now();
    eprintln!("database stopped in {:?}", down - stopping);

    // While it is down: not ready, still alive.
    let mut probes = vec![];
    while down.elapsed() < OUTAGE {
        probes.push(call("readyz", http.get(format!("{url}/readyz"))).await);
        let health = call("healthz", http.get(format!("{url}/healthz"))).await;
        assert_eq!(health.status, 200, "/healthz stays 200 during the outage");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for probe in &probes {
        assert!(is_unavailable(probe), "/readyz while down: {probe:?}");
        assert!(probe.retry_after.is_some(), "{probe:?}");
        assert!(probe.took < OUTAGE_ANSWER_BOUND, "{probe:?}");
    }

    // The database comes back; the same server process serves again by itself.
    let restarting = Instant::now();
    tokio::task::block_in_place(|| cluster.start());
    let up = Instant::now();
    eprintln!("database started in {:?}", up - restarting);
    let ready_again = loop {
        let probe = call("readyz", http.get(format!("{url}/readyz"))).await;
        if probe.status == 200 {
            break up.elapsed();
        }
        assert!(
            is_unavailable(&probe),
            "/readyz while recovering: {probe:?}"
        );
        assert!(
            up.elapsed() < RECOVERY_BOUND,
            "/readyz not ready {RECOVERY_BOUND:?} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Let every client run whole rounds against the recovered database.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("a client task failed");
    }
    assert!(server.is_running(), "the server process is still running");

    let answers = answers.lock().unwrap().clone();
    // Never a 500 (or anything else unexpected), at any time.
    let unexpected: Vec<&Answer> = answers
        .iter()
        .filter(|a| {
            let ok = matches!(a.status, 200 | 201);
            // A sign-in to an account whose sign-up the outage stopped.
            let no_account = a.what == "login" && a.code.as_deref() == Some("invalid_credentials");
            !(ok || is_unavailable(a) || no_account)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected answers:\n{}",
        summary(&unexpected)
    );
    for a in answers.iter().filter(|a| is_unavailable(a)) {
        assert!(a.retry_after.is_some(), "503 without Retry-After: {a:?}");
        assert!(a.body["message"].is_string(), "{a:?}");
    }
    // Requests sent while the database was down all failed as unavailable, promptly.
    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.started > down && a.started + a.took < restarting)
        .collect();
    for what in ["register", "login", "me", "events"] {
        assert!(
            during.iter().any(|a| a.what == what),
            "no {what} request ran during the outage:\n{}",
            summary(&during)
        );
    }
    let wrong: Vec<&Answer> = during
        .iter()
        .copied()
        .filter(|a| !is_unavailable(a) || a.took > OUTAGE_ANSWER_BOUND)
        .collect();
    assert!(
        wrong.is_empty(),
        "during the outage every request answers 503 database_unavailable within \
         {OUTAGE_ANSWER_BOUND:?}:\n{}",
        summary(&wrong)
    );
    // After it: every kind of request succeeds again.
    let first_success_after = answers
        .iter()
        .filter(|a| a.started > up && matches!(a.status, 200 | 201))
        .map(|a| a.started + a.took - up)
        .min()
        .expect("requests succeed after the database is back");
    assert!(first_success_after < RECOVERY_BOUND);
    for what in ["register", "login", "me", "events"] {
        let last = answers
            .iter()
            .filter(|a| a.what == what)
            .max_by_key(|a| a.started)
            .unwrap();
        assert!(
            matches!(last.status, 200 | 201),
            "{what} after recovery: {last:?}"
        );
    }

    // The PostgreSQL store timed its work as the SQLite one does.
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for kind in ["read", "write"] {
        assert!(
            metrics.contains(&format!("db_query_seconds_count{{kind=\"{kind}\"}}")),
            "{metrics}"
        );
    }

    // Nothing written before the outage was lost.
    let http = client(Ipv4Addr::new(127, 9, 0, 2));
    let login = call(
        "login",
        http.post(format!("{url}/api/v1/auth/login"))
            .json(&json!({ "email": "before@example.jo", "password": PASSWORD })),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let me = call(
        "me",
        http.get(format!("{url}/api/v1/me"))
            .bearer_auth(login.body["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["email"], "before@example.jo");
    assert_eq!(
        me.body["organizations"][0]["name"]["en"], "Before the outage",
        "{}",
        me.body
    );
    let early = answers
        .iter()
        .filter(|a| a.what == "register" && a.status == 201 && a.started + a.took < stopping)
        .count();
    assert!(early > 0, "accounts were signed up before the outage");

    let mut by_answer = std::collections::BTreeMap::new();
    for a in &answers {
        *by_answer
            .entry(format!("{} {}", a.status, a.code.as_deref().unwrap_or("-")))
            .or_insert(0) += 1;
    }
    eprintln!("answers: {by_answer:?}");
    let unavailable: Vec<Duration> = during.iter().map(|a| a.took).collect();
    eprintln!(
        "{} requests ({} before the outage began), {} during it: 503 in median {:?}, p95 {:?}, \
         max {:?}; /readyz 200 again {:?} after the database was back, first success {:?} after",
        answers.len(),
        served_before,
        during.len(),
        percentile(unavailable.clone(), 0.5),
        percentile(unavailable.clone(), 0.95),
        unavailable.iter().max().copied().unwrap_or_default(),
        ready_again,
        first_success_after,
    );

    let log = server.stop_and_read_log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        !log.contains(&cluster.password),
        "the database password reached the logs"
    );
}
