//! `shortcode-router check-config FILE`: a good config passes; a config with one keyword on
//! two routes of a short code is refused with both routes named.

use std::process::Command;

const GOOD: &str = r#"
[store]
path = "router.db"

[carriers.sim]
host = "127.0.0.1"
system_id = "router"
password = "secret"

[handlers.app]
url = "http://127.0.0.1:8080/sms"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[short_codes]]
code = "12345"

[[programs]]
name = "coffee"
short_code = "12345"
support = "help@coffee.example"

[[routes]]
name = "join"
program = "coffee"
keyword = "JOIN"
handler = "app"
"#;

const DUPLICATE: &str = r#"
[[routes]]
name = "signup"
program = "coffee"
keyword = "SIGNUP"
aliases = ["join"]
handler = "app"
"#;

fn check(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.toml");
    std::fs::write(&path, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_shortcode-router"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn check_config_accepts_a_good_file() {
    let out = check(GOOD);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("OK") && stdout.contains("1 route(s)"),
        "{stdout}"
    );
}

#[test]
fn check_config_names_both_routes_of_a_duplicate_keyword() {
    let out = check(&format!("{GOOD}{DUPLICATE}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("route join") && stderr.contains("route signup") && stderr.contains("JOIN"),
        "{stderr}"
    );
}

#[test]
fn check_config_reports_unreadable_files() {
    let out = Command::new(env!("CARGO_BIN_EXE_shortcode-router"))
        .args(["check-config", "/nonexistent/router.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn check_config_accepts_the_service_sections_and_refuses_bad_ones() {
    let api = "\n[api]\nlisten = \"127.0.0.1:8080\"\n\n[mt]\n";
    let out = check(&format!("{GOOD}{api}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = check(&format!("{GOOD}\n[api]\nlisten = 42\n"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[api]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
