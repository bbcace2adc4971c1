//! Local log input: `opsdeck logs FILE…` and `… | opsdeck logs -`, the lnav habit on an SSH
//! box. A file is loaded, then followed like `tail -F` (growth is read, truncation or
//! replacement starts it again); stdin is read until it closes.
//!
//! Loading a file larger than the ring only parses the lines the ring would keep: the newer
//! ones. The older lines are counted (the pane shows them as dropped) without being parsed,
//! since the ring would evict them at once; counting newlines runs at memory speed, so the
//! first frame shows the end of a large file quickly.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, BufReader};
use tokio::sync::mpsc;

use super::{BATCH_INTERVAL, BATCH_LINES, LogItem, send};
use crate::model::SourceHealth;
use crate::model::logs::{LogLine, ParseOptions, parse_line_with};
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId};

/// How often a followed file is checked for growth.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

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
    let (control_tx, mut control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Logs, generation, events);
    let task = tokio::spawn(async move {
        let mut readers = tokio::task::JoinSet::new();
        for input in inputs {
            let reporter = reporter.clone();
            readers.spawn(async move {
                let result = match &input {
                    LocalInput::File(path) => {
                        follow_file(path, input.label(), keep, options, &reporter).await
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

/// Parses many lines on every core: the order is kept, chunks go to scoped threads.
fn parse_parallel(bytes: &[u8], source: &Arc<str>, options: ParseOptions) -> Vec<LogLine> {
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
) -> Result<(), String> {
    let what = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = tokio::fs::File::open(path).await.map_err(what)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).await.map_err(what)?;
    // A last line without its newline may still be being written: keep it for later.
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut offset = complete as u64;
    let (start, skipped) = tail_start(&bytes[..complete], keep);
    let source = Arc::clone(&label);
    let body = bytes[start..complete.saturating_sub(1).max(start)].to_vec();
    drop(bytes);
    let lines = tokio::task::spawn_blocking(move || {
        if body.is_empty() && start == complete {
            Vec::new()
        } else {
            parse_parallel(&body, &source, options)
        }
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
    let mut partial: Vec<u8> = Vec::new();
    loop {
        tokio::time::sleep(FOLLOW_POLL).await;
        let len = match tokio::fs::metadata(path).await {
            Ok(m) => m.len(),
            Err(_) => continue,
        };
        if len < offset {
            // Truncated or replaced (log rotation): start from its beginning.
            file = tokio::fs::File::open(path).await.map_err(what)?;
            offset = 0;
            partial.clear();
            let _ = send(
                reporter,
                vec![LogItem::Notice(format!(
                    "{label} was truncated; reading it again"
                ))],
            )
            .await;
        }
        if len == offset {
            continue;
        }
        file.seek(SeekFrom::Start(offset)).await.map_err(what)?;
        let mut fresh = Vec::new();
        (&mut file)
            .take(len - offset)
            .read_to_end(&mut fresh)
            .await
            .map_err(what)?;
        offset += fresh.len() as u64;
        partial.extend_from_slice(&fresh);
        let Some(end) = partial.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let ready: Vec<u8> = partial.drain(..=end).collect();
        let lines = parse_lines(&ready[..ready.len() - 1], &label, options);
        if !send(reporter, lines.into_iter().map(LogItem::Line).collect()).await {
            return Ok(());
        }
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
        items.push(LogItem::Line(parse_line_with(
            text,
            Arc::clone(&source),
            options,
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
    fn parallel_parsing_keeps_the_order() {
        use std::fmt::Write as _;
        let text = (0..100_000).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "INFO line {i}");
            text
        });
        let source: Arc<str> = Arc::from("f");
        let body = text.strip_suffix('\n').unwrap();
        let lines = parse_parallel(body.as_bytes(), &source, ParseOptions::default());
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
}
