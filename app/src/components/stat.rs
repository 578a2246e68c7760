//! Small building blocks shared by the views.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use reaseq_core::data::SyntheticConfig;

/// One labelled figure.
#[component]
pub fn Stat(
    label: &'static str,
    value: String,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    view! {
        <div class="stat" title=hint>
            <div class="stat-value" data-stat=label>{value}</div>
            <div class="stat-label">{label}</div>
        </div>
    }
}

/// Users / items / seed of the synthetic world; changing one rewrites the URL query.
#[component]
pub fn WorldControls(cfg: Memo<SyntheticConfig>) -> impl IntoView {
    let navigate = use_navigate();
    let location = use_location();
    let set = move |key: &'static str, value: String| {
        let c = cfg.get_untracked();
        let mut q = [
            ("users", c.users.to_string()),
            ("items", c.items.to_string()),
            ("seed", c.seed.to_string()),
        ];
        for kv in q.iter_mut() {
            if kv.0 == key {
                kv.1 = value.clone();
            }
        }
        let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        navigate(
            &format!("{}?{}", location.pathname.get_untracked(), query.join("&")),
            Default::default(),
        );
    };
    let field = move |key: &'static str, label: &'static str, value: String| {
        let set = set.clone();
        view! {
            <label>
                {label}
                <input type="number" min="1" value=value on:change=move |ev| set(key, event_target_value(&ev))/>
            </label>
        }
    };
    let c = cfg.get_untracked();
    view! {
        <div class="controls">
            <span class="controls-title">"Synthetic world"</span>
            {field("users", "users", c.users.to_string())}
            {field("items", "items", c.items.to_string())}
            {field("seed", "seed", c.seed.to_string())}
        </div>
    }
}
