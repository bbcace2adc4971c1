//! Local log input: `opsdeck logs FILE…` and `… | opsdeck logs -`, the lnav habit on an SSH
//! box. A file is loaded, then followed like `tail -F` (growth is read; truncation, rotation,
//! deletion and a network mount's stale view are handled as [`super::follow`] says); stdin is
//! read until it closes.
//!
//! Loading a file larger than the ring only parses the lines the ring would keep: the newer
//! ones. The older lines are counted (the pane shows them as dropped) without being parsed,
//! since the ring would evict them at once; counting newlines runs at memory speed, so the
//! first frame shows the end of a large file quickly.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, BufReader};
use tokio::sync::mpsc;

use super::follow::{Observed, Splitter, Step, Watch};
use super::watchdog::LogStreamConfig;
use super::{BATCH_INTERVAL, BATCH_LINES, LogItem, send};
use crate::model::SourceHealth;
use crate::model::logs::{
    FormatMemory, LogLine, ParseOptions, parse_line_remembering, parse_line_with,
};
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId};

/// One input: a file, or stdin (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalInput {
    File(PathBuf),
    Stdin,
}

impl LocalInput {
    #[must_use]
    pub fn parse(arg: &Path) -> Self {
        if arg.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::File(arg.to_owned())
        }
    }

    /// The source column's text: the file's name, or `stdin`.
    #[must_use]
    pub fn label(&self) -> Arc<str> {
        match self {
            Self::File(p) => Arc::from(
                p.file_name()
                    .map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                    .as_str(),
            ),
            Self::Stdin => Arc::from("stdin"),
        }
    }
}

/// Starts reading `inputs`; `keep` is the pane's ring capacity.
#[must_use]
pub fn spawn(
    inputs: Vec<LocalInput>,
    keep: usize,
    options: ParseOptions,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    spawn_with(
        inputs,
        keep,
        options,
        generation,
        events,
        LogStreamConfig::default(),
    )
}

/// [`spawn`] with the polling of `settings` (`[log_stream]`).
#[must_use]
pub fn spawn_with(
    inputs: Vec<LocalInput>,
    keep: usize,
    options: ParseOptions,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
    settings: LogStreamConfig,
) -> SourceHandle {
    let (control_tx, mut control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Logs, generation, events);
    let task = tokio::spawn(async move {
        let mut readers = tokio::task::JoinSet::new();
        for input in inputs {
            let reporter = reporter.clone();
            readers.spawn(async move {
                let result = match &input {
                    LocalInput::File(path) => {
                        follow_file(path, input.label(), keep, options, &reporter, settings).await
                    }
                    LocalInput::Stdin => read_stdin(options, &reporter).await,
                };
                if let Err(message) = result {
                    let _ = reporter.error(message, None).await;
                }
            });
        }
        // Local input has nothing to retarget or poll; the task lives until the app drops it.
        while control_rx.recv().await.is_some() {}
        readers.abort_all();
    });
    SourceHandle::new(SourceId::Logs, control_tx, task)
}

/// Splits `bytes` into lines (without `\n` or `\r\n`) and parses them.
fn parse_lines(bytes: &[u8], source: &Arc<str>, options: ParseOptions) -> Vec<LogLine> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .map(|l| parse_line_with(l, Arc::clone(source), options))
        .collect()
}

/// W3C extended logs name their columns in `#Fields:` headers, so which column holds the
/// status depends on the last header above a line.
const W3C_FIELDS: &[u8] = b"#Fields:";

/// What a W3C log's lines from `start` on need to know: the last `#Fields:` header before
/// `start` (default memory when there is none).
fn memory_before(bytes: &[u8], start: usize, source: &Arc<str>) -> FormatMemory {
    let mut memory = FormatMemory::default();
    let before = &bytes[..start.min(bytes.len())];
    let header = if before.starts_with(W3C_FIELDS) {
        Some(0)
    } else {
        None
    };
    let header = memchr::memmem::rfind(before, b"\n#Fields:")
        .map(|i| i + 1)
        .or(header);
    if let Some(at) = header {
        let end = memchr::memchr(b'\n', &before[at..]).map_or(before.len(), |i| at + i);
        let line = &before[at..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let _ = parse_line_remembering(
            line,
            Arc::clone(source),
            ParseOptions::default(),
            &mut memory,
        );
    }
    memory
}

/// Parses lines in order, remembering W3C headers (one thread: each line may depend on the
/// header above it).
fn parse_remembering(
    bytes: &[u8],
    source: &Arc<str>,
    options: ParseOptions,
    memory: &mut FormatMemory,
) -> Vec<LogLine> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .map(|l| parse_line_remembering(l, Arc::clone(source), options, memory))
        .collect()
}

/// Parses many lines on every core: the order is kept, chunks go to scoped threads. A W3C
/// log (a `#Fields:` header in or before `bytes`) is parsed in order on one thread instead.
fn parse_parallel(
    bytes: &[u8],
    source: &Arc<str>,
    options: ParseOptions,
    memory: &mut FormatMemory,
) -> Vec<LogLine> {
    if *memory != FormatMemory::default() || memchr::memmem::find(bytes, W3C_FIELDS).is_some() {
        return parse_remembering(bytes, source, options, memory);
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || bytes.len() < 1 << 20 {
        return parse_lines(bytes, source, options);
    }
    let chunk = bytes.len() / threads;
    let mut cuts = vec![0];
    for t in 1..threads {
        let from = (t * chunk).max(*cuts.last().unwrap_or(&0));
        match memchr::memchr(b'\n', &bytes[from..]) {
            Some(i) => cuts.push(from + i + 1),
            None => break,
        }
    }
    cuts.push(bytes.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let part = &bytes[w[0]..w[1]];
                let part = part.strip_suffix(b"\n").unwrap_or(part);
                scope.spawn(move || parse_lines(part, source, options))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Where the last `keep` lines of `bytes` start, and how many lines come before.
fn tail_start(bytes: &[u8], keep: usize) -> (usize, u64) {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let total = memchr::memchr_iter(b'\n', body).count() + usize::from(!body.is_empty());
    if total <= keep {
        return (0, 0);
    }
    let skip = total - keep;
    // The start of line `skip` is just after the skip-th newline.
    let start = memchr::memchr_iter(b'\n', body)
        .nth(skip - 1)
        .map_or(0, |i| i + 1);
    (start, skip as u64)
}

/// Loads what a file holds now (the lines the ring keeps), then reads what is appended.
async fn follow_file(
    path: &Path,
    label: Arc<str>,
    keep: usize,
    options: ParseOptions,
    reporter: &Reporter,
    settings: LogStreamConfig,
) -> Result<(), String> {
    let what = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = tokio::fs::File::open(path).await.map_err(what)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).await.map_err(what)?;
    // A last line without its newline may still be being written: keep it for later.
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let offset = complete as u64;
    let (start, skipped) = tail_start(&bytes[..complete], keep);
    let source = Arc::clone(&label);
    let mut memory = memory_before(&bytes, start, &source);
    let body = bytes[start..complete.saturating_sub(1).max(start)].to_vec();
    drop(bytes);
    let (lines, memory) = tokio::task::spawn_blocking(move || {
        let lines = if body.is_empty() && start == complete {
            Vec::new()
        } else {
            parse_parallel(&body, &source, options, &mut memory)
        };
        (lines, memory)
    })
    .await
    .map_err(|e| e.to_string())?;
    let mut items = Vec::with_capacity(lines.len().min(BATCH_LINES) + 1);
    if skipped > 0 {
        items.push(LogItem::Skipped(skipped));
    }
    let mut lines = lines.into_iter().peekable();
    while lines.peek().is_some() {
        items.extend(lines.by_ref().take(BATCH_LINES * 16).map(LogItem::Line));
        if !send(reporter, std::mem::take(&mut items)).await {
            return Ok(());
        }
    }
    if !send(reporter, items).await
        || !reporter
            .health(SourceHealth::Ok {
                at: jiff::Timestamp::now(),
            })
            .await
    {
        return Ok(());
    }
    file.seek(SeekFrom::Start(offset)).await.map_err(what)?;
    let mut follower = Follower {
        label,
        options,
        file,
        offset,
        lines: Splitter::default(),
        watch: Watch::default(),
        memory,
    };
    loop {
        tokio::time::sleep(settings.file_poll).await;
        match follower.poll(path, settings, reporter).await {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(what(e)),
        }
    }
}

/// Most bytes read from a file in one go while following.
const READ_CHUNK: u64 = 8 << 20;

/// A file being followed (see [`super::follow`] for what each poll decides).
struct Follower {
    label: Arc<str>,
    options: ParseOptions,
    file: tokio::fs::File,
    /// Bytes read from `file` (its position).
    offset: u64,
    lines: Splitter,
    watch: Watch,
    /// The last W3C `#Fields:` header read, for the lines after it.
    memory: FormatMemory,
}

impl Follower {
    /// Reads the open file to its end and sends the complete lines; the bytes read, or
    /// `None` when the app has gone away.
    async fn drain(&mut self, reporter: &Reporter) -> std::io::Result<Option<u64>> {
        let mut total = 0;
        loop {
            let mut fresh = Vec::new();
            (&mut self.file)
                .take(READ_CHUNK)
                .read_to_end(&mut fresh)
                .await?;
            if fresh.is_empty() {
                return Ok(Some(total));
            }
            self.offset += fresh.len() as u64;
            total += fresh.len() as u64;
            let lines = self.lines.push(&fresh);
            if !self.send(reporter, lines, Vec::new()).await {
                return Ok(None);
            }
        }
    }

    async fn send(
        &mut self,
        reporter: &Reporter,
        lines: Vec<Vec<u8>>,
        mut items: Vec<LogItem>,
    ) -> bool {
        let mut all: Vec<LogItem> = lines
            .iter()
            .map(|l| {
                LogItem::Line(parse_line_remembering(
                    l,
                    Arc::clone(&self.label),
                    self.options,
                    &mut self.memory,
                ))
            })
            .collect();
        all.append(&mut items);
        send(reporter, all).await
    }

    /// Opens `path` again at `offset`.
    async fn open(&mut self, path: &Path, offset: u64) -> std::io::Result<()> {
        let mut file = tokio::fs::File::open(path).await?;
        file.seek(SeekFrom::Start(offset)).await?;
        self.file = file;
        self.offset = offset;
        Ok(())
    }

    /// One poll; `Ok(false)` when the app has gone away.
    async fn poll(
        &mut self,
        path: &Path,
        settings: LogStreamConfig,
        reporter: &Reporter,
    ) -> std::io::Result<bool> {
        let Some(read) = self.drain(reporter).await? else {
            return Ok(false);
        };
        let open = Observed::of(&self.file.metadata().await?);
        let at_path = match tokio::fs::metadata(path).await {
            Ok(meta) => Some(Observed::of(&meta)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let label = Arc::clone(&self.label);
        let step = self.watch.judge(
            open,
            at_path,
            self.offset,
            read,
            settings.file_poll,
            settings.file_stall,
        );
        let notice = match step {
            Step::Keep => return Ok(true),
            Step::Truncated => {
                self.lines.clear();
                self.file.seek(SeekFrom::Start(0)).await?;
                self.offset = 0;
                format!("{label} was truncated; reading it again from the start")
            }
            Step::Rotated => {
                // The old file is done: its unfinished last line is a line now.
                let last: Vec<Vec<u8>> = self.lines.finish().into_iter().collect();
                if !self.send(reporter, last, Vec::new()).await {
                    return Ok(false);
                }
                match self.open(path, 0).await {
                    Ok(()) => format!("{label} was replaced (rotated); reading the new file"),
                    // Gone again between the stat and the open: the next poll sees it.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        self.watch.deleted = true;
                        return Ok(true);
                    }
                    Err(e) => return Err(e),
                }
            }
            Step::Deleted => format!("{label} was deleted; waiting for it to come back"),
            Step::Reopen => {
                let claimed = at_path.map_or(0, |p| p.len);
                self.open(path, self.offset).await?;
                format!(
                    "{label} claims {claimed} bytes but reading stopped at {}; opened it again",
                    self.offset
                )
            }
        };
        Ok(self
            .send(reporter, Vec::new(), vec![LogItem::Notice(notice)])
            .await)
    }
}

/// Reads stdin line by line until it closes, sending a batch at least every
/// [`BATCH_INTERVAL`].
async fn read_stdin(options: ParseOptions, reporter: &Reporter) -> Result<(), String> {
    if !reporter
        .health(SourceHealth::Ok {
            at: jiff::Timestamp::now(),
        })
        .await
    {
        return Ok(());
    }
    let source: Arc<str> = Arc::from("stdin");
    let mut reader = BufReader::new(tokio::io::stdin());
    let mut items = Vec::new();
    let mut line = Vec::new();
    let mut memory = FormatMemory::default();
    let mut flush_at = tokio::time::Instant::now() + BATCH_INTERVAL;
    loop {
        line.clear();
        let read = tokio::select! {
            read = reader.read_until(b'\n', &mut line) => read.map_err(|e| format!("stdin: {e}"))?,
            () = tokio::time::sleep_until(flush_at) => {
                if !send(reporter, std::mem::take(&mut items)).await {
                    return Ok(());
                }
                flush_at = tokio::time::Instant::now() + BATCH_INTERVAL;
                continue;
            }
        };
        if read == 0 {
            let _ = send(reporter, std::mem::take(&mut items)).await;
            let _ = send(reporter, vec![LogItem::Notice("stdin closed".into())]).await;
            return Ok(());
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        items.push(LogItem::Line(parse_line_remembering(
            text,
            Arc::clone(&source),
            options,
            &mut memory,
        )));
        if items.len() >= BATCH_LINES {
            if !send(reporter, std::mem::take(&mut items)).await {
                return Ok(());
            }
            flush_at = tokio::time::Instant::now() + BATCH_INTERVAL;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::SourceBody;

    #[test]
    fn tail_start_keeps_the_newest_lines() {
        let text = b"a\nb\nc\nd\n";
        assert_eq!(tail_start(text, 10), (0, 0));
        let (start, skipped) = tail_start(text, 2);
        assert_eq!((&text[start..], skipped), (&b"c\nd\n"[..], 2));
    }

    #[test]
    fn a_w3c_file_s_status_column_comes_from_the_header_above_the_shown_lines() {
        // From lnav's test/logfile_w3c.0 (tstack/lnav, BSD-2; see fixtures/logs/real/SOURCES.md).
        let text = "#Software: Microsoft HTTP Server API 2.0\n\
            #Fields: date time c-ip cs-username s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)\n\
            2002-05-02 17:42:15 172.22.255.255 - 172.30.255.255 80 GET /images/picture.jpg - 200 Mozilla/4.0\n\
            2002-05-02 17:42:16 172.22.255.255 - 172.30.255.255 80 GET /missing.jpg - 404 Mozilla/4.0\n\
            2002-05-02 17:42:17 172.22.255.255 - 172.30.255.255 80 GET /broken.aspx - 500 Mozilla/4.0";
        let source: Arc<str> = Arc::from("w3c");
        // Only the last two lines are shown: the header above them still applies.
        let start = text.find("2002-05-02 17:42:16").unwrap();
        let mut memory = memory_before(text.as_bytes(), start, &source);
        let lines = parse_parallel(
            &text.as_bytes()[start..],
            &source,
            ParseOptions::default(),
            &mut memory,
        );
        let levels: Vec<_> = lines.iter().map(LogLine::level).collect();
        assert_eq!(
            levels,
            vec![
                Some(crate::model::logs::Level::Warn),
                Some(crate::model::logs::Level::Error)
            ]
        );
    }

    #[test]
    fn parallel_parsing_keeps_the_order() {
        use std::fmt::Write as _;
        let text = (0..100_000).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "INFO line {i}");
            text
        });
        let source: Arc<str> = Arc::from("f");
        let body = text.strip_suffix('\n').unwrap();
        let lines = parse_parallel(
            body.as_bytes(),
            &source,
            ParseOptions::default(),
            &mut FormatMemory::default(),
        );
        assert_eq!(lines.len(), 100_000);
        assert!(
            lines
                .iter()
                .enumerate()
                .all(|(i, l)| l.message().ends_with(&format!("line {i}")))
        );
    }

    #[tokio::test]
    async fn a_file_is_loaded_then_followed_through_truncation() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "INFO one\nERROR two\nINFO three\n").unwrap();
        let (tx, mut rx) = mpsc::channel(64);
        let _handle = spawn(
            vec![LocalInput::File(path.clone())],
            2,
            ParseOptions::default(),
            1,
            tx,
        );
        let mut seen = Vec::new();
        let mut skipped = 0;
        let mut collect = |body: SourceBody, seen: &mut Vec<String>| {
            if let SourceBody::Logs(batch) = body {
                for item in &batch.items {
                    match item {
                        LogItem::Line(l) => seen.push(l.message().to_owned()),
                        LogItem::Skipped(n) => skipped += n,
                        _ => {}
                    }
                }
            }
        };
        while seen.len() < 2 {
            let event = rx.recv().await.unwrap();
            collect(event.body, &mut seen);
        }
        assert_eq!(seen, ["ERROR two", "INFO three"]);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(f, "WARN four").unwrap();
        while seen.len() < 3 {
            let event = rx.recv().await.unwrap();
            collect(event.body, &mut seen);
        }
        assert_eq!(seen[2], "WARN four");
        std::fs::write(&path, "INFO again\n").unwrap();
        while seen.len() < 4 {
            let event = rx.recv().await.unwrap();
            collect(event.body, &mut seen);
        }
        assert_eq!(seen[3], "INFO again");
        assert_eq!(skipped, 1);
    }

    /// What a followed file delivered: line texts and notices, in order.
    struct Followed {
        rx: mpsc::Receiver<SourceEvent>,
        lines: Vec<String>,
        notices: Vec<String>,
    }

    impl Followed {
        fn start(path: &Path) -> (SourceHandle, Self) {
            let (tx, rx) = mpsc::channel(256);
            let settings = LogStreamConfig {
                file_poll: Duration::from_millis(20),
                ..LogStreamConfig::default()
            };
            let handle = spawn_with(
                vec![LocalInput::File(path.to_owned())],
                1000,
                ParseOptions::default(),
                1,
                tx,
                settings,
            );
            let followed = Self {
                rx,
                lines: Vec::new(),
                notices: Vec::new(),
            };
            (handle, followed)
        }

        async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while !done(self) {
                let event = tokio::time::timeout_at(deadline, self.rx.recv())
                    .await
                    .unwrap_or_else(|_| {
                        panic!("waiting for {what}: {:?} {:?}", self.lines, self.notices)
                    })
                    .expect("the source runs");
                if let SourceBody::Logs(batch) = event.body {
                    for item in &batch.items {
                        match item {
                            LogItem::Line(l) => self.lines.push(l.raw().to_owned()),
                            LogItem::Notice(n) => self.notices.push(n.clone()),
                            _ => {}
                        }
                    }
                }
            }
        }

        /// Reads for a while longer, so a repeat would show.
        async fn settle(&mut self) {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
            while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
                if let SourceBody::Logs(batch) = event.body {
                    for item in &batch.items {
                        if let LogItem::Line(l) = item {
                            self.lines.push(l.raw().to_owned());
                        }
                    }
                }
            }
        }
    }

    fn append(path: &Path, text: &str) {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn numbered(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
        range.map(|i| format!("n={i:03}")).collect()
    }

    use std::time::Duration;

    #[tokio::test]
    async fn a_followed_w3c_file_gets_levels_from_its_status_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u_ex.log");
        std::fs::write(
            &path,
            "#Software: Microsoft HTTP Server API 2.0\n\
             #Fields: date time c-ip cs-method cs-uri-stem sc-status\n\
             2002-05-02 17:42:15 172.22.255.255 GET /a.jpg 200\n\
             2002-05-02 17:42:16 172.22.255.255 GET /b.jpg 503\n",
        )
        .unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let _handle = spawn_with(
            vec![LocalInput::File(path.clone())],
            1000,
            ParseOptions {
                ansi: crate::model::logs::AnsiMode::KeepSgr,
                reference_nanos: Some(0),
            },
            1,
            tx,
            LogStreamConfig::default(),
        );
        let mut levels = Vec::new();
        while levels.len() < 4 {
            let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("lines in time")
                .expect("the source runs");
            if let SourceBody::Logs(batch) = event.body {
                for item in &batch.items {
                    if let LogItem::Line(l) = item {
                        levels.push((l.level(), l.detected_format().name()));
                    }
                }
            }
        }
        assert_eq!(
            levels[2].0,
            Some(crate::model::logs::Level::Info),
            "{levels:?}"
        );
        assert_eq!(
            levels[3].0,
            Some(crate::model::logs::Level::Error),
            "{levels:?}"
        );
    }

    #[tokio::test]
    async fn rotation_drains_the_old_file_then_reads_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "n=001\nn=002\n").unwrap();
        let (_handle, mut f) = Followed::start(&path);
        f.until("the file", |f| f.lines.len() >= 2).await;
        // Written to the old file just before the rename, its last line unfinished: the
        // old file is drained (that line included) before the new one is read.
        append(&path, "n=003\nn=004");
        let rotated = dir.path().join("app.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        // The new file is already longer than the old offset: size alone would miss it.
        std::fs::write(&path, "n=005\nn=006\nn=007\nn=008\nn=009\n").unwrap();
        f.until("the new file", |f| f.lines.len() >= 9).await;
        f.settle().await;
        assert_eq!(f.lines, numbered(1..=9));
        assert!(
            f.notices
                .iter()
                .any(|n| n.contains("app.log was replaced (rotated)")),
            "{:?}",
            f.notices
        );
    }

    #[tokio::test]
    async fn truncation_restarts_at_zero_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "n=001\nn=002\nn=003\n").unwrap();
        let (_handle, mut f) = Followed::start(&path);
        f.until("the file", |f| f.lines.len() >= 3).await;
        // copytruncate: the same file, emptied in place, then written again.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        f.until("the truncation notice", |f| !f.notices.is_empty())
            .await;
        append(&path, "n=004\n");
        f.until("the line after", |f| f.lines.len() >= 4).await;
        f.settle().await;
        assert_eq!(f.lines, numbered(1..=4));
        assert_eq!(
            f.notices,
            ["app.log was truncated; reading it again from the start"]
        );
    }

    #[tokio::test]
    async fn a_partial_line_is_sent_once_when_it_is_completed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "n=001\nn=0").unwrap();
        let (_handle, mut f) = Followed::start(&path);
        f.until("the complete line", |f| !f.lines.is_empty()).await;
        append(&path, "0");
        // Several polls see the unfinished line; none sends it.
        tokio::time::sleep(Duration::from_millis(100)).await;
        append(&path, "2\nn=003\n");
        f.until("the rest", |f| f.lines.len() >= 3).await;
        f.settle().await;
        assert_eq!(f.lines, numbered(1..=3));
    }

    #[tokio::test]
    async fn a_deleted_file_is_waited_for_and_read_from_the_start_when_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "n=001\n").unwrap();
        let (_handle, mut f) = Followed::start(&path);
        f.until("the file", |f| !f.lines.is_empty()).await;
        std::fs::remove_file(&path).unwrap();
        f.until("the deletion notice", |f| !f.notices.is_empty())
            .await;
        std::fs::write(&path, "n=002\n").unwrap();
        f.until("the new file", |f| f.lines.len() >= 2).await;
        f.settle().await;
        assert_eq!(f.lines, numbered(1..=2));
        assert_eq!(
            f.notices[0],
            "app.log was deleted; waiting for it to come back"
        );
        assert!(f.notices[1].contains("replaced"), "{:?}", f.notices);
    }
}
