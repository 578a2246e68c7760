//! The slice finder jobs: the bundled variants (and the researcher's models from score files of
//! the test impressions) scored on the test set, and the slices where the second beats the first
//! most surely, by the function `reaseq slices` prints
//! (`reaseq_core::experiment::slice_finder`). They run in the worker.

use reaseq_core::experiment::slice_finder::ModelColumns;
pub use reaseq_core::experiment::SliceFinding;
use reaseq_core::experiment::{
    find_slices, SliceFinderConfig, SliceMeasure, SliceRanking, SliceTable,
};
use reaseq_core::metrics::BootstrapConfig;
use serde::{Deserialize, Serialize};

use super::open::{named, OpenedFile};
use crate::error::AppResult;
use crate::loading::experiment::{Assets, ExperimentData};

/// What the page asks: the pair (a variant's name or key, or a score file's model), the
/// smallest slice, the measure and the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlicePair {
    pub a: String,
    pub b: String,
    pub min_size: usize,
    pub min_users: usize,
    pub measure: SliceMeasure,
    pub ranking: SliceRanking,
}

/// The variants `only` names (all with None), then the score files' models.
fn columns(
    assets: &Assets,
    d: &ExperimentData,
    only: Option<&[&str]>,
    scores: &[OpenedFile],
) -> AppResult<ModelColumns> {
    let mut c = ModelColumns::of_rankers(&assets.rankers, only, &d.rows.test, &d.gbr)?;
    let files: Vec<(&str, &[u8])> = named(scores).collect();
    c.add_score_files(&files, d.ds(), &d.rows.test)?;
    Ok(c)
}

/// The names of the score files' models, once they are matched to the test impressions (no
/// variant is scored for this).
pub(crate) fn models(
    assets: &Assets,
    d: &ExperimentData,
    scores: &[OpenedFile],
) -> AppResult<Vec<String>> {
    let c = columns(assets, d, Some(&[]), scores)?;
    Ok(c.names().into_iter().map(str::to_owned).collect())
}

/// The test impressions with every variant's probability: the rows to score a model on.
pub(crate) fn rows(assets: &Assets, d: &ExperimentData) -> AppResult<String> {
    Ok(columns(assets, d, None, &[])?.rows_csv(d.ds(), &d.rows.test))
}

pub(crate) fn find(
    assets: &Assets,
    d: &ExperimentData,
    (pair, scores): (&SlicePair, &[OpenedFile]),
    progress: &dyn Fn(f64),
) -> AppResult<SliceFinding> {
    // Only the pair's variants are scored.
    let c = columns(assets, d, Some(&[&pair.a, &pair.b]), scores)?;
    let table = SliceTable::new(&d.data, &d.rows.test);
    let cfg = SliceFinderConfig {
        min_size: pair.min_size,
        min_users: pair.min_users,
        measure: pair.measure,
        ranking: pair.ranking,
        bootstrap: BootstrapConfig::default(),
        ..SliceFinderConfig::default()
    };
    Ok(find_slices(
        &table,
        c.get(&pair.a)?,
        c.get(&pair.b)?,
        &cfg,
        progress,
    )?)
}
