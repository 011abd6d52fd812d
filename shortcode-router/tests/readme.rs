//! The README's TOML examples stay true: each router config passes `shortcode-router
//! check-config` as written and with its commented-out options switched on, and the bind-pool
//! example parses as a `PoolConfig`.

use std::process::Command;

use smsc_client::pool::PoolConfig;

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    std::fs::read_to_string(path).unwrap()
}

/// The README's ```toml blocks.
fn toml_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The block with its `# key = value` lines (options shown commented out) made live.
fn uncommented(block: &str) -> String {
    block
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The environment variables a block names (`*_env = "NAME"`).
fn env_names(block: &str) -> Vec<String> {
    block
        .lines()
        .filter_map(|l| {
            let (key, value) = l.split_once(" = ")?;
            if !key.trim().ends_with("_env") {
                return None;
            }
            Some(value.split('"').nth(1)?.to_owned())
        })
        .collect()
}

fn check_config(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shortcode-router"));
    cmd.arg("check-config").arg(&path);
    for name in env_names(text) {
        // SMPP passwords are at most 8 characters; webhook secrets are whsec_<base64>.
        let value = if name.contains("PASSWORD") {
            "secret"
        } else {
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        };
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

#[test]
fn the_readme_router_configs_pass_check_config() {
    let blocks: Vec<String> = toml_blocks(&readme())
        .into_iter()
        .filter(|b| b.contains("[store]"))
        .collect();
    assert!(blocks.len() >= 2, "the README lost its router configs");
    for block in &blocks {
        let live = uncommented(block);
        for text in [block.as_str(), live.as_str()] {
            let out = check_config(text);
            assert!(
                out.status.success(),
                "{text}\n---\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // The commented options were there to switch on.
    assert!(blocks.iter().any(|b| uncommented(b) != *b));
}

#[test]
fn the_readme_pool_config_parses() {
    let blocks: Vec<String> = toml_blocks(&readme())
        .into_iter()
        .filter(|b| b.contains("[[carrier]]"))
        .collect();
    assert_eq!(blocks.len(), 1, "the README's bind-pool example");
    let text = blocks[0].replace(
        "password_env = \"ACME_SMPP_PASSWORD\"",
        "password = \"secret\"",
    );
    let pool = PoolConfig::from_toml_str(&text).unwrap();
    assert_eq!(pool.carriers[0].binds.total(), 3);
    assert_eq!(pool.carriers[0].hosts.len(), 2);
}
