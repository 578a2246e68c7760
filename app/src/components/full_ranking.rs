//! The full-catalogue card of Compare: every test user's unseen items ranked by each bundle in
//! the worker (WebGPU or the CPU, as the URL's `backend` allows), Recall, NDCG and HitRate at
//! 5, 10 and 20 with intervals, the differences from Base at a chosen cut-off, and the CLI's
//! figures for the same bundles beside them.

use std::sync::Arc;

use leptos::prelude::*;
use reaseq_core::experiment::full_ranking::{RankingMetric, CUTOFFS};

use crate::components::job_run::{job_run, JobState, RunControls};
use crate::components::{download, errors_view};
use crate::jobs::backend::{BackendChoice, BackendUsed};
use crate::jobs::full::FullOutcome;
use crate::jobs::{Job, Reply};
use crate::loading::Choice;

/// The line every computing view shows: which backend ran, on what, and why not WebGPU.
#[component]
pub fn BackendLine(id: &'static str, used: BackendUsed) -> impl IntoView {
    view! {
        <p class="muted backend" id=id data-backend=used.name() data-fallback-adapter=used.adapter.as_ref().is_some_and(|a| a.fallback).to_string() data-device-ms=used.device_ms.map(|x| x.to_string()) data-pipelines-ms=used.pipelines_ms.map(|x| x.to_string())>
            {used.describe()}
        </p>
    }
}

#[component]
pub fn FullRankingCard(choice: Memo<Choice>, backend: Memo<BackendChoice>) -> impl IntoView {
    let (job, start) = job_run(
        move || (choice.get(), backend.get()),
        move || Job::FullRanking {
            choice: choice.get_untracked(),
            backend: backend.get_untracked(),
        },
        |r| match r {
            Reply::Ranked(o) => Some(*o),
            _ => None,
        },
    );
    let JobState {
        progress,
        running,
        outcome,
    } = job;
    view! {
        <section class="card" id="full-card">
            <h2>"Full-catalogue ranking"</h2>
            <p class="muted">"Each test user's whole catalogue, less the items their log shows, ranked by every variant; Recall, NDCG and HitRate at 5, 10 and 20 against the user's liked test items. Run it here with "<code>"reaseq experiment --full-ranking"</code>"'s function; the CLI's figures for the same bundles sit beside the page's."</p>
            <RunControls prefix="full" label="Rank the whole catalogue" doing="ranking" progress=progress running=running start=start/>
            <ErrorBoundary fallback=errors_view>
                {move || outcome.get().map(|o| o.map(|o| view! { <FullFigures o=Arc::new(o)/> }))}
            </ErrorBoundary>
        </section>
    }
}

fn key(m: RankingMetric, k: usize) -> String {
    format!("{}@{k}", m.name().to_lowercase())
}

#[component]
fn FullFigures(o: Arc<FullOutcome>) -> impl IntoView {
    let r = &o.ranking;
    let (at, set_at) = signal(10usize);
    let json = serde_json::to_string_pretty(&o.ranking).unwrap_or_default();
    let seconds: f64 = o.seconds.iter().map(|(_, s)| s).sum();
    let cli_line = match (&o.cli, o.largest_cli_difference()) {
        (Some(_), Some(d)) => format!("The CLI's figures for the same bundles (full_ranking.json): the largest difference from the page's is {d:.1e}."),
        (Some(_), None) => "The CLI's full_ranking.json covers other variants.".into(),
        (None, _) => "This build carries no full_ranking.json for these bundles: run `reaseq experiment --full-ranking --write-asset`.".into(),
    };
    let rows = r.variants.clone();
    let popularity = r.popularity.clone();
    let cli = o.cli.clone();
    let vs = o.clone();
    view! {
        <BackendLine id="full-backend" used=o.backend.clone()/>
        <p class="muted" id="full-summary" data-seconds=seconds.to_string()>{format!(
            "{} test users ranked over {:.0} unseen items each on average (of {}); {} users with no new liked test item left out. Ranked in {:.1} s ({}). 95% user-bootstrap intervals, {} replicates.",
            r.users, r.mean_candidates, r.items, r.users_without_positive, seconds,
            o.seconds.iter().map(|(v, s)| format!("{} {:.1} s", v.name(), s)).collect::<Vec<_>>().join(", "),
            r.replicates
        )}</p>
        <table class="figures" id="full-table">
                <tr><th>"variant"</th>{RankingMetric::ALL.iter().flat_map(|m| CUTOFFS.map(|k| view! { <th>{format!("{}@{k}", m.name())}</th> })).collect_view()}</tr>
                {rows.into_iter().map(|row| {
                    let v = row.variant;
                    let cli = cli.clone();
                    view! {
                        <tr data-variant=v.name()>
                            <td>{v.name()}</td>
                            {row.figures.iter().map(|f| {
                                let c = cli.as_ref().and_then(|c| c.figure(v, f.metric, f.k)).map(|c| format!("{:.4}", c.mean)).unwrap_or_default();
                                view! { <td data-metric=key(f.metric, f.k) data-cli=c title=format!("95% CI [{:.4}, {:.4}]", f.ci[0], f.ci[1])>{format!("{:.4}", f.mean)}<br/><span class="muted">{format!("[{:.4}, {:.4}]", f.ci[0], f.ci[1])}</span></td> }
                            }).collect_view()}
                        </tr>
                    }
                }).collect_view()}
                <tr data-variant="popularity" class="reference">
                    <td>"popularity (reference)"</td>
                    {popularity.iter().map(|f| view! { <td data-metric=key(f.metric, f.k) title=format!("95% CI [{:.4}, {:.4}]", f.ci[0], f.ci[1])>{format!("{:.4}", f.mean)}<br/><span class="muted">{format!("[{:.4}, {:.4}]", f.ci[0], f.ci[1])}</span></td> }).collect_view()}
                </tr>
            </table>
        <p class="muted" id="full-cli">{cli_line}</p>
        <div class="controls">
            <label>"difference from Base at "
                <select id="full-k" on:change=move |ev| set_at.set(event_target_value(&ev).parse().unwrap_or(10))>
                    {CUTOFFS.map(|k| view! { <option value=k.to_string() selected=k == 10>{format!("K = {k}")}</option> }).to_vec()}
                </select>
            </label>
            <button id="full-export" on:click=move |_| download("full_ranking.json", "application/json", &json)>"Figures as JSON"</button>
        </div>
        <table class="figures" id="full-vs-base">
            <tr><th>"variant − Base"</th>{move || RankingMetric::ALL.iter().map(|m| view! { <th>{format!("{}@{} [95% CI], p (Holm)", m.name(), at.get())}</th> }).collect_view()}</tr>
            {move || {
                let k = at.get();
                vs.ranking.variants.iter().filter(|row| row.figures.iter().any(|f| f.vs_base.is_some())).map(|row| view! {
                    <tr data-variant=row.variant.name()>
                        <td>{row.variant.name()}</td>
                        {RankingMetric::ALL.iter().map(|&m| {
                            let d = row.figures.iter().find(|f| f.metric == m && f.k == k).and_then(|f| f.vs_base);
                            view! { <td data-metric=key(m, k)>{d.map_or("—".into(), |d| format!("{:+.4} [{:+.4}, {:+.4}], p = {:.3}", d.difference, d.ci[0], d.ci[1], d.p_holm))}</td> }
                        }).collect_view()}
                    </tr>
                }).collect_view()
            }}
        </table>
    }
}
