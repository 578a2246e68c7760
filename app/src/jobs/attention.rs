//! The attention job: every bundled ranker scores one of a user's test targets, and its
//! attention weights over the user's history (and, with GBR, the inferred items) come back as
//! strips. It runs in the worker.

use reaseq_core::ranker::RankerInput;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::loading::experiment::{Assets, ExperimentData};

/// One variant's score of the target and its weights per attended item (title, weight).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Strip {
    pub variant: String,
    pub probability: f32,
    pub history: Vec<(String, f32)>,
    pub gbr: Vec<(String, f32)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Strips {
    /// The user's test targets (item id, title, label).
    pub targets: Vec<(String, String, bool)>,
    /// The target scored: the one asked for, else the first.
    pub target: String,
    pub strips: Vec<Strip>,
}

/// `user`'s strips for `target` (an item id; the user's first test target when absent or not
/// among them).
pub(crate) fn attention(
    assets: &Assets,
    d: &ExperimentData,
    user: &str,
    target: Option<&str>,
) -> AppResult<Strips> {
    let ds = d.ds();
    let u = ds
        .users
        .get(user)
        .ok_or_else(|| AppError::Input(format!("no user '{user}' in {}", ds.name)))?;
    let test: Vec<_> = d.rows.test.iter().filter(|e| e.user == u).collect();
    let title = |i: u32| ds.items[i as usize].display_title();
    let id = |i: u32| ds.items[i as usize].id.clone();
    let targets = test
        .iter()
        .map(|e| (id(e.target), title(e.target), e.label))
        .collect();
    let Some(e) = test
        .iter()
        .find(|e| Some(id(e.target).as_str()) == target)
        .or(test.first())
    else {
        return Err(AppError::Input("this user has no test impression".into()));
    };
    let mut strips = Vec::new();
    for m in &assets.rankers {
        let g = e.gbr(&d.gbr);
        let input = RankerInput {
            target: e.target,
            history: &e.history,
            gbr: g,
            user: Some(e.user),
        };
        let sc = m.score(&input)?;
        let hist = &e.history[e.history.len().saturating_sub(m.config.max_history)..];
        let weighted =
            |items: &[u32], w: &[f32]| items.iter().zip(w).map(|(&i, &w)| (title(i), w)).collect();
        strips.push(Strip {
            variant: m.config.variant.name().to_owned(),
            probability: sc.probability,
            history: weighted(hist, &sc.history_weights),
            gbr: weighted(g, &sc.gbr_weights),
        });
    }
    Ok(Strips {
        targets,
        target: id(e.target),
        strips,
    })
}
