//! A printable one-page summary for stakeholders: the data, the pipeline, and where ReaSeq
//! wins, ties or loses against Base, as `reaseq experiment` measured it for the bundled models
//! (the Compare view recomputes the same figures in the browser).

use leptos::prelude::*;
use reaseq_core::ranker::Variant;
use serde_json::Value;

use crate::components::Pipeline;
use crate::source::{choice_from_query, fetch_required};

/// "wins", "ties" or "loses" from a difference's 95% interval.
fn verdict(ci: &Value) -> &'static str {
    let lo = ci[0].as_f64().unwrap_or(f64::NAN);
    let hi = ci[1].as_f64().unwrap_or(f64::NAN);
    if lo > 0.0 {
        "wins"
    } else if hi < 0.0 {
        "loses"
    } else {
        "ties"
    }
}

fn f4(v: &Value) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.4}"))
}

fn interval(v: &Value) -> String {
    format!("[{}, {}]", f4(&v[0]), f4(&v[1]))
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let choice = choice_from_query();
    let results = LocalResource::new(move || {
        let dir = crate::pages::compare::asset_dir(&choice.get());
        async move {
            let url = format!("/{dir}/results.json");
            let bytes = fetch_required(&url, "run `reaseq experiment`").await?;
            serde_json::from_slice::<Value>(&bytes).map_err(|e| format!("{url}: {e}"))
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
            {move || match results.get() {
                Some(Err(e)) => view! { <pre class="error" role="alert">{e}</pre> }.into_any(),
                Some(Ok(r)) => {
                    let sparse = r["reaseq_vs_base_cold_long_tail"].clone();
                    // The experiment's own data (its world may differ from the page's default).
                    let data = match r["world"].as_object() {
                        Some(w) => format!("the synthetic world of {} users and {} items (seed {})", w["users"], w["items"], w["seed"]),
                        None => r["dataset"].as_str().unwrap_or("?").to_string(),
                    };
                    view! {
                        <h1>{format!("ReaSeq on {}: summary", r["dataset"].as_str().unwrap_or("?"))}</h1>
                        <p class="lead">{format!(
                            "Data: {data}; protocol {}; {} test impressions of {} users; {} training seeds per variant.",
                            r["protocol"].as_str().unwrap_or("?"),
                            r["impressions"]["test"], r["test_users"], r["seeds"]
                        )}</p>
                        <h2>"The ablation"</h2>
                        <table class="figures" id="summary-table">
                            <tr><th>"variant"</th><th>"AUC [95% CI]"</th><th>"GAUC [95% CI]"</th><th>"GAUC − Base [95% CI]"</th><th>"vs Base"</th><th>"seeds ahead of Base (GAUC)"</th></tr>
                            {Variant::ALL.into_iter().map(|v| {
                                let x = &r["variants"][v.name()];
                                let d = &x["vs_base"]["gauc"];
                                let (diff, word) = if v == Variant::Base {
                                    ("—".to_string(), "—")
                                } else {
                                    (format!("{:+.4} {}", d["difference"].as_f64().unwrap_or(f64::NAN), interval(&d["ci"])), verdict(&d["ci"]))
                                };
                                // The interval resamples users; the seed count shows whether the seeds agree.
                                let ahead = d["seeds_ahead"].as_u64().map_or("—".to_string(), |k| format!("{k} of {}", r["seeds"]));
                                view! {
                                    <tr data-variant=v.name()>
                                        <td>{v.name()}</td>
                                        <td>{format!("{} {}", f4(&x["auc"]), interval(&x["auc_ci"]))}</td>
                                        <td>{format!("{} {}", f4(&x["gauc"]), interval(&x["gauc_ci"]))}</td>
                                        <td>{diff}</td>
                                        <td class="verdict">{word}</td>
                                        <td class="seeds-ahead">{ahead}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </table>
                        <p id="summary-sparse">{format!(
                            "On cold and long-tail items ({} impressions), ReaSeq − Base AUC is {:+.4} {}: ReaSeq {} there.",
                            sparse["impressions"], sparse["auc_difference"].as_f64().unwrap_or(f64::NAN), interval(&sparse["ci"]), verdict(&sparse["ci"])
                        )}</p>
                        <p class="muted">"A variant wins or loses when the 95% user-bootstrap interval of its difference from Base excludes zero, and ties otherwise. Figures: reaseq experiment, mean over seeds, for the models this page ships; Compare recomputes them here."</p>
                        <Pipeline choice=choice/>
                    }.into_any()
                }
                _ => view! { <p class="muted">"Loading…"</p> }.into_any(),
            }}
        </article>
    }
}
