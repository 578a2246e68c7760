//! Sequences: every user's timeline, with the protocol's parts, including the planted off-log
//! behaviour the ranker never sees.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use reaseq_core::data::{BeyondLog, LabelPolicy, Part, Protocol, SplitConfig};

use crate::components::WorldControls;
use crate::world::{config_from_query, world};

#[derive(Clone, PartialEq)]
struct Event {
    title: String,
    genres: String,
    rating: String,
    part: Part,
    label: bool,
}

#[component]
pub fn Sequences() -> impl IntoView {
    let cfg = config_from_query();
    let world = world(cfg);
    let query = use_query_map();
    let navigate = use_navigate();
    let location = use_location();
    let (min_len, set_min_len) = signal(0usize);
    let protocol = Memo::new(move |_| {
        world.get().and_then(|g| {
            let mode = BeyondLog::Planted {
                off_log: g.world.truth.off_log.clone(),
            };
            Protocol::new(
                &g.world.dataset,
                SplitConfig::default(),
                &mode,
                cfg.get().seed,
            )
            .map(|p| (g, p))
            .map_err(|e| e.to_string())
        })
    });
    let selected = Memo::new(move |_| query.get().get("user").unwrap_or_else(|| "u0".to_owned()));
    let select = move |user: String| {
        let mut pairs: Vec<(String, String)> = query
            .get_untracked()
            .into_iter()
            .filter(|(k, _)| k != "user")
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        pairs.push(("user".into(), user));
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        navigate(
            &format!("{}?{}", location.pathname.get_untracked(), q.join("&")),
            Default::default(),
        );
    };
    let timeline = Memo::new(move |_| {
        let Ok((g, p)) = protocol.get() else {
            return Vec::new();
        };
        let ds = &g.world.dataset;
        let Some(u) = ds.users.get(&selected.get()) else {
            return Vec::new();
        };
        let policy = LabelPolicy::default();
        p.timelines[u as usize]
            .iter()
            .map(|&i| {
                let x = &ds.interactions[i as usize];
                let item = &ds.items[x.item as usize];
                Event {
                    title: item.display_title(),
                    genres: item
                        .genres
                        .iter()
                        .map(|&g| ds.genres.name(g))
                        .collect::<Vec<_>>()
                        .join(", "),
                    rating: x.rating.map_or(String::new(), |r| format!("{r}")),
                    part: p.parts[i as usize],
                    label: policy.label(x),
                }
            })
            .collect::<Vec<_>>()
    });
    view! {
        <h1>"Sequences"</h1>
        <p class="lead">"Each user's behaviour in time order. Grey events are off-log: real behaviour hidden from the ranker, which the diffusion reasoner will try to infer."</p>
        <WorldControls cfg=cfg/>
        <div class="two-col wide-right">
            <section class="card">
                <h2>"Users"</h2>
                <label class="filter">"at least "
                    <input type="number" min="0" value="0" on:input=move |ev| set_min_len.set(event_target_value(&ev).parse().unwrap_or(0))/>
                    " events"
                </label>
                <ul class="user-list" id="user-list">
                    {move || match protocol.get() {
                        Err(e) => view! { <li class="error">{e}</li> }.into_any(),
                        Ok((g, p)) => {
                            let ds = &g.world.dataset;
                            let select = select.clone();
                            p.timelines.iter().enumerate()
                                .filter(|(_, t)| t.len() >= min_len.get())
                                .take(200)
                                .map(|(u, t)| {
                                    let name = ds.users.name(u as u32).to_owned();
                                    let off = t.iter().filter(|&&i| p.parts[i as usize] == Part::OffLog).count();
                                    let select = select.clone();
                                    let n = name.clone();
                                    let class = move || if selected.get() == n { "user active" } else { "user" };
                                    let target = name.clone();
                                    view! {
                                        <li class=class on:click=move |_| select(target.clone())>
                                            <span>{name}</span>
                                            <span class="muted">{format!("{} events · {} off-log", t.len(), off)}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                    }}
                </ul>
            </section>
            <section class="card">
                <h2>{move || format!("Timeline of {}", selected.get())}</h2>
                <div class="legend">
                    <span class="chip part-train">"train"</span>
                    <span class="chip part-valid">"validation"</span>
                    <span class="chip part-test">"test"</span>
                    <span class="chip part-offlog">"off-log"</span>
                    <span class="muted">" ★ = label 1 (rating ≥ 4)"</span>
                </div>
                <ol class="timeline" id="timeline">
                    {move || timeline.get().into_iter().map(|e| {
                        let class = format!("chip part-{}", format!("{:?}", e.part).to_lowercase());
                        let tip = format!("{} · {} · rating {}", e.title, e.genres, e.rating);
                        view! { <li class=class title=tip>{if e.label { "★ " } else { "" }}{e.title.clone()}</li> }
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}
