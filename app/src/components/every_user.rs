//! The Reasoner page's every-user card: the sampler, with the page's settings, for every user
//! with a logged history, in the worker (WebGPU or the CPU, as the URL's `backend` allows);
//! what it took and a fingerprint of every committed token, next to the CLI's run.

use std::sync::Arc;

use leptos::prelude::*;
use reaseq_core::metrics::bootstrap::MeanInterval;
use reaseq_core::reasoner::every_user::EveryUser;

use crate::components::job_run::{job_run, JobState, RunControls};
use crate::components::{download, errors_view, BackendLine};
use crate::jobs::backend::BackendChoice;
use crate::jobs::every::EveryOutcome;
use crate::jobs::reason::Settings;
use crate::jobs::{Job, Reply};
use crate::loading::Choice;

#[component]
pub fn EveryUserCard(
    choice: Memo<Choice>,
    settings: Memo<Settings>,
    backend: Memo<BackendChoice>,
) -> impl IntoView {
    // Every user's run reads the sampler's settings, not which user the replay shows.
    let sampler = Memo::new(move |_| Settings {
        user: None,
        ..settings.get()
    });
    let (job, start) = job_run(
        move || (choice.get(), sampler.get(), backend.get()),
        move || Job::EveryUser {
            choice: choice.get_untracked(),
            settings: sampler.get_untracked(),
            backend: backend.get_untracked(),
        },
        |r| match r {
            Reply::EveryUserRan(o) => Some(*o),
            _ => None,
        },
    );
    let JobState {
        progress,
        running,
        outcome,
    } = job;
    view! {
        <section class="card" id="every-card">
            <h2>"Every user"</h2>
            <p class="muted">"The sampler above, with the same slots, steps, seed and threshold, for every user with a logged history — on WebGPU a batch of users shares each forward pass. The run is summed up by "<code>"reaseq reasoner infer --all-users"</code>"'s function: forward passes, commits, and a fingerprint of every committed token, so two runs that decided alike show the same one."</p>
            <RunControls prefix="every" label="Infer every user" doing="inferring" progress=progress running=running start=start/>
            <ErrorBoundary fallback=errors_view>
                {move || outcome.get().map(|o| o.map(|o| view! { <EveryFigures o=Arc::new(o)/> }))}
            </ErrorBoundary>
        </section>
    }
}

fn mean(m: Option<MeanInterval>) -> String {
    m.map_or("—".into(), |m| {
        format!("{:.4} [{:.4}, {:.4}]", m.mean, m.ci[0], m.ci[1])
    })
}

/// One column of the table: a run's figures.
fn column(e: &EveryUser) -> [String; 8] {
    [
        e.users.to_string(),
        e.forward_passes.to_string(),
        e.committed_tokens.to_string(),
        e.empty_slots.to_string(),
        e.distinct_items.to_string(),
        mean(e.recall),
        mean(e.ndcg),
        e.fingerprint.clone(),
    ]
}

#[component]
fn EveryFigures(o: Arc<EveryOutcome>) -> impl IntoView {
    let r = &o.run;
    let m = r.sampler.slots;
    let names = [
        "users".to_owned(),
        "forward passes".into(),
        "tokens committed".into(),
        "empty slots".into(),
        "distinct items inferred".into(),
        format!("Recall@{m} vs off-log (partly in-sample) [95% CI]"),
        format!("NDCG@{m} vs off-log (partly in-sample) [95% CI]"),
        "committed-token fingerprint".into(),
    ];
    let page = column(r);
    let cli = o
        .cli
        .as_ref()
        .filter(|c| c.sampler == r.sampler)
        .map(column);
    let cli_line = match (o.cli_agrees(), &o.cli) {
        (Some(true), _) => "The CLI's run of the same reasoner and settings (every_user.json) committed the same tokens: every figure equal.".to_owned(),
        (Some(false), _) => "The CLI's run of the same reasoner and settings (every_user.json) differs from the page's.".into(),
        (None, Some(c)) => format!("The CLI's every_user.json was run with other settings (M = {}, T = {}, seed {}, threshold {:?}).", c.sampler.slots, c.sampler.steps, c.sampler.seed, c.sampler.threshold),
        (None, None) => "This build carries no every_user.json for this reasoner: run `reaseq reasoner infer --all-users --write-asset`.".into(),
    };
    let json = serde_json::to_string_pretty(r).unwrap_or_default();
    view! {
        <BackendLine id="every-backend" used=o.backend.clone()/>
        <p class="muted" id="every-summary" data-seconds=o.seconds.to_string() data-fingerprint=r.fingerprint.clone()>{format!(
            "{} users of {} inferred in {:.1} s ({:.1} ms a user). Recall and NDCG here mix users the shipped (fold-0) reasoner was trained on with users it never saw, so they flatter it: the population panel below has the cross-fitted measures.",
            r.users, r.dataset, o.seconds, 1e3 * o.seconds / r.users.max(1) as f64
        )}</p>
        <table class="figures" id="every-table">
            <tr><th></th><th>"this page"</th>{cli.is_some().then(|| view! { <th>"reaseq reasoner infer --all-users"</th> })}</tr>
            {names.into_iter().enumerate().map(|(i, name)| view! {
                <tr data-row=i>
                    <td>{name}</td>
                    <td class="page">{page[i].clone()}</td>
                    {cli.as_ref().map(|c| view! { <td class="cli">{c[i].clone()}</td> })}
                </tr>
            }).collect_view()}
        </table>
        <p class="muted" id="every-cli" data-agrees=o.cli_agrees().map(|a| a.to_string())>{cli_line}</p>
        <button id="every-export" on:click=move |_| download("every_user.json", "application/json", &json)>"Run as JSON"</button>
    }
}
