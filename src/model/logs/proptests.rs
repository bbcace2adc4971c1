//! Property tests: whatever bytes arrive, parsing never panics and nothing it produces can put
//! a control character, an escape or a bidi override into a terminal cell.

use std::sync::Arc;

use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::ansi::parse_sgr;
use super::{AnsiMode, LogLine, ParseOptions, parse_line_with};

/// True for anything that must never reach a cell.
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn assert_inert(text: &str) {
    if let Some(c) = text.chars().find(|&c| is_forbidden(c)) {
        panic!("{c:?} in {text:?}");
    }
}

/// Draws `text` like the logs pane would (wrapped, in a small area) and checks every cell.
fn render_and_check(text: &str) {
    let area = Rect::new(0, 0, 40, 6);
    let mut buffer = Buffer::empty(area);
    Paragraph::new(Line::raw(text))
        .wrap(Wrap { trim: false })
        .render(area, &mut buffer);
    for cell in &buffer.content {
        assert_inert(cell.symbol());
    }
}

fn check_line(line: &LogLine) {
    assert_inert(line.message());
    assert_inert(line.raw());
    for id in [line.trace_id(), line.span_id()].into_iter().flatten() {
        assert_inert(id);
    }
    for span in line.message_styles() {
        assert!(
            line.message().get(span.range.clone()).is_some(),
            "span off a char boundary"
        );
    }
    for (key, value) in line.fields() {
        assert_inert(&key);
        assert_inert(&value);
    }
    render_and_check(line.message());
    render_and_check(line.raw());
}

/// Bytes biased towards what breaks terminals: ESC, CSI/OSC pieces, C1 controls in UTF-8, bidi
/// overrides, and invalid UTF-8.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"\x1b[".to_vec()),
        Just(b"\x1b]8;;".to_vec()),
        Just(b"\x07".to_vec()),
        Just(b"\x1b\\".to_vec()),
        Just(b"31;1m".to_vec()),
        Just(b"38;2;1;2;3m".to_vec()),
        Just("\u{9b}".as_bytes().to_vec()),
        Just("\u{9d}".as_bytes().to_vec()),
        Just("\u{202E}".as_bytes().to_vec()),
        Just("\u{2066}".as_bytes().to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\t\r\n".to_vec()),
        Just(b" level=error trace_id=abc ".to_vec()),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// JSON-looking lines whose string values carry hostile content, escaped and raw.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    (
        hostile_bytes(),
        hostile_bytes(),
        "[a-z_.@]{1,10}",
        any::<bool>(),
    )
        .prop_map(|(message, other, key, escape)| {
            let message = String::from_utf8_lossy(&message).into_owned();
            let value = if escape {
                serde_json::to_string(&message).unwrap()
            } else {
                format!("\"{message}\"")
            };
            let mut line = format!(r#"{{"level":"warn","{key}":{value},"msg":{value},"trace_id":"#)
                .into_bytes();
            line.extend_from_slice(&other);
            line.extend_from_slice(b"\"}");
            line
        })
}

fn modes() -> impl Strategy<Value = AnsiMode> {
    prop_oneof![
        Just(AnsiMode::Visible),
        Just(AnsiMode::Strip),
        Just(AnsiMode::KeepSgr)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_parse_to_inert_text(raw in hostile_bytes(), ansi in modes()) {
        let line = parse_line_with(&raw, Arc::from("pod/c"), ParseOptions { ansi, ..ParseOptions::default() });
        check_line(&line);
    }

    #[test]
    fn json_looking_bytes_parse_to_inert_text(raw in json_like(), ansi in modes()) {
        let line = parse_line_with(&raw, Arc::from("pod/c"), ParseOptions { ansi, ..ParseOptions::default() });
        check_line(&line);
    }

    #[test]
    fn sgr_parser_output_is_inert(raw in hostile_bytes()) {
        let styled = parse_sgr(&String::from_utf8_lossy(&raw));
        assert_inert(&styled.text);
        let mut previous_end = 0;
        for span in &styled.spans {
            prop_assert!(span.range.start >= previous_end && span.range.end <= styled.text.len());
            prop_assert!(styled.text.get(span.range.clone()).is_some());
            previous_end = span.range.end;
        }
        render_and_check(&styled.text);
    }
}
