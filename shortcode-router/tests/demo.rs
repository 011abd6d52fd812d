//! `shortcode-router demo` (the README's first command) runs, prints every step, and exits 0.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn demo_runs_and_every_step_behaves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shortcode-router"))
        .arg("demo")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the demo did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for needle in [
        "1. 447700900123 texts JOIN",
        "2. 447700900123 replies MENU",
        "3. 447700900123 texts HELP",
        "4. 447700900123 texts STOP",
        "recipient_opted_out",
        "UCS-2",
        "delivered   message (stat DELIVRD)",
        "the signed status callback said delivered",
        "/v1/messages?to=",
        "/metrics",
        "demo: all steps behaved as expected",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("[FAIL]"), "{stdout}");
    assert!(stdout.matches("[ok  ]").count() >= 15, "{stdout}");
}
