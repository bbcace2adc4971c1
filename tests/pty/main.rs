//! Smoke tests of the real `opsdeck` binary in a pseudo-terminal (80×24, `portable-pty`).
//!
//! They check what only a real terminal shows: the sandbox comes up and draws, `q` quits
//! with code 0, and the terminal is given back (alternate screen left, cursor shown,
//! bracketed paste off, cooked mode again); a broken user keymap stops the binary with
//! code 2 before the terminal is touched; `NO_COLOR` yields no colour escape at all;
//! `--version` names the log file; and a death by SIGABRT or SIGSEGV (what an assertion or
//! a crash in a C library such as librdkafka does) still gives the terminal back and exits
//! with that signal; `S` hands the terminal to a shell and takes it back; `F` forwards a
//! pod port that a real client reaches, until `q` ends it with opsdeck; mouse reports are
//! asked for only with `--mouse`, where a click on a tab switches pane, and always turned off;
//! `opsdeck status` keeps each finding on one line of an 80-column terminal; and custom
//! commands (`custom`) hand the terminal to the sandbox's stand-ins.
//!
//! Every child gets a cleared environment with `HOME`, `OPSDECK_CONFIG` and `OPSDECK_DATA`
//! inside a temp dir, so the user's own files are never read or written. These tests need
//! no peer and never skip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns unwrap; a panic is the failure report"
)]

use std::path::Path;
use std::time::Duration;

#[allow(
    dead_code,
    reason = "shared with the peers binary, which uses the screen and other sizes"
)]
#[path = "../support/pty.rs"]
mod pty;

mod custom;

use pty::{BIN, Session, visible};

const ENTER_ALT: &str = "\x1b[?1049h";
const LEAVE_ALT: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";
const HIDE_CURSOR: &str = "\x1b[?25l";
const PASTE_OFF: &str = "\x1b[?2004l";
/// Mouse reports on (clicks and the wheel), and normal tracking off again.
const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1006h";
const MOUSE_OFF: &str = "\x1b[?1000l";
/// Every frame is drawn inside a synchronized update; this opens one.
const FRAME_BEGIN: &str = "\x1b[?2026h";

/// From the sandbox's first screen to the pods of its stuck rollout (`3`, enter, enter).
fn open_the_stuck_rollouts_pods(s: &mut Session) {
    s.expect_text("checkout-api", Duration::from_secs(30));
    s.send("3");
    s.expect_screen("│▶ shipping-api", Duration::from_secs(10));
    s.send("\r");
    s.expect_screen("rollout logistics/shipping-api", Duration::from_secs(10));
    s.settle(Duration::from_millis(500));
    s.send("\r");
    s.expect_screen("Pods of rollout shipping-api", Duration::from_secs(10));
}

/// A temp dir laid out as the binary's home, config dir and data dir.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pty-")
            .tempdir()
            .unwrap();
        for sub in ["home", "config", "data"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config_dir(&self) -> std::path::PathBuf {
        self.path().join("config")
    }

    fn data_dir(&self) -> std::path::PathBuf {
        self.path().join("data")
    }

    /// The hermetic environment every child runs with.
    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), path_str(&self.path().join("home"))),
            ("USER".into(), "tester".into()),
            ("TERM".into(), "xterm-256color".into()),
            (
                "OPSDECK_CONFIG".into(),
                path_str(&self.config_dir().join("config.toml")),
            ),
            ("OPSDECK_DATA".into(), path_str(&self.data_dir())),
        ];
        env.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
        env
    }
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_owned()
}

/// Every SGR sequence (`ESC [ params m`) in `text` that sets a colour: foreground 30–38
/// and 90–97, background 40–48 and 100–107, underline colour 58. Default colour (39, 49,
/// 59), reset and attributes such as bold or reverse are not colours.
fn colour_sgrs(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != 0x1b || bytes[i + 1] != b'[' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 2;
        while j < bytes.len() && (0x20..0x40).contains(&bytes[j]) {
            j += 1;
        }
        if j >= bytes.len() {
            break;
        }
        let params = &text[i + 2..j];
        let private = params.starts_with(['?', '<', '=', '>']);
        if bytes[j] == b'm' && !private {
            let sets_colour = params.split([';', ':']).any(|p| {
                let n: u16 = p.parse().unwrap_or(0);
                matches!(n, 30..=38 | 40..=48 | 58 | 90..=97 | 100..=107)
            });
            if sets_colour {
                found.push(text[start..=j].escape_debug().to_string());
            }
        }
        i = j + 1;
    }
    found
}

/// Starts the sandbox, waits for the catalog, and quits with `q`: returns the session
/// after exit 0.
fn run_sandbox_and_quit(extra_env: &[(&str, &str)]) -> Session {
    let sandbox = Sandbox::new();
    let mut s = Session::start(&["sandbox"], &sandbox.env(extra_env), sandbox.path());
    s.expect_text("checkout-api", Duration::from_secs(30));
    // While it runs the terminal is raw: no line editing, no echo.
    let running = s.local_flags();
    assert!(
        !running.iter().any(|f| f == "ICANON" || f == "ECHO"),
        "the terminal is not in raw mode while opsdeck runs: {running:?}"
    );
    s.quit_with_0(Duration::from_secs(10));
    s
}

/// Asserts that the terminal was set up and then fully given back after the last frame.
fn assert_restored(s: &Session) {
    let out = s.text();
    let show = || visible(&out);
    let enter = out
        .find(ENTER_ALT)
        .unwrap_or_else(|| panic!("never entered the alternate screen:\n{}", show()));
    let first_text = out.find("checkout-api").unwrap();
    assert!(
        enter < first_text,
        "drew before entering the alternate screen"
    );
    let last_frame = out
        .rfind(FRAME_BEGIN)
        .unwrap_or_else(|| panic!("no synchronized frame:\n{}", show()));
    assert!(
        out.rfind(ENTER_ALT).unwrap() < last_frame,
        "re-entered the alternate screen after the last frame"
    );
    for (seq, what) in [
        (MOUSE_OFF, "turn mouse reports off"),
        (LEAVE_ALT, "leave the alternate screen"),
        (SHOW_CURSOR, "show the cursor"),
        (PASTE_OFF, "disable bracketed paste"),
    ] {
        let at = out
            .rfind(seq)
            .unwrap_or_else(|| panic!("never did: {what}\n{}", show()));
        assert!(
            at > last_frame,
            "did not {what} after the last frame:\n{}",
            show()
        );
    }
    assert!(
        out.rfind(SHOW_CURSOR) > out.rfind(HIDE_CURSOR),
        "the cursor was hidden again after being shown:\n{}",
        show()
    );
    let flags = s.local_flags();
    assert!(
        flags.iter().any(|f| f == "ICANON") && flags.iter().any(|f| f == "ECHO"),
        "raw mode was not left (local flags {flags:?})"
    );
}

#[test]
fn sandbox_starts_draws_and_restores_the_terminal_on_q() {
    let s = run_sandbox_and_quit(&[]);
    assert_restored(&s);
    // The colour check of the NO_COLOR test means something only if colour shows here.
    assert!(
        !colour_sgrs(&s.text()).is_empty(),
        "expected colour escapes under TERM=xterm-256color:\n{}",
        visible(&s.text())
    );
}

#[test]
fn the_mouse_is_off_unless_asked_for_and_then_a_click_on_a_tab_switches_pane() {
    let s = run_sandbox_and_quit(&[]);
    assert!(
        !s.text().contains("\x1b[?1000h"),
        "mouse reports asked for without --mouse"
    );

    let sandbox = Sandbox::new();
    let mut s = Session::start(&["sandbox", "--mouse"], &sandbox.env(&[]), sandbox.path());
    s.expect_text("checkout-api", Duration::from_secs(30));
    let out = s.text();
    assert!(
        out.find(MOUSE_ON) < out.find("checkout-api"),
        "mouse reports on before the first frame:\n{}",
        visible(&out)
    );
    // A left press and release (SGR, 1-based) on the `apps` tab: row 2, columns 11–14 at
    // 80 columns (` 1 svc  2 apps ...`: tab 1 takes columns 1–7).
    s.send("\x1b[<0;12;2M\x1b[<0;12;2m");
    s.expect_screen("Argo CD ·", Duration::from_secs(10));
    s.send("q");
    assert_eq!(s.wait_exit(Duration::from_secs(10)), 0);
    assert_restored(&s);
}

#[test]
fn no_color_emits_no_colour_escapes() {
    let s = run_sandbox_and_quit(&[("NO_COLOR", "1")]);
    assert_restored(&s);
    let colours = colour_sgrs(&s.text());
    assert!(
        colours.is_empty(),
        "colour escapes under NO_COLOR=1: {colours:?}"
    );
}

#[test]
fn broken_user_keymap_exits_2_before_touching_the_terminal() {
    let sandbox = Sandbox::new();
    let keymaps = sandbox.config_dir().join("keymaps");
    std::fs::create_dir_all(&keymaps).unwrap();
    let file = keymaps.join("default.toml");
    std::fs::write(&file, "[global]\nfly = \"f\"\n").unwrap();
    let env = sandbox.env(&[]);
    let file_name = path_str(&file);
    let names_the_problem =
        |text: &str| text.contains(&format!("{file_name}:2")) && text.contains("global.fly");

    // In a terminal: exit 2, the message, and not one byte of terminal setup.
    let mut s = Session::start(&["sandbox"], &env, sandbox.path());
    let code = s.wait_exit(Duration::from_secs(10));
    let out = s.text();
    assert_eq!(code, 2, "exit code; output:\n{}", visible(&out));
    assert!(
        names_the_problem(&out),
        "the message should name {file_name}, line 2 and `global.fly`:\n{}",
        visible(&out)
    );
    assert!(
        !out.contains(ENTER_ALT),
        "entered the alternate screen:\n{}",
        visible(&out)
    );
    assert!(
        !out.contains("\x1b[?"),
        "changed a terminal mode (alternate screen, cursor, paste):\n{}",
        visible(&out)
    );

    // With the streams apart: the message is on stderr and stdout stays empty.
    let piped = std::process::Command::new(BIN)
        .arg("sandbox")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(sandbox.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert_eq!(piped.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        names_the_problem(&stderr),
        "stderr should name {file_name}, line 2 and `global.fly`:\n{stderr}"
    );
    assert!(
        piped.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&piped.stdout)
    );
}

#[test]
fn version_names_the_log_file() {
    let sandbox = Sandbox::new();
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .env_clear()
        .envs(sandbox.env(&[]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = sandbox.data_dir().join("opsdeck.log");
    assert!(
        stdout.contains(&format!("log: {}", log.display())),
        "--version should name the log file {}:\n{stdout}",
        log.display()
    );
}

/// `opsdeck tour first-day-on-call`: the tour starts on the sandbox, its steps complete from
/// keys typed into the terminal, `q` quits cleanly with the terminal restored, the finished
/// chapter is saved, and starting the tour again resumes after it.
#[test]
fn tour_starts_accepts_keys_quits_cleanly_and_resumes() {
    let sandbox = Sandbox::new();
    let env = sandbox.env(&[]);
    let mut s = Session::start(&["tour", "first-day-on-call"], &env, sandbox.path());
    s.expect_text("Tour 0/12", Duration::from_secs(30));
    s.expect_text("checkout-api", Duration::from_secs(30));
    s.send("?");
    s.expect_text("esc closes help", Duration::from_secs(10));
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    s.send(":");
    s.expect_text("type kafka", Duration::from_secs(10));
    s.send("kafka\r");
    s.expect_text("✓ 3 Go to Kafka by name", Duration::from_secs(10));
    s.send("1");
    s.expect_text("Recap of", Duration::from_secs(10));
    s.quit_with_0(Duration::from_secs(10));
    assert_restored(&s);
    let saved = std::fs::read_to_string(sandbox.data_dir().join("tours.json"))
        .expect("progress saved in the data dir");
    assert!(
        saved.contains("\"first-day-on-call\"") && saved.contains("\"chapters_done\": 1"),
        "{saved}"
    );

    let mut again = Session::start(&["tour", "first-day-on-call"], &env, sandbox.path());
    again.expect_text("Tour 4/12", Duration::from_secs(30));
    again.expect_text("resumed", Duration::from_secs(10));
    again.send("q");
    assert_eq!(again.wait_exit(Duration::from_secs(10)), 0);
}

/// A broken tour file stops `opsdeck tour` with code 2 and a message naming the file, the
/// line and the key, before the terminal is touched.
#[test]
fn broken_user_tour_exits_2_naming_file_line_and_key() {
    let sandbox = Sandbox::new();
    let tours = sandbox.config_dir().join("tours");
    std::fs::create_dir_all(&tours).unwrap();
    let file = tours.join("mine.toml");
    std::fs::write(
        &file,
        "name = \"mine\"\ntitle = \"Mine\"\nsummary = \"x\"\n[[chapter]]\ntitle = \"c\"\nrecap = \"r\"\n[[chapter.step]]\ntitle = \"t\"\ntext = \"t\"\nhint = \"h\"\ndone = \"d\"\ncheck = { pane = \"postgres\" }\n",
    )
    .unwrap();
    let mut s = Session::start(&["tour", "mine"], &sandbox.env(&[]), sandbox.path());
    let code = s.wait_exit(Duration::from_secs(10));
    let out = s.text();
    assert_eq!(code, 2, "exit code; output:\n{}", visible(&out));
    let expected = format!(
        "{}:12:18: key `chapter[1].step[1].check.pane`: unknown variant `postgres`",
        path_str(&file)
    );
    assert!(
        out.contains(&expected),
        "expected {expected}:\n{}",
        visible(&out)
    );
    assert!(
        !out.contains(ENTER_ALT),
        "touched the terminal:\n{}",
        visible(&out)
    );
}

/// Starts the sandbox, sends it `signal` as a C library's `abort()` or a segfault would,
/// and checks that the terminal was given back after the signal and that the process still
/// died of it (exit status 134 or 139 in a shell).
fn fatal_signal_restores_the_terminal(signal: nix::sys::signal::Signal, name: &str) {
    let sandbox = Sandbox::new();
    let mut s = Session::start(&["sandbox"], &sandbox.env(&[]), sandbox.path());
    s.expect_text("checkout-api", Duration::from_secs(30));
    let running = s.local_flags();
    assert!(
        !running.iter().any(|f| f == "ICANON" || f == "ECHO"),
        "the terminal is not in raw mode while opsdeck runs: {running:?}"
    );
    let before = s.output.len();
    let pid = s.child.process_id().expect("the child's pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        signal,
    )
    .unwrap();
    let status = s.wait_status(Duration::from_secs(10));
    let after = String::from_utf8_lossy(&s.output[before..]).into_owned();
    for (seq, what) in [
        (LEAVE_ALT, "leave the alternate screen"),
        (SHOW_CURSOR, "show the cursor"),
        (PASTE_OFF, "disable bracketed paste"),
    ] {
        assert!(
            after.contains(seq),
            "did not {what} after {signal}; output after the signal:\n{}",
            visible(&after)
        );
    }
    assert!(
        after.contains(&format!("opsdeck: fatal signal {}", signal.as_str())),
        "names the signal after restoring the terminal:\n{}",
        visible(&after)
    );
    assert!(
        status.signal().is_some_and(|s| s.contains(name)),
        "the exit status names {signal} ({name}): {status:?}"
    );
    let flags = s.local_flags();
    assert!(
        flags.iter().any(|f| f == "ICANON") && flags.iter().any(|f| f == "ECHO"),
        "raw mode was not left after {signal} (local flags {flags:?})"
    );
}

#[test]
fn sigabrt_restores_the_terminal_and_still_aborts() {
    fatal_signal_restores_the_terminal(nix::sys::signal::Signal::SIGABRT, "Abort");
}

#[test]
fn sigsegv_restores_the_terminal_and_still_dies_of_it() {
    fatal_signal_restores_the_terminal(nix::sys::signal::Signal::SIGSEGV, "Segmentation");
}

/// `S` on the stuck rollout's OOM-killed pod (3 keys from the rollouts list) hands the real
/// terminal to the sandbox's shell: the alternate screen is left, the terminal stays raw (the
/// shell echoes), every key goes to the shell and none to opsdeck; `exit 3` gives the
/// terminal back, opsdeck repaints and says how the shell ended, and its keys work again.
#[test]
fn s_hands_the_terminal_to_a_shell_and_takes_it_back() {
    let sandbox = Sandbox::new();
    let mut s = Session::start(&["sandbox"], &sandbox.env(&[]), sandbox.path());
    open_the_stuck_rollouts_pods(&mut s);
    let before = s.text().len();
    s.send("S");
    s.expect_screen("simulated shell in", Duration::from_secs(10));
    let handed = s.text()[before..].to_owned();
    assert!(
        handed.contains(LEAVE_ALT),
        "the alternate screen was not left:\n{}",
        visible(&handed)
    );
    let flags = s.local_flags();
    assert!(
        !flags.iter().any(|f| f == "ICANON" || f == "ECHO"),
        "the shell's terminal is raw (the remote TTY echoes): {flags:?}"
    );
    // `q` and `j` are opsdeck keys: here they are the shell's letters.
    s.send("echo qj-typed\r");
    s.expect_text("qj-typed\r\nroot@", Duration::from_secs(10));
    s.send("exit 3\r");
    s.expect_screen("exit status 3", Duration::from_secs(10));
    assert!(
        s.screen().contains("kube.pod.exec"),
        "the outcome is said:\n{}",
        s.screen()
    );
    let flags = s.local_flags();
    assert!(
        !flags.iter().any(|f| f == "ICANON" || f == "ECHO"),
        "opsdeck's raw mode is back: {flags:?}"
    );
    // Keys reach opsdeck again: q quits, with the terminal given back.
    s.quit_with_0(Duration::from_secs(10));
    let flags = s.local_flags();
    assert!(
        flags.iter().any(|f| f == "ICANON") && flags.iter().any(|f| f == "ECHO"),
        "raw mode was not left (local flags {flags:?})"
    );
}

/// `F` on a pod of the sandbox forwards its declared port to the typed loopback port: a real
/// client gets the sandbox's canned HTTP answer naming the pod, `f` lists the forward, and
/// `q` ends it with opsdeck (the port is closed once the process is gone).
#[test]
fn f_forwards_a_pod_port_that_curl_reaches_and_q_ends_it() {
    use std::io::{Read as _, Write as _};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let sandbox = Sandbox::new();
    let mut s = Session::start(&["sandbox"], &sandbox.env(&[]), sandbox.path());
    open_the_stuck_rollouts_pods(&mut s);
    s.send("F");
    s.expect_screen("port-forward", Duration::from_secs(10));
    s.expect_screen("8080/http", Duration::from_secs(10));
    s.send("\t");
    s.send(&port.to_string());
    s.send("\r");
    s.settle(Duration::from_millis(500));
    s.send("f");
    let listening = format!("127.0.0.1:{port}");
    s.expect_screen(&listening, Duration::from_secs(10));

    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the forward listens");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\n\r\n")
        .expect("request");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("opsdeck sandbox: pod logistics/shipping-api-"),
        "{answer}"
    );
    // curl closes after a `Connection: close` answer.
    drop(tcp);
    s.expect_screen("1 (0 open)", Duration::from_secs(10));

    s.quit_with_0(Duration::from_secs(15));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the forward ended with opsdeck"
    );
}

/// `opsdeck sandbox status --all` in an 80-column terminal: a table with one line per
/// finding, none wider than the terminal (the WHAT column is cut, not wrapped), no escape
/// sequence of any kind, and exit 4 for the sandbox's critical incidents.
#[test]
fn status_in_an_80_column_terminal_keeps_each_finding_on_one_line() {
    use unicode_width::UnicodeWidthStr as _;
    let sandbox = Sandbox::new();
    let mut s = Session::start(
        &["sandbox", "status", "--all"],
        &sandbox.env(&[]),
        sandbox.path(),
    );
    let code = s.wait_exit(Duration::from_mins(1));
    let text = s.text();
    assert_eq!(code, 4, "{}", visible(&text));
    assert!(!text.contains('\x1b'), "{}", visible(&text));
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    assert!(lines[0].starts_with("SEV "), "{text}");
    for line in &lines {
        assert!(
            line.width() <= 80,
            "{} columns: {line}\n{text}",
            line.width()
        );
    }
    // A dozen services of each sandbox context, the longest WHAT cut with `…`.
    let findings = lines
        .iter()
        .filter(|l| l.starts_with("✖ critical ") || l.starts_with("▲ warning "))
        .count();
    assert!(findings >= 20, "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("⚑sandbox-prod") && l.contains("ledger-service")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("shipping-api") && l.contains('…')),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("✖ critical: ")),
        "{text}"
    );
    assert_eq!(
        lines.last(),
        Some(&"checked: sandbox-staging, sandbox-prod")
    );
}
