//! The whole catalogue placed as new: every item's title and description through the student
//! encoder — on WebGPU (one thread per text) when the worker has a device, else on the CPU —
//! against the deployed rankers' REP vectors, measured by the core's `ColdCatalogue::new`, the
//! function behind `reaseq experiment --cold-catalogue`, next to what that command wrote.

use reaseq_core::ranker::cold_catalogue::ColdCatalogue;
use serde::{Deserialize, Serialize};

use crate::jobs::backend::BackendUsed;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdCatalogueOutcome {
    pub run: ColdCatalogue,
    /// What `reaseq experiment --cold-catalogue --write-asset` wrote, when the build carries it.
    pub cli: Option<ColdCatalogue>,
    pub backend: BackendUsed,
    /// Seconds to embed every item (not counting loading).
    pub seconds: f64,
    /// On WebGPU: the largest |WebGPU − CPU| over every component of every item's vector (the
    /// CPU path run beside it as the reference).
    pub cpu_difference: Option<f32>,
}

impl ColdCatalogueOutcome {
    /// The largest |page − CLI| over every figure, when the CLI's file is there.
    pub fn largest_cli_difference(&self) -> Option<f64> {
        self.cli.as_ref().map(|c| self.run.largest_difference(c))
    }
}
