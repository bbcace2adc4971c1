//! The logs pane's field keys at 80×24 over the sandbox's lines: `F` filters by a field
//! predicate (a bad term keeps the prompt open with the reason), `C` shows field columns,
//! `X` exports the lines in view (the runtime's writer carried out here, as the run loop
//! does), and enter on a JSON line pretty-prints it. Hostile bytes stay inert in the columns,
//! the detail and both export formats.

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::state::{Modal, PromptPurpose};
use opsdeck::app::{Cmd, State, update};
use opsdeck::model::logs::{Level, LineFormat, parse_line};
use opsdeck::sources::logs::{LogBatch, LogItem};

use super::keys::{key, screen, state, typed};

/// Opens the logs pane and answers the prompt `open` asks with `input` (its default text
/// erased first).
fn answer(s: &mut State, open: char, input: &str) -> Vec<Cmd> {
    key(s, KeyCode::Char(open));
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        panic!("`{open}` opens a prompt");
    };
    for _ in 0..prompt.input.chars().count() {
        key(s, KeyCode::Backspace);
    }
    typed(s, input);
    key(s, KeyCode::Enter)
}

fn logs_state() -> State {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    assert!(s.panes.logs.shown_len() > 100);
    s
}

/// No terminal control, C1 control or bidi override anywhere in `text`.
fn inert(text: &str) {
    for c in text.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "{c:?} reached the output: {text}"
        );
    }
}

#[test]
fn predicate_prompt_filters_lines_and_esc_clears() {
    let mut s = logs_state();
    let total = s.panes.logs.shown_len();
    answer(&mut s, 'F', "level=error duration_ms>100");
    assert!(s.modal.is_none(), "a good predicate closes the prompt");
    let shown = s.panes.logs.shown_len();
    assert!(shown > 0 && shown < total, "{shown} of {total}");
    for i in 0..shown {
        let seq = s.panes.logs.shown_seq(i).unwrap();
        let line = s.panes.logs.buffer.get_seq(seq).unwrap();
        assert_eq!(line.level(), Some(Level::Error), "{}", line.raw());
    }
    let text = screen(&s);
    assert!(text.contains("where level=error duration_ms>100"), "{text}");
    // Combines with the level keys: hiding errors leaves nothing.
    key(&mut s, KeyCode::Char('E'));
    assert_eq!(s.panes.logs.shown_len(), 0);
    key(&mut s, KeyCode::Char('E'));
    // New lines are filtered on ingest.
    s.panes.logs.ingest(&LogBatch::new(vec![
        LogItem::Line(parse_line(
            br#"{"level":"error","duration_ms":900,"msg":"new"}"#,
            Arc::from("p"),
        )),
        LogItem::Line(parse_line(
            b"level=info duration_ms=900 msg=skip",
            Arc::from("p"),
        )),
    ]));
    assert_eq!(s.panes.logs.shown_len(), shown + 1);
    key(&mut s, KeyCode::Esc);
    assert!(
        s.panes.logs.fields.predicate.is_none(),
        "esc clears the predicate"
    );
    assert_eq!(s.panes.logs.shown_len(), total + 2);
}

#[test]
fn a_bad_term_keeps_the_prompt_open_with_the_reason() {
    let mut s = logs_state();
    answer(&mut s, 'F', "level=error duration_ms>>5");
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        panic!("the prompt stays open");
    };
    assert_eq!(prompt.purpose, PromptPurpose::FieldFilter);
    let error = prompt.error.clone().expect("a reason");
    assert!(error.contains("`duration_ms>>5` at column 24"), "{error}");
    let text = screen(&s);
    assert!(text.contains("duration_ms>>5"), "{text}");
    assert!(text.contains("column 24"), "{text}");
    assert!(s.panes.logs.fields.predicate.is_none());
}

#[test]
fn columns_render_values_and_dashes() {
    let mut s = logs_state();
    answer(&mut s, 'C', "duration_ms nope");
    assert!(s.modal.is_none());
    let text = screen(&s);
    assert!(text.contains("cols duration_ms nope"), "{text}");
    // Every body row of a line shows its duration (or `-`) and then `-` for `nope`.
    let rows: Vec<&str> = text
        .lines()
        .filter(|r| r.contains("INFO ") || r.contains("ERROR") || r.contains("WARN "))
        .collect();
    assert!(rows.len() > 5, "{text}");
    for row in &rows {
        let after = row
            .split_once("INFO ")
            .or_else(|| row.split_once("ERROR"))
            .or_else(|| row.split_once("WARN "))
            .unwrap()
            .1;
        let cells: Vec<&str> = after.split_whitespace().take(2).collect();
        assert!(cells[0] == "-" || cells[0].parse::<u64>().is_ok(), "{row}");
        assert_eq!(cells[1], "-", "{row}");
        // The message keeps room.
        assert!(after.trim_end().len() > 15, "{row}");
    }
}

#[test]
fn columns_do_not_push_the_message_off_at_80_columns() {
    let mut s = logs_state();
    s.panes
        .logs
        .ingest(&LogBatch::new(vec![LogItem::Line(parse_line(
            format!(
                r#"{{"a":"{0}","b":"{0}","c":"{0}","d":"{0}","msg":"the message"}}"#,
                "x".repeat(60)
            )
            .as_bytes(),
            Arc::from("p"),
        ))]));
    answer(&mut s, 'C', "a b c d");
    let text = screen(&s);
    let row = text.lines().find(|r| r.contains("the mess")).expect(&text);
    assert!(row.contains('…'), "long values are cut: {row}");
    assert!(text.contains("too wide to show"), "{text}");
}

#[test]
fn export_writes_raw_and_json_lines_and_names_the_path() {
    let dir =
        std::env::temp_dir().join(format!("opsdeck-headless-export-{}", uuid::Uuid::now_v7()));
    let mut s = logs_state();
    answer(&mut s, 'F', "level=error");
    let shown = s.panes.logs.shown_len();
    for (format, file) in [("raw", "errors.log"), ("jsonl", "errors.jsonl")] {
        let cmds = answer(&mut s, 'X', &format!("{format} {file}"));
        let Some(Cmd::ExportLogs { path, batch }) = cmds.into_iter().next() else {
            panic!("an export command");
        };
        let msg = opsdeck::runtime::log_export::notice(&path, &batch, Some(&dir));
        update(&mut s, msg);
        let toast = s.toast.clone().expect("a toast").text;
        let full = dir.join(file);
        assert!(toast.contains(&full.display().to_string()), "{toast}");
        assert!(toast.contains(&format!("{shown} lines")), "{toast}");
        let written = std::fs::read_to_string(&full).unwrap();
        assert_eq!(written.lines().count(), shown);
        if format == "raw" {
            assert!(written.lines().all(|l| l.to_lowercase().contains("error")));
        } else {
            for l in written.lines() {
                let row: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(row["level"], "error", "{l}");
                assert!(row["source"].is_string() && row["message"].is_string());
                assert!(row["fields"].is_object());
            }
        }
    }
    // The same name again gets a suffix rather than overwriting.
    let cmds = answer(&mut s, 'X', "raw errors.log");
    let Some(Cmd::ExportLogs { path, batch }) = cmds.into_iter().next() else {
        panic!("an export command");
    };
    update(
        &mut s,
        opsdeck::runtime::log_export::notice(&path, &batch, Some(&dir)),
    );
    let toast = s.toast.clone().unwrap().text;
    assert!(toast.contains("errors-1.log"), "{toast}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_json_lines_detail_is_pretty_printed() {
    let mut s = logs_state();
    let seq = s
        .panes
        .logs
        .buffer
        .iter()
        .rev()
        .find(|l| matches!(l.format(), LineFormat::Json { .. }))
        .map(opsdeck::model::logs::LogLine::seq)
        .expect("the sandbox writes JSON lines");
    s.panes.logs.cursor = Some(seq);
    key(&mut s, KeyCode::Enter);
    let text = screen(&s);
    assert!(text.contains(" json · "), "{text}");
    assert!(
        text.contains("│{\n")
            || text
                .lines()
                .any(|r| r.trim_start_matches('│').starts_with('{')),
        "{text}"
    );
    assert!(text.contains("  \"duration_ms\": "), "{text}");
    assert!(
        text.contains("more lines"),
        "a long object is cut with a note: {text}"
    );
}

#[test]
fn hostile_bytes_stay_inert_in_columns_detail_and_exports() {
    let mut s = logs_state();
    let hostile = [
        "{\"level\":\"error\",\"msg\":\"boom\",\"evil\":\"a\\u001b]0;pwned\\u0007b\\u202e\\u009bc\\u001b[2J\"}".as_bytes().to_vec(),
        b"level=error msg=boom evil=\"x\x1b[31my\xc2\x9b\xe2\x80\xaez\"".to_vec(),
    ];
    s.panes.logs.ingest(&LogBatch::new(
        hostile
            .iter()
            .map(|raw| LogItem::Line(parse_line(raw, Arc::from("p\u{1b}[1m"))))
            .collect(),
    ));
    answer(&mut s, 'F', "msg=boom");
    assert_eq!(s.panes.logs.shown_len(), 2);
    answer(&mut s, 'C', "evil");
    inert(&screen(&s));
    s.panes.logs.move_by(-1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&s);
    inert(&text);
    assert!(text.contains("json ·"), "{text}");
    let dir = std::env::temp_dir().join(format!("opsdeck-hostile-export-{}", uuid::Uuid::now_v7()));
    for format in ["raw", "jsonl"] {
        let cmds = answer(&mut s, 'X', &format!("{format} out.{format}"));
        let Some(Cmd::ExportLogs { path, batch }) = cmds.into_iter().next() else {
            panic!("an export command");
        };
        update(
            &mut s,
            opsdeck::runtime::log_export::notice(&path, &batch, Some(&dir)),
        );
        let written = std::fs::read_to_string(dir.join(format!("out.{format}"))).unwrap();
        assert_eq!(written.lines().count(), 2);
        inert(&written);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
