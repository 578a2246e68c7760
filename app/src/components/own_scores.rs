//! "Open scores": the researcher's own models on Compare. Their score files are compared in
//! the worker (`jobs::scores`): each model's AUC, GAUC with intervals and logloss where it
//! applies, the paired GAUC test between every two, and their AUC by slice of the rows (item
//! popularity, user history length, genre) as the open dataset knows them — what
//! `reaseq metrics --scores F --data DIR` prints.

use leptos::prelude::*;
use reaseq_core::metrics::{ModelSlices, ModelsReport};
use reaseq_core::ranker::slices::SliceKind;
use reaseq_core::report::{grouped_bars, roc_chart};

use crate::components::open_data::{chosen_files, read_files};
use crate::components::{download, errors_view};
use crate::error::{AppError, AppResult};
use crate::jobs::scores::OwnModels;
use crate::jobs::{Job, Reply};
use crate::loading::{choice_from_query, Choice};
use crate::worker;

async fn compare(files: Vec<web_sys::File>, choice: Choice) -> AppResult<OwnModels> {
    let files = read_files(files).await?;
    match worker::run(&Job::Scores { files, choice }, |_| {}).await? {
        Reply::ScoresCompared(r) => Ok(*r),
        _ => Err(AppError::Worker("the worker answered another job".into())),
    }
}

#[component]
pub fn OwnScores() -> impl IntoView {
    let choice = choice_from_query();
    let (result, set_result) = signal(None::<AppResult<OwnModels>>);
    let runs = StoredValue::new(0u64);
    let on_change = move |ev: web_sys::Event| {
        let files = chosen_files(&ev);
        // Only the latest files' figures are shown (an earlier, slower run is dropped).
        runs.update_value(|n| *n += 1);
        let run = runs.get_value();
        set_result.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            let r = compare(files, choice.get_untracked()).await;
            if runs.get_value() == run {
                set_result.set(Some(r));
            }
        });
    };
    view! {
        <section class="card" id="own-scores">
            <h2>"Your models"</h2>
            <p class="muted">"Score files of any model: "<code>"user_id,label[,item_id]"</code>" and a column of scores (or logits) per model, or one file per model over the same rows. Compared in a Web Worker, never uploaded; "<code>"reaseq metrics --scores FILE"</code>" prints the same figures."</p>
            <label>"Open scores "<input type="file" multiple id="open-scores" on:change=on_change/></label>
            <ErrorBoundary fallback=errors_view>
                {move || result.get().map(|r| r.and_then(|m| {
                    let series: Vec<(&str, Vec<(f64, f64)>)> = m.roc.iter().map(|(n, p)| (n.as_str(), p.clone())).collect();
                    let svg = roc_chart("ROC of your models", &series)?;
                    let roc_svg = svg.clone();
                    Ok(view! {
                        <ModelsTable r=m.report.clone()/>
                        <div class="chart" id="own-roc" inner_html=svg></div>
                        <button id="own-roc-svg" on:click=move |_| download("your-models-roc.svg", "image/svg+xml", &roc_svg)>"ROC (SVG)"</button>
                        {match (&m.report.slices, &m.no_slices) {
                            (Some(s), _) => view! { <SlicesView s=s.clone()/> }.into_any(),
                            (None, why) => view! { <p class="muted" id="own-no-slices">{format!("No slices: {}.", why.as_deref().unwrap_or("none"))}</p> }.into_any(),
                        }}
                    })
                }))}
            </ErrorBoundary>
        </section>
    }
}

#[component]
fn ModelsTable(r: ModelsReport) -> impl IntoView {
    let ci = |c: [f64; 2]| format!("[{:.4}, {:.4}]", c[0], c[1]);
    // The same JSON as `reaseq metrics --scores FILE --json`.
    let json = serde_json::to_string_pretty(&r).unwrap_or_default();
    let csv = r.csv();
    view! {
        <table class="figures" id="own-models">
            <tr><th>"model"</th><th>"rows"</th><th>"AUC"</th><th>"95% CI"</th><th>"GAUC"</th><th>"95% CI"</th><th>"logloss"</th></tr>
            {r.models.iter().map(|m| view! {
                <tr data-model=m.model.clone()>
                    <td>{m.model.clone()}</td><td>{m.n}</td>
                    <td class="auc">{format!("{:.6}", m.auc)}</td><td>{ci(m.auc_ci)}</td>
                    <td class="gauc">{format!("{:.6}", m.gauc)}</td><td>{ci(m.gauc_ci)}</td>
                    <td>{m.logloss.map_or("n/a (not probabilities)".to_string(), |l| format!("{l:.6}"))}</td>
                </tr>
            }).collect_view()}
        </table>
        <table class="figures" id="own-pairs">
            <tr><th>"GAUC difference"</th><th>"estimate"</th><th>"95% CI"</th><th>"p"</th></tr>
            {r.pairs.iter().map(|p| view! {
                <tr><td>{format!("{} − {}", p.a, p.b)}</td><td class="diff">{format!("{:+.6}", p.difference)}</td><td>{ci(p.ci)}</td><td>{format!("{:.4}", p.p_value)}</td></tr>
            }).collect_view()}
        </table>
        <p class="muted">{format!("Paired user bootstrap, {} replicates; a test per pair, not corrected for multiplicity.", r.replicates)}</p>
        <button id="own-json" on:click=move |_| download("your-models.json", "application/json", &json)>"JSON"</button>
        <button id="own-csv" on:click=move |_| download("your-models.csv", "text/csv", &csv)>"CSV"</button>
    }
}

/// Each model's AUC on every slice of its rows, a chart per kind of slice, and their exports.
#[component]
fn SlicesView(s: ModelSlices) -> impl IntoView {
    let series: Vec<&str> = s.models.iter().map(String::as_str).collect();
    let charts: AppResult<Vec<(SliceKind, String)>> = SliceKind::ALL
        .into_iter()
        .map(|k| {
            let title = ModelSlices::title(k);
            Ok((k, grouped_bars(title, &series, &s.groups(k))?))
        })
        .collect();
    let csv = s.csv();
    let aucs = |a: &[Option<f64>]| {
        a.iter()
            .map(|a| view! { <td>{a.map_or("n/a".to_string(), |a| format!("{a:.4}"))}</td> })
            .collect_view()
    };
    view! {
        <h3>"By slice"</h3>
        <p class="muted" id="own-slices-note">{format!(
            "{} of {} rows have a user and an item of {}; they are cut by the item's interactions in it (head: the most popular items, half of them), the user's history length there (edges {:?}: tertiles of these users) and the item's first genre.",
            s.matched, s.rows, s.dataset, s.history_edges
        )}</p>
        <table class="figures" id="own-slices">
            <tr><th>"slice"</th><th>"rows"</th><th>"positives"</th>{s.models.iter().map(|m| view! { <th>{format!("AUC {m}")}</th> }).collect_view()}</tr>
            {s.slices.iter().map(|x| view! {
                <tr data-slice=format!("{}={}", x.kind.key(), x.name)>
                    <td>{format!("{}: {}", x.kind.key(), x.name)}</td><td>{x.rows}</td><td>{x.positives}</td>{aucs(&x.auc)}
                </tr>
            }).collect_view()}
        </table>
        <button id="own-slices-csv" on:click=move |_| download("your-models-slices.csv", "text/csv", &csv)>"slices (CSV)"</button>
        <ErrorBoundary fallback=errors_view>
            {charts.map(|c| c.into_iter().map(|(k, svg)| {
                let file = format!("your-models-{}.svg", k.key());
                let shown = svg.clone();
                view! {
                    <div class="chart" data-kind=k.key() inner_html=shown></div>
                    <button class="own-slice-svg" on:click=move |_| download(&file, "image/svg+xml", &svg)>{format!("{} (SVG)", k.key())}</button>
                }
            }).collect_view())}
        </ErrorBoundary>
    }
}
