//! A printable one-page summary for stakeholders: the data, the pipeline, and where ReaSeq
//! wins, ties or loses against Base, as `reaseq experiment` measured it for the bundled models
//! (the Compare view recomputes the same figures in the browser).

use leptos::prelude::*;
use reaseq_core::experiment::{comparison_label, VariantResult, Verdict};
use reaseq_core::experiment::{AcrossWorlds, ControlResult, ExperimentResults, StudyResults};
use reaseq_core::ranker::Variant;

use crate::components::control_results::interval;
use crate::components::{errors_view, AcrossDraws, ControlsTable, Pipeline};
use crate::loading::choice_from_query;

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

/// One declared comparison: its difference, p before and after Holm's correction, verdict.
#[component]
fn VerdictRow(v: Verdict) -> impl IntoView {
    let name = comparison_label(&v.comparison, v.primary);
    view! {
        <tr data-comparison=v.comparison.clone() data-metric=v.metric.clone()>
            <td>{name}</td>
            <td>{v.metric.to_uppercase()}</td>
            <td>{format!("{:+.4} {}", v.difference, interval(v.ci))}</td>
            <td>{format!("{:.3}", v.p_value)}</td>
            <td class="holm">{format!("{:.3}", v.p_holm)}</td>
            <td class="verdict">{v.outcome.word()}</td>
        </tr>
    }
}

/// The declared comparisons, Holm-corrected, the primary endpoint first; or why there are none.
#[component]
fn Verdicts(verdicts: Vec<Verdict>) -> impl IntoView {
    if verdicts.is_empty() {
        return view! {
            <p id="summary-verdicts" class="muted">"These results were made before the declared comparisons existed: run reaseq experiment again for the Holm-corrected verdicts."</p>
        }
        .into_any();
    }
    let mut rows = verdicts;
    rows.sort_by_key(|v| !v.primary);
    view! {
        <h2>"The declared comparisons"</h2>
        <p>"Declared before the runs (docs/results/preregistration.md): the primary endpoint is ReaSeq − Base on GAUC; a comparison wins when its Holm-corrected p is below 0.05 and its 95% interval lies above zero."</p>
        <table class="figures" id="summary-verdicts">
            <tr><th>"comparison"</th><th>"metric"</th><th>"difference [95% CI]"</th><th>"p"</th><th>"Holm p"</th><th>"verdict"</th></tr>
            {rows.into_iter().map(|v| view! { <VerdictRow v=v/> }).collect_view()}
        </table>
    }
    .into_any()
}

/// One comparison across the study's worlds: each world's difference, the sign test, Holm.
#[component]
fn AcrossWorldsRow(a: AcrossWorlds) -> impl IntoView {
    let name = comparison_label(&a.comparison, a.primary);
    let worlds = a.per_world.len();
    view! {
        <tr data-comparison=a.comparison.clone() data-metric=a.metric.clone()>
            <td>{name}</td>
            <td>{a.metric.to_uppercase()}</td>
            <td class="per-world">{a.per_world.iter().map(|d| format!("{d:+.4}")).collect::<Vec<_>>().join(" ")}</td>
            <td class="sides">{format!("{} / {}", a.positive, a.negative)}</td>
            <td class="wins">{format!("{} of {worlds}", a.wins)}</td>
            <td>{format!("{:.3}", a.sign_p)}</td>
            <td>{format!("{:.3}", a.sign_p_holm)}</td>
            <td class="verdict">{a.outcome.word()}</td>
        </tr>
    }
}

/// The robustness panel: the declared comparisons on worlds nobody tuned on.
#[component]
fn Robustness(study: StudyResults) -> impl IntoView {
    let mut rows = study.verdicts.clone();
    rows.sort_by_key(|v| !v.primary);
    let least = reaseq_core::experiment::least_sign_p(study.worlds.len());
    view! {
        <h2>"Across untouched worlds"</h2>
        <p id="summary-study">{format!(
            "reaseq study ran the ablation with its controls on {} fresh synthetic worlds (seeds {}), {} ranker seeds each. Per comparison: each world's difference, the worlds above / below zero, the worlds whose own corrected verdict is a win, and an exact sign test across worlds (its least possible p with {} worlds: {:.4}), Holm-corrected.",
            study.worlds.len(),
            study.world_seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            study.seeds,
            study.worlds.len(),
            least
        )}</p>
        <table class="figures" id="summary-worlds">
            <tr><th>"comparison"</th><th>"metric"</th><th>"per world"</th><th>"above / below 0"</th><th>"within-world wins"</th><th>"sign p"</th><th>"Holm p"</th><th>"verdict"</th></tr>
            {rows.into_iter().map(|a| view! { <AcrossWorldsRow a=a/> }).collect_view()}
        </table>
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
    let verdicts = r.verdicts.clone();
    let study = LocalResource::new(move || {
        let c = choice.get();
        async move { crate::loading::experiment::load_study(&c).await }
    });
    let draws = LocalResource::new(move || {
        let c = choice.get();
        async move { crate::loading::experiment::load_draws(&c).await }
    });
    let controls: Vec<(String, ControlResult)> = r.controls.clone().into_iter().collect();
    let rep = match &r.rep {
        Some(s) => format!(
            "+REP and ReaSeq read each item's REP vector: {}.",
            s.describe()
        ),
        None => {
            "These results do not record their REP vectors' source (made before it was recorded)."
                .to_owned()
        }
    };
    view! {
        <h1>{format!("ReaSeq on {}: summary", r.dataset)}</h1>
        <p class="lead">{format!(
            "Data: {data}; protocol {}; {} test impressions of {} users; {} training seeds per variant.",
            r.protocol.describe(), r.impressions.test, r.test_users, r.seeds
        )}</p>
        <p class="muted" id="summary-rep">{rep}</p>
        <h2>"The ablation"</h2>
        <table class="figures" id="summary-table">
            <tr><th>"variant"</th><th>"AUC [95% CI]"</th><th>"GAUC [95% CI]"</th><th>"GAUC − Base [95% CI]"</th><th>"vs Base"</th><th>"seeds ahead of Base (GAUC)"</th></tr>
            {rows.into_iter().map(|(v, x)| view! { <SummaryRow variant=v row=x seeds=seeds/> }).collect_view()}
        </table>
        <p id="summary-sparse">{sparse}</p>
        <p class="muted">"A variant wins or loses when the 95% user-bootstrap interval of its difference from Base excludes zero, and ties otherwise. Figures: reaseq experiment, mean over seeds, for the models this page ships; Compare recomputes them here."</p>
        <Verdicts verdicts=verdicts/>
        <ControlsTable controls=controls id="summary-controls"/>
        {move || match study.get() {
            Some(Ok(Some(s))) => Some(view! { <Robustness study=s/> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error" id="summary-study">{e.to_string()}</p> }.into_any()),
            _ => None,
        }}
        {move || match draws.get() {
            Some(Ok(Some(s))) => Some(view! { <AcrossDraws study=s/> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error" id="summary-draws-text">{e.to_string()}</p> }.into_any()),
            _ => None,
        }}
        <Pipeline choice=choice/>
    }
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let choice = choice_from_query();
    let results = LocalResource::new(move || {
        let c = choice.get();
        async move { crate::loading::experiment::load_results(&c).await }
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
