//! The ablation: Base, +REP, +GBR and ReaSeq trained on identical rows and seeds, evaluated on
//! the test set with exact metrics, user-bootstrap intervals and paired tests. The CLI runs it
//! ([`run_experiment`]); the browser rebuilds its rows ([`ExperimentRows`]) and evaluates the
//! bundles with the same function ([`evaluate_test_set`]).

mod controls;
mod draws;
mod evaluation;
pub mod explain;
pub mod full_ranking;
mod report;
mod results;
mod rows;
#[cfg(feature = "train")]
mod run;
pub mod slice_finder;
mod study;
mod verdicts;

pub use controls::{control_input, Control, ControlInput};
pub use draws::{draws_report, draws_table, pool_draws, DrawResult, DrawStudy, PooledVerdict};
pub use evaluation::{evaluate_controls, evaluate_test_set, SeedRun, SeedScores};
pub use explain::{Edits, Explainer, Explanation, Move, TypedItem, WhatIfReasoner};
pub use full_ranking::{catalogue_queries, CatalogueQuery, FullRanking, RankingMetric};
#[cfg(feature = "charts")]
pub use report::report_charts;
pub use report::{
    controls_table, markdown_report, markdown_table, shipped_comparison, slice_table,
};
pub use results::{
    Comparison, ControlResult, ExperimentResults, GbrDecoding, GbrSource, PartCounts, PlantedPart,
    SeedResult, SliceRow, SparseDifference, TestScores, TestSetEvaluation, TrainingSettings,
    VariantResult, VsBase,
};
pub use rows::{ExperimentRows, RowSettings};
#[cfg(feature = "train")]
pub use run::{oracle_sequences, run_experiment, ExperimentConfig, ExperimentRun};
pub use slice_finder::{
    find_slices, FoundSlice, SliceFinderConfig, SliceFinding, SliceMeasure, SliceRanking,
    SliceTable,
};
pub use study::{
    across_worlds, least_sign_p, sign_test, study_report, study_table, AcrossWorlds, StudyResults,
    WorldResult,
};
pub use verdicts::{comparison_label, declared_verdicts, verdict_table, Outcome, Verdict};
