//! ANSI escape handling for the optional "keep colours" log mode.
//!
//! Many programs colour their own log output. By default ingest makes every escape visible and
//! inert (`␛[31m`). In the modes here the escapes are parsed instead: SGR colour and text
//! attributes (`ESC [ … m`) become structured [`StyledSpan`]s over the plain text, and every
//! other sequence (cursor moves, OSC titles and hyperlinks, DCS, charset switches) is dropped.
//! The text that comes out never holds ESC or any other C0/C1 control: everything that is not
//! part of a recognised sequence still goes through [`push_clean_char`].
//!
//! The parser is a small state machine over `char`s. A sequence interrupted by a character that
//! cannot belong to it is abandoned at that character, which is then treated as ordinary text,
//! so hostile input cannot swallow more than the malformed sequence itself (except an
//! unterminated OSC/DCS string, which runs to the end of the line as it would in a terminal).

use std::ops::Range;

use crate::model::sanitize::push_clean_char;

/// A colour from an SGR sequence: one of the 256 palette entries (0..=15 are the basic and
/// bright colours the theme maps) or a 24-bit colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SgrColour {
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// Text attributes kept from SGR, as bits (see the associated constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SgrModifiers(u8);

impl SgrModifiers {
    pub const BOLD: Self = Self(1);
    pub const DIM: Self = Self(2);
    pub const ITALIC: Self = Self(4);
    pub const UNDERLINED: Self = Self(8);
    pub const REVERSED: Self = Self(16);

    /// Whether every bit of `other` is set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no attribute is set.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn set(&mut self, other: Self, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }
}

/// The style an SGR sequence leaves in effect. `None` colours mean "the terminal's default".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sgr {
    pub fg: Option<SgrColour>,
    pub bg: Option<SgrColour>,
    pub modifiers: SgrModifiers,
}

impl Sgr {
    /// Whether this is the default style, which needs no span.
    #[must_use]
    pub fn is_plain(&self) -> bool {
        *self == Self::default()
    }
}

/// One styled stretch of text: byte `range` of the parsed text carries `style`. Spans are
/// sorted, do not overlap, and only exist for non-default styles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledSpan {
    pub range: Range<usize>,
    pub style: Sgr,
}

/// Text with its escapes parsed: inert `text` plus the colour spans over it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Styled {
    pub text: String,
    pub spans: Vec<StyledSpan>,
}

/// Parses `input`, keeping SGR styles as spans and dropping every other escape sequence.
#[must_use]
pub fn parse_sgr(input: &str) -> Styled {
    let mut parser = Parser::new(input, true);
    parser.run();
    parser.finish()
}

/// Removes every escape sequence, including SGR, and cleans what is left.
#[must_use]
pub fn strip_ansi(input: &str) -> String {
    let mut parser = Parser::new(input, false);
    parser.run();
    parser.out
}

/// Whether `text` holds anything this module would parse (ESC or a C1 introducer), so callers
/// can skip it for the common plain line.
#[must_use]
pub fn has_escapes(text: &str) -> bool {
    text.bytes().any(|b| b == 0x1b) || text.contains(['\u{9b}', '\u{9d}', '\u{90}'])
}

/// Most SGR parameters a sequence may carry; the rest are ignored, so a hostile
/// `ESC[1;1;1;…m` costs bounded work.
const MAX_PARAMS: usize = 32;

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    out: String,
    keep_styles: bool,
    style: Sgr,
    span_start: usize,
    spans: Vec<StyledSpan>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, keep_styles: bool) -> Self {
        Self {
            chars: input.chars().peekable(),
            out: String::with_capacity(input.len()),
            keep_styles,
            style: Sgr::default(),
            span_start: 0,
            spans: Vec::new(),
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.chars.next() {
            match c {
                '\x1b' => self.escape(),
                '\u{9b}' => self.csi(),
                // C1 OSC, DCS, SOS, PM, APC: control strings.
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => self.skip_string(),
                c => push_clean_char(&mut self.out, c),
            }
        }
    }

    fn finish(mut self) -> Styled {
        self.close_span();
        Styled {
            text: self.out,
            spans: self.spans,
        }
    }

    /// After ESC: decide which kind of sequence follows.
    fn escape(&mut self) {
        match self.chars.peek().copied() {
            Some('[') => {
                self.chars.next();
                self.csi();
            }
            Some(']' | 'P' | 'X' | '^' | '_') => {
                self.chars.next();
                self.skip_string();
            }
            // nF escapes: intermediates then one final byte (charset selection and the like).
            Some('\u{20}'..='\u{2f}') => {
                while self
                    .chars
                    .next_if(|c| matches!(c, '\u{20}'..='\u{2f}'))
                    .is_some()
                {}
                self.chars.next_if(|c| matches!(c, '\u{30}'..='\u{7e}'));
            }
            // Two-character escapes (ESC 7, ESC c, ESC M, ...).
            Some('\u{30}'..='\u{7e}') => {
                self.chars.next();
            }
            // A lone ESC: dropped, and whatever follows is ordinary text.
            _ => {}
        }
    }

    /// After the CSI introducer: parameters, intermediates, final byte.
    fn csi(&mut self) {
        let mut params = String::new();
        let mut has_intermediates = false;
        loop {
            let Some(&c) = self.chars.peek() else {
                return; // truncated at end of input: dropped
            };
            match c {
                '\u{30}'..='\u{3f}' if !has_intermediates => {
                    // Cap the kept text; the rest of an absurd sequence is still consumed.
                    if params.len() < 256 {
                        params.push(c);
                    }
                }
                '\u{20}'..='\u{2f}' => has_intermediates = true,
                '\u{40}'..='\u{7e}' => {
                    self.chars.next();
                    if c == 'm' && !has_intermediates && self.keep_styles {
                        self.apply_sgr(&params);
                    }
                    return;
                }
                // Anything else abandons the sequence; that character is read as text.
                _ => return,
            }
            self.chars.next();
        }
    }

    /// Consumes an OSC/DCS/SOS/PM/APC string up to BEL, ST or `ESC \`.
    fn skip_string(&mut self) {
        while let Some(&c) = self.chars.peek() {
            match c {
                '\x07' | '\u{9c}' => {
                    self.chars.next();
                    return;
                }
                '\x1b' => {
                    self.chars.next();
                    // `ESC \` is the terminator; any other ESC starts a new sequence.
                    if self.chars.next_if_eq(&'\\').is_none() {
                        self.escape();
                    }
                    return;
                }
                _ => {
                    self.chars.next();
                }
            }
        }
    }

    fn apply_sgr(&mut self, params: &str) {
        // Only digits and separators form a valid SGR; private forms (`ESC[?1m`) are ignored.
        if !params
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b';' || b == b':')
        {
            return;
        }
        let mut style = self.style;
        let mut groups = params.split(';').take(MAX_PARAMS);
        while let Some(group) = groups.next() {
            if group.contains(':') {
                // Colon form: `38:5:n`, `38:2:r:g:b` or `38:2::r:g:b`, `4:3` (curly underline).
                let mut parts = group.split(':').map(number);
                let head = parts.next().unwrap_or(0);
                let rest: Vec<u16> = parts.take(6).collect();
                match head {
                    38 | 48 | 58 => {
                        let colour = match rest.as_slice() {
                            [5, n, ..] => Some(SgrColour::Indexed(byte(*n))),
                            [2, _, r, g, b] | [2, r, g, b] => {
                                Some(SgrColour::Rgb(byte(*r), byte(*g), byte(*b)))
                            }
                            _ => None,
                        };
                        set_colour(&mut style, head, colour);
                    }
                    4 => {
                        let on = rest.first().is_none_or(|&kind| kind != 0);
                        style.modifiers.set(SgrModifiers::UNDERLINED, on);
                    }
                    _ => {}
                }
                continue;
            }
            let code = number(group);
            match code {
                0 => style = Sgr::default(),
                1 => style.modifiers.set(SgrModifiers::BOLD, true),
                2 => style.modifiers.set(SgrModifiers::DIM, true),
                3 => style.modifiers.set(SgrModifiers::ITALIC, true),
                4 | 21 => style.modifiers.set(SgrModifiers::UNDERLINED, true),
                7 => style.modifiers.set(SgrModifiers::REVERSED, true),
                22 => {
                    style.modifiers.set(SgrModifiers::BOLD, false);
                    style.modifiers.set(SgrModifiers::DIM, false);
                }
                23 => style.modifiers.set(SgrModifiers::ITALIC, false),
                24 => style.modifiers.set(SgrModifiers::UNDERLINED, false),
                27 => style.modifiers.set(SgrModifiers::REVERSED, false),
                30..=37 => style.fg = Some(SgrColour::Indexed(byte(code - 30))),
                39 => style.fg = None,
                40..=47 => style.bg = Some(SgrColour::Indexed(byte(code - 40))),
                49 => style.bg = None,
                90..=97 => style.fg = Some(SgrColour::Indexed(byte(code - 90 + 8))),
                100..=107 => style.bg = Some(SgrColour::Indexed(byte(code - 100 + 8))),
                38 | 48 | 58 => {
                    let colour = match groups.next().map(number) {
                        Some(5) => groups.next().map(|n| SgrColour::Indexed(byte(number(n)))),
                        Some(2) => {
                            let mut channel = || groups.next().map(|n| byte(number(n)));
                            match (channel(), channel(), channel()) {
                                (Some(r), Some(g), Some(b)) => Some(SgrColour::Rgb(r, g, b)),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    set_colour(&mut style, code, colour);
                }
                _ => {}
            }
        }
        if style != self.style {
            self.close_span();
            self.style = style;
            self.span_start = self.out.len();
        }
    }

    fn close_span(&mut self) {
        let end = self.out.len();
        if !self.style.is_plain() && end > self.span_start {
            self.spans.push(StyledSpan {
                range: self.span_start..end,
                style: self.style,
            });
        }
        self.span_start = end;
    }
}

/// Sets the colour an extended-colour code (38 fg, 48 bg, 58 underline) names. Underline
/// colour has no cell equivalent and is dropped.
fn set_colour(style: &mut Sgr, code: u16, colour: Option<SgrColour>) {
    match (code, colour) {
        (38, Some(c)) => style.fg = Some(c),
        (48, Some(c)) => style.bg = Some(c),
        _ => {}
    }
}

/// A parameter as a number; empty means 0 and overflow saturates (both as terminals do).
fn number(text: &str) -> u16 {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u16, |acc, b| {
            acc.saturating_mul(10).saturating_add(u16::from(b - b'0'))
        })
}

fn byte(n: u16) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red() -> Sgr {
        Sgr {
            fg: Some(SgrColour::Indexed(1)),
            ..Sgr::default()
        }
    }

    #[test]
    fn sgr_colours_become_spans() {
        let styled = parse_sgr("a \x1b[31mred\x1b[0m b");
        assert_eq!(styled.text, "a red b");
        assert_eq!(
            styled.spans,
            vec![StyledSpan {
                range: 2..5,
                style: red()
            }]
        );
    }

    #[test]
    fn extended_and_bright_colours_and_modifiers() {
        let styled = parse_sgr("\x1b[1;38;5;208mx\x1b[48;2;1;2;3;4my\x1b[22;24;39;49;92mz");
        assert_eq!(styled.text, "xyz");
        let bold = SgrModifiers::BOLD;
        assert_eq!(styled.spans[0].style.fg, Some(SgrColour::Indexed(208)));
        assert!(styled.spans[0].style.modifiers.contains(bold));
        assert_eq!(styled.spans[1].style.bg, Some(SgrColour::Rgb(1, 2, 3)));
        assert!(
            styled.spans[1]
                .style
                .modifiers
                .contains(SgrModifiers::UNDERLINED)
        );
        assert_eq!(
            styled.spans[2].style,
            Sgr {
                fg: Some(SgrColour::Indexed(10)),
                ..Sgr::default()
            }
        );
        assert_eq!(styled.spans[2].range, 2..3);
    }

    #[test]
    fn colon_forms_are_understood() {
        let styled = parse_sgr("\x1b[38:2::10:20:30mx\x1b[38:5:3my");
        assert_eq!(styled.spans[0].style.fg, Some(SgrColour::Rgb(10, 20, 30)));
        assert_eq!(styled.spans[1].style.fg, Some(SgrColour::Indexed(3)));
    }

    #[test]
    fn other_sequences_are_dropped() {
        let hostile = "a\x1b[2J\x1b[10;10Hb\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\x1bPq#0\x1b\\e\x1b(Bf\x1b7g";
        assert_eq!(parse_sgr(hostile).text, "abcdefg");
        assert!(parse_sgr(hostile).spans.is_empty());
    }

    #[test]
    fn c1_introducers_are_parsed_too() {
        let styled = parse_sgr("a\u{9b}31mb\u{9d}title\u{9c}c");
        assert_eq!(styled.text, "abc");
        assert_eq!(
            styled.spans,
            vec![StyledSpan {
                range: 1..3,
                style: red()
            }]
        );
    }

    #[test]
    fn malformed_sequences_leave_no_controls() {
        for input in [
            "\x1b",
            "\x1b[",
            "\x1b[31",
            "x\x1b[3\x1b[1mb",
            "\x1b[31\u{7}m",
            "\x1b]unterminated",
            "\x1b[?25l",
        ] {
            let styled = parse_sgr(input);
            assert!(
                !styled.text.chars().any(char::is_control),
                "{input:?} -> {:?}",
                styled.text
            );
        }
        // An interrupted CSI gives its interrupting character back as text.
        assert_eq!(parse_sgr("\x1b[31\u{e9}x").text, "\u{e9}x");
        assert_eq!(parse_sgr("a\x1b[31\x07b").text, "a\u{2407}b");
    }

    #[test]
    fn other_controls_and_bidi_are_cleaned() {
        assert_eq!(
            parse_sgr("a\tb\u{202E}c\u{85}").text,
            "a    b<U+202E>c<U+0085>"
        );
    }

    #[test]
    fn strip_drops_styles() {
        assert_eq!(strip_ansi("\x1b[1;31mERROR\x1b[0m boom"), "ERROR boom");
        assert!(has_escapes("\x1b[0m"));
        assert!(has_escapes("\u{9b}0m"));
        assert!(!has_escapes("plain"));
    }

    #[test]
    fn absurd_parameter_lists_are_bounded() {
        let long = format!("\x1b[{}mx", "1;".repeat(10_000));
        let styled = parse_sgr(&long);
        assert_eq!(styled.text, "x");
        assert!(styled.spans[0].style.modifiers.contains(SgrModifiers::BOLD));
    }
}
