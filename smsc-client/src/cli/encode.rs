//! `smpp encode`: JSON lines in (as `smpp decode` prints them), PDUs out as hex lines or raw octets.

use std::io::{self, BufRead, Write};

use super::Summary;
use super::json;

/// Encodes one PDU per JSON line (blank lines skipped) to lowercase hex lines, or to
/// concatenated octets when `raw`. A line that fails is reported on `diag` with its number.
pub fn encode_lines(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    diag: &mut dyn Write,
    raw: bool,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(summary);
        }
        line_no += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim(),
            Err(e) => {
                summary.record(Some(format!("not UTF-8: {e}")), diag, || {
                    format!("line {line_no}")
                })?;
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        match json::encode_json_line(text) {
            Ok(octets) if raw => out.write_all(&octets)?,
            Ok(octets) => writeln!(out, "{}", hex::encode(&octets))?,
            Err(e) => {
                summary.record(Some(format!("{e:#}")), diag, || format!("line {line_no}"))?;
                continue;
            }
        }
        summary.record(None, diag, String::new)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> (String, String, Summary) {
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let s = encode_lines(&mut input.as_bytes(), &mut out, &mut diag, false).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(diag).unwrap(),
            s,
        )
    }

    #[test]
    fn encodes_and_reports_bad_lines_by_number() {
        let input = concat!(
            r#"{"command_id": "enquire_link", "sequence_number": 2}"#,
            "\n\n",
            "{not json\n",
            r#"{"command_id": "submit_sm", "sequence_number": 3, "fields": {"sourc_addr": "1"}}"#,
            "\n",
            r#"{"command_id": 2147483669, "command_status": "ESME_ROK", "sequence_number": 2}"#,
            "\n",
        );
        let (out, diag, s) = run(input);
        assert_eq!(s, Summary { ok: 2, failed: 2 });
        assert_eq!(
            out,
            "00000010000000150000000000000002\n00000010800000150000000000000002\n"
        );
        assert!(diag.contains("line 3: invalid JSON"), "{diag}");
        assert!(
            diag.contains("line 4: fields: unknown field `sourc_addr` for submit_sm"),
            "{diag}"
        );
    }
}
