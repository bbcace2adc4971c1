//! The one place where external text is made inert before it can reach a terminal cell.
//!
//! Everything that arrives from outside (catalog fields, log lines, query text, error bodies)
//! passes through [`clean`] or [`clean_bytes`] when it enters the model. Control characters,
//! escape sequences (CSI, OSC, DCS, ...), C1 controls and bidi overrides are replaced by
//! visible, harmless stand-ins so the user still sees that something odd was there.

use std::borrow::Cow;

/// Bidi controls that can reorder what the user reads (Trojan Source, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that would move the cursor, change modes or be invisible-but-meaningful.
fn needs_replacement(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

/// Visible stand-in for one unsafe character.
fn push_stand_in(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("    "),
        // C0 controls become their Unicode "control picture" (ESC -> ␛), DEL becomes ␡.
        '\u{0}'..='\u{1F}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}')),
        '\u{7F}' => out.push('\u{2421}'),
        _ => {
            use std::fmt::Write;
            let _ = write!(out, "<U+{:04X}>", c as u32);
        }
    }
}

/// Makes one line of external text inert. Newlines are shown as `␊` so a single-line cell
/// can never be split.
#[must_use]
pub fn clean(input: &str) -> String {
    match clean_cow(input, false) {
        Cow::Borrowed(s) => s.to_owned(),
        Cow::Owned(s) => s,
    }
}

/// Like [`clean`], but keeps `\n` so multi-line text (a whole query, a description) keeps its
/// shape. Every other control is still replaced.
#[must_use]
pub fn clean_multiline(input: &str) -> String {
    match clean_cow(input, true) {
        Cow::Borrowed(s) => s.to_owned(),
        Cow::Owned(s) => s,
    }
}

/// Borrowing variant used on hot paths (log ingest): allocates only when something changes.
#[must_use]
pub fn clean_cow(input: &str, keep_newlines: bool) -> Cow<'_, str> {
    let first_bad = input
        .char_indices()
        .find(|&(_, c)| needs_replacement(c) && !(keep_newlines && c == '\n'));
    let Some((start, _)) = first_bad else {
        return Cow::Borrowed(input);
    };
    let mut out = String::with_capacity(input.len() + 8);
    out.push_str(&input[..start]);
    for c in input[start..].chars() {
        if keep_newlines && c == '\n' {
            out.push('\n');
        } else if needs_replacement(c) {
            push_stand_in(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Decodes bytes that may not be UTF-8 (invalid sequences become U+FFFD) and cleans them.
#[must_use]
pub fn clean_bytes(input: &[u8]) -> String {
    clean(&String::from_utf8_lossy(input))
}

/// Appends `c` to `out`, or its visible stand-in when it is unsafe. For scanners that walk the
/// text themselves (the ANSI parser in `model::logs::ansi`) and need the same per-character rule
/// as [`clean`].
pub fn push_clean_char(out: &mut String, c: char) {
    if needs_replacement(c) {
        push_stand_in(out, c);
    } else {
        out.push(c);
    }
}

/// Decodes and cleans bytes like [`clean_bytes`], but borrows when the input is already valid,
/// harmless UTF-8. Log ingest calls this once per line, and almost every line is printable
/// ASCII, which a bytewise check settles before the per-character scan.
#[must_use]
pub fn clean_bytes_cow(input: &[u8]) -> Cow<'_, str> {
    if input.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII is valid UTF-8 and needs no replacement.
        if let Ok(text) = std::str::from_utf8(input) {
            return Cow::Borrowed(text);
        }
    }
    match String::from_utf8_lossy(input) {
        Cow::Borrowed(text) => clean_cow(text, false),
        Cow::Owned(decoded) => {
            if let Cow::Owned(cleaned) = clean_cow(&decoded, false) {
                return Cow::Owned(cleaned);
            }
            Cow::Owned(decoded)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(clean("checkout-api ✓ 99.9%"), "checkout-api ✓ 99.9%");
    }

    #[test]
    fn escapes_become_visible_and_inert() {
        let hostile = "a\x1b[31mred\x1b]8;;http://x\x07link\x1b\\";
        let cleaned = clean(hostile);
        assert!(!cleaned.contains('\x1b'));
        assert!(!cleaned.contains('\x07'));
        assert!(cleaned.contains("␛[31mred"));
    }

    #[test]
    fn c1_and_bidi_are_replaced() {
        let cleaned = clean("x\u{9b}2J \u{202E}evil\u{2066}");
        assert_eq!(cleaned, "x<U+009B>2J <U+202E>evil<U+2066>");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(clean_bytes(b"ok\xff\xfe!"), "ok\u{FFFD}\u{FFFD}!");
    }

    #[test]
    fn newlines_only_survive_multiline() {
        assert_eq!(clean("a\nb"), "a␊b");
        assert_eq!(clean_multiline("a\nb\rc"), "a\nb␍c");
    }
}

#[cfg(test)]
mod cow_tests {
    use super::*;

    #[test]
    fn clean_bytes_cow_borrows_only_harmless_text() {
        assert!(matches!(
            clean_bytes_cow(b"plain ascii"),
            Cow::Borrowed("plain ascii")
        ));
        assert!(matches!(
            clean_bytes_cow("caf\u{e9}".as_bytes()),
            Cow::Borrowed("caf\u{e9}")
        ));
        assert_eq!(clean_bytes_cow(b"a\x1b[2Jb\xff"), "a\u{241B}[2Jb\u{FFFD}");
        assert_eq!(clean_bytes_cow("\u{202E}x".as_bytes()), "<U+202E>x");
    }

    #[test]
    fn push_clean_char_matches_clean() {
        let mut out = String::new();
        for c in "a\x1b\t\u{2066}\u{9b}z".chars() {
            push_clean_char(&mut out, c);
        }
        assert_eq!(out, clean("a\x1b\t\u{2066}\u{9b}z"));
    }
}
