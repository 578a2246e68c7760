//! The Reasoner view's population panel: what `reaseq reasoner eval` measured over every user
//! with off-log behaviour — Recall and NDCG of the reasoner and of every baseline, the paired
//! differences, and the coverage, novelty, popularity and genre mix of inferred behaviour next
//! to the logged and the real off-log behaviour of the same users.

use leptos::prelude::*;
use reaseq_core::reasoner::evaluation::{MethodScores, ReasonerEvaluation};
use reaseq_core::reasoner::population::PopulationReport;

use crate::loading::Choice;

/// The panel for `choice`, or a line saying which command ships it.
#[component]
pub fn PopulationPanel(choice: Memo<Choice>) -> impl IntoView {
    let evaluation = LocalResource::new(move || {
        let c = choice.get();
        async move { crate::loading::reasoner::load_evaluation(&c).await }
    });
    view! {
        <section class="card" id="population">
            <h2>"Across the population"</h2>
            {move || match evaluation.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" id="population-error">{e.to_string()}</p> }.into_any(),
                Some(Ok(None)) => view! { <p class="muted" id="population-missing">"This build carries no population measures for this dataset: run reaseq reasoner eval --write-asset, then build the page."</p> }.into_any(),
                Some(Ok(Some(e))) => view! { <Measures e=e/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Measures(e: ReasonerEvaluation) -> impl IntoView {
    let k = e.k;
    let mut rows: Vec<(String, MethodScores)> = e
        .decoders
        .iter()
        .map(|(name, d)| (format!("reasoner, {name}"), d.scores.clone()))
        .collect();
    rows.extend(e.baselines.clone());
    let paired = e.paired_vs_baselines.clone();
    view! {
        <p class="muted" id="population-summary">{format!(
            "reaseq reasoner eval on {}: {} users with logged history and off-log behaviour, M = {k}, the GBR sequences decoded by {}; {} folds, the reasoner cross-fitted afresh with the shipped settings and seed.",
            e.dataset, e.users, e.decoding, e.folds
        )}</p>
        <table class="figures" id="population-methods">
            <tr><th>"method"</th><th>{format!("Recall@{k}")}</th><th>{format!("NDCG@{k}")}</th><th>{format!("reasoner − method, Recall@{k} [95% CI], p")}</th></tr>
            {rows.into_iter().map(|(name, m)| {
                let vs = paired.get(&name).map_or_else(|| "—".to_owned(), |t| {
                    let r = &t.recall;
                    format!("{:+.4} [{:+.4}, {:+.4}], p = {:.3}", r.difference, r.lower, r.upper, r.p_value)
                });
                view! {
                    <tr data-method=name.clone()>
                        <td>{name.clone()}</td>
                        <td class="recall">{format!("{:.4}", m.recall)}</td>
                        <td>{format!("{:.4}", m.ndcg)}</td>
                        <td>{vs}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
        {e.population.map(|p| view! { <Mix p=p/> })}
    }
}

/// Coverage, novelty and the popularity mix of the three populations, and their genre mix.
#[component]
fn Mix(p: PopulationReport) -> impl IntoView {
    let series = ["inferred", "logged", "off-log"];
    let groups: Vec<(String, Vec<f64>)> = p
        .inferred
        .genres
        .iter()
        .enumerate()
        .map(|(g, (name, _))| {
            let share = |x: &reaseq_core::reasoner::population::Population| {
                x.genres.get(g).map_or(0.0, |s| s.1)
            };
            (
                name.clone(),
                vec![share(&p.inferred), share(&p.logged), share(&p.off_log)],
            )
        })
        .collect();
    let chart = if groups.is_empty() {
        String::new()
    } else {
        reaseq_core::report::grouped_bars("Genre mix (share of events)", &series, &groups)
            .unwrap_or_default()
    };
    view! {
        <table class="figures" id="population-mix">
            <tr><th>"behaviour"</th><th>"events"</th><th>"catalogue coverage"</th><th>"novelty (bits)"</th><th>"head"</th><th>"long-tail"</th><th>"cold"</th></tr>
            {p.rows().into_iter().map(|(name, x)| view! {
                <tr data-population=name>
                    <td>{name}</td>
                    <td>{x.events}</td>
                    <td class="coverage">{format!("{:.3}", x.coverage)}</td>
                    <td class="novelty">{format!("{:.2}", x.novelty)}</td>
                    <td>{format!("{:.3}", x.popularity.head)}</td>
                    <td>{format!("{:.3}", x.popularity.long_tail)}</td>
                    <td>{format!("{:.3}", x.popularity.cold)}</td>
                </tr>
            }).collect_view()}
        </table>
        <p class="muted">{format!("Over the same {} users: their inferred sequences, their logged histories (the last events the reasoner reads) and their real off-log events. Novelty is the mean −log₂ of an item's share of training interactions; the head holds the most popular items with half of them.", p.users)}</p>
        <div class="chart" id="population-genres" inner_html=chart></div>
    }
}
