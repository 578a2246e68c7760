//! A card's run of one worker job: the handler its button calls, its progress, whether it runs
//! and its outcome — cleared when what the job reads changes, and a reply to an older run never
//! shown.

use std::sync::Arc;

use leptos::prelude::*;

use crate::error::{AppError, AppResult};
use crate::jobs::{Job, Reply};
use crate::worker;

/// What a card shows of its job.
pub struct JobState<T: Send + Sync + 'static> {
    pub progress: ReadSignal<f64>,
    pub running: ReadSignal<bool>,
    pub outcome: ReadSignal<Option<AppResult<T>>>,
}

impl<T: Send + Sync + 'static> Clone for JobState<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for JobState<T> {}

/// `inputs` is what the job reads (a change clears the outcome; the effect may rerun with the
/// same values when an upstream memo is recomputed, so only a change counts), `job` makes the
/// job, `unpack` takes this card's reply out of the worker's.
pub fn job_run<T, K>(
    inputs: impl Fn() -> K + Send + Sync + 'static,
    job: impl Fn() -> Job + Send + Sync + 'static,
    unpack: fn(Reply) -> Option<T>,
) -> (JobState<T>, impl Fn() + Clone + Send + Sync + 'static)
where
    T: Clone + Send + Sync + 'static,
    K: PartialEq + Clone + Send + Sync + 'static,
{
    let (progress, set_progress) = signal(0.0);
    let (outcome, set_outcome) = signal(None::<AppResult<T>>);
    let (running, set_running) = signal(false);
    let latest = StoredValue::new(0u64);
    Effect::new(move |before: Option<K>| {
        let now = inputs();
        if before.is_some_and(|b| b != now) {
            latest.update_value(|n| *n += 1);
            set_outcome.set(None);
            set_running.set(false);
        }
        now
    });
    let job = Arc::new(job);
    let start = move || {
        latest.update_value(|n| *n += 1);
        let run = latest.get_value();
        set_running.set(true);
        set_outcome.set(None);
        set_progress.set(0.0);
        let job = job();
        leptos::task::spawn_local(async move {
            let progress = move |p| {
                if latest.get_value() == run {
                    set_progress.set(p);
                }
            };
            let out = match worker::run(&job, progress).await {
                Ok(reply) => unpack(reply)
                    .ok_or_else(|| AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            };
            if latest.get_value() == run {
                set_running.set(false);
                set_outcome.set(Some(out));
            }
        });
    };
    let state = JobState {
        progress,
        running,
        outcome,
    };
    (state, start)
}

/// A card's Run and Cancel buttons, progress bar and status line; ids `{prefix}-run`,
/// `{prefix}-cancel`, `{prefix}-progress`, `{prefix}-status`.
#[component]
pub fn RunControls(
    prefix: &'static str,
    label: &'static str,
    /// What the status line says the worker is doing ("ranking").
    doing: &'static str,
    progress: ReadSignal<f64>,
    running: ReadSignal<bool>,
    start: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="controls">
            <button id=format!("{prefix}-run") disabled=move || running.get() on:click=move |_| start()>{label}</button>
            <button id=format!("{prefix}-cancel") disabled=move || !running.get() on:click=move |_| worker::cancel()>"Cancel"</button>
            <progress id=format!("{prefix}-progress") max="1" value=move || progress.get()></progress>
            <span class="muted" id=format!("{prefix}-status")>{move || if running.get() { format!("{doing} in a Web Worker… {:.0}%", progress.get() * 100.0) } else { String::new() }}</span>
        </div>
    }
}
