//! The shared loop of a polling source: poll on a cadence, at most one poll in flight, send
//! a snapshot only when it changed, keep the last good data on error (the pane shows the error
//! and the data's age), and back off while failing.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::{Control, Reporter, SourceBody, backoff};
use crate::model::SourceHealth;

/// Cadence and limits of one poller.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    pub interval: Duration,
    /// A poll slower than this is abandoned and counted as a failure.
    pub timeout: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Runs until the app goes away. `fetch` gets the current scope and returns the snapshot body
/// or a message for the user. Snapshots equal to the previous one are not sent again, so an
/// unchanged backend costs the UI nothing.
pub async fn run<F, Fut>(
    reporter: Reporter,
    mut control: mpsc::Receiver<Control>,
    mut settings: PollSettings,
    mut fetch: F,
) where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<SourceBody, String>>,
{
    let mut scope: Option<String> = None;
    let mut paused = false;
    let mut last_sent: Option<SourceBody> = None;
    let mut last_good: Option<Timestamp> = None;
    let mut failures: u32 = 0;
    let mut failing_since: Option<Timestamp> = None;
    let mut next = Instant::now();
    loop {
        tokio::select! {
            () = sleep_until(next), if !paused => {}
            msg = control.recv() => {
                match msg {
                    None => return,
                    Some(Control::Refresh) => next = Instant::now(),
                    Some(Control::SetScope(s)) => {
                        scope = s;
                        next = Instant::now();
                    }
                    Some(Control::SetInterval(interval)) => {
                        settings.interval = interval.max(Duration::from_millis(100));
                        next = Instant::now();
                    }
                    Some(Control::Pause(p)) => {
                        paused = p;
                        if !p {
                            next = Instant::now();
                        }
                    }
                    // Polled sources read no logs.
                    Some(Control::Logs(_) | Control::TraceSearch(_)) => {}
                }
                continue;
            }
        }
        let started = Instant::now();
        let result = tokio::time::timeout(settings.timeout, fetch(scope.clone())).await;
        let result = result.unwrap_or_else(|_| {
            Err(format!(
                "no answer within {} s",
                settings.timeout.as_secs_f32()
            ))
        });
        let now = Timestamp::now();
        let ok = match result {
            Ok(body) => {
                failures = 0;
                failing_since = None;
                last_good = Some(now);
                let changed = last_sent.as_ref() != Some(&body);
                if changed {
                    last_sent = Some(body.clone());
                    if !reporter.send(body).await {
                        return;
                    }
                }
                reporter.health(SourceHealth::Ok { at: now }).await
            }
            Err(message) => {
                failures = failures.saturating_add(1);
                let since = *failing_since.get_or_insert(now);
                tracing::warn!(source = reporter.source.label(), %message, "poll failed");
                reporter
                    .health(SourceHealth::Error {
                        message,
                        since,
                        last_good,
                    })
                    .await
            }
        };
        if !ok {
            return;
        }
        let wait = if failures > 0 {
            backoff(failures - 1).min(settings.interval)
        } else {
            settings.interval
        };
        next = started + wait;
    }
}
