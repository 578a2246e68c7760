//! The shell: navigation and routes. Each view keeps its state in the URL query, so any view
//! can be shared as a link.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_query_map;
use leptos_router::path;

use crate::loading::DataProvider;
use crate::pages::{
    compare::ComparePage, knowledge::KnowledgePage, metrics::MetricsPage, overview::Overview,
    reasoner::ReasonerPage, sequences::Sequences, summary::SummaryPage,
};

/// Every view: its route and its name in the navigation. A build gives each route a page of its
/// own (`scripts/stage-data.sh`), so a link to a view works on any static host.
pub const VIEWS: [(&str, &str); 7] = [
    ("/", "Overview"),
    ("/sequences", "Sequences"),
    ("/knowledge", "Knowledge"),
    ("/reasoner", "Reasoner"),
    ("/compare", "Compare"),
    ("/metrics", "Metrics"),
    ("/summary", "Summary"),
];

/// The query keys that choose the data, kept when moving between views, so that every view
/// shows the same data until the user changes it.
const DATA_KEYS: [&str; 5] = ["data", "users", "items", "seed", "fp"];

/// The views, each link carrying the data the page shows now.
#[component]
fn Nav() -> impl IntoView {
    let query = use_query_map();
    let data_query = move || {
        let q = query.get();
        let pairs: Vec<String> = DATA_KEYS
            .iter()
            .filter_map(|k| {
                q.get(k)
                    .map(|v| format!("{k}={}", js_sys::encode_uri_component(&v)))
            })
            .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    };
    view! {
        <nav>
            {VIEWS.iter().map(|&(path, label)| view! { <A href=move || format!("{path}{}", data_query())>{label}</A> }).collect_view()}
        </nav>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="top">
                <span class="brand">"ReaSeq Workbench"</span>
                <Nav/>
            </header>
            <main>
                <DataProvider>
                <Routes fallback=|| view! { <p class="notice">"No such view. "<a href="/">"Back to the overview"</a></p> }>
                    <Route path=path!("/") view=Overview/>
                    <Route path=path!("/sequences") view=Sequences/>
                    <Route path=path!("/knowledge") view=KnowledgePage/>
                    <Route path=path!("/reasoner") view=ReasonerPage/>
                    <Route path=path!("/compare") view=ComparePage/>
                    <Route path=path!("/metrics") view=MetricsPage/>
                    <Route path=path!("/summary") view=SummaryPage/>
                </Routes>
                </DataProvider>
            </main>
            <footer>
                "ReaSeq-style reasoning-enhanced sequential recommendation (after arXiv 2512.21257). Computed in your browser by reaseq-core."
            </footer>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use super::VIEWS;

    #[test]
    fn the_build_gives_every_route_its_page() {
        let script = include_str!("../../scripts/stage-data.sh");
        let line = script
            .lines()
            .find(|l| l.starts_with("for route in "))
            .unwrap_or_default();
        let staged: Vec<&str> = line
            .trim_start_matches("for route in ")
            .trim_end_matches("; do")
            .split(' ')
            .collect();
        let routes: Vec<&str> = VIEWS.iter().skip(1).map(|(p, _)| &p[1..]).collect();
        assert_eq!(staged, routes);
    }
}
