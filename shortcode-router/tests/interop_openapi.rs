//! The API against a third-party OpenAPI fuzzer: schemathesis (PyPI, pinned in
//! `interop/openapi/requirements.txt`) reads `/openapi.json`, sends the service thousands of
//! requests made from it (valid, invalid, and sequences that follow the API's links), and
//! checks every answer: no 5xx, the status codes, content types and JSON bodies the document
//! declares, and requests that break the document refused. So the document and the server
//! agree, and bad input gets a 4xx.
//!
//! `#[ignore]`d like the other interop tests: `.ci/run` installs the fuzzer
//! (`interop/setup.sh`) and runs `cargo test -- --ignored interop`.

mod api_support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use api_support::{ADMIN, Harness, wait_readyz};

fn schemathesis() -> PathBuf {
    let dir = std::env::var_os("SMPP_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop"));
    let bin = dir.join("openapi/.venv/bin/schemathesis");
    assert!(
        bin.is_file(),
        "schemathesis is not installed at {}: run interop/setup.sh",
        bin.display()
    );
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_schemathesis_finds_no_failure() {
    let bin = schemathesis();
    // Generated status callbacks name any host: only loopback ones are taken, so the service
    // never calls out of the machine.
    let h = Harness::start_with(
        smsc_client::sim::SimConfig::default(),
        r#"allowed_hosts = ["127.0.0.1", "[::1]"]"#,
    )
    .await;
    let reports = tempfile::tempdir().unwrap();
    let child = tokio::process::Command::new(bin)
        .arg("run")
        .arg(h.url("/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {ADMIN}")])
        // Every check but "a request the document allows is accepted": the document cannot
        // know which short codes and programs a configuration has, so a well-formed but
        // unconfigured one is rightly refused.
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args([
            "--max-examples",
            "60",
            "--seed",
            "20261203",
            "--workers",
            "1",
        ])
        .args(["--request-timeout", "10", "--max-time", "90"])
        .arg("--no-color")
        .current_dir(reports.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start schemathesis");
    let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("schemathesis ran over 300 s")
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{text}");
    // It really exercised the API: every operation it selected (all of the document's but
    // `/openapi.json` itself) was tested, and thousands of cases ran.
    let figure = |label: &str| -> usize {
        let at = text
            .find(label)
            .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
        text[at + label.len()..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number after {label:?} in:\n{text}"))
    };
    let routes = shortcode_router::api::ROUTES.len();
    assert!(figure("Selected:") >= routes - 1, "{text}");
    assert_eq!(figure("Tested:"), figure("Selected:"), "{text}");
    assert!(figure("Test cases:") >= 1000, "{text}");
    // After all that, the service is still up and bound.
    let ready = wait_readyz(&h.http, &h.base, |v| v["ready"] == true).await;
    assert_eq!(ready["binds_up"]["sim"], 1, "{ready}");
    assert!(h.shutdown().await, "the service did not stop cleanly");
}
