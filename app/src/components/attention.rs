//! The ranker's attention over a user's history for one target, per variant, as heat strips:
//! which logged (and, with GBR, inferred) items the model looked at when it scored the target.

use leptos::prelude::*;

use crate::error::AppError;
use crate::jobs::attention::Strips;
use crate::jobs::{Job, Reply};
use crate::loading::choice_from_query;
use crate::worker;

fn cell(title: &str, w: f32) -> impl IntoView {
    // Weights are sigmoid gates in (0, 1): shade by the weight itself.
    let style = format!("background: rgba(31, 111, 139, {:.3})", w.clamp(0.0, 1.0));
    view! { <span class="heat" style=style title=format!("{title}: weight {w:.3}")></span> }
}

#[component]
pub fn AttentionStrips(#[prop(into)] user: Signal<String>) -> impl IntoView {
    let choice = choice_from_query();
    let query = leptos_router::hooks::use_query_map();
    let set_query = crate::components::use_set_query();
    // The worker scores the target with every bundle; the page only draws the weights.
    let strips = LocalResource::new(move || {
        let job = Job::Attention {
            choice: choice.get(),
            user: user.get(),
            target: query.get().get("target"),
        };
        async move {
            match worker::run(&job, |_| {}).await {
                Ok(Reply::Attended(s)) => Ok::<Strips, AppError>(*s),
                Ok(_) => Err(AppError::Worker("the worker answered another job".into())),
                Err(e) => Err(e),
            }
        }
    });
    view! {
        <section class="card" id="attention">
            <h2>"Ranker attention for a test target"</h2>
            {move || match strips.get() {
                None => view! { <p class="muted">"Loading the ranker bundles…"</p> }.into_any(),
                // A note, not an alert: most often the bundles were trained on other data.
                Some(Err(e)) => view! { <p class="muted" id="attention-note">{e.to_string()}</p> }.into_any(),
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
                        <p class="muted">"Each cell is one logged item the ranker attended to (oldest left), shaded by its attention weight; hover for the title. GBR variants have a second strip over the reasoner's inferred items. Computed on the CPU path (WebAssembly, in the worker): one user's scores need no GPU."</p>
                        <table class="strips" id="attention-strips">
                            {s.strips.into_iter().map(|st| view! {
                                <tr data-variant=st.variant.clone()>
                                    <th>{st.variant.clone()}</th>
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
