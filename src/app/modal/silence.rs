//! The silence form and its plan: matchers prefilled from the selected alert (editable), a
//! duration (`1h` by default) and a required comment; on enter the confirmation shows the
//! matchers, until when, and how many of the alerts held now they catch, before anything
//! is sent through the audit gate.

use std::time::Duration;

use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::modal::form::{Field, Form, FormKind};
use crate::model::action::ActionRequest;
use crate::model::alerts::{Alert, Matcher};
use crate::model::silence::{caught, duration_words, parse_duration, parse_matchers};

/// How long a silence lasts unless the user says otherwise.
pub const DEFAULT_DURATION: &str = "1h";

impl Form {
    /// A silence of what `matchers` catch, about `about` (a service, else an alert name);
    /// the cursor starts on the comment, the one field nothing can prefill.
    #[must_use]
    pub fn silence(matchers: &str, about: &str) -> Self {
        Self {
            kind: FormKind::Silence,
            fields: vec![
                Field::text(
                    "matchers",
                    "Matchers",
                    "name=\"value\", =~ regex, != and !~ negate; comma separated",
                    matchers,
                ),
                Field::text(
                    "duration",
                    "Duration",
                    "from now: 30m, 1h, 2h30m, 1d (at most 90d)",
                    DEFAULT_DURATION,
                ),
                Field::text(
                    "comment",
                    "Comment",
                    "why (required): shown to everyone the silence mutes",
                    "",
                ),
            ],
            focus: 2,
            error: None,
            submitting: false,
            brokers: 0,
            about: about.to_owned(),
        }
    }

    /// Checks a silence form; the matchers, length and comment when all are right (errors
    /// stay on their fields and focus moves to the first).
    pub fn validate_silence(&mut self) -> Option<(Vec<Matcher>, Duration, String)> {
        for f in &mut self.fields {
            f.error = None;
        }
        let matchers = parse_matchers(self.value("matchers"));
        let duration = parse_duration(self.value("duration"));
        let comment = self.value("comment").trim().to_owned();
        if let Err(e) = &matchers {
            self.set_error("matchers", Some(e.clone()));
        }
        if let Err(e) = &duration {
            self.set_error("duration", Some(e.clone()));
        }
        if comment.is_empty() {
            self.set_error(
                "comment",
                Some("a comment is required: it tells others why their alerts are muted".into()),
            );
        } else if comment.chars().count() > 500 {
            self.set_error("comment", Some("at most 500 characters".into()));
        }
        if let Some(first_bad) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = first_bad;
            return None;
        }
        Some((matchers.ok()?, duration.ok()?, comment))
    }
}

/// The confirmation of a silence: its matchers, how long, and which alerts held now it
/// catches (by name and service), so a matcher typo that catches nothing, or far too much,
/// shows before enter.
#[must_use]
pub fn confirm(
    about: &str,
    matchers: Vec<Matcher>,
    duration: Duration,
    comment: String,
    alerts: &[Alert],
    service_labels: &[String],
) -> Confirm {
    let hits: Vec<&Alert> = caught(&matchers, alerts).collect();
    let hit_count = hits.len();
    let mut names: Vec<String> = hits
        .iter()
        .map(|a| match a.service(service_labels) {
            Some(service) => format!("{} ({service})", a.name()),
            None => a.name().to_owned(),
        })
        .collect();
    names.sort();
    names.dedup();
    let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    let more = names.len().saturating_sub(5);
    let catches = match hits.len() {
        0 => "no alert held now".to_owned(),
        n => format!(
            "{n} alert{} now: {shown}{}",
            if n == 1 { "" } else { "s" },
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
    };
    let matchers_line = crate::model::silence::matchers_text(&matchers);
    let details = vec![
        ("Matchers".to_owned(), matchers_line),
        ("For".to_owned(), duration_words(duration)),
        ("Catches".to_owned(), catches),
        ("Comment".to_owned(), comment.clone()),
    ];
    drop(hits);
    let request = ActionRequest::CreateSilence {
        service: about.to_owned(),
        matchers,
        duration_secs: duration.as_secs(),
        comment: comment.clone(),
    };
    let mut dialog = Confirm::new(request, format!("silence {about}"), details);
    // The comment is why: it is the audit reason too, so nothing is typed twice.
    dialog.reason = comment;
    if hit_count == 0 {
        dialog = dialog.with_note(
            NoteLevel::Warn,
            "these matchers catch no alert held now: check them for a typo",
        );
    } else if hit_count > 20 {
        dialog = dialog.with_note(
            NoteLevel::Warn,
            format!("this mutes {hit_count} alerts: narrow the matchers unless you mean it"),
        );
    }
    dialog
}
