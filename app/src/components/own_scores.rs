//! "Open scores": the researcher's own models on Compare. Their score files are compared in
//! the worker (`jobs::scores`): each model's AUC, GAUC with intervals and logloss where it
//! applies, and the paired GAUC test between every two, as `reaseq metrics --scores F` prints.

use leptos::prelude::*;
use reaseq_core::metrics::ModelsReport;
use reaseq_core::report::roc_chart;

use crate::components::open_data::{chosen_files, read_files};
use crate::components::{download, errors_view};
use crate::error::{AppError, AppResult};
use crate::jobs::scores::OwnModels;
use crate::jobs::{Job, Reply};
use crate::worker;

async fn compare(files: Vec<web_sys::File>) -> AppResult<OwnModels> {
    let files = read_files(files).await?;
    match worker::run(&Job::Scores { files }, |_| {}).await? {
        Reply::ScoresCompared(r) => Ok(*r),
        _ => Err(AppError::Worker("the worker answered another job".into())),
    }
}

#[component]
pub fn OwnScores() -> impl IntoView {
    let (result, set_result) = signal(None::<AppResult<OwnModels>>);
    let runs = StoredValue::new(0u64);
    let on_change = move |ev: web_sys::Event| {
        let files = chosen_files(&ev);
        // Only the latest files' figures are shown (an earlier, slower run is dropped).
        runs.update_value(|n| *n += 1);
        let run = runs.get_value();
        set_result.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            let r = compare(files).await;
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
                    Ok(view! {
                        <ModelsTable r=m.report.clone()/>
                        <div class="chart" id="own-roc" inner_html=svg></div>
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
    }
}
