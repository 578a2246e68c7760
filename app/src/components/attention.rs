//! The ranker's attention over a user's history for one target, per variant, as heat strips:
//! which logged (and, with GBR, inferred) items the model looked at when it scored the target.

use std::sync::Arc;

use leptos::prelude::*;
use reaseq_core::data::Part;
use reaseq_core::ranker::RankerInput;

use crate::components::use_set_query;
use crate::pages::compare::{
    asset_dir, experiment_data, experiment_rows, load_assets, Assets, ExperimentRows,
};
use crate::source::{choice_from_query, source, Shared};
use reaseq_core::data::Dataset;

/// The bundles, the experiment's data and its rows.
type Rows = Shared<(Arc<Assets>, Dataset, ExperimentRows)>;

/// One variant's weights for the chosen target.
#[derive(Clone, Debug, PartialEq)]
struct Strip {
    variant: &'static str,
    probability: f32,
    history: Vec<(String, f32)>,
    gbr: Vec<(String, f32)>,
}

#[derive(Clone, Debug, PartialEq)]
struct Strips {
    /// The user's test targets (item id, title, label).
    targets: Vec<(String, String, bool)>,
    target: String,
    strips: Vec<Strip>,
}

fn cell(title: &str, w: f32) -> impl IntoView {
    // Weights are sigmoid gates in (0, 1): shade by the weight itself.
    let style = format!("background: rgba(31, 111, 139, {:.3})", w.clamp(0.0, 1.0));
    view! { <span class="heat" style=style title=format!("{title}: weight {w:.3}")></span> }
}

#[component]
pub fn AttentionStrips(#[prop(into)] user: Signal<String>) -> impl IntoView {
    let src = source();
    let choice = choice_from_query();
    let query = leptos_router::hooks::use_query_map();
    let set_query = use_set_query();
    let assets = LocalResource::new(move || {
        let dir = asset_dir(&choice.get());
        async move { load_assets(dir).await.map(Arc::new) }
    });
    // The experiment's rows, rebuilt once per data and bundles (not on every user or target).
    let rows = Memo::new(move |_| -> Option<Result<Rows, String>> {
        let a = match assets.get()? {
            Ok(a) => a,
            Err(e) => return Some(Err(e)),
        };
        let s = src.get()?.ok()?;
        let r = &a.results;
        let movielens = s.synthetic.is_none().then(|| s.dataset.clone());
        let build = || -> Result<Rows, String> {
            let (ds, mode) = experiment_data(r, movielens.as_deref())?;
            if ds.fingerprint() != s.dataset.fingerprint() {
                let w = &r["world"];
                return Err(format!(
                    "The ranker bundles were trained on another synthetic world: open ?data=synthetic&users={}&items={}&seed={} to see their attention.",
                    w["users"], w["items"], w["seed"]
                ));
            }
            let rows = experiment_rows(&a, &ds, &mode)?;
            Ok(Shared(Arc::new((a.clone(), ds, rows))))
        };
        Some(build())
    });
    let strips = Memo::new(move |_| -> Option<Result<Strips, String>> {
        let shared = match rows.get()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let (a, ds, rows) = &*shared;
        let go = || -> Result<Strips, String> {
            let u = ds.users.get(&user.get()).ok_or("no such user")?;
            let gbr = &rows.gbr;
            let test: Vec<_> = rows
                .examples
                .iter()
                .filter(|e| e.user == u && e.part == Part::Test)
                .collect();
            let title = |i: u32| ds.items[i as usize].display_title();
            let targets: Vec<(String, String, bool)> = test
                .iter()
                .map(|e| {
                    (
                        ds.items[e.target as usize].id.clone(),
                        title(e.target),
                        e.label,
                    )
                })
                .collect();
            let wanted = query.get().get("target");
            let Some(e) = test
                .iter()
                .find(|e| Some(&ds.items[e.target as usize].id) == wanted.as_ref())
                .or(test.first())
            else {
                return Err("this user has no test impression".into());
            };
            let mut out = Vec::new();
            for m in &a.rankers {
                let g = e.gbr(gbr);
                let sc = m
                    .score(&RankerInput {
                        target: e.target,
                        history: &e.history,
                        gbr: g,
                    })
                    .map_err(|e| e.to_string())?;
                let hist = &e.history[e.history.len().saturating_sub(m.config.max_history)..];
                out.push(Strip {
                    variant: m.config.variant.name(),
                    probability: sc.probability,
                    history: hist
                        .iter()
                        .zip(&sc.history_weights)
                        .map(|(&i, &w)| (title(i), w))
                        .collect(),
                    gbr: g
                        .iter()
                        .zip(&sc.gbr_weights)
                        .map(|(&i, &w)| (title(i), w))
                        .collect(),
                });
            }
            Ok(Strips {
                targets,
                target: ds.items[e.target as usize].id.clone(),
                strips: out,
            })
        };
        Some(go())
    });
    view! {
        <section class="card" id="attention">
            <h2>"Ranker attention for a test target"</h2>
            {move || match strips.get() {
                None => view! { <p class="muted">"Loading the ranker bundles…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="muted" id="attention-note">{e}</p> }.into_any(),
                Some(Ok(s)) => {
                    let set_query = set_query.clone();
                    view! {
                        <label>"target "
                            <select id="target-select" on:change=move |ev| set_query(&[("target", Some(event_target_value(&ev)))])>
                                {s.targets.iter().map(|(id, t, label)| view! {
                                    <option value=id.clone() selected=*id == s.target>{format!("{}{t}", if *label { "★ " } else { "" })}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <p class="muted">"Each cell is one logged item the ranker attended to (oldest left), shaded by its attention weight; hover for the title. GBR variants have a second strip over the reasoner's inferred items."</p>
                        <table class="strips" id="attention-strips">
                            {s.strips.into_iter().map(|st| view! {
                                <tr data-variant=st.variant>
                                    <th>{st.variant}</th>
                                    <td class="muted">{format!("p = {:.3}", st.probability)}</td>
                                    <td><div class="strip">{st.history.iter().map(|(t, w)| cell(t, *w)).collect_view()}</div>
                                        {(!st.gbr.is_empty()).then(|| view! { <div class="strip gbr">{st.gbr.iter().map(|(t, w)| cell(t, *w)).collect_view()}</div> })}
                                    </td>
                                </tr>
                            }).collect_view()}
                        </table>
                    }.into_any()
                }
            }}
        </section>
    }
}
