//! Drives the real run loop headless on the sandbox with keystrokes only, the way a person
//! would, and reads the tour's progress off the screen (the panel's `Tour N/M ✓` title).

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use opsdeck::app::state::{ContextInfo, State};
use opsdeck::config::Config;
use opsdeck::runtime::run::{Environment, load_ui, run};
use opsdeck::runtime::terminal::Headless;
use opsdeck::theme::ColorDepth;
use opsdeck::tour::library::TourLibrary;
use ratatui::Terminal;

use crate::render::probe::{Observer, Probe};

/// How long an asynchronous step (an action, a refresh, provisioning) may take.
const SLOW: Duration = Duration::from_secs(40);

/// How long the console may take to quit once the test is done.
const QUIT: Duration = Duration::from_secs(20);

/// The keyboard and the screen of a running console.
pub struct Ui {
    keys: UnboundedSender<io::Result<Event>>,
    seen: Observer,
}

/// Runs the console on the sandbox (seed 7) at `width`×`height` until `drive` returns, then
/// quits it; returns what `drive` returned.
pub async fn with_console<F, Fut, R>(width: u16, height: u16, drive: F) -> R
where
    F: FnOnce(Ui) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    let dir = tempfile::tempdir().expect("data dir");
    let (probe, seen, _) = Probe::new(width, height, |_| false);
    let mut terminal = Terminal::new(probe).expect("terminal");
    let config = Config::sandbox(7);
    let ui = load_ui("default", "default", None, ColorDepth::Ansi16).expect("ui");
    let context = ContextInfo {
        name: "sandbox-staging".into(),
        ..ContextInfo::default()
    };
    let mut state = State::new(context, "dev".into(), ui, jiff::Timestamp::now());
    state.tours = Arc::new(TourLibrary::load(None));
    let mut env = Environment::new(config, None, ColorDepth::Ansi16);
    env.data_dir = Some(dir.path().to_path_buf());
    env.user = "dev".into();
    env.sandbox_provisioner = Some(format!(
        "'{}' sandbox-provisioner",
        env!("CARGO_BIN_EXE_opsdeck")
    ));
    let (keys, input) = unbounded();
    let console = Ui { keys, seen };
    let mut host = Headless;
    let app = run(&mut terminal, &mut state, input, &mut env, &mut host);
    tokio::pin!(app);
    let result = tokio::select! {
        ran = &mut app => panic!("the run loop ended before the test did: {ran:?}"),
        result = drive(Ui {
            keys: console.keys.clone(),
            seen: console.seen.clone(),
        }) => result,
    };
    // ctrl-c closes an open modal instead of quitting (a dialog or picker may open between
    // the test's last check and its quit), so ask again until the loop ends, and fail with
    // the screen rather than hang.
    let deadline = Instant::now() + QUIT;
    let ran = loop {
        console.press("<ctrl-c>");
        tokio::select! {
            ran = &mut app => break ran,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        assert!(
            Instant::now() < deadline,
            "the console did not quit within {QUIT:?} of ctrl-c; screen:\n{}",
            console.screen()
        );
    };
    ran.expect("the run loop ends cleanly");
    drop(dir);
    result
}

fn event(token: &str) -> KeyEvent {
    let (code, modifiers) = match token {
        "enter" => (KeyCode::Enter, KeyModifiers::NONE),
        "esc" => (KeyCode::Esc, KeyModifiers::NONE),
        "tab" => (KeyCode::Tab, KeyModifiers::NONE),
        "up" => (KeyCode::Up, KeyModifiers::NONE),
        "down" => (KeyCode::Down, KeyModifiers::NONE),
        "space" => (KeyCode::Char(' '), KeyModifiers::NONE),
        "ctrl-c" => (KeyCode::Char('c'), KeyModifiers::CONTROL),
        "ctrl-e" => (KeyCode::Char('e'), KeyModifiers::CONTROL),
        other => panic!("no key `{other}` in the test vocabulary"),
    };
    KeyEvent::new(code, modifiers)
}

impl Ui {
    /// Types `keys`: plain characters, and `<enter>`, `<esc>`, `<tab>`, `<up>`, `<down>`,
    /// `<ctrl-e>` for the others.
    pub fn press(&self, keys: &str) {
        let mut rest = keys;
        while let Some(c) = rest.chars().next() {
            let key = if c == '<'
                && let Some(end) = rest.find('>')
            {
                let key = event(&rest[1..end]);
                rest = &rest[end + 1..];
                key
            } else {
                rest = &rest[c.len_utf8()..];
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
            };
            if self.keys.unbounded_send(Ok(Event::Key(key))).is_err() {
                return; // the console already quit
            }
        }
    }

    #[must_use]
    pub fn screen(&self) -> String {
        self.seen.seen().screen.clone()
    }

    /// Waits until the screen satisfies `ready` and returns that screen, or fails with the
    /// last screen.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {what}; screen:\n{}",
                self.screen()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Presses `keys` and waits until the frames after them are drawn.
    pub async fn press_and_settle(&self, keys: &str) {
        let before = self.seen.frames();
        self.press(keys);
        let start = Instant::now();
        while self.seen.frames() == before && start.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Keys are drawn at once, but a key's effect may take a second frame (a command).
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    /// Steps done and steps in all, from the tour panel's title.
    #[must_use]
    pub fn progress(&self) -> Option<(usize, usize)> {
        progress_of(&self.screen())
    }

    /// Presses `setup` (the step is not done after it), then `finish`, after which step
    /// `n` (1-based over the whole tour) must be done.
    pub async fn step(&self, n: usize, setup: &str, finish: &str) {
        if !setup.is_empty() {
            self.press_and_settle(setup).await;
            assert_eq!(
                self.done(),
                n - 1,
                "step {n} completed too early, after `{setup}`; screen:\n{}",
                self.screen()
            );
        }
        self.press(finish);
        self.until_done(n).await;
    }

    /// Waits until `n` steps are done; `n + 1` may complete with it (a step that waits for
    /// a refresh can be satisfied by the same batch of messages).
    pub async fn until_done_or_next(&self, n: usize) {
        let screen = self
            .wait_for(&format!("{n} steps done"), SLOW, |s| {
                progress_of(s).is_some_and(|(done, _)| done >= n)
            })
            .await;
        let done = progress_of(&screen).map_or(0, |(done, _)| done);
        assert!(
            done <= n + 1,
            "steps after {} completed on their own:\n{screen}",
            n + 1
        );
    }

    /// Waits until `n` steps are done (and not more).
    pub async fn until_done(&self, n: usize) {
        let screen = self
            .wait_for(&format!("{n} steps done"), SLOW, |s| {
                progress_of(s).is_some_and(|(done, _)| done >= n)
            })
            .await;
        assert_eq!(
            progress_of(&screen).map(|(done, _)| done),
            Some(n),
            "step {} completed on its own; screen:\n{screen}",
            n + 1,
        );
    }

    fn done(&self) -> usize {
        self.progress().map_or(0, |(done, _)| done)
    }
}

/// Parses the panel's ` Tour N/M ✓ · ` title from the screen.
#[must_use]
pub fn progress_of(screen: &str) -> Option<(usize, usize)> {
    screen.lines().find_map(|line| {
        let rest = line.strip_prefix(" Tour ")?;
        let (count, _) = rest.split_once(" ✓ · ")?;
        let (done, total) = count.split_once('/')?;
        Some((done.parse().ok()?, total.parse().ok()?))
    })
}
