//! The `hafla-server` binary as a user runs it: wrong input gets one clear line, not a panic.

use std::process::{Command, Output};

fn hafla_server(args: &[&str]) -> Output {
    hafla_server_with(args, &[])
}

/// `hafla-server` with these environment variables set (and no others of its own).
fn hafla_server_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hafla-server"))
        .args(args)
        .env_remove("HAFLA_ADDR")
        .env_remove("HAFLA_DATA_DIR")
        .env_remove("HAFLA_CONFIG")
        .env_remove("HAFLA_ADMIN_PASSWORD")
        .env_remove("HAFLA_DEMO_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .expect("run hafla-server")
}

const DEMO_EMAILS: [&str; 4] = [
    "admin@demo.hafla.jo",
    "organizer@demo.hafla.jo",
    "door@demo.hafla.jo",
    "layla@demo.hafla.jo",
];

fn one_line_error(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "must fail: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn an_unknown_flag_is_named_in_one_line_with_exit_code_2() {
    let output = hafla_server(&["serve", "--colour", "purple"]);
    let stderr = one_line_error(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("--colour") && stderr.contains("--help"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_address_is_named_in_one_line() {
    let output = hafla_server(&["serve", "--addr", "localhost:eighty"]);
    let stderr = one_line_error(&output);
    assert!(stderr.contains("localhost:eighty"), "{stderr}");
}

#[test]
fn an_unusable_data_dir_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let data_dir = file.join("data");
    let output = hafla_server(&["serve", "--data-dir", data_dir.to_str().unwrap()]);
    let stderr = one_line_error(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("cannot create the data directory") && stderr.contains("a-file"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_named_in_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = hafla_server(&[
        "serve",
        "--addr",
        &addr,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    let stderr = one_line_error(&output);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn demo_seeding_is_safe_to_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let first = hafla_server(&["demo", "--data-dir", data_dir]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("seeded"));
    let again = hafla_server(&["demo", "--data-dir", data_dir]);
    assert!(again.status.success());
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.contains("skipped"), "{again}");
    assert!(!again.contains("demo accounts"), "{again}");
}

#[test]
fn demo_seeding_lists_the_demo_accounts_and_their_default_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = hafla_server(&[
        "demo",
        "--generated",
        "0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for email in DEMO_EMAILS {
        assert!(stdout.contains(email), "{email}: {stdout}");
    }
    assert!(
        stdout.contains("the password is hafla-demo-2026"),
        "{stdout}"
    );
}

#[test]
fn a_demo_password_from_the_environment_is_used_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let chosen = "a-private-demo-passphrase";
    let output = hafla_server_with(
        &[
            "demo",
            "--generated",
            "0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[("HAFLA_DEMO_PASSWORD", chosen)],
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("the password is in HAFLA_DEMO_PASSWORD"),
        "{stdout}"
    );
    assert!(!stdout.contains(chosen), "{stdout}");
    assert!(!stdout.contains("hafla-demo-2026"), "{stdout}");
    for email in DEMO_EMAILS {
        assert!(stdout.contains(email), "{email}: {stdout}");
    }
}

#[test]
fn a_weak_demo_password_from_the_environment_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = hafla_server_with(
        &[
            "demo",
            "--generated",
            "0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[("HAFLA_DEMO_PASSWORD", "short")],
    );
    let stderr = one_line_error(&output);
    assert!(stderr.contains("too weak"), "{stderr}");
}

#[test]
fn a_config_file_supplies_settings_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file");
    let config = dir.path().join("hafla.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", from_file.to_str().unwrap()),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let output = hafla_server(&["--config", config, "migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(from_file.join("hafla.db").is_file());
    let from_flag = dir.path().join("from-flag");
    let output = hafla_server(&[
        "--config",
        config,
        "migrate",
        "--data-dir",
        from_flag.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert!(
        from_flag.join("hafla.db").is_file(),
        "the flag wins over the file"
    );
}

#[test]
fn a_config_file_with_an_unknown_key_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hafla.toml");
    std::fs::write(&config, "adress = \"0.0.0.0:80\"\n").unwrap();
    let output = hafla_server(&["--config", config.to_str().unwrap(), "migrate"]);
    let stderr = one_line_error(&output);
    assert!(
        stderr.contains("adress") && stderr.contains("hafla.toml"),
        "{stderr}"
    );
}

#[test]
fn admin_create_makes_a_new_admin_or_promotes_an_existing_account() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let without_password = hafla_server(&[
        "admin",
        "create",
        "--email",
        "root@hafla.jo",
        "--data-dir",
        data_dir,
    ]);
    let stderr = one_line_error(&without_password);
    assert!(stderr.contains("HAFLA_ADMIN_PASSWORD"), "{stderr}");
    let created = Command::new(env!("CARGO_BIN_EXE_hafla-server"))
        .args([
            "admin",
            "create",
            "--email",
            "root@hafla.jo",
            "--data-dir",
            data_dir,
        ])
        .env("HAFLA_ADMIN_PASSWORD", "a very long admin passphrase")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        String::from_utf8_lossy(&created.stdout).contains("created platform admin root@hafla.jo")
    );
    let again = hafla_server(&[
        "admin",
        "create",
        "--email",
        "ROOT@hafla.jo",
        "--data-dir",
        data_dir,
    ]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("is now a platform admin"));
}

#[test]
fn a_sqlite_database_url_names_the_file_and_an_unknown_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere/custom.db");
    let url = format!("sqlite://{}", file.display());
    let output = hafla_server(&["demo", "--database-url", &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(file.is_file());
    let output = hafla_server(&["migrate", "--database-url", "mysql://root:secret@db/hafla"]);
    let stderr = one_line_error(&output);
    assert!(
        stderr.contains("unsupported database URL") && !stderr.contains("secret"),
        "{stderr}"
    );
}

#[test]
fn the_server_runs_on_postgresql_when_the_url_says_so() {
    let Ok(admin_url) = std::env::var("HAFLA_TEST_DATABASE_URL") else {
        panic!("HAFLA_TEST_DATABASE_URL is not set: run scripts/test.sh, which starts PostgreSQL");
    };
    let db = format!("hafla_cli_{}", uuid::Uuid::now_v7().simple());
    let psql = |sql: &str| {
        let status = Command::new("psql")
            .args([admin_url.as_str(), "-qc", sql])
            .status()
            .expect("psql");
        assert!(status.success(), "{sql}");
    };
    psql(&format!("CREATE DATABASE {db}"));
    let url = admin_url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{db}"))
        .unwrap();
    let demo = hafla_server(&["demo", "--database-url", &url]);
    let stdout = String::from_utf8_lossy(&demo.stdout).into_owned();
    psql(&format!("DROP DATABASE {db} WITH (FORCE)"));
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    assert!(stdout.contains("seeded 221 demo events"), "{stdout}");
    assert!(
        !stdout.contains(":hafla@"),
        "the password is not printed: {stdout}"
    );
}

#[test]
fn serving_on_a_database_that_does_not_answer_stops_with_one_line_instead_of_waiting() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://hafla:s3cret-pw@127.0.0.1:{port}/hafla");
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hafla-server"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(["--database-url", &url, "--db-acquire-timeout-secs", "1"])
        .env_remove("HAFLA_CONFIG")
        .env_remove("HAFLA_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("hafla-server still waits for the database after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let took = started.elapsed();
    let output = child.wait_with_output().unwrap();
    let stderr = one_line_error(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains(&format!(
            "cannot open the database postgres://127.0.0.1:{port}/hafla"
        )) && stderr.contains("no connection within 1 s"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).is_empty(),
        "it never said it was listening"
    );
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}
