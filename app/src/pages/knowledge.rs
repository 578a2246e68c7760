//! Knowledge: every item's card (facets with provenance, what the critic dropped), its nearest
//! items in graph-embedding space and its semantic ID — all computed here by reaseq-core.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use reaseq_core::knowledge::neighbours::nearest;
use reaseq_core::knowledge::semantic_id::{residual_quantise, RqConfig, SemanticIds};
use reaseq_core::knowledge::{build_cards, Agent, CatalogAgent, Critic, GraphAgent, KnowledgeCard};

use crate::components::{errors_view, use_set_query, ColdStartBox, DataControls};
use crate::error::AppResult;
use crate::loading::{now, source, Source};

/// Cards, graph vectors and semantic IDs of one dataset.
#[derive(Clone)]
struct Knowledge {
    src: Source,
    cards: Arc<Vec<KnowledgeCard>>,
    vectors: Option<Arc<Vec<Vec<f32>>>>,
    ids: Option<Arc<SemanticIds>>,
    millis: f64,
}

impl PartialEq for Knowledge {
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

fn compute(src: Source) -> AppResult<Knowledge> {
    let t = now();
    let ds = &src.dataset;
    let mut agents: Vec<Box<dyn Agent>> = vec![Box::new(CatalogAgent), Box::new(GraphAgent)];
    let cards = build_cards(ds, &mut agents, &Critic)?;
    // A dataset without a usable graph still has cards; it just has no graph space.
    let vectors = graph_embedding(ds, &GraphEmbeddingConfig::default()).ok();
    let ids = match &vectors {
        Some(v) if v.len() >= 64 => residual_quantise(v, &RqConfig::default()).ok(),
        _ => None,
    };
    Ok(Knowledge {
        cards: Arc::new(cards),
        vectors: vectors.map(Arc::new),
        ids: ids.map(Arc::new),
        millis: now() - t,
        src,
    })
}

#[component]
pub fn KnowledgePage() -> impl IntoView {
    let src = source();
    let query = use_query_map();
    let set_query = use_set_query();
    let (filter, set_filter) = signal(String::new());
    let knowledge = Memo::new(move |_| src.get().map(|r| r.and_then(compute)));
    let selected = Memo::new(move |_| query.get().get("item"));
    let select = move |id: String| set_query(&[("item", Some(id))]);
    view! {
        <h1>"Knowledge"</h1>
        <p class="lead">"Explicit reasoning: agents describe every item, a critic checks their claims, and the result is a knowledge card. Here the catalog and graph agents run in your browser; neighbours are in graph-embedding space, semantic IDs come from residual quantisation of those vectors."</p>
        <DataControls/>
        <input class="search" id="item-search" type="search" placeholder="search item titles"
            on:input=move |ev| set_filter.set(event_target_value(&ev))/>
        <ErrorBoundary fallback=errors_view>
            {move || match knowledge.get() {
                None => Ok(view! { <p class="muted">"Loading data…"</p> }.into_any()),
                Some(r) => r.map(|k| {
                    let ds = k.src.dataset.clone();
                    let chosen = selected.get().and_then(|id| ds.item_index(&id)).unwrap_or(0) as usize;
                    let select = select.clone();
                    let needle = filter.get().to_lowercase();
                    let list: Vec<(String, String)> = ds
                        .items
                        .iter()
                        .filter(|it| needle.is_empty() || it.display_title().to_lowercase().contains(&needle))
                        .take(200)
                        .map(|it| (it.id.clone(), it.display_title()))
                        .collect();
                    let card = k.cards[chosen].clone();
                    let neighbours: Vec<(String, String, f32)> = k
                        .vectors
                        .as_ref()
                        .map(|v| {
                            nearest(v, &v[chosen], 10, Some(chosen))
                                .into_iter()
                                .map(|(i, s)| (ds.items[i].id.clone(), ds.items[i].display_title(), s))
                                .collect()
                        })
                        .unwrap_or_default();
                    let sid = k.ids.as_ref().map(|ids| ids.display(chosen));
                    let stats = k.ids.as_ref().map(|ids| {
                        format!(
                            "{} levels × {} codes; collisions {:.1}% of items",
                            ids.config.levels,
                            ids.config.codebook_size,
                            ids.stats.collision_rate * 100.0
                        )
                    });
                    view! {
                        <div class="two-col wide-right">
                            <section class="card">
                                <h2>"Items"</h2>
                                <ul class="user-list" id="item-list">
                                    {list.into_iter().map(|(id, title)| {
                                        let select = select.clone();
                                        let active = id == ds.items[chosen].id;
                                        let target = id.clone();
                                        view! { <li class=if active { "user active" } else { "user" } on:click=move |_| select(target.clone())>{title}</li> }
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class="card" id="knowledge-card">
                                <h2 id="card-title">{card.title.clone()}</h2>
                                <p class="card-text" id="card-text">{card.text()}</p>
                                {sid.map(|s| view! { <p><strong>"semantic ID "</strong><code id="semantic-id">{s}</code></p> })}
                                <table class="facets">
                                    <tr><th>"facet"</th><th>"values"</th><th>"agent"</th></tr>
                                    {card.facets.iter().map(|f| {
                                        let shown: Vec<&str> = f.values.iter().take(12).map(String::as_str).collect();
                                        let more = f.values.len().saturating_sub(12);
                                        view! {
                                            <tr>
                                                <td>{f.name.clone()}</td>
                                                <td>{shown.join(", ")}{(more > 0).then(|| format!(" … +{more}"))}</td>
                                                <td class="muted">{f.provenance.agent.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </table>
                                <h2>"Dropped by the critic"</h2>
                                {if card.dropped.is_empty() {
                                    view! { <p class="muted">"Nothing: every claim was well formed, new and consistent with the catalog."</p> }.into_any()
                                } else {
                                    view! { <ul>{card.dropped.iter().map(|d| view! { <li>{format!("{}: '{}' from {} — {}", d.facet, d.value, d.agent, d.reason)}</li> }).collect_view()}</ul> }.into_any()
                                }}
                                <h2>"Nearest items (graph embedding)"</h2>
                                <ol class="neighbours" id="neighbours">
                                    {neighbours.into_iter().map(|(id, title, s)| {
                                        let select = select.clone();
                                        view! { <li on:click=move |_| select(id.clone())><span class="score">{format!("{s:.3}")}</span>" "{title}</li> }
                                    }).collect_view()}
                                </ol>
                                <p class="muted" id="knowledge-timing">
                                    {format!("{} cards, graph embedding and semantic IDs in {:.0} ms in this browser. {}", k.cards.len(), k.millis, stats.unwrap_or_default())}
                                </p>
                            </section>
                        </div>
                    }.into_any()
                }),
            }}
        </ErrorBoundary>
        {move || src.get().and_then(Result::ok).map(|s| view! { <ColdStartBox genres=s.dataset.genres.names().to_vec()/> })}
    }
}
