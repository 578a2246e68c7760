//! What-if: edit the selected user's history — remove, add (a catalogue item, or a new one the
//! student encoder places), reorder — and see the reasoner's inferences, every variant's score
//! for the target, each item's leave-one-out effect and every variant's top 10 change beside
//! the logged history's. The edits live in the URL (`edits=`, JSON), so a what-if is a link;
//! the worker computes it with the function `reaseq explain` prints.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::experiment::explain::{diff, ItemRef, VariantState};
use reaseq_core::experiment::{Edits, Move, TypedItem};

use crate::error::AppError;
use crate::jobs::explain::{Explained, WhatIf};
use crate::jobs::{Job, Reply};
use crate::loading::{choice_from_query, source};
use crate::worker;

/// The edits in the URL; an unreadable `edits=` is an error the card shows.
fn edits_of(raw: Option<String>) -> Result<Edits, String> {
    match raw {
        None => Ok(Edits::default()),
        Some(s) => serde_json::from_str(&s).map_err(|e| {
            format!("the link's edits cannot be read ({e}): reset to the logged history")
        }),
    }
}

/// `edits` without any trace of `id` (its removal undone, its addition or typing dropped, its
/// moves forgotten), or with it removed when it is a logged item.
fn without(mut e: Edits, id: &str, logged: bool) -> Edits {
    e.moves.retain(|m| m.item != id);
    if let Some(k) = e.add.iter().position(|a| a == id) {
        e.add.remove(k);
    } else if let Some(k) = (0..e.new_items.len()).find(|&k| Edits::new_item_id(k) == id) {
        e.new_items.remove(k);
        // Later typed items are renumbered: their moves no longer name them.
        e.moves.retain(|m| !m.item.starts_with("new-"));
    } else if logged {
        e.remove.push(id.to_owned());
    }
    e
}

fn signed(x: f32) -> String {
    format!("{x:+.4}")
}

#[component]
pub fn WhatIfCard(#[prop(into)] user: Signal<String>) -> impl IntoView {
    let choice = choice_from_query();
    let query = use_query_map();
    let set_query = crate::components::use_set_query();
    let src = source();
    let edits = Memo::new(move |_| edits_of(query.get().get("edits")));
    let set_edits = {
        let set_query = set_query.clone();
        move |e: Edits| {
            let v = (!e.is_empty()).then(|| serde_json::to_string(&e).unwrap_or_default());
            set_query(&[("edits", v)]);
        }
    };
    let result = LocalResource::new(move || {
        let e = edits.get();
        let job = e.map(|edits| Job::Explain {
            choice: choice.get(),
            what_if: WhatIf {
                user: user.get(),
                target: query.get().get("target"),
                edits,
            },
        });
        // From the edit reaching the page's state to the answer back: the worker's time with
        // the page's round trip.
        let asked = crate::loading::now();
        async move {
            match worker::run(&job.map_err(AppError::Input)?, |_| {}).await {
                Ok(Reply::Explained(x)) => {
                    Ok::<(Explained, f64), AppError>((*x, crate::loading::now() - asked))
                }
                Ok(_) => Err(AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            }
        }
    });
    // The last good answer stays drawn while the next edit computes, and after a refused one.
    let shown = RwSignal::new(None::<(Explained, f64)>);
    let refused = RwSignal::new(None::<String>);
    Effect::new(move |_| match result.get() {
        Some(Ok(x)) => {
            shown.set(Some(x));
            refused.set(None);
        }
        Some(Err(e)) => refused.set(Some(e.to_string())),
        None => {}
    });
    let variant = RwSignal::new("ReaSeq".to_string());
    let (add, set_add) = signal(String::new());
    let (title, set_title) = signal(String::new());
    let (genres, set_genres) = signal(String::new());
    let current = move || edits.get().unwrap_or_default();
    let add_item = {
        let set_edits = set_edits.clone();
        move |_| {
            let typed = add.get_untracked().trim().to_owned();
            let Some(Ok(s)) = src.get_untracked() else {
                return;
            };
            // An id, or a title as the catalogue writes it.
            let id = match s.dataset.item_index(&typed) {
                Some(i) => Some(s.dataset.items[i as usize].id.clone()),
                None => s
                    .dataset
                    .items
                    .iter()
                    .find(|it| it.display_title() == typed || it.title == typed)
                    .map(|it| it.id.clone()),
            };
            match id {
                Some(id) => {
                    let mut e = current();
                    e.remove.retain(|r| *r != id);
                    if !e.add.contains(&id) {
                        e.add.push(id);
                    }
                    set_add.set(String::new());
                    set_edits(e);
                }
                None => refused.set(Some(format!(
                    "no item with id or title '{typed}' in this data"
                ))),
            }
        }
    };
    let add_new = {
        let set_edits = set_edits.clone();
        move |_| {
            let t = title.get_untracked().trim().to_owned();
            if t.is_empty() {
                refused.set(Some("give the new item a title".into()));
                return;
            }
            let mut e = current();
            e.new_items.push(TypedItem {
                title: t,
                description: String::new(),
                genres: genres
                    .get_untracked()
                    .split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect(),
            });
            set_title.set(String::new());
            set_genres.set(String::new());
            set_edits(e);
        }
    };
    let reset = {
        let set_edits = set_edits.clone();
        move |_| set_edits(Edits::default())
    };
    let catalogue = move || {
        src.get().and_then(Result::ok).map(|s| {
            s.dataset
                .items
                .iter()
                .map(|it| view! { <option value=it.id.clone()>{it.display_title()}</option> })
                .collect_view()
        })
    };
    view! {
        <section class="card" id="whatif">
            <h2>"What if — edit this user's history"</h2>
            <p class="muted">"Remove (×), move (↑ ↓) or add events, or type an item no log has seen: the reasoner infers again, and every variant scores the target, ranks its top 10 and attributes its score (leave-one-out: the probability minus the probability without that item). Before is the logged history through the same reasoner; the edits live in the link. Computed on the CPU path (WebAssembly, in the worker), as "<code>"reaseq explain"</code>" does."</p>
            <div class="whatif-controls">
                <label>"add "
                    <input id="whatif-add" list="whatif-catalogue" placeholder="item id or title" prop:value=add on:input=move |ev| set_add.set(event_target_value(&ev))/>
                </label>
                <datalist id="whatif-catalogue">{catalogue}</datalist>
                <button id="whatif-add-button" on:click=add_item>"Add"</button>
                <label>"new item "
                    <input id="whatif-new-title" placeholder="title" prop:value=title on:input=move |ev| set_title.set(event_target_value(&ev))/>
                </label>
                <input id="whatif-new-genres" placeholder="genres, comma-separated" prop:value=genres on:input=move |ev| set_genres.set(event_target_value(&ev))/>
                <button id="whatif-new-button" on:click=add_new>"Place and add"</button>
                <button id="whatif-reset" on:click=reset disabled=move || current().is_empty()>"Reset to the logged history"</button>
                <label>"effects of "
                    <select id="whatif-variant" on:change=move |ev| variant.set(event_target_value(&ev))>
                        {["Base", "+REP", "+GBR", "ReaSeq"].map(|v| view! { <option value=v selected=v == "ReaSeq">{v}</option> })}
                    </select>
                </label>
            </div>
            {move || refused.get().map(|e| view! { <p class="error" role="alert" id="whatif-error">{e}</p> })}
            {move || match shown.get() {
                None => view! { <p class="muted">"Loading the rankers and the reasoner…"</p> }.into_any(),
                Some((x, round)) => {
                    let set_edits = set_edits.clone();
                    explained(x, round, variant.get(), current(), set_edits).into_any()
                }
            }}
        </section>
    }
}

/// The answer drawn: the edited history with effects, the scores, the inferences, the top 10s.
fn explained(
    x: Explained,
    round: f64,
    variant: String,
    edits: Edits,
    set_edits: impl Fn(Edits) + Clone + 'static,
) -> impl IntoView {
    let e = x.explanation;
    let pick = |vs: &[VariantState]| vs.iter().find(|v| v.variant == variant).cloned();
    let after_v = pick(&e.after.variants);
    // Bars are drawn against the largest effect of this variant.
    let scale = after_v.as_ref().map_or(0.0, |v| {
        v.history_effect
            .iter()
            .chain(&v.inferred_effect)
            .fold(0f32, |m, x| m.max(x.abs()))
    });
    let logged: Vec<String> = e.before.history.iter().map(|h| h.id.clone()).collect();
    let n = e.after.history.len();
    let history = e.after.history.iter().enumerate().map(|(k, h)| {
        let effect = after_v.as_ref().and_then(|v| v.history_effect.get(k).copied());
        let attended = after_v.as_ref().is_none_or(|v| k >= v.attended_from);
        let is_logged = logged.contains(&h.id);
        let (first, last) = (k == 0, k + 1 >= n);
        let class = match (h.typed, is_logged) {
            (true, _) => "whatif-event typed",
            (false, false) => "whatif-event added",
            _ => "whatif-event",
        };
        let mv = |to: usize| {
            let (mut ed, id, set) = (edits.clone(), h.id.clone(), set_edits.clone());
            move |_| {
                ed.moves.push(Move { item: id.clone(), to });
                set(ed.clone());
            }
        };
        let rm = {
            let (ed, id, set) = (edits.clone(), h.id.clone(), set_edits.clone());
            move |_| set(without(ed.clone(), &id, is_logged))
        };
        view! {
            <li class=class data-id=h.id.clone()>
                <span class="whatif-title">{h.title.clone()}{h.typed.then_some(" (new)")}{(!attended).then_some(" · not attended")}</span>
                {effect.map(|x| effect_bar(x, scale))}
                <span class="whatif-buttons">
                    <button class="whatif-up" title="earlier" disabled=first on:click=mv(k.saturating_sub(1))>"↑"</button>
                    <button class="whatif-down" title="later" disabled=last on:click=mv(k + 1)>"↓"</button>
                    <button class="whatif-remove" title="remove" on:click=rm>"×"</button>
                </span>
            </li>
        }
    }).collect_view();
    let scores = e
        .before
        .variants
        .iter()
        .zip(&e.after.variants)
        .map(|(b, a)| {
            let d = a.probability - b.probability;
            let class = if d > 0.0 {
                "up"
            } else if d < 0.0 {
                "down"
            } else {
                ""
            };
            view! {
                <tr data-variant=a.variant.clone()>
                    <th>{a.variant.clone()}</th>
                    <td>{format!("{:.4}", b.probability)}</td>
                    <td>{format!("{:.4}", a.probability)}</td>
                    <td class=class>{signed(d)}</td>
                </tr>
            }
        })
        .collect_view();
    let removed = diff(&e.before.history, &e.after.history);
    let came = diff(&e.after.inferred, &e.before.inferred);
    let gone = diff(&e.before.inferred, &e.after.inferred);
    let inferred = e
        .after
        .inferred
        .iter()
        .enumerate()
        .map(|(k, it)| {
            let effect = after_v
                .as_ref()
                .and_then(|v| v.inferred_effect.get(k).copied());
            let fresh = came.iter().any(|c| c.id == it.id);
            let class = if fresh { "entered" } else { "" };
            view! {
                <li class=class data-id=it.id.clone()>
                    {it.title.clone()}{fresh.then_some(" (new)")}
                    {effect.map(|x| effect_bar(x, scale))}
                </li>
            }
        })
        .collect_view();
    let tops = e.before.variants.iter().zip(&e.after.variants).map(|(b, a)| {
        let entered = diff(&a.top, &b.top);
        let left = diff(&b.top, &a.top);
        view! {
            <div class="whatif-top" data-variant=a.variant.clone()>
                <h4>{a.variant.clone()}</h4>
                <ol>{a.top.iter().map(|t| {
                    let new = entered.iter().any(|x| x.id == t.id);
                    let class = if new { "entered" } else { "" };
                    view! { <li class=class>{t.title.clone()}{new.then_some(" ↑")}</li> }
                }).collect_view()}</ol>
                {(!left.is_empty()).then(|| view! { <p class="muted">"left: "{titles(&left)}</p> })}
            </div>
        }
    }).collect_view();
    let label = match e.target_label {
        Some(true) => " — a test positive",
        Some(false) => " — a test negative",
        None => "",
    };
    view! {
        <p id="whatif-target" data-millis=x.millis.to_string() data-round-millis=round.to_string()>"Target: "<strong>{e.target.title.clone()}</strong>{label}
            <span class="muted">{format!(" · computed in {:.0} ms in the worker, {:.0} ms with the page's round trip", x.millis, round)}</span></p>
        <div class="two-col">
            <div>
                <h3>"Edited history (oldest first)"</h3>
                <ol class="whatif-history" id="whatif-history">{history}</ol>
                {(!removed.is_empty()).then(|| view! { <p class="muted" id="whatif-removed">"removed: "{titles(&removed)}</p> })}
            </div>
            <div>
                <h3>"Score of the target"</h3>
                <table class="table" id="whatif-scores">
                    <thead><tr><th>"variant"</th><th>"logged"</th><th>"edited"</th><th>"change"</th></tr></thead>
                    <tbody>{scores}</tbody>
                </table>
                <h3>"Inferred behaviours"</h3>
                <ol id="whatif-inferred">{inferred}</ol>
                {(!gone.is_empty()).then(|| view! { <p class="muted" id="whatif-gone">"no longer inferred: "{titles(&gone)}</p> })}
            </div>
        </div>
        <h3>"Top 10 after the edits (↑ entered)"</h3>
        <div class="whatif-tops" id="whatif-tops">{tops}</div>
    }
}

fn titles(xs: &[ItemRef]) -> String {
    xs.iter()
        .map(|x| x.title.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A small bar for a leave-one-out effect, `scale` the largest effect shown: blue when the item
/// raises the score, red when it lowers it.
fn effect_bar(x: f32, scale: f32) -> impl IntoView {
    let width = if scale > 0.0 {
        (x.abs() / scale * 60.0).max(1.0)
    } else {
        1.0
    };
    let class = if x >= 0.0 { "effect up" } else { "effect down" };
    view! {
        <span class="whatif-effect" title=format!("leave-one-out effect {x:+.4}")>
            <span class=class style=format!("width: {width:.0}px")></span>
            <span class="muted">{signed(x)}</span>
        </span>
    }
}
