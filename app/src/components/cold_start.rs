//! The cold-start box: type a title and description no log has seen; the worker's student
//! encoder places it in the rankers' REP space, and the box shows its neighbours, its semantic
//! ID and how each variant would score it for a user. The inputs live in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{errors_view, use_set_query};
use crate::error::AppError;
use crate::jobs::cold::{ColdStart, NewItem};
use crate::jobs::{Job, Reply};
use crate::loading::choice_from_query;
use crate::worker;

fn scores_table(c: &ColdStart) -> impl IntoView {
    view! {
        <table class="figures" id="cold-scores">
            <tr><th>"variant"</th><th>"p(click)"</th><th>"rank among the catalog for this user"</th></tr>
            {c.scores.iter().map(|s| view! {
                <tr data-variant=s.variant.name()>
                    <td>{s.variant.name()}</td>
                    <td class="probability">{format!("{:.3}", s.probability)}</td>
                    <td>{format!("{} of {}", s.above + 1, s.catalog + 1)}</td>
                </tr>
            }).collect_view()}
        </table>
    }
}

/// The new item the URL describes (`new_title`, `new_text`, `new_genres`, `user`), if any.
fn asked_item(query: Memo<leptos_router::params::ParamsMap>) -> Memo<Option<NewItem>> {
    Memo::new(move |_| {
        let q = query.get();
        let title = q.get("new_title").unwrap_or_default();
        let description = q.get("new_text").unwrap_or_default();
        let genres = q.get("new_genres").unwrap_or_default();
        (!title.is_empty() || !description.is_empty()).then(|| NewItem {
            title,
            description,
            genres: genres
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            user: q.get("user"),
        })
    })
}

/// The dataset's genres as check boxes.
#[component]
fn GenrePicker(
    genres: Vec<String>,
    picked: ReadSignal<Vec<String>>,
    set_picked: WriteSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <fieldset id="new-genres"><legend>"genres"</legend>
            {genres.into_iter().map(|g| {
                let (g1, g2) = (g.clone(), g.clone());
                view! {
                    <label class="check"><input type="checkbox" value=g.clone()
                        prop:checked=move || picked.get().contains(&g1)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set_picked.update(|p| { p.retain(|x| x != &g2); if on { p.push(g2.clone()); } });
                        }/>{g}</label>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// Where the new item landed and how each variant scores it.
#[component]
fn ColdResult(c: ColdStart) -> impl IntoView {
    let sid = c
        .semantic_id
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join("-");
    let genres = if c.genres.is_empty() {
        "none".to_string()
    } else {
        c.genres.join(", ")
    };
    view! {
        <div id="cold-result">
            <p><strong>"semantic ID "</strong><code id="cold-id">{sid}</code>
                {format!(" — for user {} ({} logged items, genres: {genres})", c.user, c.history)}</p>
            <p class="muted" id="cold-data">{format!("Rankers trained on {} ({} users, {} items). Embedded and scored on the CPU path (WebAssembly, in the worker): one item needs no GPU.", c.dataset, c.users, c.items)}</p>
            <div class="two-col">
                <div>
                    <h3>"Nearest items (REP space)"</h3>
                    <ol class="neighbours" id="cold-neighbours">
                        {c.neighbours.iter().map(|n| view! { <li><span class="score">{format!("{:.3}", n.cosine)}</span>" "{n.title.clone()}</li> }).collect_view()}
                    </ol>
                </div>
                <div>
                    <h3>"How each variant scores it"</h3>
                    {scores_table(&c)}
                </div>
            </div>
        </div>
    }
}

/// `genres`: the dataset's genre names, offered as check boxes.
#[component]
pub fn ColdStartBox(genres: Vec<String>) -> impl IntoView {
    let query = use_query_map();
    let set_query = use_set_query();
    let choice = choice_from_query();
    let asked = asked_item(query);
    let result = LocalResource::new(move || {
        let job = asked.get().map(|item| Job::ColdStart {
            choice: choice.get(),
            item,
        });
        async move {
            let job = job?;
            Some(match worker::run(&job, |_| {}).await {
                Ok(Reply::ColdStarted(c)) => Ok(*c),
                Ok(_) => Err(AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            })
        }
    });
    let initial = asked.get_untracked();
    let (title, set_title) = signal(
        initial
            .as_ref()
            .map(|i| i.title.clone())
            .unwrap_or_default(),
    );
    let (text, set_text) = signal(
        initial
            .as_ref()
            .map(|i| i.description.clone())
            .unwrap_or_default(),
    );
    let (picked, set_picked) = signal(
        initial
            .as_ref()
            .map(|i| i.genres.clone())
            .unwrap_or_default(),
    );
    let (user, set_user) = signal(query.get_untracked().get("user").unwrap_or_default());
    let run = move |_| {
        let user = user.get_untracked();
        set_query(&[
            ("new_title", Some(title.get_untracked())),
            ("new_text", Some(text.get_untracked())),
            ("new_genres", Some(picked.get_untracked().join(","))),
            ("user", (!user.is_empty()).then_some(user)),
        ]);
    };
    view! {
        <section class="card" id="cold-start">
            <h2>"A new item (cold start)"</h2>
            <p class="muted">"Describe an item no log has seen. The student encoder embeds the text into the rankers' REP space (in a Web Worker); the item gets neighbours and a semantic ID from its knowledge alone, and every variant scores it for the user with a zero ID embedding, its genres and — for +REP and ReaSeq — its REP vector."</p>
            <div class="cold-form">
                <label>"title "<input id="new-title" prop:value=title on:input=move |ev| set_title.set(event_target_value(&ev))/></label>
                <label>"description "<textarea id="new-text" rows="3" prop:value=text on:input=move |ev| set_text.set(event_target_value(&ev))></textarea></label>
                <GenrePicker genres=genres picked=picked set_picked=set_picked/>
                <label>"user "<input id="new-user" placeholder="first test user" prop:value=user on:input=move |ev| set_user.set(event_target_value(&ev))/></label>
                <button id="new-run" on:click=run>"Embed and score"</button>
            </div>
            <ErrorBoundary fallback=errors_view>
                {move || match result.get() {
                    None => Ok(view! { <p class="muted">"Embedding and scoring in the worker…"</p> }.into_any()),
                    Some(None) => Ok(view! { <p class="muted" id="cold-empty">"Give a title or a description, then embed and score it."</p> }.into_any()),
                    Some(Some(r)) => r.map(|c| view! { <ColdResult c=c/> }.into_any()),
                }}
            </ErrorBoundary>
        </section>
    }
}
