//! The `smpp` command-line tool: its arguments and subcommands (the binary only calls [`run`]).
//!
//! Exit status: 0 when every PDU or line was handled, 1 when some failed (each failure is
//! reported, and the tool goes on with the next), 2 when the input could not be read or the
//! arguments were wrong.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use smpp_codec::DecodeOptions;
use smpp_codec::coding::DefaultAlphabet;

pub mod decode;
pub mod encode;
pub mod inspect;
pub mod json;
pub mod send;
pub mod sim;

const EXIT_STATUS: &str = "\
Exit status: 0 if every PDU/line was handled, 1 if any failed (each failure is reported and
the tool goes on with the next), 2 if the input could not be read or the arguments are wrong.";

const DECODE_HELP: &str = "\
Output: one JSON object per PDU per line: command_id (name), command_status (number),
command_status_name (name or null), sequence_number, fields (the spec's mandatory fields in
wire order, length and count fields included; C-strings as strings, or as hex under
<name>_hex when not UTF-8; octet strings as hex under <name>_hex; dest_address and
unsuccess_sme as arrays of objects) and tlvs ([{tag, name or null, value_hex}]).
body_included appears only for a response whose body presence breaks the usual rule.
A PDU that does not decode gives {error, command_status (the status to answer with),
command_status_name, sequence_number (or null)}.

Exit status: 0 if every PDU/line decoded, 1 if any did not (each failure is reported and
the tool goes on with the next), 2 if the input could not be read or the arguments are wrong.";

const ENCODE_HELP: &str = "\
Input: the objects `smpp decode` prints. command_id is a name or a number; command_status a
number or a name (default 0); sequence_number defaults to 1; absent fields take 0 or empty;
C-strings as text or as hex under <name>_hex; short_message as text or short_message_hex;
tlvs as [{tag or name, value_hex}]. Unknown keys are errors. Output: one lowercase hex line
per PDU (--raw: the octets).

Exit status: 0 if every line encoded, 1 if any did not (each failure is reported on stderr
with its line number and the tool goes on with the next), 2 if the input could not be read
or the arguments are wrong.";

const SEND_HELP: &str = "\
Output: sent, accepted, failed by status, receipts by state, msgs/s and submit latency p50/p99;
with --json exactly one object {sent, accepted, failed: {status: n}, receipts: {state: n},
msgs_per_s, latency_ms: {p50, p99}}.

With --carrier-config FILE the messages go through a bind pool (TOML: carriers, hosts, binds,
TPS limits, routes); the counts are of submit_sm parts over every carrier.

Exit status: 0 if every submit was accepted (and every receipt arrived, when waited for), 1
otherwise (including a failed bind), 2 if the arguments are wrong.";

const SIM_HELP: &str = "\
Output: `listening on <addr>` on standard output first; a line per bind and a summary every
--summary-secs on standard error. Runs until Ctrl-C.";

/// SMPP tools.
#[derive(Debug, Parser)]
#[command(name = "smpp", version, about = "SMPP tools: decode and encode PDUs, send messages, run an SMSC simulator", after_help = EXIT_STATUS)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode PDUs (hex, one per line; or a raw binary stream) into JSON lines.
    #[command(after_help = DECODE_HELP)]
    Decode(DecodeArgs),
    /// Encode JSON lines (as printed by `decode`) into PDUs, one hex line each.
    #[command(after_help = ENCODE_HELP)]
    Encode(EncodeArgs),
    /// Bind to an SMSC and submit a text, optionally waiting for the receipts.
    #[command(after_help = SEND_HELP)]
    Send(send::SendArgs),
    /// Run an SMSC simulator until Ctrl-C.
    #[command(after_help = SIM_HELP)]
    Sim(sim::SimArgs),
}

/// Arguments of `smpp decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Enforce the spec's limits (C-string maxima and NULs, time lengths, TLV lengths, no
    /// stray octets) instead of decoding what can be decoded.
    #[arg(long)]
    pub strict: bool,
    /// Read a binary stream of concatenated PDUs (framed by command_length) instead of hex lines.
    #[arg(long)]
    pub raw: bool,
    /// What `data_coding` 0 means on the bind the capture comes from, for the `text` shown
    /// beside the fields: gsm (GSM 03.38, one septet per octet), gsm-packed, latin1 or ascii.
    #[arg(long, default_value = "gsm", value_parser = parse_alphabet)]
    pub default_alphabet: DefaultAlphabet,
    /// Input file (standard input when absent or `-`).
    pub file: Option<PathBuf>,
}

fn parse_alphabet(s: &str) -> Result<DefaultAlphabet, String> {
    match s {
        "gsm" | "gsm7" => Ok(DefaultAlphabet::GsmUnpacked),
        "gsm-packed" | "gsm7-packed" => Ok(DefaultAlphabet::GsmPacked),
        "latin1" => Ok(DefaultAlphabet::Latin1),
        "ascii" => Ok(DefaultAlphabet::Ascii),
        other => Err(format!(
            "unknown alphabet `{other}`: use gsm, gsm-packed, latin1 or ascii"
        )),
    }
}

/// Arguments of `smpp encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Write the PDUs as concatenated binary octets instead of hex lines.
    #[arg(long)]
    pub raw: bool,
    /// Input file of JSON lines (standard input when absent or `-`).
    pub file: Option<PathBuf>,
}

/// How many PDUs or lines were handled and how many failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Handled.
    pub ok: usize,
    /// Failed (each reported).
    pub failed: usize,
}

impl Summary {
    /// Counts one outcome; a failure is reported on `diag` as `<where>: <message>`.
    pub fn record(
        &mut self,
        error: Option<String>,
        diag: &mut dyn Write,
        at: impl FnOnce() -> String,
    ) -> io::Result<()> {
        match error {
            None => self.ok += 1,
            Some(message) => {
                self.failed += 1;
                writeln!(diag, "{}: {message}", at())?;
            }
        }
        Ok(())
    }

    /// 0 when nothing failed, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        if self.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}

/// Runs a command on standard input/output; returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let stderr = io::stderr();
    let mut diag = stderr.lock();
    let result = execute(&cli.command, &mut out, &mut diag).and_then(|s| {
        out.flush().context("writing standard output")?;
        Ok(s)
    });
    match result {
        Ok(summary) => summary.exit_code(),
        // The reader went away (`smpp decode ... | head`): nothing more to do.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(diag, "smpp: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Runs a command with the given output and diagnostics streams (input: its file or stdin).
pub fn execute(
    command: &Command,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> anyhow::Result<Summary> {
    match command {
        Command::Decode(args) => {
            let opts = if args.strict {
                DecodeOptions::strict()
            } else {
                DecodeOptions::lenient()
            };
            let mut input = open(args.file.as_deref())?;
            let summary = if args.raw {
                decode::decode_raw(&mut input, out, diag, &opts, args.default_alphabet)
            } else {
                decode::decode_hex_lines(&mut input, out, diag, &opts, args.default_alphabet)
            };
            summary.with_context(|| io_context(args.file.as_deref()))
        }
        Command::Encode(args) => {
            let mut input = open(args.file.as_deref())?;
            encode::encode_lines(&mut input, out, diag, args.raw)
                .with_context(|| io_context(args.file.as_deref()))
        }
        Command::Send(args) => send::execute(args, out, diag),
        Command::Sim(args) => sim::execute(args, out, diag),
    }
}

fn io_context(file: Option<&Path>) -> String {
    match file {
        Some(f) if f != Path::new("-") => format!("reading {} or writing the output", f.display()),
        _ => "reading standard input or writing the output".into(),
    }
}

fn open(file: Option<&Path>) -> anyhow::Result<Box<dyn BufRead>> {
    match file {
        Some(f) if f != Path::new("-") => {
            let file = File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
            Ok(Box::new(BufReader::new(file)))
        }
        _ => Ok(Box::new(io::stdin().lock())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let cli = Cli::try_parse_from(["smpp", "decode", "--strict", "--raw", "x.bin"]).unwrap();
        let Command::Decode(a) = cli.command else {
            panic!("not decode");
        };
        assert!(a.strict && a.raw);
        assert_eq!(a.file.as_deref(), Some(Path::new("x.bin")));
        let cli = Cli::try_parse_from(["smpp", "encode"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Encode(EncodeArgs {
                raw: false,
                file: None
            })
        ));
        assert!(Cli::try_parse_from(["smpp", "frobnicate"]).is_err());
    }
}
