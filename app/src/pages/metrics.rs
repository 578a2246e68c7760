//! Metrics: the definitions in plain words, and a calculator that runs reaseq-core's exact
//! metrics on pasted scores.

use leptos::prelude::*;
use reaseq_core::data::load::read_scores_csv;
use reaseq_core::data::Strictness;
use reaseq_core::metrics::{evaluate, Evaluation};

use crate::components::errors_view;
use crate::error::AppResult;

const EXAMPLE: &str =
    "user_id,label,score\nu1,0,0.5\nu1,1,0.9\nu1,1,0.5\nu2,0,0.2\nu2,1,0.7\nu2,0,0.8\nu3,1,0.6\n";

fn compute(text: &str) -> AppResult<Evaluation> {
    let t = read_scores_csv("pasted scores", text.as_bytes(), Strictness::Strict)?;
    Ok(evaluate(&t.user, &t.label, &t.score)?)
}

#[component]
pub fn MetricsPage() -> impl IntoView {
    let (text, set_text) = signal(EXAMPLE.to_owned());
    let result = Memo::new(move |_| compute(&text.get()));
    view! {
        <h1>"Metrics"</h1>
        <div class="two-col">
            <section class="card definitions" id="definitions">
                <h2>"Definitions"</h2>
                <dl>
                    <dt>"AUC"</dt>
                    <dd>"The probability that a random positive impression scores above a random negative one; a tie counts one half (Mann–Whitney with average ranks). With y = [0, 1, 1] and p = [.5, .9, .5] it is 0.75. With one class it is undefined, and we say so rather than print NaN."</dd>
                    <dt>"GAUC"</dt>
                    <dd>"AUC per user, averaged with each user weighted by their number of impressions: Σ n_u·AUC_u / Σ n_u. Users whose impressions are all positive or all negative have no AUC and are skipped; we report how many were used. Libraries differ here (some weight by clicks, some average uniformly): this is ours."</dd>
                    <dt>"Logloss"</dt>
                    <dd>"Mean binary cross-entropy. Scores are clipped to [ε, 1 − ε] with ε = 2.2·10⁻¹⁶, as scikit-learn does; a score outside [0, 1] is an error."</dd>
                    <dt>"RelaImpr"</dt>
                    <dd>"((AUC_model − 0.5) / (AUC_base − 0.5) − 1) × 100%: the improvement over a base model, measured above random guessing."</dd>
                    <dt>"Confidence intervals"</dt>
                    <dd>"Users are resampled with replacement (1,000 times) and the metric recomputed; the 2.5th and 97.5th percentiles bound the 95% interval. Two variants are compared on the same resampled users (paired bootstrap). With several training seeds the interval is of the seed-mean, so it covers the choice of users, not of seeds."</dd>
                    <dt>"Seeds ahead"</dt>
                    <dd>"The number of training seeds in which a variant scores above Base's run of the same seed: whether the seeds agree with the interval."</dd>
                    <dt>"Recall@K, NDCG@K"</dt>
                    <dd>"For inferred behaviour: the share of a user's real off-log items found in the top K, and the same with a log₂ position discount, normalised by the best possible ranking."</dd>
                </dl>
            </section>
            <section class="card">
                <h2>"Calculator"</h2>
                <p class="muted">"Paste CSV with header user_id,label,score (label 0 or 1, score a probability)."</p>
                <textarea id="scores-input" rows="12" prop:value=move || text.get() on:input=move |ev| set_text.set(event_target_value(&ev))></textarea>
                <div id="metrics-result">
                    <ErrorBoundary fallback=errors_view>
                        {move || result.get().map(|e| view! {
                            <table class="figures">
                                <tr><th>"rows"</th><th>"AUC"</th><th>"GAUC"</th><th>"users used"</th><th>"logloss"</th></tr>
                                <tr>
                                    <td>{e.n}</td>
                                    <td data-metric="auc">{format!("{:.6}", e.auc)}</td>
                                    <td data-metric="gauc">{format!("{:.6}", e.gauc)}</td>
                                    <td>{format!("{} of {}", e.users_used, e.users_total)}</td>
                                    <td data-metric="logloss">{format!("{:.6}", e.logloss)}</td>
                                </tr>
                            </table>
                        })}
                    </ErrorBoundary>
                </div>
            </section>
        </div>
    }
}
