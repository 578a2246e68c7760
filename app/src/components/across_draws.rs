//! The ablation over protocol draws (`reaseq experiment --draws K --write-asset`): per declared
//! comparison, each draw's difference and the pooled one with its interval, Holm-corrected.
//! Summary shows it beside the study across worlds.

use leptos::prelude::*;
use reaseq_core::experiment::{comparison_label, DrawStudy, PooledVerdict};

use super::control_results::interval;

/// One comparison over the draws.
#[component]
fn PooledRow(v: PooledVerdict) -> impl IntoView {
    let p = v.pooled;
    view! {
        <tr data-comparison=v.comparison.clone() data-metric=v.metric.clone()>
            <td>{comparison_label(&v.comparison, v.primary)}</td>
            <td>{v.metric.to_uppercase()}</td>
            <td class="per-draw">{v.per_draw.iter().map(|d| format!("{d:+.4}")).collect::<Vec<_>>().join(" ")}</td>
            <td class="pooled">{format!("{:+.4} {}", p.estimate, interval([p.lower, p.upper]))}</td>
            <td>{format!("{:.4}", p.between_sd)}</td>
            <td class="holm">{format!("{:.3}", v.p_holm)}</td>
            <td class="draws-won">{format!("{} / {}", v.wins, v.losses)}</td>
            <td class="verdict">{v.outcome.word()}</td>
        </tr>
    }
}

/// The draws' panel: what they redrew, and every declared comparison pooled over them.
#[component]
pub fn AcrossDraws(study: DrawStudy) -> impl IntoView {
    let mut rows = study.verdicts.clone();
    rows.sort_by_key(|v| !v.primary);
    let seeds: Vec<String> = study
        .draws
        .iter()
        .map(|d| d.protocol_seed.to_string())
        .collect();
    let data = match study.world {
        Some(w) => w.describe(),
        None => study.dataset.clone(),
    };
    view! {
        <h2>"Across protocol draws"</h2>
        <p id="summary-draws-text">{format!(
            "reaseq experiment --draws ran the ablation with its controls on {} protocol draws of {data} (protocol {}; seeds {}), each with its own reasoner fit and {} ranker seed(s) of its own. Pooled: the draws' mean difference, its interval from the draws' spread plus the within-draw user bootstrap (Student's t, Welch–Satterthwaite df), Holm-corrected; draws won / lost count each draw's own corrected verdict.",
            study.draws.len(),
            study.protocol.describe(),
            seeds.join(", "),
            study.seeds
        )}</p>
        <table class="figures" id="summary-draws">
            <tr><th>"comparison"</th><th>"metric"</th><th>"per draw"</th><th>"pooled [95% CI]"</th><th>"between-draw SD"</th><th>"Holm p"</th><th>"draws won / lost"</th><th>"verdict"</th></tr>
            {rows.into_iter().map(|v| view! { <PooledRow v=v/> }).collect_view()}
        </table>
    }
}
