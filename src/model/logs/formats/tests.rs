//! Per-format tests on lines from real software's logs, each naming its source (the files are
//! kept under `tests/support/fixtures/logs/real/`, see its SOURCES.md).

use std::sync::Arc;

use super::DetectedFormat as F;
use crate::model::logs::{
    FormatMemory, Level, LogLine, ParseOptions, parse_line, parse_line_remembering, parse_line_with,
};

/// 2026-12-07T10:00:00Z, the "now" the year-less stamps are placed near.
const NOW: i64 = 1_796_637_600_000_000_000;

fn parse(text: &str) -> LogLine {
    let options = ParseOptions {
        reference_nanos: Some(NOW),
        ..ParseOptions::default()
    };
    parse_line_with(text.as_bytes(), Arc::from("file"), options)
}

fn nanos(text: &str) -> i64 {
    i64::try_from(text.parse::<jiff::Timestamp>().unwrap().as_nanosecond()).unwrap()
}

#[track_caller]
fn check(text: &str, format: F, level: Option<Level>, time: Option<&str>) {
    let line = parse(text);
    assert_eq!(line.detected_format(), format, "{text}");
    assert_eq!(line.level(), level, "{text}");
    if let Some(time) = time {
        assert_eq!(
            line.timestamp()
                .map(|t| i64::try_from(t.as_nanosecond()).unwrap()),
            Some(nanos(time)),
            "{text}"
        );
    }
}

#[test]
fn now_constant_is_what_it_says() {
    assert_eq!(NOW, nanos("2026-12-07T10:00:00Z"));
}

#[test]
fn syslog_file_lnav_and_loghub() {
    // tstack/lnav test/logfile_syslog.0, lines 1 and 2.
    check(
        "Nov  3 09:23:38 veridian automount[7998]: lookup(file): lookup for foobar failed",
        F::SyslogFile,
        Some(Level::Error),
        Some("2026-11-03T09:23:38Z"),
    );
    check(
        "Nov  3 09:23:38 veridian automount[16442]: attempting to mount entry /auto/opt",
        F::SyslogFile,
        Some(Level::Info),
        None,
    );
    // logpai/loghub OpenSSH/OpenSSH_2k.log.
    check(
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
        F::SyslogFile,
        Some(Level::Error),
        Some("2025-12-10T06:55:46Z"),
    );
}

#[test]
fn syslog_with_pri_rfc3164_and_rfc5424() {
    // RFC 3164 section 5.4, example 1.
    check(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        F::SyslogRfc3164,
        Some(Level::Fatal),
        Some("2026-10-11T22:14:15Z"),
    );
    // RFC 5424 section 6.5, example 1.
    check(
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
        F::SyslogRfc5424,
        Some(Level::Fatal),
        Some("2003-10-11T22:14:15.003Z"),
    );
    // RFC 5424 section 6.5, example 2: PRI 165 is local4.notice.
    check(
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        F::SyslogRfc5424,
        Some(Level::Info),
        Some("2003-08-24T12:14:15.000003Z"),
    );
    let line = parse("<11>Dec  4 04:47:44 host app: x");
    assert_eq!(line.level(), Some(Level::Error));
    assert_eq!(
        line.format_explanation(),
        "syslog RFC 3164 · level ERROR from PRI <11> (facility 1, severity 3 err)"
    );
}

#[test]
fn web_logs() {
    // tstack/lnav test/logfile_access_log.0, line 2.
    check(
        r#"192.168.202.254 - - [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7""#,
        F::AccessLog,
        Some(Level::Warn),
        Some("2009-07-20T22:59:29Z"),
    );
    check(
        r#"10.0.0.1 - - [07/Dec/2026:10:00:00 +0100] "POST /pay HTTP/1.1" 502 0 "-" "curl/8""#,
        F::AccessLog,
        Some(Level::Error),
        Some("2026-12-07T09:00:00Z"),
    );
    // logpai/loghub Apache/Apache_2k.log, lines 1 and 2.
    check(
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        F::ApacheError,
        Some(Level::Info),
        Some("2005-12-04T04:47:44Z"),
    );
    check(
        "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
        F::ApacheError,
        Some(Level::Error),
        None,
    );
    check(
        "[Wed Oct 11 14:32:52.123456 2000] [core:crit] [pid 35708:tid 4328636416] AH00102: x",
        F::ApacheError,
        Some(Level::Fatal),
        Some("2000-10-11T14:32:52.123456Z"),
    );
    // nginx's error log (ngx_log.c writes "%4d/%02d/%02d %02d:%02d:%02d [%V] %P#%TID: ").
    check(
        "2026/12/07 10:00:00 [error] 123#0: *1 open() \"/x\" failed (2: No such file or directory)",
        F::NginxError,
        Some(Level::Error),
        Some("2026-12-07T10:00:00Z"),
    );
}

#[test]
fn w3c_needs_its_header() {
    // tstack/lnav test/logfile_w3c.6 (user agent shortened).
    let header = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken";
    let data = "2015-01-13 00:32:17 100.79.192.81 GET /robots.txt - 80 - 157.55.39.146 Mozilla/5.0+(compatible;+bingbot/2.0) - 404 0 2 1405 242 283";
    let mut memory = FormatMemory::default();
    let options = ParseOptions::default();
    let first = parse_line_remembering(header.as_bytes(), Arc::from("f"), options, &mut memory);
    assert_eq!(first.detected_format(), F::W3cDirective);
    assert_eq!(first.level(), None);
    let line = parse_line_remembering(data.as_bytes(), Arc::from("f"), options, &mut memory);
    assert_eq!(line.detected_format(), F::W3c);
    assert_eq!(line.level(), Some(Level::Warn));
    assert_eq!(
        line.timestamp()
            .map(|t| i64::try_from(t.as_nanosecond()).unwrap()),
        Some(nanos("2015-01-13T00:32:17Z"))
    );
    // Without the header the same line is not read as W3C.
    assert_ne!(parse(data).detected_format(), F::W3c);
}

#[test]
fn application_text_formats() {
    // tstack/lnav test/logfile_generic.0.
    check(
        "2014-10-08 16:56:38,344:WARN:foo bar baz",
        F::StampedLevel,
        Some(Level::Warn),
        Some("2014-10-08T16:56:38.344Z"),
    );
    // tstack/lnav test/logfile_laravel.0 (context trimmed).
    check(
        "[2023-05-15 18:19:32] local.ERROR: Target class [Fruitcake\\Cors\\HandleCors] does not exist.",
        F::Laravel,
        Some(Level::Error),
        Some("2023-05-15T18:19:32Z"),
    );
    // tstack/lnav test/logfile_glog.0, line 1.
    check(
        "E0517 15:04:22.619632 1952452992 logging_unittest.cc:253] Log every 3, iteration 19",
        F::Klog,
        Some(Level::Error),
        None,
    );
    // logpai/loghub Hadoop/Hadoop_2k.log (Log4j), Zookeeper_2k.log, Windows_2k.log.
    check(
        "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
        F::StampedLevel,
        Some(Level::Info),
        Some("2015-10-18T18:01:47.978Z"),
    );
    check(
        "2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread",
        F::StampedLevel,
        Some(Level::Warn),
        None,
    );
    check(
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
        F::StampedLevel,
        Some(Level::Info),
        None,
    );
    // logpai/loghub Android/Android_2k.log, line 1 (trimmed).
    check(
        "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
        F::Logcat,
        Some(Level::Debug),
        Some("2026-03-17T16:13:38.811Z"),
    );
    // tstack/lnav test/logfile_logfmt.0, line 2 (trimmed).
    check(
        r#"time="2021-09-15T21:17:11.674149Z" level=warning msg="Failed to DeletePod in the provider""#,
        F::Logfmt,
        Some(Level::Warn),
        Some("2021-09-15T21:17:11.674149Z"),
    );
    // Go's log/slog TextHandler.
    check(
        "time=2026-12-07T10:00:00.000Z level=WARN msg=\"disk almost full\" pct=91",
        F::Logfmt,
        Some(Level::Warn),
        Some("2026-12-07T10:00:00Z"),
    );
    check(
        "WARNING:root:disk almost full",
        F::Python,
        Some(Level::Warn),
        None,
    );
    check(
        "2026-12-07 10:00:00,123 - payments.api - ERROR - charge failed",
        F::StampedLevel,
        Some(Level::Error),
        Some("2026-12-07T10:00:00.123Z"),
    );
    check(
        "E, [2026-12-07T10:00:00.123456 #4242] ERROR -- : PG::ConnectionBad",
        F::Rails,
        Some(Level::Error),
        Some("2026-12-07T10:00:00.123456Z"),
    );
    check(
        "Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.0ms)",
        F::RailsRequest,
        Some(Level::Error),
        None,
    );
    // logrus's text formatter writes Go's time.Time.String() in `time=`.
    check(
        "2014-03-10 19:57:38.562264131 -0400 EDT WARN slow",
        F::StampedLevel,
        Some(Level::Warn),
        Some("2014-03-10T23:57:38.562264131Z"),
    );
}

#[test]
fn json_formats_and_their_times() {
    // tstack/lnav test/logfile_bunyan.0, line 1.
    let bunyan = r#"{"name":"renovate","hostname":"renovate-gitlab-67c4bcb5-9ggbv","pid":7,"level":20,"logContext":"qjifsaDDI","msg":"Found gitlabci-include package files","time":"2023-03-24T14:26:16.243Z","v":0}"#;
    check(
        bunyan,
        F::JsonNumeric,
        Some(Level::Debug),
        Some("2023-03-24T14:26:16.243Z"),
    );
    // pino writes epoch milliseconds.
    check(
        r#"{"level":50,"time":1745532517537,"pid":17,"msg":"x"}"#,
        F::JsonNumeric,
        Some(Level::Error),
        Some("2025-04-24T22:08:37.537Z"),
    );
    // journald: PRIORITY as a string, __REALTIME_TIMESTAMP in microseconds (tstack/lnav
    // test/logfile_journald.json, trimmed).
    check(
        r#"{ "__REALTIME_TIMESTAMP" : "1534860261221373", "PRIORITY" : "6", "MESSAGE" : "Started Session 1 of user root." }"#,
        F::Journald,
        Some(Level::Info),
        Some("2018-08-21T14:04:21.221373Z"),
    );
    check(
        r#"{"PRIORITY":3,"MESSAGE":"x"}"#,
        F::Journald,
        Some(Level::Error),
        None,
    );
    check(
        r#"{"PRIORITY":"2","MESSAGE":"x"}"#,
        F::Journald,
        Some(Level::Fatal),
        None,
    );
    // Log4j2 JsonLayout: instant, and the older timeMillis.
    check(
        r#"{"instant":{"epochSecond":1765101600,"nanoOfSecond":123456789},"thread":"main","level":"WARN","loggerName":"x","message":"slow"}"#,
        F::Log4j2Json,
        Some(Level::Warn),
        Some("2025-12-07T10:00:00.123456789Z"),
    );
    check(
        r#"{"timeMillis":1765101600123,"level":"ERROR","message":"boom"}"#,
        F::Log4j2Json,
        Some(Level::Error),
        Some("2025-12-07T10:00:00.123Z"),
    );
    // logrus JSON writes Go's time.Time.String() shape.
    check(
        r#"{"level":"warning","msg":"x","time":"2014-03-10 19:57:38.562264131 -0400 EDT"}"#,
        F::Json,
        Some(Level::Warn),
        Some("2014-03-10T23:57:38.562264131Z"),
    );
    // Epoch seconds, micros and nanos, as numbers or strings.
    check(
        r#"{"ts":1765101600.5,"level":"info"}"#,
        F::Json,
        Some(Level::Info),
        Some("2025-12-07T10:00:00.5Z"),
    );
    check(
        r#"{"timestamp":"1765101600000000","level":"info"}"#,
        F::Json,
        Some(Level::Info),
        Some("2025-12-07T10:00:00Z"),
    );
    check(
        r#"{"@timestamp":1765101600000000000,"level":"info"}"#,
        F::Json,
        Some(Level::Info),
        Some("2025-12-07T10:00:00Z"),
    );
}

#[test]
fn year_less_stamps_need_a_reference() {
    let line = parse_line(b"Dec  4 04:47:44 host app[1]: ok", Arc::from("f"));
    assert_eq!(line.detected_format(), F::SyslogFile);
    assert_eq!(line.timestamp(), None);
}

#[test]
fn hostile_bytes_stay_inert_in_every_format() {
    let lines: [&[u8]; 6] = [
        b"<11>Dec  4 04:47:44 host \x1b]0;pwned\x07app: \x1b[2J boom",
        b"10.0.0.1 - - [07/Dec/2026:10:00:00 +0000] \"GET /\x1b[31m HTTP/1.1\" 500 0",
        b"[Sun Dec 04 04:47:44 2005] [error\xe2\x80\xae] x",
        b"[2023-05-15 18:19:32] local.ERROR\x07: \xff\xfe",
        b"#Fields: date time sc-status\x1b[2J",
        b"{\"PRIORITY\":\"3\",\"MESSAGE\":\"\\u001b[2J\\u202e\"}",
    ];
    let mut memory = FormatMemory::default();
    for raw in lines {
        let line =
            parse_line_remembering(raw, Arc::from("f"), ParseOptions::default(), &mut memory);
        for text in [line.raw(), line.message(), &line.format_explanation()] {
            for c in text.chars() {
                assert!(!c.is_control(), "{c:?} in {text:?}");
                assert!(!matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'));
            }
        }
    }
}
