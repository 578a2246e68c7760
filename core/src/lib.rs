//! `reaseq-core`: everything in ReaSeq Workbench that computes.
//!
//! One module per concept of the paper: [`data`] (datasets, splits, the beyond-log protocol and the
//! synthetic world) and [`metrics`] (exact AUC, GAUC, logloss, bootstrap intervals, ranking
//! metrics). The same code runs natively (the `reaseq` CLI) and in the browser (WebAssembly).

pub mod artifact;
pub mod bundle;
pub mod data;
pub mod error;
pub mod experiment;
#[cfg(all(feature = "webgpu", target_arch = "wasm32"))]
pub mod gpu;
pub mod hash;
pub mod knowledge;
pub mod layout;
pub mod metrics;
pub mod nn;
#[cfg(feature = "train")]
pub mod optim;
pub mod progress;
pub mod ranker;
pub mod reasoner;
#[cfg(feature = "charts")]
pub mod report;
pub mod rng;
#[cfg(not(target_arch = "wasm32"))]
pub mod workspace;

pub use error::{Error, Problem, Result};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod wgsl_check;
