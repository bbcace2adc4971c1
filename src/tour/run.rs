//! A tour in progress: which step is current, which are done, and what happened so far.
//!
//! After every message the app asks [`TourRun::advance`] whether the current step's check
//! now holds. Steps complete in order; a step whose check already holds when it becomes
//! current completes at once, so a tour never waits for something already done.

use std::sync::Arc;

use jiff::Timestamp;

use super::check::{Facts, TourEvent};
use super::progress::TourProgress;
use super::spec::{Chapter, Step, TourSpec};
use crate::app::state::State;

/// What completed last, shown under the current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completed {
    Step {
        chapter: usize,
        step: usize,
    },
    /// A whole chapter: its recap is shown.
    Chapter(usize),
}

/// The running tour.
#[derive(Debug, Clone)]
pub struct TourRun {
    pub spec: Arc<TourSpec>,
    /// Current chapter and step (the step index is within the chapter).
    pub chapter: usize,
    pub step: usize,
    /// Per chapter, per step: done.
    pub done: Vec<Vec<bool>>,
    /// Per chapter, per step: skipped with `:tour skip` (not done).
    pub skipped: Vec<Vec<bool>>,
    pub events: Vec<TourEvent>,
    /// Index into `events` where the current step began.
    step_start: usize,
    pub last: Option<Completed>,
    pub finished: bool,
    /// The tour may run actions outside the sandbox (`--allow-writes`).
    pub allow_writes: bool,
    pub started: Timestamp,
}

impl TourRun {
    /// Starts `spec` at the first chapter not finished in `progress` (every chapter before
    /// it shows done); a finished tour starts over.
    #[must_use]
    pub fn new(spec: Arc<TourSpec>, progress: Option<&TourProgress>, now: Timestamp) -> Self {
        let chapters = spec.chapters().len();
        let resume_at = progress
            .filter(|p| !p.finished)
            .map_or(0, |p| p.chapters_done.min(chapters.saturating_sub(1)));
        let done = spec
            .chapters()
            .iter()
            .enumerate()
            .map(|(c, chapter)| vec![c < resume_at; chapter.steps().len()])
            .collect();
        let skipped = spec
            .chapters()
            .iter()
            .map(|chapter| vec![false; chapter.steps().len()])
            .collect();
        Self {
            spec,
            chapter: resume_at,
            step: 0,
            done,
            skipped,
            events: Vec::new(),
            step_start: 0,
            last: None,
            finished: false,
            allow_writes: false,
            started: now,
        }
    }

    #[must_use]
    pub fn current_chapter(&self) -> &Chapter {
        &self.spec.chapters()[self.chapter]
    }

    /// The step to do now; `None` once the tour is finished.
    #[must_use]
    pub fn current_step(&self) -> Option<&Step> {
        (!self.finished).then(|| &self.current_chapter().steps()[self.step])
    }

    /// Steps done over the whole tour.
    #[must_use]
    pub fn steps_done(&self) -> usize {
        self.done.iter().flatten().filter(|d| **d).count()
    }

    /// Records something that happened (before the checks run).
    pub fn record(&mut self, event: TourEvent) {
        self.events.push(event);
    }

    /// Completes every step whose check holds, in order. Returns the progress to save when
    /// a chapter (or the tour) was completed.
    pub fn advance(&mut self, state: &State) -> Option<TourProgress> {
        let mut save = None;
        while !self.finished {
            let step = &self.current_chapter().steps()[self.step];
            let facts = Facts {
                tour: &self.events,
                step: &self.events[self.step_start..],
            };
            if !step.check.get_ref().passes(state, facts) {
                break;
            }
            tracing::info!(
                tour = self.spec.name(),
                chapter = self.chapter,
                step = self.step,
                "tour step done"
            );
            self.done[self.chapter][self.step] = true;
            save = self.next_step().or(save);
        }
        save
    }

    /// Skips the current step (`:tour skip`): for a step that cannot complete here, such as
    /// an action in a read-only context. Returns the progress to save when a chapter ends.
    pub fn skip(&mut self, state: &State) -> Option<TourProgress> {
        if self.finished {
            return None;
        }
        self.skipped[self.chapter][self.step] = true;
        let save = self.next_step();
        // Later steps may already hold.
        self.advance(state).or(save)
    }

    /// Moves past the current step (done or skipped), closing its chapter when it was the
    /// last one.
    fn next_step(&mut self) -> Option<TourProgress> {
        self.last = Some(Completed::Step {
            chapter: self.chapter,
            step: self.step,
        });
        self.step_start = self.events.len();
        self.step += 1;
        if self.step < self.current_chapter().steps().len() {
            return None;
        }
        self.last = Some(Completed::Chapter(self.chapter));
        self.step = 0;
        if self.chapter + 1 == self.spec.chapters().len() {
            self.finished = true;
        } else {
            self.chapter += 1;
        }
        Some(TourProgress {
            chapters_done: if self.finished {
                self.spec.chapters().len()
            } else {
                self.chapter
            },
            finished: self.finished,
        })
    }
}
