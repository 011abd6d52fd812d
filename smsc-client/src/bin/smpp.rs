//! The `smpp` command-line tool; its logic lives in [`smsc_client::cli`].

use clap::Parser as _;
use smsc_client::cli::{Cli, run};

fn main() -> std::process::ExitCode {
    run(Cli::parse())
}
