//! `smpp decode`: PDUs in (hex lines, or a raw binary stream), one JSON object per PDU out.

use std::io::{self, BufRead, Read, Write};

use bytes::{Buf as _, Bytes, BytesMut};
use smpp_codec::coding::DefaultAlphabet;
use smpp_codec::header::HEADER_LEN;
use smpp_codec::{CommandStatus, DecodeError, DecodeOptions, Header, Pdu};

use super::Summary;
use super::inspect;
use super::json::{self, Json};

/// Decodes one whole PDU to its JSON object, or to an error object and the error's message.
/// Message-carrying PDUs also get `text` (decoded with `alphabet` as the meaning of
/// `data_coding` 0) and receipts get `receipt`.
pub fn decode_frame(
    frame: &Bytes,
    opts: &DecodeOptions,
    alphabet: DefaultAlphabet,
) -> (Json, Option<String>) {
    match Pdu::decode_with(frame, opts) {
        Ok(pdu) => {
            let mut obj = json::pdu_to_json(&pdu, frame);
            if let Json::Obj(members) = &mut obj {
                if let Some(text) = inspect::text_json(&pdu.body, alphabet) {
                    members.push(("text".into(), text));
                }
                if let Some(receipt) = inspect::receipt_json(&pdu.body) {
                    members.push(("receipt".into(), receipt));
                }
            }
            (obj, None)
        }
        Err(e) => (json::decode_error_to_json(&e), Some(e.to_string())),
    }
}

/// Decodes hex lines (one PDU per line, whitespace allowed anywhere, blank lines skipped),
/// writing one JSON line per PDU to `out` and one diagnostic per failure to `diag`.
pub fn decode_hex_lines(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    diag: &mut dyn Write,
    opts: &DecodeOptions,
    alphabet: DefaultAlphabet,
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
        let digits: Vec<u8> = line
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if digits.is_empty() {
            continue;
        }
        let (obj, error) = match hex::decode(&digits) {
            Ok(octets) => decode_frame(&Bytes::from(octets), opts, alphabet),
            Err(e) => {
                let message = format!("not a line of hex digits: {e}");
                // Nothing could be read, not even a header: answer as to a framing error.
                let obj = json::error_object(&message, CommandStatus::ESME_RINVCMDLEN, None);
                (obj, Some(message))
            }
        };
        writeln!(out, "{obj}")?;
        summary.record(error, diag, || format!("line {line_no}"))?;
    }
}

/// Decodes a binary stream of concatenated PDUs, framed by `command_length`.
///
/// A PDU over `opts.max_command_length` is reported and skipped. A `command_length` below 16,
/// or a stream that ends inside a PDU, is reported and ends decoding: the next PDU cannot be found.
pub fn decode_raw(
    input: &mut dyn Read,
    out: &mut dyn Write,
    diag: &mut dyn Write,
    opts: &DecodeOptions,
    alphabet: DefaultAlphabet,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut eof = false;
    // Offset in the stream of `buf[0]`, and octets of an over-long PDU still to drop.
    let mut offset = 0usize;
    let mut skip = 0usize;
    loop {
        if skip > 0 {
            let n = skip.min(buf.len());
            buf.advance(n);
            offset += n;
            skip -= n;
        }
        let header = Header::peek(&buf).filter(|_| skip == 0);
        if let Some(header) = header {
            let len = header.command_length as usize;
            if len < HEADER_LEN || len > opts.max_command_length || len <= buf.len() {
                let at = offset;
                let (obj, error, stop) = if len < HEADER_LEN {
                    let e = DecodeError::InvalidCommandLength {
                        command_length: header.command_length,
                        available: buf.len(),
                        header: Some(header),
                    };
                    let message = format!("{e}; the stream cannot be resynchronised, stopping");
                    let obj = json::error_object(&message, e.command_status(), e.sequence_number());
                    (obj, Some(message), true)
                } else if len > opts.max_command_length {
                    let e = DecodeError::InvalidCommandLength {
                        command_length: header.command_length,
                        available: len,
                        header: Some(header),
                    };
                    skip = len;
                    (json::decode_error_to_json(&e), Some(e.to_string()), false)
                } else {
                    let frame = buf.split_to(len).freeze();
                    offset += len;
                    let (obj, error) = decode_frame(&frame, opts, alphabet);
                    (obj, error, false)
                };
                writeln!(out, "{obj}")?;
                summary.record(error, diag, || format!("offset {at}"))?;
                if stop {
                    return Ok(summary);
                }
                continue;
            }
        }
        if eof {
            // (An over-long PDU cut short, `skip > 0`, was already reported.)
            if skip == 0 && !buf.is_empty() {
                let header = Header::peek(&buf);
                let e = DecodeError::InvalidCommandLength {
                    command_length: match header {
                        Some(h) => h.command_length,
                        None => buf
                            .get(..4)
                            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
                    },
                    available: buf.len(),
                    header,
                };
                let message = format!("the input ends inside a PDU: {e}");
                let obj = json::error_object(&message, e.command_status(), e.sequence_number());
                writeln!(out, "{obj}")?;
                summary.record(Some(message), diag, || format!("offset {offset}"))?;
            }
            return Ok(summary);
        }
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            eof = true;
        } else {
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn run_hex(input: &str, strict: bool) -> (Vec<Value>, String, Summary) {
        let opts = if strict {
            DecodeOptions::strict()
        } else {
            DecodeOptions::lenient()
        };
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let s = decode_hex_lines(
            &mut input.as_bytes(),
            &mut out,
            &mut diag,
            &opts,
            DefaultAlphabet::default(),
        )
        .unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, String::from_utf8(diag).unwrap(), s)
    }

    #[test]
    fn hex_lines_spaces_blank_lines_and_errors() {
        let input = "\n 00000010 80000015\t00000000 00000002 \r\n\nzz\n0000\n";
        let (lines, diag, s) = run_hex(input, false);
        assert_eq!(s, Summary { ok: 1, failed: 2 });
        assert_eq!(lines[0]["command_id"], "enquire_link_resp");
        assert_eq!(lines[0]["fields"], json!({}));
        assert_eq!(lines[1]["command_status"], 2);
        assert_eq!(lines[1]["sequence_number"], Value::Null);
        assert!(lines[1]["error"].as_str().unwrap().contains("hex"));
        assert_eq!(lines[2]["command_status_name"], "ESME_RINVCMDLEN");
        assert!(diag.contains("line 4:"), "{diag}");
        assert!(diag.contains("line 5:"), "{diag}");
    }

    #[test]
    fn raw_stream_in_small_reads() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(3).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut stream =
            hex::decode("0000001000000015000000000000000100000010800000150000000000000001")
                .unwrap();
        // an over-long PDU (skipped), then a truncated one
        let opts = DecodeOptions {
            max_command_length: 40,
            ..DecodeOptions::lenient()
        };
        let mut big = vec![0u8; 50];
        big[..4].copy_from_slice(&50u32.to_be_bytes());
        big[4..8].copy_from_slice(&4u32.to_be_bytes());
        big[12..16].copy_from_slice(&9u32.to_be_bytes());
        stream.extend_from_slice(&big);
        stream.extend_from_slice(&hex::decode("0000001000000015000000000000000300000010").unwrap());
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let s = decode_raw(
            &mut Trickle(&stream),
            &mut out,
            &mut diag,
            &opts,
            DefaultAlphabet::default(),
        )
        .unwrap();
        assert_eq!(s, Summary { ok: 3, failed: 2 });
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[2]["sequence_number"], 9);
        assert_eq!(lines[2]["command_status"], 2);
        assert_eq!(lines[3]["sequence_number"], 3);
        assert_eq!(lines[4]["sequence_number"], Value::Null);
        let diag = String::from_utf8(diag).unwrap();
        assert!(diag.contains("offset 32:"), "{diag}");
        assert!(diag.contains("offset 98:"), "{diag}");
    }

    #[test]
    fn raw_desynchronised_stops() {
        let stream =
            hex::decode("000000080000001500000000000000010000001000000015000000000000000200")
                .unwrap();
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let s = decode_raw(
            &mut &stream[..],
            &mut out,
            &mut diag,
            &DecodeOptions::lenient(),
            DefaultAlphabet::default(),
        )
        .unwrap();
        assert_eq!(s, Summary { ok: 0, failed: 1 });
        let v: Value = serde_json::from_slice(out.split(|&b| b == b'\n').next().unwrap()).unwrap();
        assert_eq!(v["sequence_number"], 1);
        assert!(v["error"].as_str().unwrap().contains("resynchronised"));
    }
}
