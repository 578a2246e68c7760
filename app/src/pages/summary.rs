//! A printable one-page summary for stakeholders: the data, the pipeline, and where ReaSeq
//! wins, ties or loses against Base, as `reaseq experiment` measured it for the bundled models
//! (the Compare view recomputes the same figures in the browser).

use leptos::prelude::*;
use reaseq_core::artifact::from_json;
use reaseq_core::experiment::{ExperimentResults, VariantResult};
use reaseq_core::layout::file;
use reaseq_core::ranker::Variant;

use crate::components::{errors_view, Pipeline};
use crate::error::AppError;
use crate::loading::{choice_from_query, fetch_required};

/// "wins", "ties" or "loses" from a difference's 95% interval.
fn verdict(ci: [f64; 2]) -> &'static str {
    if ci[0] > 0.0 {
        "wins"
    } else if ci[1] < 0.0 {
        "loses"
    } else {
        "ties"
    }
}

fn interval(ci: [f64; 2]) -> String {
    format!("[{:.4}, {:.4}]", ci[0], ci[1])
}

/// One variant's row: its figures, its difference from Base with the verdict, and how many
/// seeds agree (the interval resamples users, not seeds).
#[component]
fn SummaryRow(variant: Variant, row: VariantResult, seeds: usize) -> impl IntoView {
    let (diff, word, ahead) = match &row.vs_base {
        None => ("—".to_owned(), "—", "—".to_owned()),
        Some(vs) => (
            format!("{:+.4} {}", vs.gauc.difference, interval(vs.gauc.ci)),
            verdict(vs.gauc.ci),
            format!("{} of {seeds}", vs.gauc.seeds_ahead),
        ),
    };
    view! {
        <tr data-variant=variant.name()>
            <td>{variant.name()}</td>
            <td>{format!("{:.4} {}", row.auc, interval(row.auc_ci))}</td>
            <td>{format!("{:.4} {}", row.gauc, interval(row.gauc_ci))}</td>
            <td>{diff}</td>
            <td class="verdict">{word}</td>
            <td class="seeds-ahead">{ahead}</td>
        </tr>
    }
}

/// What the results say, for the page.
#[component]
fn SummaryBody(r: ExperimentResults, choice: Memo<crate::loading::Choice>) -> impl IntoView {
    // The experiment's own data (its world may differ from the page's default).
    let data = match r.world {
        Some(w) => format!(
            "the synthetic world of {} users and {} items (seed {})",
            w.users, w.items, w.seed
        ),
        None => r.dataset.clone(),
    };
    let sparse = match &r.evaluation.reaseq_vs_base_cold_long_tail {
        Some(s) => format!(
            "On cold and long-tail items ({} impressions), ReaSeq − Base AUC is {:+.4} {}: ReaSeq {} there.",
            s.impressions, s.auc_difference, interval(s.ci), verdict(s.ci)
        ),
        None => "On cold and long-tail items, ReaSeq − Base could not be computed.".to_owned(),
    };
    let rows: Vec<_> = Variant::ALL
        .into_iter()
        .filter_map(|v| r.variant(v).map(|x| (v, x.clone())))
        .collect();
    let seeds = r.seeds;
    view! {
        <h1>{format!("ReaSeq on {}: summary", r.dataset)}</h1>
        <p class="lead">{format!(
            "Data: {data}; protocol {}; {} test impressions of {} users; {} training seeds per variant.",
            r.protocol.describe(), r.impressions.test, r.test_users, r.seeds
        )}</p>
        <h2>"The ablation"</h2>
        <table class="figures" id="summary-table">
            <tr><th>"variant"</th><th>"AUC [95% CI]"</th><th>"GAUC [95% CI]"</th><th>"GAUC − Base [95% CI]"</th><th>"vs Base"</th><th>"seeds ahead of Base (GAUC)"</th></tr>
            {rows.into_iter().map(|(v, x)| view! { <SummaryRow variant=v row=x seeds=seeds/> }).collect_view()}
        </table>
        <p id="summary-sparse">{sparse}</p>
        <p class="muted">"A variant wins or loses when the 95% user-bootstrap interval of its difference from Base excludes zero, and ties otherwise. Figures: reaseq experiment, mean over seeds, for the models this page ships; Compare recomputes them here."</p>
        <Pipeline choice=choice/>
    }
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let choice = choice_from_query();
    let results = LocalResource::new(move || {
        let dir = crate::loading::experiment::asset_dir(&choice.get());
        async move {
            let url = format!("/{dir}/{}", file::RESULTS);
            let bytes = fetch_required(&url, "run `reaseq experiment`").await?;
            Ok::<_, AppError>(from_json::<ExperimentResults>(&url, &bytes)?)
        }
    });
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <article class="summary" id="summary">
            <div class="controls no-print">
                <button id="print" on:click=print>"Print this page"</button>
            </div>
            <ErrorBoundary fallback=errors_view>
                {move || match results.get() {
                    None => Ok(view! { <p class="muted">"Loading…"</p> }.into_any()),
                    Some(r) => r.map(|r| view! { <SummaryBody r=r choice=choice/> }.into_any()),
                }}
            </ErrorBoundary>
        </article>
    }
}
