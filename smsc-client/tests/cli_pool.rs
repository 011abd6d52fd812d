//! `smpp send --carrier-config FILE` end to end: the binary drives a bind pool from a TOML
//! file against the in-process simulator (two carriers, routed by destination), waits for the
//! receipts, and prints the JSON summary; a bad file is refused with the carrier and field.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use smsc_client::sim::{SimConfig, Simulator};

fn tmp_file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs `smpp <args>` off the runtime; returns stdout, stderr and the exit code.
async fn smpp(args: Vec<String>) -> (String, String, i32) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smpp"))
            .args(&args)
            .output()
            .expect("run smpp")
    });
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("smpp took too long")
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().expect("exit code"),
    )
}

fn send_args(config: &Path, to: &str, count: u32) -> Vec<String> {
    [
        "send",
        "--carrier-config",
        config.to_str().unwrap(),
        "--from",
        "ACME",
        "--to",
        to,
        "--text",
        &"long text ".repeat(20),
        "--count",
        &count.to_string(),
        "--wait-receipts",
        "20",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_drives_a_pool_from_a_toml_file() {
    let uk = Simulator::start(
        SimConfig::default()
            .account("agg", "secret")
            .receipt_delay(Duration::from_millis(5)),
    )
    .await
    .unwrap();
    let fr = Simulator::start(
        SimConfig::default()
            .account("agg", "secret")
            .receipt_delay(Duration::from_millis(5)),
    )
    .await
    .unwrap();
    let toml = format!(
        r#"
        [[carrier]]
        name = "uk"
        hosts = ["{uk}"]
        system_id = "agg"
        password = "secret"
        binds = {{ transmitters = 2, receivers = 1 }}
        window = 16
        tps = 500

        [[carrier]]
        name = "fr"
        hosts = ["{fr}"]
        system_id = "agg"
        password = "secret"
        binds = {{ transceivers = 2 }}

        [routing]
        fallback = "uk"
        routes = {{ "33" = "fr" }}
        "#,
        uk = uk.local_addr(),
        fr = fr.local_addr(),
    );
    let config = tmp_file("pool-cli.toml", &toml);

    let (out, err, code) = smpp(send_args(&config, "+33612345678", 15)).await;
    assert_eq!(code, 0, "stdout {out} stderr {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    // 200 characters: two parts each.
    assert_eq!(v["sent"], 30, "{v}");
    assert_eq!(v["accepted"], 30, "{v}");
    assert_eq!(v["receipts"]["DELIVRD"], 30, "{v}");
    assert_eq!(fr.counters().accepted, 30);
    assert_eq!(uk.counters().accepted, 0);

    let (out, err, code) = smpp(send_args(&config, "447700900123", 5)).await;
    assert_eq!(code, 0, "stdout {out} stderr {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["accepted"], 10, "{v}");
    assert_eq!(v["receipts"]["DELIVRD"], 10, "{v}");
    assert_eq!(uk.counters().accepted, 10);

    uk.shutdown().await;
    fr.shutdown().await;
}

#[tokio::test]
async fn a_bad_carrier_file_is_refused_with_the_field() {
    let config = tmp_file(
        "pool-cli-bad.toml",
        r#"
        [[carrier]]
        name = "uk"
        hosts = ["127.0.0.1:1"]
        system_id = "agg"
        "#,
    );
    let (out, err, code) = smpp(send_args(&config, "447700900123", 1)).await;
    assert_eq!(code, 1, "stdout {out}");
    assert!(err.contains("carrier `uk`: password"), "{err}");

    let unknown = tmp_file("pool-cli-unknown.toml", "[[carrier]]\nnmae = \"uk\"\n");
    let (_, err, code) = smpp(send_args(&unknown, "447700900123", 1)).await;
    assert_eq!(code, 1);
    assert!(err.contains("nmae"), "{err}");

    // Without --carrier-config the single-bind arguments are required.
    let (_, err, code) = smpp(
        ["send", "--from", "A", "--to", "1", "--text", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--addr"), "{err}");
}
