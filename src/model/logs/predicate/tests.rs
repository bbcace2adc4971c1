//! Predicate parsing (errors with their columns) and matching over JSON, logfmt and plain
//! lines: every operator, nested paths, numbers against text, durations, missing fields and
//! the detected level.

use std::sync::Arc;

use super::*;
use crate::model::logs::parse_line;

fn line(text: &str) -> LogLine {
    parse_line(text.as_bytes(), Arc::from("pod"))
}

fn holds(predicate: &str, text: &str) -> bool {
    Predicate::parse(predicate)
        .unwrap_or_else(|e| panic!("{predicate}: {e}"))
        .matches(&line(text))
}

const JSON: &str = r#"{"ts":"2026-11-22T10:00:00Z","severity":"ERROR","msg":"upstream timed out","user_id":42,"duration_ms":750,"path":"/api","http":{"status":503},"took":"1.5s","tags":["a"]}"#;
const LOGFMT: &str =
    r#"ts=2026-11-22T10:00:00Z level=warn msg="slow query" user_id=7 duration_ms=120 path=/health"#;
const PLAIN: &str = "2026-11-22T10:00:00Z ERROR payment declined";

#[test]
fn every_operator_on_numbers() {
    for (p, want) in [
        ("duration_ms=750", true),
        ("duration_ms!=750", false),
        ("duration_ms>500", true),
        ("duration_ms>750", false),
        ("duration_ms>=750", true),
        ("duration_ms<1000", true),
        ("duration_ms<750", false),
        ("duration_ms<=750", true),
        ("duration_ms=750.0", true),
        ("user_id=42", true),
        ("http.status>=500", true),
        ("http.status<500", false),
    ] {
        assert_eq!(holds(p, JSON), want, "{p}");
    }
    assert!(holds("duration_ms>100 user_id=7", LOGFMT));
    assert!(!holds("duration_ms>200", LOGFMT));
}

#[test]
fn text_regex_and_quotes() {
    assert!(holds("path=/api", JSON));
    assert!(holds("path!=/health", JSON));
    assert!(!holds("path!=/health", LOGFMT));
    assert!(holds("msg~timed", JSON));
    assert!(
        !holds("msg~TIMED|nope", JSON),
        "upper case makes it case-sensitive"
    );
    assert!(holds("msg~timed|nope", JSON));
    assert!(holds("msg!~^slow", JSON));
    assert!(holds(r#"msg="slow query""#, LOGFMT));
    assert!(holds(r#"msg~"slow q""#, LOGFMT));
    assert!(holds("ts>=2026-11-22T09:00:00Z ts<2026-11-22T11:00", JSON));
    assert!(holds("tags~a", JSON), "arrays compare as their JSON text");
}

#[test]
fn numbers_against_text() {
    // A number on the right needs a number in the field.
    assert!(!holds("path>5", JSON));
    assert!(holds("path!=5", JSON));
    // String members holding numbers are numbers.
    assert!(holds("n=42", r#"{"n":"42"}"#));
    assert!(holds("n>9", r#"{"n":"42"}"#), "numerically, not as text");
}

#[test]
fn durations() {
    assert!(holds("took>1s", JSON));
    assert!(holds("took<2s", JSON));
    assert!(holds("took=1500ms", JSON));
    // A bare number takes its unit from the key's name.
    assert!(holds("duration_ms>0.5s", JSON));
    assert!(!holds("duration_ms>1s", JSON));
    assert!(holds("duration_ms<1m", LOGFMT));
    // Without a unit in the name a bare number is no duration.
    assert!(!holds("user_id>1s", JSON));
    assert_eq!(parse_duration_nanos("1h30m"), Some(5400e9));
    assert_eq!(parse_duration_nanos("250µs"), Some(250e3));
    assert_eq!(parse_duration_nanos("42"), None);
    assert_eq!(parse_duration_nanos("5x"), None);
}

#[test]
fn missing_fields() {
    assert!(!holds("nope=1", JSON));
    assert!(!holds("nope>1", JSON));
    assert!(!holds("nope~x", JSON));
    assert!(holds("nope!=1", JSON));
    assert!(holds("nope!~x", JSON));
    assert!(!holds("http.nope=1", JSON));
}

#[test]
fn level_reads_the_detected_level() {
    assert!(holds("level=error", JSON), "severity ERROR");
    assert!(holds("level=ERR", JSON));
    assert!(holds("level=error", PLAIN), "a plain line's level word");
    assert!(holds("level>=warn", LOGFMT));
    assert!(!holds("level>warn", LOGFMT));
    assert!(holds("level!=info", PLAIN));
    assert!(holds("level~err", PLAIN));
    assert!(holds("level=error", r#"{"level":50,"msg":"pino"}"#));
    assert!(!holds("level=bogus", PLAIN));
    assert!(
        holds("level=bogus", "level=bogus no level detected"),
        "falls back to the field"
    );
}

#[test]
fn message_falls_back_to_the_line() {
    assert!(holds("msg~declined", PLAIN));
    assert!(holds("message~declined", PLAIN));
    assert!(!holds("msg~nothing", PLAIN));
}

#[test]
fn several_terms_are_anded() {
    assert!(holds(
        "level=error user_id=42 duration_ms>500 path!=/health msg~timeout|timed",
        JSON
    ));
    assert!(!holds("level=error user_id=43", JSON));
    assert!(Predicate::parse("  ").unwrap().is_empty());
    assert!(holds("", PLAIN));
}

#[test]
fn errors_name_the_term_and_column() {
    let err = |input: &str| Predicate::parse(input).expect_err(input);
    let e = err("level=error user_id");
    assert_eq!(
        (e.term.as_str(), e.column, &e.reason),
        ("user_id", 13, &Reason::NoOperator)
    );
    assert_eq!(
        e.to_string(),
        "`user_id` at column 13: no operator (use = != > >= < <= ~ !~)"
    );
    let e = err("a=1 =5");
    assert_eq!((e.column, e.reason), (5, Reason::NoKey("=")));
    let e = err("duration_ms>>5");
    assert_eq!((e.column, e.reason), (12, Reason::BadOperator(">>".into())));
    let e = err("a==b");
    assert_eq!(e.reason, Reason::BadOperator("==".into()));
    let e = err("x>");
    assert_eq!((e.column, e.reason), (2, Reason::NoValue(">")));
    let e = err("a=1 msg=\"open");
    assert_eq!((e.column, e.reason), (9, Reason::UnclosedQuote));
    let e = err("msg~(");
    assert_eq!(e.column, 5);
    assert!(matches!(e.reason, Reason::BadRegex(_)), "{e}");
    let e = err("a!b");
    assert_eq!(e.reason, Reason::BadOperator("!b".into()));
    // Hostile bytes in a term are shown inert.
    let e = err("\u{1b}[31m");
    assert!(!e.to_string().contains('\u{1b}'));
    // An explicitly empty value is fine.
    assert!(holds(r#"path!="""#, JSON));
}

#[test]
fn filter_with_combines_levels_search_and_predicate() {
    let mut buffer = LogBuffer::new(100);
    for text in [JSON, LOGFMT, PLAIN, r#"{"level":"info","user_id":42}"#] {
        buffer.push(line(text));
    }
    let p = Predicate::parse("user_id=42").unwrap();
    let all = filter_with(&buffer, &LogQuery::substring(""), LevelSet::ALL, &p);
    assert_eq!(all, vec![0, 3]);
    let errors = LevelSet::NONE.with(crate::model::logs::LevelGroup::Error);
    assert_eq!(
        filter_with(&buffer, &LogQuery::substring(""), errors, &p),
        vec![0]
    );
    assert_eq!(
        filter_with(&buffer, &LogQuery::substring("info"), LevelSet::ALL, &p),
        vec![3]
    );
}
