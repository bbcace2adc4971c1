//! Log model benchmarks (criterion), with the targets they are held to:
//!
//! - `ingest/plain_1M`: parse 1,000,000 plain lines (~120–200 bytes, a mix of levels, formats
//!   and trace ids) and push them into a 1M-line `LogBuffer`; target ≥ 1M lines/s.
//! - `ingest/plain_1M_evicting`: the same into the default 100k buffer, so 900k evictions are
//!   part of the cost (the steady state of a long tail); same target.
//! - `ingest/json_1M`: parse and push 1,000,000 JSON lines; target ≥ 300k lines/s.
//! - Memory of a full 1M-line buffer: live heap bytes measured by a counting global allocator,
//!   printed before the benchmarks (not a criterion measurement); target ≤ 300 MB.
//! - `filter/regex_1M`: `filter()` with a regex over a 1M-line buffer; target ≤ 100 ms. The
//!   smart-case substring filter is measured next to it.
//! - `field_predicate_1M`: the logs pane's field filter (`filter_with` and a compiled
//!   `Predicate`) over the same mixed 1M-line buffer; target ≤ 100 ms. Cases: one numeric
//!   term, the detected level plus a number, and four terms with a regex.
//!
//! - `histogram_rebuild_1m/all` and `/levels_filtered`: rebuild the time histogram of a
//!   1M-line buffer from its packed per-line side array (every line, or the lines a level
//!   filter shows); target ≤ 20 ms.
//!
//! - `level_detection/mixed_1M`: parse 1,000,000 lines drawn from the real log files in
//!   `tests/support/fixtures/logs/real/` (syslog, access and error logs, W3C, Log4j, Laravel,
//!   logcat, klog, bunyan, journald, …; see SOURCES.md there), recognising each line's format,
//!   level and time; target ≥ 1M lines/s. Run alone with `cargo bench --bench logs --
//!   level_detection`.
//!
//! Inputs are generated up front from a fixed seed, outside the timed regions. Sample counts
//! are small (each sample is a million lines) so the whole run takes about a minute.

// The counting allocator below must implement `GlobalAlloc`, which is an unsafe trait. It only
// forwards to `System` and adjusts counters.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use opsdeck::model::logs::{
    Histogram, LevelSet, LogBuffer, LogQuery, Predicate, QueryKind, filter, filter_with, parse_line,
};

/// Live heap bytes, tracked by [`Counting`].
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Forwards to the system allocator and keeps [`LIVE_BYTES`] current, so the bench can report
/// what a buffer really holds (requested bytes, before the allocator's own rounding).
struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counter
// updates do not touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LINES: usize = 1_000_000;
const SEED: u64 = 0x5eed_1065;

/// splitmix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index below `len`: the same draw as `below`.
    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.index(items.len())]
    }
}

const SERVICES: &[&str] = &[
    "checkout-api",
    "payments",
    "cart",
    "inventory",
    "search",
    "auth",
];
const PATHS: &[&str] = &[
    "/api/v1/orders",
    "/api/v1/cart/items",
    "/healthz",
    "/api/v2/search",
    "/login",
];
const MESSAGES: &[&str] = &[
    "request completed",
    "upstream timeout after retry, giving up",
    "cache miss for product listing, fetching from database",
    "connection pool exhausted, waiting for a free connection",
    "user session refreshed",
    "payment authorisation declined by provider",
];

/// Level words weighted like real traffic: mostly info, some debug, few warnings and errors.
fn level(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=59 => "INFO",
        60..=79 => "DEBUG",
        80..=89 => "WARN",
        90..=97 => "ERROR",
        _ => "TRACE",
    }
}

fn timestamp(rng: &mut Rng, i: usize) -> String {
    let seconds = i / 1000;
    format!(
        "2026-11-22T{:02}:{:02}:{:02}.{:09}Z",
        10 + seconds / 3600 % 10,
        seconds / 60 % 60,
        seconds % 60,
        rng.below(1_000_000_000)
    )
}

/// One plain line in one of four shapes: Kubernetes timestamp + level word, logfmt, klog,
/// and bracketed level with no trace context.
fn plain_line(rng: &mut Rng, i: usize) -> Vec<u8> {
    let ts = timestamp(rng, i);
    let level = level(rng);
    let service = rng.pick(SERVICES);
    let path = rng.pick(PATHS);
    let message = rng.pick(MESSAGES);
    let status = [200, 200, 200, 201, 404, 500, 503][rng.index(7)];
    let trace = format!("{:016x}{:016x}", rng.next(), rng.next());
    let span = format!("{:016x}", rng.next());
    let ms = rng.below(2000);
    let line = match rng.below(4) {
        0 => format!(
            "{ts} {level} [{service}] {message} path={path} status={status} duration_ms={ms} trace_id={trace}"
        ),
        1 => format!(
            "{ts} time={ts} level={} msg=\"{message}\" path={path} status={status} trace_id={trace} span_id={span}",
            level.to_lowercase()
        ),
        2 => format!(
            "{ts} {}1122 10:00:00.{:06}       1 controller.go:{ms}] {message} service={service} status={status}",
            &level[..1],
            rng.below(1_000_000)
        ),
        _ => format!("{ts} [{level}] {service}: GET {path} -> {status} in {ms}ms ({message})"),
    };
    line.into_bytes()
}

/// One JSON line shaped like zap, pino or ECS output, two in three with trace context.
fn json_line(rng: &mut Rng, i: usize) -> Vec<u8> {
    let ts = timestamp(rng, i);
    let level = level(rng).to_lowercase();
    let service = rng.pick(SERVICES);
    let path = rng.pick(PATHS);
    let message = rng.pick(MESSAGES);
    let status = [200, 200, 200, 201, 404, 500, 503][rng.index(7)];
    let trace = format!("{:016x}{:016x}", rng.next(), rng.next());
    let span = format!("{:016x}", rng.next());
    let ms = rng.below(2000);
    let line = match rng.below(3) {
        0 => format!(
            r#"{{"ts":"{ts}","level":"{level}","msg":"{message}","status":{status},"trace_id":"{trace}","span_id":"{span}"}}"#
        ),
        1 => format!(
            r#"{{"level":{},"time":{},"msg":"{message}","req":{{"url":"{path}","ms":{ms}}},"traceId":"{trace}"}}"#,
            [30, 20, 40, 50][rng.index(4)],
            1_795_341_600_000 + i as u64
        ),
        _ => format!(
            r#"{{"@timestamp":"{ts}","log.level":"{level}","message":"{message} (\"{path}\")","service.name":"{service}"}}"#
        ),
    };
    line.into_bytes()
}

fn generate(make: fn(&mut Rng, usize) -> Vec<u8>) -> Vec<Vec<u8>> {
    let mut rng = Rng(SEED);
    (0..LINES).map(|i| make(&mut rng, i)).collect()
}

fn ingest(lines: &[Vec<u8>], capacity: usize) -> LogBuffer {
    let source: Arc<str> = Arc::from("checkout-api-7d9f/app");
    let mut buffer = LogBuffer::new(capacity);
    for raw in lines {
        buffer.push(parse_line(raw, Arc::clone(&source)));
    }
    buffer
}

fn average_len(lines: &[Vec<u8>]) -> usize {
    lines.iter().map(Vec::len).sum::<usize>() / lines.len()
}

/// Builds full 1M-line buffers and prints the live heap they hold.
#[expect(
    clippy::cast_precision_loss,
    reason = "sizes and rates printed as f64; a lossy cast is fine for a report"
)]
fn report_memory(plain: &[Vec<u8>], json: &[Vec<u8>]) {
    for (name, lines) in [("plain", plain), ("json", json)] {
        let before = LIVE_BYTES.load(Ordering::Relaxed);
        let buffer = ingest(lines, LINES);
        let live = LIVE_BYTES.load(Ordering::Relaxed) - before;
        let mb = live as f64 / 1e6;
        let verdict = if mb <= 300.0 { "meets" } else { "MISSES" };
        println!(
            "memory/{name}_1M: {mb:.1} MB live heap ({} bytes/line, input avg {} bytes/line; approx_bytes {:.1} MB) — {verdict} target ≤ 300 MB",
            live / LINES,
            average_len(lines),
            buffer.approx_bytes() as f64 / 1e6
        );
        drop(buffer);
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "sizes and rates printed as f64; a lossy cast is fine for a report"
)]
fn ingest_benches(c: &mut Criterion) {
    let plain = generate(plain_line);
    let json = generate(json_line);
    report_memory(&plain, &json);

    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(LINES as u64));
    let cases: [(&str, &[Vec<u8>], usize); 3] = [
        ("plain_1M", &plain, LINES),
        (
            "plain_1M_evicting",
            &plain,
            opsdeck::model::logs::DEFAULT_CAPACITY,
        ),
        ("json_1M", &json, LINES),
    ];
    for (name, lines, capacity) in cases {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let buffer = ingest(lines, capacity);
                    total += start.elapsed();
                    // Freeing a million lines is not part of ingest.
                    drop(black_box(buffer));
                }
                total
            });
        });
    }
    group.finish();

    // CPU time of one ingest, which a loaded machine inflates less than wall time.
    for (name, lines, capacity) in cases {
        let before = process_cpu_ms();
        let buffer = ingest(lines, capacity);
        if let (Some(after), Some(before)) = (process_cpu_ms(), before) {
            let ms = after.saturating_sub(before).max(1);
            println!(
                "ingest/{name}: {ms} ms CPU for {LINES} lines ({:.2} M lines per CPU second)",
                LINES as f64 / ms as f64 / 1000.0
            );
        }
        drop(buffer);
    }
}

fn filter_benches(c: &mut Criterion) {
    let buffer = mixed_buffer();

    let regex = LogQuery::new(r"status=5\d\d|timeout", QueryKind::Regex).unwrap();
    let substring = LogQuery::substring("pool exhausted");
    let matched = filter(&buffer, &regex, LevelSet::ALL).len();
    println!("filter/regex_1M matches {matched} of {LINES} lines");

    let mut group = c.benchmark_group("filter");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("regex_1M", |b| {
        b.iter(|| filter(black_box(&buffer), &regex, LevelSet::ALL));
    });
    group.bench_function("substring_smart_case_1M", |b| {
        b.iter(|| filter(black_box(&buffer), &substring, LevelSet::ALL));
    });
    group.finish();

    for (name, query) in [
        ("regex_1M", &regex),
        ("substring_smart_case_1M", &substring),
    ] {
        cpu_per_run(&format!("filter/{name}"), || {
            black_box(filter(&buffer, query, LevelSet::ALL));
        });
    }
}

/// Prints the CPU time (all threads) next to the wall time per run of `run`, ten runs: on a
/// loaded machine the wall time of a two-thread filter includes waiting for a core, the CPU
/// time does not.
#[expect(
    clippy::cast_precision_loss,
    reason = "a time printed as f64; a lossy cast is fine for a report"
)]
fn cpu_per_run(label: &str, mut run: impl FnMut()) {
    let runs = 10;
    let (cpu_before, wall_before) = (process_cpu_ms(), Instant::now());
    for _ in 0..runs {
        run();
    }
    if let (Some(after), Some(before)) = (process_cpu_ms(), cpu_before) {
        let wall = wall_before.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!(
            "{label}: {} ms CPU per run over all threads, {wall:.1} ms wall",
            (after - before) / runs
        );
    }
}

/// User plus system CPU time of this process, from `/proc/self/stat` (Linux only).
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, which is 100 on every mainstream configuration.
    Some(ticks * 10)
}

/// The mixed 1M-line buffer the filter and predicate benches read: half plain (logfmt among
/// them), half JSON, from a fixed seed.
fn mixed_buffer() -> LogBuffer {
    let mut rng = Rng(SEED ^ 1);
    let mixed: Vec<Vec<u8>> = (0..LINES)
        .map(|i| {
            if rng.below(2) == 0 {
                plain_line(&mut rng, i)
            } else {
                json_line(&mut rng, i)
            }
        })
        .collect();
    ingest(&mixed, LINES)
}

fn predicate_benches(c: &mut Criterion) {
    let buffer = mixed_buffer();
    let all = LogQuery::substring("");
    let cases = [
        ("status_ge_500", "status>=500"),
        ("level_and_number", "level>=warn duration_ms>500"),
        (
            "four_terms_regex",
            "level=error status>=500 path!=/healthz msg~timeout|exhausted",
        ),
    ];
    let compiled: Vec<(&str, Predicate)> = cases
        .iter()
        .map(|(name, text)| (*name, Predicate::parse(text).unwrap()))
        .collect();
    for (name, predicate) in &compiled {
        let n = filter_with(&buffer, &all, LevelSet::ALL, predicate).len();
        println!("field_predicate_1M/{name} matches {n} of {LINES} lines");
    }
    let mut group = c.benchmark_group("field_predicate_1M");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(LINES as u64));
    for (name, predicate) in &compiled {
        group.bench_function(*name, |b| {
            b.iter(|| filter_with(black_box(&buffer), &all, LevelSet::ALL, predicate));
        });
    }
    group.finish();
    for (name, predicate) in &compiled {
        cpu_per_run(&format!("field_predicate_1M/{name}"), || {
            black_box(filter_with(&buffer, &all, LevelSet::ALL, predicate));
        });
    }
}

fn histogram_benches(c: &mut Criterion) {
    let mut rng = Rng(SEED ^ 2);
    let lines: Vec<Vec<u8>> = (0..LINES).map(|i| plain_line(&mut rng, i)).collect();
    let buffer = ingest(&lines, LINES);
    drop(lines);
    let mut histogram = Histogram::new(LINES);
    for line in &buffer {
        histogram.push(
            line.seq(),
            line.timestamp().map(jiff::Timestamp::as_millisecond),
            line.level(),
            true,
            false,
        );
    }
    let no_debug = LevelSet::ALL;
    let mut no_debug = no_debug;
    no_debug.toggle(opsdeck::model::logs::LevelGroup::Debug);
    let shown = filter(&buffer, &LogQuery::substring(""), no_debug);
    let view = histogram.view(60);
    println!(
        "histogram_rebuild_1m: {} of {LINES} lines shown without debug; {} buckets of {} ms at 60 columns",
        shown.len(),
        view.buckets.len(),
        view.width
    );

    let mut group = c.benchmark_group("histogram_rebuild_1m");
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("all", |b| b.iter(|| histogram.rebuild(black_box(None))));
    group.bench_function("levels_filtered", |b| {
        b.iter(|| histogram.rebuild(black_box(Some(&shown))));
    });
    group.finish();
}

/// Every line of the real corpus, in file order.
fn real_lines() -> Vec<Vec<u8>> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fixtures/logs/real");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("the real corpus")
        .flatten()
        .filter(|dir| dir.file_name() != "lnav-formats" && dir.path().is_dir())
        .flat_map(|dir| {
            std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|file| file.path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let bytes = std::fs::read(path).expect("a corpus file");
            bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[expect(
    clippy::cast_precision_loss,
    reason = "rates printed as f64; a lossy cast is fine for a report"
)]
fn level_detection_benches(c: &mut Criterion) {
    let corpus = real_lines();
    let mut rng = Rng(SEED ^ 2);
    // A shuffled draw, so the branch predictor sees formats mixed as in a merged view.
    let lines: Vec<Vec<u8>> = (0..LINES)
        .map(|_| corpus[rng.index(corpus.len())].clone())
        .collect();
    let source: Arc<str> = Arc::from("file");
    let levelled = lines
        .iter()
        .filter(|l| parse_line(l, Arc::clone(&source)).level().is_some())
        .count();
    println!(
        "level_detection: {} distinct real lines, {} bytes on average; {levelled} of {LINES} drawn lines get a level",
        corpus.len(),
        average_len(&lines)
    );
    let mut group = c.benchmark_group("level_detection");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("mixed_1M", |b| {
        b.iter(|| {
            let mut levels = 0usize;
            for line in &lines {
                let parsed = parse_line(line, Arc::clone(&source));
                levels += usize::from(parsed.level().is_some());
                black_box(parsed);
            }
            levels
        });
    });
    group.finish();
    let before = process_cpu_ms();
    for line in &lines {
        black_box(parse_line(line, Arc::clone(&source)));
    }
    if let (Some(after), Some(before)) = (process_cpu_ms(), before) {
        let ms = after.saturating_sub(before).max(1);
        println!(
            "level_detection/mixed_1M: {ms} ms CPU ({:.2} M lines per CPU second)",
            LINES as f64 / ms as f64 / 1000.0
        );
    }
}

criterion_group!(
    benches,
    ingest_benches,
    filter_benches,
    predicate_benches,
    histogram_benches,
    level_detection_benches
);

fn main() {
    // Wall-clock numbers on a shared 2-core machine mean little without the load they ran
    // under, so it is printed with them.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at start: {}", load.trim());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
