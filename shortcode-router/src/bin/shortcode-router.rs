//! `shortcode-router`: the router's command line. `check-config FILE` validates a config
//! without starting anything (`run` and `demo` come with the service binary).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc malloc: the service allocates per message (ids, JSON, HTTP
/// requests, SQLite statements), and glibc's malloc/free was a quarter of its CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "shortcode-router", version, about = "Short-code MO router")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format (`run`, `demo`): text or json.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: shortcode_router::app::LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a config file (TOML) without starting: parse, names, keywords, secrets.
    CheckConfig {
        /// The config file.
        file: PathBuf,
    },
    /// Run the service: binds, router, HTTP API, store. SIGTERM or Ctrl-C stops it gracefully.
    Run {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
        /// How long the graceful shutdown may take, seconds.
        #[arg(long, default_value_t = 30)]
        shutdown_deadline: u64,
    },
    /// Play a short campaign against the built-in SMSC simulator; no setup needed.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            config,
            shutdown_deadline,
        } => {
            shortcode_router::app::init_logging(cli.log_format);
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let deadline = std::time::Duration::from_secs(shutdown_deadline);
            match rt.block_on(shortcode_router::app::run(&config, deadline)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("shortcode-router: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Demo => {
            if std::env::var_os("RUST_LOG").is_some() {
                shortcode_router::app::init_logging(cli.log_format);
            }
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let mut out = std::io::stdout();
            match rt.block_on(shortcode_router::demo::run(&mut out)) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("demo failed: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        // The same reading as `run`: the router's sections plus `[api]` and `[mt]`.
        Command::CheckConfig { file } => match shortcode_router::app::load_config(&file) {
            Ok((c, _)) => {
                println!(
                    "{}: OK ({} short code(s), {} program(s), {} route(s), {} handler(s))",
                    file.display(),
                    c.short_codes.len(),
                    c.programs.len(),
                    c.routes.len(),
                    c.handlers.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e:#}", file.display());
                ExitCode::FAILURE
            }
        },
    }
}
