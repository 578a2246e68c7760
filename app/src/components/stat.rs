//! One labelled figure.

use leptos::prelude::*;

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
