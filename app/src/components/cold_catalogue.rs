//! Compare's catalogue-as-new card: every item placed by the student encoder as the cold-start
//! box places a new one, in the worker (WebGPU or the CPU, as the URL's `backend` allows), and
//! how close each placement lands to the item's own REP vector, next to the CLI's figures.

use std::sync::Arc;

use leptos::prelude::*;
use reaseq_core::metrics::bootstrap::MeanInterval;
use reaseq_core::ranker::cold_catalogue::ColdCatalogue;

use crate::components::job_run::{job_run, JobState, RunControls};
use crate::components::{download, errors_view, BackendLine};
use crate::jobs::backend::BackendChoice;
use crate::jobs::coldcat::ColdCatalogueOutcome;
use crate::jobs::{Job, Reply};
use crate::loading::Choice;

#[component]
pub fn ColdCatalogueCard(choice: Memo<Choice>, backend: Memo<BackendChoice>) -> impl IntoView {
    let (job, start) = job_run(
        move || (choice.get(), backend.get()),
        move || Job::ColdCatalogue {
            choice: choice.get_untracked(),
            backend: backend.get_untracked(),
        },
        |r| match r {
            Reply::ColdPlaced(o) => Some(*o),
            _ => None,
        },
    );
    let JobState {
        progress,
        running,
        outcome,
    } = job;
    view! {
        <section class="card" id="coldcat-card">
            <h2>"The catalogue placed as new"</h2>
            <p class="muted">"Every item's title and description (its genres when it has none) through the student encoder, as the cold-start box places an item no log has seen, against the REP vectors these rankers read: how close each placement lands to the item's own vector, whether the item finds itself among the 10 nearest, and how many of its 10 REP neighbours the placement keeps. "<code>"reaseq experiment --cold-catalogue"</code>" computes the same figures."</p>
            <RunControls prefix="coldcat" label="Place every item" doing="placing" progress=progress running=running start=start/>
            <ErrorBoundary fallback=errors_view>
                {move || outcome.get().map(|o| o.map(|o| view! { <ColdFigures o=Arc::new(o)/> }))}
            </ErrorBoundary>
        </section>
    }
}

fn mean(m: MeanInterval) -> String {
    format!("{:.4} [{:.4}, {:.4}]", m.mean, m.ci[0], m.ci[1])
}

fn rows(c: &ColdCatalogue) -> [(String, String); 3] {
    [
        ("cosine with its own REP vector".into(), mean(c.cosine)),
        (
            format!("finds itself among its {} nearest", c.k),
            mean(c.self_hit),
        ),
        (format!("REP neighbours kept (of {})", c.k), mean(c.overlap)),
    ]
}

#[component]
fn ColdFigures(o: Arc<ColdCatalogueOutcome>) -> impl IntoView {
    let r = &o.run;
    let cli = o.cli.as_ref().map(rows);
    let cli_line = match o.largest_cli_difference() {
        Some(d) => format!("The CLI's figures for the same files (cold_catalogue.json): the largest difference from the page's is {d:.1e}."),
        None => "This build carries no cold_catalogue.json for these files: run `reaseq experiment --cold-catalogue --write-asset`.".into(),
    };
    let gpu_line = o.cpu_difference.map(|d| {
        format!("The CPU path, run beside it: the largest |WebGPU − CPU| over every component of every item's vector is {d:.1e}.")
    });
    let json = serde_json::to_string_pretty(r).unwrap_or_default();
    view! {
        <BackendLine id="coldcat-backend" used=o.backend.clone()/>
        <p class="muted" id="coldcat-summary" data-seconds=o.seconds.to_string() data-cpu-difference=o.cpu_difference.map(|d| d.to_string())>{format!(
            "{} items of {} embedded in {:.3} s; 95% item-bootstrap intervals, {} replicates.",
            r.items, r.dataset, o.seconds, r.replicates
        )}{gpu_line.map(|l| format!(" {l}"))}</p>
        <table class="figures" id="coldcat-table">
            <tr><th></th><th>"this page"</th>{cli.is_some().then(|| view! { <th>"reaseq experiment --cold-catalogue"</th> })}</tr>
            {rows(r).into_iter().enumerate().map(|(i, (name, page))| view! {
                <tr data-row=i>
                    <td>{name}</td>
                    <td class="page">{page}</td>
                    {cli.as_ref().map(|c| view! { <td class="cli">{c[i].1.clone()}</td> })}
                </tr>
            }).collect_view()}
        </table>
        <p class="muted" id="coldcat-cli" data-difference=o.largest_cli_difference().map(|d| d.to_string())>{cli_line}</p>
        <button id="coldcat-export" on:click=move |_| download("cold_catalogue.json", "application/json", &json)>"Figures as JSON"</button>
    }
}
