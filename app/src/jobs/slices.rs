//! The slice finder job: two bundled variants scored on the test set, and the slices where the
//! second beats the first most surely, by the function `reaseq slices` prints
//! (`reaseq_core::experiment::slice_finder`). It runs in the worker.

pub use reaseq_core::experiment::SliceFinding;
use reaseq_core::experiment::{
    find_slices, SliceFinderConfig, SliceMeasure, SliceRanking, SliceTable,
};
use reaseq_core::metrics::BootstrapConfig;
use reaseq_core::ranker::Variant;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::loading::experiment::{Assets, ExperimentData};

/// What the page asks: the pair, the smallest slice, the measure and the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlicePair {
    pub a: Variant,
    pub b: Variant,
    pub min_size: usize,
    pub min_users: usize,
    pub measure: SliceMeasure,
    pub ranking: SliceRanking,
}

pub(crate) fn find(
    assets: &Assets,
    d: &ExperimentData,
    pair: &SlicePair,
    progress: &dyn Fn(f64),
) -> AppResult<SliceFinding> {
    let column = |v: Variant| -> AppResult<Vec<f64>> {
        let m = assets
            .rankers
            .iter()
            .find(|m| m.config.variant == v)
            .ok_or_else(|| AppError::Input(format!("no {} bundle in this build", v.name())))?;
        d.rows
            .test
            .iter()
            .map(|e| Ok(f64::from(m.score(&e.input(&d.gbr))?.probability)))
            .collect()
    };
    let (a, b) = (column(pair.a)?, column(pair.b)?);
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
        (pair.a.name(), &a),
        (pair.b.name(), &b),
        &cfg,
        progress,
    )?)
}
