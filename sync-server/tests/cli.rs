//! The `hafla-server` binary as a user runs it: wrong input gets one clear line, not a panic.

use std::process::{Command, Output};

fn hafla_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hafla-server"))
        .args(args)
        .env_remove("HAFLA_ADDR")
        .env_remove("HAFLA_DATA_DIR")
        .output()
        .expect("run hafla-server")
}

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
    assert!(String::from_utf8_lossy(&again.stdout).contains("skipped"));
}
