//! Overview: what the dataset looks like and how the protocol splits it.

use leptos::prelude::*;
use reaseq_core::data::{DatasetStats, LabelPolicy, Part, Protocol, SplitConfig};

use crate::components::{errors_view, DataControls, Pipeline, Stat};
use crate::error::AppResult;
use crate::loading::{now, source, Source};

#[derive(Clone, PartialEq)]
struct Summary {
    stats: DatasetStats,
    parts: [(Part, usize); 4],
    load_ms: f64,
    summarise_ms: f64,
    label: String,
    note: Option<String>,
}

fn summarise(src: &Source) -> AppResult<Summary> {
    let t = now();
    let ds = &src.dataset;
    let stats = DatasetStats::compute(ds, LabelPolicy::default());
    let p = Protocol::new(ds, SplitConfig::default(), &src.mode, src.seed)?;
    let parts = [Part::Train, Part::Valid, Part::Test, Part::OffLog].map(|x| (x, p.count(x)));
    Ok(Summary {
        stats,
        parts,
        load_ms: src.load_ms,
        summarise_ms: now() - t,
        label: src.label.clone(),
        note: src.note.clone(),
    })
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

#[component]
pub fn Overview() -> impl IntoView {
    let src = source();
    let choice = crate::loading::choice_from_query();
    let summary = move || src.get().map(|r| r.and_then(|s| summarise(&s)));
    view! {
        <h1>"Overview"</h1>
        <p class="lead">
            "ReaSeq adds world knowledge to a sequential ranker in two ways: agents reason about every item (explicit reasoning, REP) and a diffusion model infers behaviour that never reached the logs (implicit reasoning, GBR). "
            "This workbench runs small versions of both in your browser, on MovieLens-100k or on a seeded synthetic world whose hidden behaviour is known, so every model can be checked against ground truth."
        </p>
        <DataControls/>
        <ErrorBoundary fallback=errors_view>
            {move || match summary() {
                None => Ok(view! { <p class="muted" id="loading">"Loading data…"</p> }.into_any()),
                Some(r) => r.map(|s| {
                    let st = s.stats.clone();
                    let h = st.history_length.clone();
                    let max_genre = st.genres.first().map_or(1, |g| g.1.max(1));
                    let total: usize = s.parts.iter().map(|p| p.1).sum();
                    view! {
                        {s.note.clone().map(|n| view! { <p class="notice" id="data-note">{n}</p> })}
                        <h2 id="dataset-label">{s.label.clone()}</h2>
                        <section class="stats" id="dataset-stats">
                            <Stat label="users" value=st.users.to_string()/>
                            <Stat label="items" value=st.items.to_string()/>
                            <Stat label="interactions" value=st.interactions.to_string()/>
                            <Stat label="density" value=pct(st.density) hint="interactions / (users × items)"/>
                            <Stat label="positive share" value=pct(st.positive_share) hint="label 1 = rating ≥ 4"/>
                            <Stat label="median history" value=format!("{}", h.median) hint="interactions per user"/>
                            <Stat label="long-tail share" value=pct(st.long_tail_share) hint="interactions outside the 20% most popular items"/>
                            <Stat label="KG triples" value=st.kg_triples.to_string()/>
                        </section>
                        <div class="two-col">
                            <section class="card">
                                <h2>"History length"</h2>
                                <table class="figures">
                                    <tr><th>"min"</th><th>"p25"</th><th>"median"</th><th>"p75"</th><th>"p90"</th><th>"max"</th><th>"mean"</th></tr>
                                    <tr>
                                        <td>{h.min}</td><td>{h.p25}</td><td>{h.median}</td><td>{h.p75}</td>
                                        <td>{format!("{:.1}", h.p90)}</td><td>{h.max}</td><td>{format!("{:.1}", h.mean)}</td>
                                    </tr>
                                </table>
                                <h2>"Protocol"</h2>
                                <p class="muted">"Chronological per user: the last 10% of events are test; off-log behaviour is hidden from the ranker (planted in the synthetic world; a random 30% of pre-test events on real data); the last 10% of the rest is validation."</p>
                                <div class="parts">
                                    {s.parts.iter().map(|(part, n)| {
                                        let width = format!("width: {:.2}%", 100.0 * *n as f64 / total.max(1) as f64);
                                        let name = format!("{part:?}");
                                        view! { <div class=format!("part part-{}", name.to_lowercase()) style=width title=format!("{name}: {n}")></div> }
                                    }).collect_view()}
                                </div>
                                // Counts below the bar: a thin segment has no room for its label.
                                <div class="legend parts-legend" id="protocol-counts">
                                    {s.parts.iter().map(|(part, n)| {
                                        let name = format!("{part:?}");
                                        view! { <span class=format!("chip part-{}", name.to_lowercase())>{format!("{name} {n}")}</span> }
                                    }).collect_view()}
                                </div>
                            </section>
                            <section class="card">
                                <h2>"Genres"</h2>
                                <div class="bars">
                                    {st.genres.iter().map(|(g, c)| {
                                        let width = format!("width: {:.1}%", 100.0 * *c as f64 / max_genre as f64);
                                        view! { <div class="bar-row"><span class="bar-label">{g.clone()}</span><span class="bar" style=width></span><span class="bar-value">{*c}</span></div> }
                                    }).collect_view()}
                                </div>
                            </section>
                        </div>
                        <Pipeline choice=choice/>
                        <p class="muted timing" id="timing">
                            {format!("Loaded in {:.1} ms and summarised in {:.1} ms by reaseq-core (WebAssembly) in this browser.", s.load_ms, s.summarise_ms)}
                        </p>
                    }.into_any()
                }),
            }}
        </ErrorBoundary>
    }
}
