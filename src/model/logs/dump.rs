//! `opsdeck logs --explain FILE`: one row per line with the level and the format opsdeck
//! detected, for comparing with other tools (`benches/levels_vs_lnav.py` compares with lnav).

use std::fmt::Write as _;
use std::sync::Arc;

use super::parse::{FormatMemory, ParseOptions, parse_line_remembering};

/// `line<TAB>level<TAB>format` for every line of `bytes` (line numbers from 0, as lnav's
/// `log_line`; `-` for no level). The memory carries a W3C header across lines, as a source
/// reading the file would.
#[must_use]
pub fn explain_lines(bytes: &[u8], options: ParseOptions) -> String {
    let mut memory = FormatMemory::default();
    let source: Arc<str> = Arc::from("file");
    let mut out = String::new();
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return out;
    }
    for (number, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = parse_line_remembering(raw, Arc::clone(&source), options, &mut memory);
        let level = line.level().map_or("-", super::Level::as_str);
        let _ = writeln!(out, "{number}\t{level}\t{}", line.detected_format().name());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_line_with_level_and_format() {
        let text = b"<11>Dec  4 04:47:44 host app: x\nplain words\n#Fields: date time sc-status\n2026-12-07 10:00:00 503\n";
        let out = explain_lines(text, ParseOptions::default());
        assert_eq!(
            out,
            "0\tERROR\tsyslog RFC 3164\n1\t-\tplain text\n2\t-\tW3C extended log directive\n3\tERROR\tW3C extended log\n"
        );
        assert_eq!(explain_lines(b"", ParseOptions::default()), "");
    }
}
