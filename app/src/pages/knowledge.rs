//! Knowledge: every item's card (facets with provenance, what the critic dropped), its nearest
//! items in knowledge space and its semantic ID — what the CLI made where the build carries it
//! (so the page agrees with `reaseq knowledge neighbours` and the reasoner's vocabulary), the
//! rest computed by reaseq-core in the worker.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::data::Dataset;
use reaseq_core::knowledge::neighbours::nearest;
use reaseq_core::knowledge::pipeline::PageKnowledge;
use reaseq_core::knowledge::KnowledgeCard;

use crate::components::{errors_view, use_set_query, ColdStartBox, DataControls};
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, Reply};
use crate::loading::{now, source};
use crate::worker;

/// A dataset's knowledge and how long it took to load.
#[derive(Clone)]
struct Knowledge {
    ds: Arc<Dataset>,
    k: Arc<PageKnowledge>,
    millis: f64,
}

/// Where each part of the view came from, in words.
fn provenance(k: &PageKnowledge, millis: f64) -> String {
    let [cards, vectors, ids] = k.made_by_cli;
    let from = |cli: bool, made: &'static str, here: &'static str| if cli { made } else { here };
    let stats = k.semantic_ids.as_ref().map_or(String::new(), |ids| {
        format!(
            " ({} levels × {} codes; collisions {:.1}% of items)",
            ids.config.levels,
            ids.config.codebook_size,
            ids.stats.collision_rate * 100.0
        )
    });
    format!(
        "{} cards: {}; neighbours in {}; semantic IDs: {}{stats}. Ready in {millis:.0} ms.",
        k.cards.len(),
        from(
            cards,
            "the knowledge build's (reaseq knowledge build)",
            "the catalog and graph agents, run in this browser"
        ),
        from(
            vectors,
            "its fused knowledge vectors (as reaseq knowledge neighbours)",
            "the graph embedding, computed in this browser"
        ),
        from(
            ids,
            "the reasoner's vocabulary",
            "residual quantisation of those vectors, in this browser"
        ),
    )
}

#[component]
pub fn KnowledgePage() -> impl IntoView {
    let src = source();
    let query = use_query_map();
    let (filter, set_filter) = signal(String::new());
    // Only the source: its own choice names the files to load with it.
    let knowledge = LocalResource::new(move || {
        let s = src.get();
        async move {
            let s = s?;
            let t = now();
            let load = async {
                let s = s?;
                let ds = s.dataset;
                // Agents, graph embedding and quantisation run in the worker; the page draws.
                let job = Job::Knowledge { choice: s.choice };
                let Reply::Knew(k) = worker::run(&job, |_| {}).await? else {
                    return Err(AppError::Worker("the worker answered another job".into()));
                };
                AppResult::Ok(Knowledge {
                    ds,
                    k: Arc::new(*k),
                    millis: now() - t,
                })
            };
            Some(load.await)
        }
    });
    let selected = Memo::new(move |_| query.get().get("item"));
    view! {
        <h1>"Knowledge"</h1>
        <p class="lead">"Explicit reasoning: agents describe every item, a critic checks their claims, and the result is a knowledge card. The page shows what the CLI's knowledge build and reasoner made for these data when the build carries them; otherwise the catalog and graph agents run in your browser, neighbours are in graph-embedding space and semantic IDs come from residual quantisation of those vectors."</p>
        <DataControls/>
        <input class="search" id="item-search" type="search" placeholder="search item titles"
            on:input=move |ev| set_filter.set(event_target_value(&ev))/>
        <ErrorBoundary fallback=errors_view>
            {move || match knowledge.get().flatten() {
                None => Ok(view! { <p class="muted">"Loading data…"</p> }.into_any()),
                Some(r) => r.map(|k| {
                    let chosen = selected.get().and_then(|id| k.ds.item_index(&id)).unwrap_or(0) as usize;
                    view! {
                        <div class="two-col wide-right">
                            <ItemList ds=k.ds.clone() chosen=chosen filter=filter/>
                            <section class="card" id="knowledge-card">
                                <CardView card=k.k.cards[chosen].clone() semantic_id=k.k.semantic_ids.as_ref().map(|ids| ids.display(chosen))/>
                                <Neighbours ds=k.ds.clone() k=k.k.clone() chosen=chosen/>
                                <p class="muted" id="knowledge-timing">{provenance(&k.k, k.millis)}</p>
                            </section>
                        </div>
                    }.into_any()
                }),
            }}
        </ErrorBoundary>
        {move || src.get().and_then(Result::ok).map(|s| view! { <ColdStartBox genres=s.dataset.genres.names().to_vec()/> })}
    }
}

/// The items whose titles match the search box (the first 200), the chosen one marked.
#[component]
fn ItemList(ds: Arc<Dataset>, chosen: usize, filter: ReadSignal<String>) -> impl IntoView {
    let set_query = use_set_query();
    let chosen_id = ds.items[chosen].id.clone();
    view! {
        <section class="card">
            <h2>"Items"</h2>
            <ul class="user-list" id="item-list">
                {move || {
                    let needle = filter.get().to_lowercase();
                    ds.items
                        .iter()
                        .filter(|it| needle.is_empty() || it.display_title().to_lowercase().contains(&needle))
                        .take(200)
                        .map(|it| {
                            let set_query = set_query.clone();
                            let id = it.id.clone();
                            let class = if id == chosen_id { "user active" } else { "user" };
                            view! { <li class=class on:click=move |_| set_query(&[("item", Some(id.clone()))])>{it.display_title()}</li> }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// One item's card: its text, semantic ID, facets with the agent behind each, and what the
/// critic dropped.
#[component]
fn CardView(card: KnowledgeCard, semantic_id: Option<String>) -> impl IntoView {
    let facets = card
        .facets
        .iter()
        .map(|f| {
            // Opaque graph ids are counted, with the ids a click away; words are listed.
            let values = if f.opaque_ids() {
                let ids = f.values.join(", ");
                let summary = format!("{} {} (graph ids)", f.values.len(), f.name);
                view! { <details class="ids"><summary>{summary}</summary>{ids}</details> }
                    .into_any()
            } else {
                let shown: Vec<&str> = f.values.iter().take(12).map(String::as_str).collect();
                let more = f.values.len().saturating_sub(12);
                view! { <span>{shown.join(", ")}{(more > 0).then(|| format!(" … +{more}"))}</span> }
                    .into_any()
            };
            view! {
                <tr>
                    <td>{f.name.clone()}</td>
                    <td>{values}</td>
                    <td class="muted">{f.provenance.agent.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let dropped = if card.dropped.is_empty() {
        view! { <p class="muted">"Nothing: every claim was well formed, new and consistent with the catalog."</p> }.into_any()
    } else {
        view! { <ul>{card.dropped.iter().map(|d| view! { <li>{format!("{}: '{}' from {} — {}", d.facet, d.value, d.agent, d.reason)}</li> }).collect_view()}</ul> }.into_any()
    };
    view! {
        <h2 id="card-title">{card.title.clone()}</h2>
        <p class="card-text" id="card-text">{card.text()}</p>
        {semantic_id.map(|s| view! { <p><strong>"semantic ID "</strong><code id="semantic-id">{s}</code></p> })}
        <table class="facets">
            <tr><th>"facet"</th><th>"values"</th><th>"agent"</th></tr>
            {facets}
        </table>
        <h2>"Dropped by the critic"</h2>
        {dropped}
    }
}

/// The ten nearest items in knowledge space; a click selects one.
#[component]
fn Neighbours(ds: Arc<Dataset>, k: Arc<PageKnowledge>, chosen: usize) -> impl IntoView {
    let set_query = use_set_query();
    let heading = if k.made_by_cli[1] {
        "Nearest items (knowledge vectors)"
    } else {
        "Nearest items (graph embedding)"
    };
    let rows = k
        .vectors
        .as_ref()
        .map(|v| nearest(v, &v[chosen], 10, Some(chosen)))
        .unwrap_or_default();
    view! {
        <h2>{heading}</h2>
        <ol class="neighbours" id="neighbours">
            {rows.into_iter().map(|(i, s)| {
                let set_query = set_query.clone();
                let id = ds.items[i].id.clone();
                view! { <li on:click=move |_| set_query(&[("item", Some(id.clone()))])><span class="score">{format!("{s:.3}")}</span>" "{ds.items[i].display_title()}</li> }
            }).collect_view()}
        </ol>
    }
}
