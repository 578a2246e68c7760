//! The shell: navigation and routes. Each view keeps its state in the URL query, so any view
//! can be shared as a link.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::loading::DataProvider;
use crate::pages::{
    compare::ComparePage, knowledge::KnowledgePage, metrics::MetricsPage, overview::Overview,
    reasoner::ReasonerPage, sequences::Sequences, summary::SummaryPage,
};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="top">
                <span class="brand">"ReaSeq Workbench"</span>
                <nav>
                    <A href="/">"Overview"</A>
                    <A href="/sequences">"Sequences"</A>
                    <A href="/knowledge">"Knowledge"</A>
                    <A href="/reasoner">"Reasoner"</A>
                    <A href="/compare">"Compare"</A>
                    <A href="/metrics">"Metrics"</A>
                    <A href="/summary">"Summary"</A>
                </nav>
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
