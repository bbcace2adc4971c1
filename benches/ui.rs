//! UI benchmarks (criterion), with the targets they are held to:
//!
//! - `draw/*`: one full frame of the catalog with 10,000 services at 200×60 on a
//!   `TestBackend` (render plus buffer diff); target ≤ 1 ms median.
//! - `filter_key/*`: one keystroke through `update` in filter mode over 10,000 rows, for
//!   substring, regex and fuzzy matching; target ≤ 2 ms median.
//! - `first_frame/sandbox`: building the state and environment and running the real run loop
//!   until the first frame that shows the loaded sandbox catalog; target ≤ 50 ms.
//! - `tour/*`: the checks of a running tour after one message (they run after every message,
//!   so they must cost nothing next to a frame), and one frame with the tour panel; target
//!   ≤ 10 µs for the checks, ≤ 1 ms for the frame.
//! - `incident/*`: one frame of the incident view at 120×40 and at 80×24 (every panel is
//!   derived from the other panes' state); target ≤ 1 ms.
//! - Frames during 10 s of idle: a count, not a time. It is printed before the benchmarks
//!   (the run loop on a paused tokio clock); `tests/headless/render/idle.rs` asserts it is zero.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/headless/render/probe.rs"]
pub mod probe;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::state::{ContextInfo, State};
use opsdeck::app::{Msg, update};
use opsdeck::config::Config;
use opsdeck::model::{Catalog, CatalogEntry};
use opsdeck::runtime::run::{Environment, load_ui, run};
use opsdeck::runtime::terminal::Headless;
use opsdeck::screenshot::{demo_state, epoch};
use opsdeck::sources::sandbox::World;
use opsdeck::theme::ColorDepth;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use probe::Probe;

const SEED: u64 = 7;
const ROWS: usize = 10_000;

/// `n` services: the sandbox fleet cloned and renamed (`checkout-api-00042`).
fn big_catalog(n: usize) -> Catalog {
    let base: Vec<_> = World::new(SEED, epoch())
        .catalog()
        .services()
        .cloned()
        .collect();
    let entries = (0..n)
        .map(|i| {
            let mut s = base[i % base.len()].clone();
            s.name = format!("{}-{i:05}", s.name);
            CatalogEntry::Service(Box::new(s))
        })
        .collect();
    Catalog::new(entries)
}

fn big_state(width: u16, height: u16) -> State {
    let mut state = demo_state(SEED, width, height, ColorDepth::TrueColor).expect("state");
    state.panes.catalog.set_catalog(Arc::new(big_catalog(ROWS)));
    assert_eq!(state.panes.catalog.table.visible.len(), ROWS);
    state
}

fn key(state: &mut State, code: KeyCode) {
    update(
        state,
        Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
    );
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw");
    let (w, h) = (200, 60);

    // The same frame again: render plus a diff that finds nothing to send.
    let state = big_state(w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    group.bench_function("catalog_10k_200x60/unchanged", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                .expect("draw");
        });
    });

    // A page down per frame, wrapping: every table row changes.
    let mut state = big_state(w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let page = isize::try_from(state.panes.catalog.table.page).expect("page");
    group.bench_function("catalog_10k_200x60/page_down", |b| {
        b.iter(|| {
            if state.panes.catalog.table.selected + 1 >= ROWS {
                state.panes.catalog.table.to_top();
            } else {
                state.panes.catalog.table.move_by(page);
            }
            terminal
                .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                .expect("draw");
        });
    });

    // Highlights computed per cell while a filter is active.
    for (mode, tabs) in [("substring", 0), ("regex", 1), ("fuzzy", 2)] {
        let mut state = big_state(w, h);
        typed(&mut state, "/");
        for _ in 0..tabs {
            key(&mut state, KeyCode::Tab);
        }
        typed(&mut state, "api");
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        group.bench_function(format!("catalog_10k_200x60/filtered_{mode}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                    .expect("draw");
            });
        });
    }
    group.finish();
}

fn filter_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter_key");
    for (mode, tabs) in [("substring", 0), ("regex", 1), ("fuzzy", 2)] {
        let mut state = big_state(200, 60);
        typed(&mut state, "/");
        for _ in 0..tabs {
            key(&mut state, KeyCode::Tab);
        }
        typed(&mut state, "ap");
        assert!(state.panes.catalog.table.filter.editing);
        // Alternately type `i` and erase it: every iteration is one keystroke that refilters
        // all 10,000 rows.
        let mut add = true;
        group.bench_function(format!("10k/{mode}"), |b| {
            b.iter(|| {
                key(
                    &mut state,
                    if add {
                        KeyCode::Char('i')
                    } else {
                        KeyCode::Backspace
                    },
                );
                add = !add;
                black_box(state.panes.catalog.table.visible.len());
            });
        });

        // The same keystroke followed by the frame that shows it.
        let mut state = big_state(200, 60);
        typed(&mut state, "/");
        for _ in 0..tabs {
            key(&mut state, KeyCode::Tab);
        }
        typed(&mut state, "ap");
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        let mut add = true;
        group.bench_function(format!("10k/{mode}+draw"), |b| {
            b.iter(|| {
                key(
                    &mut state,
                    if add {
                        KeyCode::Char('i')
                    } else {
                        KeyCode::Backspace
                    },
                );
                add = !add;
                terminal
                    .draw(|f| opsdeck::ui::render(f, &state))
                    .expect("draw");
            });
        });
    }
    group.finish();
}

fn sandbox_state() -> (State, Environment) {
    let config = Config::sandbox(SEED);
    let ui = load_ui("default", "default", None, ColorDepth::TrueColor).expect("ui");
    let context = ContextInfo {
        name: config.default_context.clone().expect("default context"),
        ..ContextInfo::default()
    };
    let state = State::new(context, "dev".into(), ui, epoch());
    let env = Environment::new(config, None, ColorDepth::TrueColor);
    (state, env)
}

/// How long the run loop took to its first frame and to the first frame with the catalog.
struct FirstFrame {
    /// Start to the first frame (whatever it showed).
    any: Duration,
    /// Start to the first frame showing the loaded catalog.
    loaded: Duration,
    /// Which frame that was (1-based).
    loaded_frame: u64,
}

/// Runs the real loop from nothing until the first frame showing the loaded catalog.
async fn first_frame(width: u16, height: u16) -> FirstFrame {
    let start = Instant::now();
    let (mut state, mut env) = sandbox_state();
    let (probe, seen, ready) = Probe::new(width, height, |s| s.contains("checkout-api"));
    let mut terminal = Terminal::new(probe).expect("terminal");
    let (keys, input) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
    let mut host = Headless;
    let drive = async move {
        ready.notified().await;
        drop(keys);
    };
    let (result, ()) = tokio::join!(
        run(&mut terminal, &mut state, input, &mut env, &mut host),
        drive
    );
    result.expect("run");
    let seen = seen.seen();
    FirstFrame {
        any: seen.first_at.expect("a frame") - start,
        loaded: seen.ready_at.expect("ready") - start,
        loaded_frame: seen.ready_frame.expect("ready"),
    }
}

fn first_frame_bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let runs: Vec<FirstFrame> = (0..20).map(|_| rt.block_on(first_frame(120, 40))).collect();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "first frame (any): median {:.2} ms; first frame with the catalog: median {:.2} ms, \
         frame #{} (20 runs)",
        median(runs.iter().map(|r| ms(r.any)).collect()),
        median(runs.iter().map(|r| ms(r.loaded)).collect()),
        runs[runs.len() / 2].loaded_frame
    );
    let mut group = c.benchmark_group("first_frame");
    group.sample_size(30);
    group.bench_function("sandbox_120x40", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(first_frame(120, 40)).loaded)
                .sum()
        });
    });
    group.finish();
}

/// Frames the run loop draws in 10 simulated seconds of idle after the catalog loaded.
fn idle_frames() -> (u64, u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (mut state, mut env) = sandbox_state();
        let (probe, seen, ready) = Probe::new(80, 24, |s| s.contains("checkout-api"));
        let mut terminal = Terminal::new(probe).expect("terminal");
        let (keys, input) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
        let mut host = Headless;
        let drive = async move {
            ready.notified().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let settled = seen.frames();
            tokio::time::sleep(Duration::from_secs(10)).await;
            let idle = seen.frames() - settled;
            drop(keys);
            (settled, idle)
        };
        let (result, counts) = tokio::join!(
            run(&mut terminal, &mut state, input, &mut env, &mut host),
            drive
        );
        result.expect("run");
        counts
    })
}

fn tour_and_incident(c: &mut Criterion) {
    let mut group = c.benchmark_group("tour");
    let mut state = demo_state(SEED, 120, 40, ColorDepth::TrueColor).expect("demo state");
    opsdeck::screenshot::show(&mut state, opsdeck::screenshot::DemoView::Tour);
    assert!(state.tour.is_some(), "the tour view runs a tour");
    group.bench_function("checks_after_a_message", |b| {
        b.iter(|| black_box(opsdeck::app::tours::after_update(&mut state, None)));
    });
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    group.bench_function("frame_with_panel_120x40", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                .expect("draw");
        });
    });
    group.finish();

    let mut group = c.benchmark_group("incident");
    for (w, h) in [(120, 40), (80, 24)] {
        let mut state = demo_state(SEED, w, h, ColorDepth::TrueColor).expect("demo state");
        opsdeck::screenshot::show(
            &mut state,
            opsdeck::screenshot::DemoView::Pane(opsdeck::app::PaneId::Incident),
        );
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        group.bench_function(format!("frame_{w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                    .expect("draw");
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    draw,
    filter_key,
    first_frame_bench,
    tour_and_incident
);

fn main() {
    let (settled, idle) = idle_frames();
    println!("frames to load the sandbox catalog: {settled}; frames in 10 s of idle: {idle}");
    benches();
    Criterion::default().configure_from_args().final_summary();
}
