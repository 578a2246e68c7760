//! Controls that live in the URL query, so every view can be shared as a link.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use reaseq_core::data::WorldSpec;

use crate::components::OpenData;
use crate::loading::{choice_from_query, Choice};

/// Returns a function that sets (or with `None` removes) query keys and navigates there.
pub fn use_set_query() -> impl Fn(&[(&str, Option<String>)]) + Clone {
    let navigate = use_navigate();
    let location = use_location();
    let query = use_query_map();
    move |changes: &[(&str, Option<String>)]| {
        let mut pairs: Vec<(String, String)> = query
            .get_untracked()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .collect();
        for (k, v) in changes {
            if let Some(v) = v {
                pairs.push((k.to_string(), v.clone()));
            }
        }
        // Values are free text (a new item's description), so they are percent-encoded.
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
            .collect();
        navigate(
            &format!("{}?{}", location.pathname.get_untracked(), q.join("&")),
            Default::default(),
        );
    }
}

/// Dataset choice: MovieLens-100k or the synthetic world with its users / items / seed.
#[component]
pub fn DataControls() -> impl IntoView {
    let choice = choice_from_query();
    let set_query = use_set_query();
    let is_synthetic = move || matches!(choice.get(), Choice::Synthetic(_));
    let shown = move || match choice.get() {
        Choice::Synthetic(_) => "synthetic",
        Choice::MovieLens { .. } => "ml-100k",
        Choice::Local { .. } => "local",
    };
    let pick = {
        let set_query = set_query.clone();
        move |ev| {
            let v = event_target_value(&ev);
            set_query(&[("data", Some(v)), ("user", None)]);
        }
    };
    let field = move |key: &'static str, value: String| {
        let set_query = set_query.clone();
        view! {
            <label>
                {key}
                <input type="number" min="1" name=key value=value
                    on:change=move |ev| set_query(&[("data", Some("synthetic".into())), (key, Some(event_target_value(&ev))), ("user", None)])/>
            </label>
        }
    };
    let cfg = move || match choice.get() {
        Choice::Synthetic(c) => c,
        Choice::MovieLens { .. } | Choice::Local { .. } => WorldSpec::WORKBENCH.config(),
    };
    view! {
        <div class="controls">
            <label class="controls-title">
                "Data "
                <select id="data-choice" on:change=pick prop:value=shown>
                    <option value="ml-100k">"MovieLens-100k"</option>
                    <option value="synthetic">"synthetic world"</option>
                    <option value="local" disabled=true>"opened data"</option>
                </select>
            </label>
            <Show when=is_synthetic>
                {let c = cfg();
                 let field = field.clone();
                 view! { {field("users", c.users.to_string())} {field("items", c.items.to_string())} {field("seed", c.seed.to_string())} }}
            </Show>
        </div>
        <OpenData/>
    }
}
