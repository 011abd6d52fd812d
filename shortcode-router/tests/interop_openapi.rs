//! The API against a third-party OpenAPI fuzzer: schemathesis (PyPI, pinned in
//! `interop/openapi/requirements.txt`) reads `/openapi.json`, sends the service thousands of
//! requests made from it (valid, invalid, and sequences that follow the API's links), and
//! checks every answer: no 5xx, the status codes, content types and JSON bodies the document
//! declares, and requests that break the document refused. So the document and the server
//! agree, and bad input gets a 4xx. A second, shorter run covers the Twilio-compatible
//! operations with HTTP Basic on the key's own account, and the Jasmin-compatible `/send` with
//! the key's credentials as its arguments.
//!
//! `#[ignore]`d like the other interop tests: `.ci/run` installs the fuzzer
//! (`interop/setup.sh`) and runs `cargo test -- --ignored interop`.

mod api_support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use api_support::{ADMIN, Harness, interop_tool, wait_readyz};

fn schemathesis() -> PathBuf {
    interop_tool("openapi/.venv/bin/schemathesis")
}

/// Runs schemathesis on the service's document with `args` (auth, selection, budget) from
/// `dir` (where it reads a `schemathesis.toml`, if any); checks it passed, tested every
/// operation it selected (at least `operations`) with at least `cases` cases; returns its
/// output.
async fn schemathesis_run(
    h: &Harness,
    dir: &std::path::Path,
    args: &[&str],
    operations: usize,
    cases: usize,
) -> String {
    let child = tokio::process::Command::new(schemathesis())
        .arg("run")
        .arg(h.url("/openapi.json"))
        .args(args)
        // Every check but "a request the document allows is accepted": the document cannot
        // know which short codes and programs a configuration has, so a well-formed but
        // unconfigured one is rightly refused.
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        // The run supplies the credentials (`args`), so the fuzzer must not generate or drop
        // the `Authorization` header itself: a case it counts as "header removed" goes out with
        // the header put back, is rightly accepted, and would be reported as invalid data
        // accepted. Authentication is still checked: the `ignored_auth` check replays requests
        // without and with wrong credentials.
        .args(["--generation-with-security-parameters", "false"])
        .args([
            "--seed",
            "20261203",
            "--workers",
            "1",
            "--request-timeout",
            "10",
        ])
        .arg("--no-color")
        .current_dir(dir)
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
    assert!(figure("Selected:") >= operations, "{text}");
    assert_eq!(figure("Tested:"), figure("Selected:"), "{text}");
    assert!(figure("Test cases:") >= cases, "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_schemathesis_finds_no_failure() {
    // Generated status callbacks name any host: only loopback ones are taken, so the service
    // never calls out of the machine.
    let h = Harness::start_with(
        smsc_client::sim::SimConfig::default(),
        r#"allowed_hosts = ["127.0.0.1", "[::1]"]"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // The whole document with a bearer key: every operation (all but `/openapi.json` itself),
    // thousands of cases. The Twilio-compatible ones only meet 401 here.
    let bearer = format!("Authorization: Bearer {ADMIN}");
    let routes = shortcode_router::api::ROUTES.len();
    schemathesis_run(
        &h,
        dir.path(),
        &[
            "--header",
            &bearer,
            "--max-examples",
            "60",
            "--max-time",
            "75",
        ],
        routes - 1,
        1000,
    )
    .await;
    // The Twilio-compatible operations with HTTP Basic, on the key's own account, and the
    // Jasmin-compatible `/send` with the key's name and token as `username` and `password`:
    // past authentication, into what each does with a message.
    std::fs::write(
        dir.path().join("schemathesis.toml"),
        format!(
            "[parameters]\n\"path.account\" = \"admin\"\n\
             \"query.username\" = \"admin\"\n\"query.password\" = \"{ADMIN}\"\n\
             \"query.from\" = \"12345\"\n"
        ),
    )
    .unwrap();
    let basic = format!("admin:{ADMIN}");
    schemathesis_run(
        &h,
        dir.path(),
        &[
            "--auth",
            &basic,
            "--include-path-regex",
            "^/2010-04-01/|^/send$",
            "--max-examples",
            "30",
            "--max-time",
            "30",
        ],
        5,
        500,
    )
    .await;
    // After all that, the service is still up and bound.
    let ready = wait_readyz(&h.http, &h.base, |v| v["ready"] == true).await;
    assert_eq!(ready["binds_up"]["sim"], 1, "{ready}");
    assert!(h.shutdown().await, "the service did not stop cleanly");
}
