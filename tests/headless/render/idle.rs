//! Idle means zero frames: the real run loop (`runtime::run::run`) on a `TestBackend`, the
//! sandbox context and a paused tokio clock draws its first frames, then nothing during 10 s
//! of simulated idle (the catalog keeps polling), then exactly one frame for one key.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc;
use opsdeck::app::state::{ContextInfo, State};
use opsdeck::config::Config;
use opsdeck::runtime::run::{Environment, load_ui, run};
use opsdeck::runtime::terminal::Headless;
use opsdeck::screenshot::epoch;
use opsdeck::theme::ColorDepth;
use ratatui::Terminal;

use crate::render::probe::{Observer, Probe};

fn sandbox_state() -> (State, Environment) {
    let config = Config::sandbox(crate::render::SEED);
    let ui = load_ui("default", "default", None, ColorDepth::TrueColor).expect("ui");
    let context = ContextInfo {
        name: config
            .default_context
            .clone()
            .expect("sandbox default context"),
        ..ContextInfo::default()
    };
    let state = State::new(context, "dev".into(), ui, epoch());
    let env = Environment::new(config, None, ColorDepth::TrueColor);
    (state, env)
}

fn down() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))
}

/// Sleeps on the (paused) clock until the probe saw the loaded catalog.
async fn until_loaded(seen: &Observer) {
    for _ in 0..1000 {
        if seen.ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "no frame showed the catalog within 10 s; last screen:\n{}",
        seen.seen().screen
    );
}

#[tokio::test(start_paused = true)]
async fn idle_draws_no_frames_and_a_key_draws_one() {
    let (probe, seen, _) = Probe::new(80, 24, |screen| screen.contains("checkout-api"));
    let mut terminal = Terminal::new(probe).expect("terminal");
    let (mut state, mut env) = sandbox_state();
    let (keys, input) = mpsc::unbounded();
    let mut host = Headless;

    let drive = {
        let seen = seen.clone();
        async move {
            until_loaded(&seen).await;
            // Let the first burst (catalog, then health) settle past the 33 ms frame cap.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let settled = seen.frames();
            assert!(settled >= 1, "frames were drawn");
            tokio::time::sleep(Duration::from_secs(10)).await;
            let idle = seen.frames() - settled;
            println!("frames after load: {settled}; frames in 10 s of idle: {idle}");
            assert_eq!(idle, 0, "idle drew frames; screen:\n{}", seen.seen().screen);
            keys.unbounded_send(Ok(down()))
                .expect("run loop reads keys");
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(seen.frames(), settled + 1, "one key, one frame");
            let screen = seen.seen().screen.clone();
            drop(keys); // input ends: the loop stops
            (settled + 1, screen)
        }
    };
    let (result, (expected, screen)) = tokio::join!(
        run(&mut terminal, &mut state, input, &mut env, &mut host),
        drive
    );
    let returned = result.expect("run loop ends cleanly");
    assert_eq!(returned, expected, "run returns the frames drawn");
    assert_eq!(
        state.frames, expected,
        "state.frames counts the frames drawn"
    );
    assert_eq!(
        state.panes.catalog.table.selected, 1,
        "the key moved the cursor"
    );
    assert!(
        screen.contains("▶"),
        "the selection marker is drawn:\n{screen}"
    );
}
