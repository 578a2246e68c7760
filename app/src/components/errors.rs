//! The one fallback of every `<ErrorBoundary>`: the errors of the part that failed, each
//! message on its own line, in the `pre.error` alert the stylesheet and the tests know.
//!
//! Give each fallible closure a boundary of its own: in client-side rendering leptos gives
//! every error thrown into a boundary the same id, so a second would replace the first.

use leptos::prelude::*;

pub fn errors_view(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let text = move || {
        errors.with(|errors| {
            errors
                .iter()
                .map(|(_, e)| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    };
    view! { <pre class="error" role="alert">{text}</pre> }
}
