//! Sequences: every user's timeline, with the protocol's parts, including the planted off-log
//! behaviour the ranker never sees.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::data::{LabelPolicy, Part, Protocol, SplitConfig};

use crate::components::{errors_view, use_set_query, AttentionStrips, DataControls, WhatIfCard};
use crate::error::{AppError, AppResult};
use crate::loading::{source, Source};

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
    let src = source();
    let query = use_query_map();
    let protocol = Memo::new(move |_| {
        src.get().map(|r| {
            r.and_then(|s: Source| {
                let p = Protocol::new(&s.dataset, SplitConfig::default(), &s.mode, s.seed)?;
                Ok::<_, AppError>((s, p))
            })
        })
    });
    let selected = Memo::new(move |_| {
        let first = protocol.with(|p| match p {
            Some(Ok((s, _))) => s.dataset.users.names().first().cloned(),
            _ => None,
        });
        query.get().get("user").or(first).unwrap_or_default()
    });
    let timeline = Memo::new(move |_| {
        let Some(Ok((s, p))) = protocol.get() else {
            return Vec::new();
        };
        let ds = &s.dataset;
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
        <p class="lead">"Each user's behaviour in time order. Grey events are off-log: real behaviour hidden from the ranker (planted in the synthetic world, a random 30% on real data), which the diffusion reasoner will try to infer."</p>
        <DataControls/>
        <div class="two-col wide-right">
            <UserList protocol=protocol selected=selected/>
            <Timeline selected=selected events=timeline/>
        </div>
        <AttentionStrips user=Signal::derive(move || selected.get())/>
        <WhatIfCard user=Signal::derive(move || selected.get())/>
    }
}

/// The data's split with its source.
type Split = Option<AppResult<(Source, Protocol)>>;

/// The users (the first 200 with at least the chosen number of events); a click selects one.
#[component]
fn UserList(protocol: Memo<Split>, selected: Memo<String>) -> impl IntoView {
    let set_query = use_set_query();
    // Another user's history: the edits and the target were this one's.
    let select =
        move |user: String| set_query(&[("user", Some(user)), ("edits", None), ("target", None)]);
    let (min_len, set_min_len) = signal(0usize);
    view! {
        <section class="card">
            <h2>"Users"</h2>
            <label class="filter">"at least "
                <input type="number" min="0" value="0" on:input=move |ev| set_min_len.set(event_target_value(&ev).parse().unwrap_or(0))/>
                " events"
            </label>
            <ul class="user-list" id="user-list">
                // In a list, so the alert sits in an item of its own.
                <ErrorBoundary fallback=|errors| view! { <li>{errors_view(errors)}</li> }>
                    {move || match protocol.get() {
                        None => Ok(view! { <li class="muted">"Loading data…"</li> }.into_any()),
                        Some(r) => r.map(|(s, p)| {
                            let ds = &s.dataset;
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
                        }),
                    }}
                </ErrorBoundary>
            </ul>
        </section>
    }
}

/// The selected user's events in time order, coloured by part.
#[component]
fn Timeline(selected: Memo<String>, events: Memo<Vec<Event>>) -> impl IntoView {
    view! {
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
                {move || events.get().into_iter().map(|e| {
                    let class = format!("chip part-{}", format!("{:?}", e.part).to_lowercase());
                    let tip = format!("{} · {} · rating {}", e.title, e.genres, e.rating);
                    view! { <li class=class title=tip>{if e.label { "★ " } else { "" }}{e.title.clone()}</li> }
                }).collect_view()}
            </ol>
        </section>
    }
}
