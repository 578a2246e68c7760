//! The dataset a view works on, chosen by the URL query: the seeded synthetic world
//! (`?users=&items=&seed=`).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reaseq_core::data::{SyntheticConfig, SyntheticWorld};

/// Reads the synthetic-world parameters from the query, with the core defaults.
pub fn config_from_query() -> Memo<SyntheticConfig> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.get();
        let d = SyntheticConfig::default();
        let num =
            |k: &str, default: usize| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
        SyntheticConfig {
            users: num("users", d.users),
            items: num("items", d.items),
            seed: q.get("seed").and_then(|v| v.parse().ok()).unwrap_or(d.seed),
            ..d
        }
    })
}

/// The generated world and how long generation took in this browser (ms).
#[derive(Clone, PartialEq)]
pub struct Generated {
    pub world: Arc<SyntheticWorld>,
    pub millis: f64,
}

pub fn world(cfg: Memo<SyntheticConfig>) -> Memo<Result<Generated, String>> {
    Memo::new(move |_| {
        let t = now();
        SyntheticWorld::generate(&cfg.get())
            .map(|w| Generated {
                world: Arc::new(w),
                millis: now() - t,
            })
            .map_err(|e| e.to_string())
    })
}

pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
