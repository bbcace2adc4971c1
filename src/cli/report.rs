//! `opsdeck status` and `opsdeck incident SERVICE`: the attention list and one service's
//! incident view, printed for a terminal, a pipe or (`--json`) a program. The console runs
//! headless on the context ([`crate::runtime::collect`]) and the answer is read off the same
//! state the panes draw, so the words are the panes' words.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use super::args::ReportArgs;
use super::dispatch::usage_error;
use crate::app::panes::incident::facts::{Fact, Severity, worst as worst_fact};
use crate::app::panes::incident::{Panel, signals};
use crate::app::state::{ContextInfo, State};
use crate::config::Config;
use crate::config::paths::Paths;
use crate::model::report::{
    self as doc, ChangeDoc, ContextDoc, FactDoc, FindingDoc, FindingSeverity, IncidentDoc, LinkDoc,
    OnCallDoc, PanelDoc, ServiceDoc, SignalDoc, SourceDoc, SourceState, StatusDoc,
};
use crate::model::sanitize::clean;
use crate::model::source::SourceId;
use crate::model::text::{fit, short_age};
use crate::runtime::collect::{Answer, Want, answers, collect};

/// Where the contexts come from.
pub(super) enum Fleet {
    /// The config file's contexts.
    Configured,
    /// The sandbox's (`opsdeck sandbox status`), with its seed.
    Sandbox(u64),
}

/// Parses `--timeout`: `10`, `10s`, `1500ms`, `1m`.
///
/// # Errors
/// Anything else, in words.
pub fn parse_timeout(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = raw
        .find(|c: char| !c.is_ascii_digit())
        .map_or((raw, "s"), |i| raw.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}`: a duration like 10s, 1500ms or 1m"))?;
    let d = match unit.trim() {
        "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("`{raw}`: a duration like 10s, 1500ms or 1m")),
    };
    if d.is_zero() {
        return Err("the timeout must be more than zero".into());
    }
    Ok(d)
}

/// `10 s`, `1500 ms`.
fn words(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The name a document gives a source.
fn source_name(id: SourceId) -> &'static str {
    match id {
        SourceId::Postgres => "postgres",
        other => other.label(),
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| clean(s))
}

/// The config and the contexts to check, or the usage error to print.
fn fleet_config(
    fleet: &Fleet,
    paths: &Paths,
    context: Option<&str>,
    all: bool,
) -> Result<(Config, String), ExitCode> {
    let mut config = match fleet {
        Fleet::Sandbox(seed) => Config::sandbox(*seed),
        Fleet::Configured => {
            if !paths.config_file.exists() {
                return Err(usage_error(format!(
                    "no config at {}; `opsdeck sandbox status` checks the sandbox, and \
                     `opsdeck config init` writes a config",
                    paths.config_file.display()
                )));
            }
            crate::config::load::load(&paths.config_file).map_err(usage_error)?
        }
    };
    // Local log files are not a fleet to check.
    config.contexts.retain(|c| c.local_logs.is_empty());
    let names: Vec<String> = config.contexts.iter().map(|c| c.name.clone()).collect();
    let active = context
        .map(str::to_owned)
        .or_else(|| config.default_context.clone())
        .or_else(|| names.first().cloned());
    let Some(active) = active else {
        return Err(usage_error("the config defines no context"));
    };
    if !names.contains(&active) {
        let close = close_names(&active, names.iter().map(String::as_str));
        let hint = if close.is_empty() {
            format!("contexts: {}", names.join(", "))
        } else {
            format!("did you mean: {}", close.join(", "))
        };
        return Err(usage_error(format!(
            "no context `{}`; {}",
            clean(&active),
            clean(&hint)
        )));
    }
    if !all {
        // Only that context's sources run: the others are not asked at all.
        config.contexts.retain(|c| c.name == active);
    }
    Ok((config, active))
}

/// Runs the console headless on `active` until the sources answered; the state it left.
fn run_headless(
    config: Config,
    active: &str,
    want: &Want,
    timeout: Duration,
) -> color_eyre::Result<(State, Config)> {
    let ui =
        crate::runtime::run::load_ui("default", "default", None, crate::theme::ColorDepth::Mono)
            .map_err(|d| color_eyre::eyre::eyre!(d.to_string()))?;
    let user = std::env::var("USER").unwrap_or_else(|_| "you".into());
    let info = ContextInfo {
        name: active.to_owned(),
        ..ContextInfo::default()
    };
    let mut state = State::new(info, user.clone(), ui, jiff::Timestamp::now());
    state.readonly = true;
    state.history =
        crate::app::state::History::new(crate::app::View::Pane(crate::app::PaneId::Attention));
    let mut env =
        crate::runtime::run::Environment::new(config.clone(), None, crate::theme::ColorDepth::Mono);
    env.readonly = true;
    env.user = user;
    // A sandbox context's platform (who is on call, as the console shows it) keeps its
    // stores in a data dir: a scratch one, gone when the answer is printed.
    let scratch = config
        .contexts
        .iter()
        .any(|c| c.sandbox_seed.is_some())
        .then(|| {
            let nanos = jiff::Timestamp::now().as_nanosecond();
            std::env::temp_dir().join(format!("opsdeck-report-{}-{nanos}", std::process::id()))
        });
    env.data_dir.clone_from(&scratch);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let ran = runtime.block_on(collect(&mut state, &mut env, want, timeout));
    drop(env);
    runtime.shutdown_timeout(Duration::from_millis(200));
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    ran?;
    Ok((state, config))
}

/// A source that did not answer, or failed, as a finding.
fn source_finding(answer: &Answer, production: bool, timeout: Duration) -> Option<FindingDoc> {
    let name = match &answer.target {
        Some(target) => format!("{} {}", source_name(answer.source), clean(target)),
        None => source_name(answer.source).to_owned(),
    };
    let what = match answer.state {
        // The platform only names who is on call: without it the catalog does.
        _ if answer.source == SourceId::Platform => return None,
        SourceState::Ok | SourceState::Off => return None,
        SourceState::NoAnswer => format!("{name}: no answer in {}", words(timeout)),
        SourceState::Error => format!(
            "{name}: {}",
            clean(answer.message.as_deref().unwrap_or("failed"))
        ),
        SourceState::Stale => format!(
            "{name}: stale: {}",
            clean(answer.message.as_deref().unwrap_or("data is old"))
        ),
    };
    Some(FindingDoc {
        severity: FindingSeverity::Unknown,
        context: clean(&answer.context),
        production,
        service: None,
        source: Some(source_name(answer.source).to_owned()),
        owner: None,
        tier: None,
        on_call: None,
        what,
        since: None,
        signals: Vec::new(),
    })
}

fn source_doc(answer: &Answer) -> SourceDoc {
    SourceDoc {
        source: source_name(answer.source).to_owned(),
        target: answer.target.as_deref().map(clean),
        state: answer.state,
        message: answer.message.as_deref().map(clean),
    }
}

/// The status document from the state a headless run left.
#[must_use]
pub fn status_doc(state: &State, config: &Config, timeout: Duration) -> StatusDoc {
    let all = answers(state, config, &Want::Status);
    let production = |name: &str| config.context(name).is_some_and(|c| c.production);
    let mut findings: Vec<FindingDoc> = state
        .panes
        .attention
        .rows
        .iter()
        .filter(|r| config.context(&r.context).is_some())
        .map(|r| {
            let signals: Vec<SignalDoc> = r
                .signals
                .iter()
                .map(|s| SignalDoc {
                    kind: doc::signal_kind(s.kind),
                    severity: s.level.into(),
                    text: clean(&s.text),
                    since: s.since.map(doc::time),
                })
                .collect();
            FindingDoc {
                severity: r.level.into(),
                context: clean(&r.context),
                production: r.production,
                service: Some(clean(&r.service)),
                source: None,
                owner: opt(&r.owner),
                tier: (r.tier != crate::model::Tier::Unknown).then(|| r.tier.label().to_owned()),
                on_call: r.oncall.as_deref().map(clean),
                what: r
                    .signals
                    .iter()
                    .map(|s| clean(&s.text))
                    .collect::<Vec<_>>()
                    .join(" · "),
                since: r.since.map(doc::time),
                signals,
            }
        })
        .collect();
    findings.extend(
        all.iter()
            .filter_map(|a| source_finding(a, production(&a.context), timeout)),
    );
    // Worst first; the attention order within a severity (the sort is stable).
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let contexts = config
        .contexts
        .iter()
        .map(|c| ContextDoc {
            name: clean(&c.name),
            production: c.production,
            sources: all
                .iter()
                .filter(|a| a.context == c.name)
                .map(source_doc)
                .collect(),
        })
        .collect();
    let worst = findings.iter().map(|f| f.severity).max();
    StatusDoc {
        schema: doc::STATUS_SCHEMA,
        generated_at: doc::time(state.now),
        worst: worst.map_or("ok", FindingSeverity::word),
        exit_code: doc::exit_code(worst),
        contexts,
        findings,
    }
}

/// The width of the terminal on stdout; `None` in a pipe (nothing is cut there).
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
}

fn pad(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr as _;
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

/// The status as a table: severity (glyph and word), context (`⚑` for production), service,
/// what, since (an age). `width` cuts the WHAT column so each finding keeps one line.
#[must_use]
pub fn status_text(status: &StatusDoc, now: jiff::Timestamp, width: Option<usize>) -> String {
    use unicode_width::UnicodeWidthStr as _;
    let age = |since: Option<&String>| {
        since
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map_or_else(
                || "-".to_owned(),
                |t| short_age(now.duration_since(t).as_secs()),
            )
    };
    let rows: Vec<[String; 5]> = status
        .findings
        .iter()
        .map(|f| {
            [
                format!("{} {}", f.severity.glyph(), f.severity.word()),
                crate::model::text::context_label(&f.context, f.production),
                f.service.clone().unwrap_or_else(|| "-".into()),
                f.what.clone(),
                age(f.since.as_ref()),
            ]
        })
        .collect();
    let mut text = String::new();
    let header = ["SEV", "CONTEXT", "SERVICE", "WHAT", "SINCE"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.width());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    if let Some(width) = width {
        let others: usize = widths[0] + widths[1] + widths[2] + widths[4] + 8;
        widths[3] = widths[3].min(width.saturating_sub(others).max(10));
    }
    if !rows.is_empty() {
        for row in std::iter::once(&header).chain(&rows) {
            let what = fit(&row[3], widths[3]);
            let line = format!(
                "{}  {}  {}  {}  {}",
                pad(&row[0], widths[0]),
                pad(&row[1], widths[1]),
                pad(&row[2], widths[2]),
                pad(&what, widths[3]),
                row[4]
            );
            // Narrower than the fixed columns: the line is cut rather than wrapped.
            let line = width.map_or_else(|| line.clone(), |w| fit(&line, w));
            let _ = writeln!(text, "{}", line.trim_end());
        }
    }
    let count = |s: FindingSeverity| status.findings.iter().filter(|f| f.severity == s).count();
    let worst = status.findings.iter().map(|f| f.severity).max();
    if let Some(worst) = worst {
        let _ = writeln!(
            text,
            "{} {}: {} critical, {} warning, {} unknown",
            worst.glyph(),
            worst.word(),
            count(FindingSeverity::Critical),
            count(FindingSeverity::Warning),
            count(FindingSeverity::Unknown),
        );
    } else {
        let _ = writeln!(text, "✔ ok: nothing needs attention");
    }
    let names: Vec<&str> = status.contexts.iter().map(|c| c.name.as_str()).collect();
    let checked = format!("checked: {}", names.join(", "));
    let _ = writeln!(
        text,
        "{}",
        width.map_or_else(|| checked.clone(), |w| fit(&checked, w))
    );
    text
}

fn print(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// `opsdeck status` (and `opsdeck sandbox status`).
pub(super) fn status(
    args: &ReportArgs,
    all: bool,
    fleet: &Fleet,
    paths: &Paths,
) -> color_eyre::Result<ExitCode> {
    let (config, active) = match fleet_config(fleet, paths, args.context.as_deref(), all) {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let (state, config) = run_headless(config, &active, &Want::Status, args.timeout)?;
    let status = status_doc(&state, &config, args.timeout);
    if args.json {
        print(&json(&status));
    } else {
        print(&status_text(&status, state.now, terminal_width()));
    }
    Ok(ExitCode::from(status.exit_code))
}

/// Names close to `wanted` (a shared part or a small edit), for the "no such service" error.
fn close_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let d = strsim::levenshtein(&wanted, &lower);
            let near = d <= 2.max(wanted.chars().count() / 3)
                || lower.contains(&wanted)
                || wanted.contains(&lower)
                || lower
                    .split('-')
                    .any(|part| part.len() > 3 && wanted.split('-').any(|w| w == part));
            near.then_some((d, name))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

fn fact_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Quiet => "quiet",
        Severity::Info => "info",
        Severity::Ok => "ok",
        Severity::Warn => "warning",
        Severity::Bad => "critical",
    }
}

fn panel_key(panel: Panel) -> &'static str {
    match panel {
        Panel::Alerts => "alerts",
        Panel::Metrics => "metrics",
        Panel::Card => "service",
        Panel::Argo => "argocd",
        Panel::Rollout => "rollout",
        Panel::Database => "databases",
        Panel::Lag => "lag",
        Panel::Logs => "logs",
        Panel::Changes => "changes",
        Panel::Traces => "traces",
    }
}

fn change_kind(kind: crate::model::timeline::ChangeKind) -> &'static str {
    use crate::model::timeline::ChangeKind as K;
    match kind {
        K::Deploy => "deploy",
        K::SyncFailed => "sync_failed",
        K::Rollout => "rollout",
        K::Audited => "audited",
        K::Warning => "warning",
        K::Alert => "alert",
    }
}

/// The facts of every panel, as the incident view computes them for `service`, with the
/// changes and the on-call answer the document lists too.
fn panels(
    state: &State,
    service: &crate::model::Service,
    changes: &[crate::model::timeline::Change],
    on_call: Option<&crate::app::oncall::OnCallAnswer>,
) -> (Vec<(Panel, Vec<Fact>)>, Vec<u64>) {
    let seen = state.seen();
    let (log_facts, series) = signals::logs(&seen, service, &state.panes.incident.error_rate);
    let (metric_facts, _) = crate::ui::panes::incident_metrics::facts(state, service);
    let change_facts = crate::ui::panes::incident_changes::change_facts(changes);
    let facts = Panel::ALL
        .into_iter()
        .map(|panel| {
            let facts = match panel {
                Panel::Alerts => signals::alerts(&seen, service),
                Panel::Metrics => metric_facts.clone(),
                Panel::Card => crate::app::panes::incident::facts::card(service, on_call),
                Panel::Argo => crate::app::panes::incident::facts::argo(&seen, service),
                Panel::Rollout => crate::app::panes::incident::facts::rollout(
                    &seen,
                    service,
                    state.panes.incident.workload.as_ref(),
                ),
                Panel::Database => signals::databases(&seen, service),
                Panel::Lag => signals::lag(&seen, service),
                Panel::Logs => log_facts.clone(),
                Panel::Changes => change_facts.clone(),
                Panel::Traces => signals::traces(&seen, service),
            };
            (panel, facts)
        })
        .collect();
    let series = if state.panes.incident.error_rate.has_lines() {
        series
    } else {
        Vec::new()
    };
    (facts, series)
}

/// The incident document of `service` from the state a headless run left.
#[must_use]
pub fn incident_doc(
    state: &State,
    config: &Config,
    service: &crate::model::Service,
) -> IncidentDoc {
    let changes = crate::ui::panes::incident_changes::service_changes(state, service);
    let on_call = state.panes.catalog.on_call(service, state.now);
    let (facts, series) = panels(state, service, &changes, on_call.as_ref());
    let panels: Vec<PanelDoc> = facts
        .iter()
        .map(|(panel, facts)| PanelDoc {
            panel: panel_key(*panel),
            title: panel.title(),
            worst: fact_word(worst_fact(facts)),
            facts: facts
                .iter()
                .map(|f| FactDoc {
                    severity: fact_word(f.severity),
                    text: clean(&f.text),
                })
                .collect(),
        })
        .collect();
    let worst = facts
        .iter()
        .map(|(_, f)| worst_fact(f))
        .max()
        .unwrap_or(Severity::Quiet);
    let changes = changes
        .into_iter()
        .map(|c| ChangeDoc {
            at: doc::time(c.at),
            kind: change_kind(c.kind),
            text: clean(&c.text),
        })
        .collect();
    let on_call = on_call.map(|a| OnCallDoc {
        who: clean(&a.who),
        source: match a.source {
            crate::app::oncall::OnCallSource::Platform { .. } => "platform",
            crate::app::oncall::OnCallSource::Catalog => "catalog",
        },
        until: a.until.map(doc::time),
    });
    let m = &service.mapping;
    let list = |v: &[String]| v.iter().map(|s| clean(s)).collect::<Vec<_>>();
    let context = &state.context.name;
    IncidentDoc {
        schema: doc::INCIDENT_SCHEMA,
        generated_at: doc::time(state.now),
        context: clean(context),
        production: config.context(context).is_some_and(|c| c.production),
        service: ServiceDoc {
            name: clean(&service.name),
            title: service.title.as_deref().map(clean),
            owner: clean(&service.owner),
            tier: (service.tier != crate::model::Tier::Unknown)
                .then(|| service.tier.label().to_owned()),
            system: service.system.as_deref().map(clean),
            lifecycle: opt(&service.lifecycle),
            on_call,
            runbook: service.runbook.as_deref().map(clean),
            links: service
                .links
                .iter()
                .map(|l| LinkDoc {
                    title: clean(&l.title),
                    url: clean(&l.url),
                })
                .collect(),
            repos: list(&service.repos),
            argocd_app: m.argocd_app.as_deref().map(clean),
            workload: m.workload.as_ref().map(|w| {
                let kind = match w.kind {
                    crate::model::service::WorkloadKind::Deployment => "Deployment",
                    crate::model::service::WorkloadKind::Rollout => "Rollout",
                };
                let namespace = w
                    .namespace
                    .as_deref()
                    .or(m.kube_namespace.as_deref())
                    .unwrap_or("-");
                clean(&format!("{kind}/{namespace}/{}", w.name))
            }),
            databases: list(&m.databases),
            topics: list(&m.topics),
            consumer_groups: list(&m.consumer_groups),
            trace_service: m.trace_service.as_deref().map(clean),
        },
        worst: fact_word(worst),
        panels,
        changes,
        error_logs_per_minute: series,
        sources: answers(state, config, &Want::Incident(service.name.clone()))
            .iter()
            .map(source_doc)
            .collect(),
    }
}

/// The incident as text: a heading, then each panel's title with its worst glyph and its
/// facts, each with its glyph (or its word when it has none).
#[must_use]
pub fn incident_text(incident: &IncidentDoc) -> String {
    let s = &incident.service;
    let mut text = String::new();
    let mut heading = vec![format!("owner {}", s.owner)];
    if let Some(tier) = &s.tier {
        heading.push(tier.clone());
    }
    heading.push(s.on_call.as_ref().map_or_else(
        || "on call unknown".to_owned(),
        |o| format!("on call {} ({})", o.who, o.source),
    ));
    let _ = writeln!(
        text,
        "{} in {}: {}",
        s.name,
        crate::model::text::context_label(&incident.context, incident.production),
        heading.join(" · ")
    );
    let glyph = |word: &str| match word {
        "critical" => "✖",
        "warning" => "▲",
        "ok" => "✔",
        _ => "·",
    };
    for panel in &incident.panels {
        let _ = writeln!(
            text,
            "\n{} {} ({})",
            glyph(panel.worst),
            panel.title,
            panel.worst
        );
        for fact in &panel.facts {
            let _ = writeln!(text, "  {} {}", glyph(fact.severity), fact.text);
        }
    }
    text
}

/// `opsdeck incident SERVICE` (and `opsdeck sandbox incident SERVICE`).
pub(super) fn incident(
    service: &str,
    args: &ReportArgs,
    fleet: &Fleet,
    paths: &Paths,
) -> color_eyre::Result<ExitCode> {
    let (config, active) = match fleet_config(fleet, paths, args.context.as_deref(), false) {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let want = Want::Incident(service.to_owned());
    let (state, config) = run_headless(config, &active, &want, args.timeout)?;
    let catalog = &state.panes.catalog.catalog;
    let Some(found) = catalog.service(service) else {
        if !state.panes.catalog.loaded {
            let why = answers(&state, &config, &want)
                .into_iter()
                .find(|a| a.source == SourceId::Catalog)
                .and_then(|a| a.message)
                .unwrap_or_else(|| format!("no answer in {}", words(args.timeout)));
            return Ok(usage_error(format!(
                "cannot look `{}` up: the catalog of {active}: {}",
                clean(service),
                clean(&why)
            )));
        }
        let close = close_names(service, catalog.services().map(|s| s.name.as_str()));
        let hint = if close.is_empty() {
            let mut all: Vec<&str> = catalog.services().map(|s| s.name.as_str()).collect();
            all.sort_unstable();
            all.truncate(12);
            format!("services: {}", all.join(", "))
        } else {
            format!("did you mean: {}", close.join(", "))
        };
        return Ok(usage_error(format!(
            "no service `{}` in the catalog of {active}; {}",
            clean(service),
            clean(&hint)
        )));
    };
    let incident = incident_doc(&state, &config, found);
    if args.json {
        print(&json(&incident));
    } else {
        print(&incident_text(&incident));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_seconds_milliseconds_and_minutes() {
        assert_eq!(parse_timeout("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_mins(2)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("5h").is_err());
        assert_eq!(words(Duration::from_secs(10)), "10 s");
        assert_eq!(words(Duration::from_millis(1500)), "1500 ms");
    }

    fn finding(severity: FindingSeverity, context: &str, service: &str, what: &str) -> FindingDoc {
        FindingDoc {
            severity,
            context: context.into(),
            production: context.ends_with("prod"),
            service: Some(service.into()),
            source: None,
            owner: Some("payments".into()),
            tier: Some("tier-1".into()),
            on_call: None,
            what: what.into(),
            since: Some("2026-12-07T10:00:00Z".into()),
            signals: Vec::new(),
        }
    }

    fn doc(findings: Vec<FindingDoc>) -> StatusDoc {
        let worst = findings.iter().map(|f| f.severity).max();
        StatusDoc {
            schema: doc::STATUS_SCHEMA,
            generated_at: "2026-12-07T10:05:00Z".into(),
            worst: worst.map_or("ok", FindingSeverity::word),
            exit_code: doc::exit_code(worst),
            contexts: ["sandbox-staging", "sandbox-prod"]
                .map(|name| ContextDoc {
                    name: name.into(),
                    production: name.ends_with("prod"),
                    sources: Vec::new(),
                })
                .to_vec(),
            findings,
        }
    }

    #[test]
    fn status_text_keeps_every_line_within_the_width_and_names_the_worst() {
        use unicode_width::UnicodeWidthStr as _;
        let now: jiff::Timestamp = "2026-12-07T10:05:00Z".parse().expect("time");
        let status = doc(vec![
            finding(
                FindingSeverity::Critical,
                "sandbox-prod",
                "promotions-service",
                "app Degraded · rollout Degraded · 1 alert firing: RolloutStuck · \
                 logistics-db: 1 waiting",
            ),
            finding(
                FindingSeverity::Warning,
                "sandbox-staging",
                "cart",
                "app OutOfSync",
            ),
        ]);
        let text = status_text(&status, now, Some(80));
        for line in text.lines() {
            assert!(line.width() <= 80, "{} columns: {line}", line.width());
        }
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("SEV"), "{text}");
        assert!(lines[1].starts_with("✖ critical  ⚑sandbox-prod"), "{text}");
        assert!(
            lines[1].contains("app Degraded") && lines[1].ends_with("5m"),
            "{text}"
        );
        assert!(lines[2].starts_with("▲ warning"), "{text}");
        assert_eq!(lines[3], "✖ critical: 1 critical, 1 warning, 0 unknown");
        assert_eq!(lines[4], "checked: sandbox-staging, sandbox-prod");
        // In a pipe nothing is cut.
        assert!(status_text(&status, now, None).contains("logistics-db: 1 waiting"));
    }

    #[test]
    fn status_text_says_ok_when_nothing_is_found() {
        let now: jiff::Timestamp = "2026-12-07T10:05:00Z".parse().expect("time");
        assert_eq!(
            status_text(&doc(Vec::new()), now, Some(80)),
            "✔ ok: nothing needs attention\nchecked: sandbox-staging, sandbox-prod\n"
        );
    }

    #[test]
    fn the_fleet_is_the_context_asked_for_or_every_one_and_an_unknown_one_is_refused() {
        let paths = Paths::from_env(|_| None);
        let (config, active) =
            fleet_config(&Fleet::Sandbox(7), &paths, None, false).expect("default");
        assert_eq!(active, "sandbox-staging");
        assert_eq!(config.contexts.len(), 1);
        let (config, active) =
            fleet_config(&Fleet::Sandbox(7), &paths, Some("sandbox-prod"), false).expect("prod");
        assert_eq!(active, "sandbox-prod");
        assert_eq!(config.contexts[0].name, "sandbox-prod");
        let (config, _) = fleet_config(&Fleet::Sandbox(7), &paths, None, true).expect("all");
        assert_eq!(config.contexts.len(), 2);
        assert!(fleet_config(&Fleet::Sandbox(7), &paths, Some("sandbox-prd"), false).is_err());
    }

    #[test]
    fn a_source_that_failed_is_an_unknown_finding_in_clean_words() {
        let answer = |state, message: Option<&str>| Answer {
            context: "prod".into(),
            source: SourceId::Postgres,
            target: Some("orders-db".into()),
            state,
            message: message.map(str::to_owned),
        };
        let timeout = Duration::from_secs(10);
        let failed = source_finding(
            &answer(SourceState::Error, Some("refused \u{1b}[2Jnow")),
            true,
            timeout,
        )
        .expect("a finding");
        assert_eq!(failed.severity, FindingSeverity::Unknown);
        assert_eq!(failed.source.as_deref(), Some("postgres"));
        assert!(failed.service.is_none() && failed.production);
        assert!(!failed.what.contains('\u{1b}'), "{}", failed.what);
        assert!(failed.what.starts_with("postgres orders-db: refused"));
        let silent = source_finding(&answer(SourceState::NoAnswer, None), false, timeout);
        assert_eq!(
            silent.map(|f| f.what).as_deref(),
            Some("postgres orders-db: no answer in 10 s")
        );
        assert!(source_finding(&answer(SourceState::Ok, None), false, timeout).is_none());
        assert!(source_finding(&answer(SourceState::Off, None), false, timeout).is_none());
    }

    #[test]
    fn close_names_take_edits_and_shared_parts() {
        let names = ["checkout-api", "payments-api", "orders-worker", "search"];
        assert_eq!(
            close_names("checkot-api", names.into_iter()),
            vec!["checkout-api"]
        );
        assert_eq!(
            close_names("orders", names.into_iter()),
            vec!["orders-worker"]
        );
        assert!(close_names("zzzzzz", names.into_iter()).is_empty());
    }
}
