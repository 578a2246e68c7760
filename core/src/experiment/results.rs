//! `results.json`: what `reaseq experiment` measured, as one typed file that the report, the
//! workbench's Summary and Compare views and the tests read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::{PreparedSpec, ProtocolMode, SplitKind, WorldSpec};
use crate::knowledge::rep::RepSource;
use crate::ranker::{HistoryEvents, Variant};

/// The ablation's results on one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResults {
    pub format_version: u32,
    pub dataset: String,
    /// `Dataset::fingerprint` in hex.
    pub dataset_fingerprint: String,
    pub protocol: ProtocolMode,
    /// Absent in files made before the global split: per user.
    #[serde(default, skip_serializing_if = "SplitKind::is_per_user")]
    pub split: SplitKind,
    /// The synthetic world (None for datasets).
    pub world: Option<WorldSpec>,
    /// The protocol's seed (and the reasoner's).
    pub seed: u64,
    /// Training seeds per variant.
    pub seeds: usize,
    /// Sampled negatives per logged event.
    pub negatives: usize,
    pub training: TrainingSettings,
    pub history: HistoryEvents,
    pub gbr: GbrSource,
    /// Where the REP vectors came from; absent in files made before it was recorded (a
    /// dataset's were already the knowledge build's, a synthetic world's the graph embedding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<RepSource>,
    pub impressions: PartCounts,
    pub test_users: usize,
    /// Synthetic worlds: per part, how much is the planted partner genre.
    pub planted: Option<BTreeMap<String, PlantedPart>>,
    #[serde(flatten)]
    pub evaluation: TestSetEvaluation,
    /// `--controls`: per control (`Control::key`), its figures, its difference from Base and
    /// +GBR's difference from it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub controls: BTreeMap<String, ControlResult>,
    /// The declared comparisons, Holm-corrected, with their verdicts (the primary first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<super::verdicts::Verdict>,
    /// Parameters per variant, by name.
    pub parameters: BTreeMap<String, usize>,
    pub train_seconds: f64,
    pub train_wall_seconds: f64,
    pub jobs: usize,
    pub seconds: f64,
}

impl Artifact for ExperimentResults {
    const KIND: &'static str = "experiment results";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq experiment";
}

impl ExperimentResults {
    /// The data and protocol the experiment ran on, to rebuild its split.
    pub fn spec(&self) -> PreparedSpec {
        PreparedSpec {
            format_version: PreparedSpec::FORMAT_VERSION,
            dataset: self.dataset.clone(),
            fingerprint: self.dataset_fingerprint.clone(),
            world: self.world,
            mode: self.protocol,
            split: self.split,
            seed: self.seed,
        }
    }

    /// One variant's row.
    pub fn variant(&self, v: Variant) -> Option<&VariantResult> {
        self.evaluation.variants.get(v.name())
    }

    /// The first model seed (Base's first run's).
    pub fn first_seed(&self) -> Option<u64> {
        Some(self.variant(Variant::Base)?.per_seed.first()?.seed)
    }
}

/// The settings every variant was trained with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainingSettings {
    pub epochs: usize,
    pub batch: usize,
    pub patience: usize,
    pub lr: f64,
}

/// What the +GBR block read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum GbrSource {
    /// The reasoner's inferred sequences.
    Reasoner,
    /// Each user's last `slots` real off-log events: a ceiling that reads hidden events, never
    /// a result.
    Oracle { slots: usize },
    /// The reasoner's sequences inferred every `every` logged events of each user, each from
    /// the log before it: a row reads the latest one before it (no look-ahead).
    Windowed { every: usize, decoding: GbrDecoding },
}

/// How the reasoner's ranked list is decoded for GBR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GbrDecoding {
    /// The beam down the semantic-ID trie (the ranked decoder).
    Beam,
    /// The diffusion sampler's slots, most confident first.
    Diffusion,
}

/// Impressions per part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartCounts {
    pub train: usize,
    pub valid: usize,
    pub test: usize,
}

/// One part's impressions and positives, and how many of each are the planted partner genre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlantedPart {
    pub impressions: usize,
    pub positives: usize,
    pub partner_impressions: usize,
    pub partner_positives: usize,
}

/// What the test set says of every variant: the table, the slices and the sparse items. One
/// function makes it for the CLI's report and the browser's Compare view
/// ([`super::evaluate_test_set`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSetEvaluation {
    /// Per variant, by name.
    pub variants: BTreeMap<String, VariantResult>,
    /// Per slice kind (`SliceKind::key`), per slice: its size and each variant's AUC.
    pub slices: BTreeMap<String, BTreeMap<String, SliceRow>>,
    /// ReaSeq − Base on the cold and long-tail items (None when not computable).
    pub reaseq_vs_base_cold_long_tail: Option<SparseDifference>,
}

/// One variant's row: means and standard deviations over seeds, user-bootstrap intervals of the
/// seed-mean, and its paired difference from Base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    pub auc: f64,
    pub auc_std: f64,
    pub gauc: f64,
    pub gauc_std: f64,
    pub logloss: f64,
    pub logloss_std: f64,
    pub auc_ci: [f64; 2],
    pub gauc_ci: [f64; 2],
    pub rela_impr_auc: f64,
    pub rela_impr_gauc: f64,
    pub per_seed: Vec<SeedResult>,
    /// None for Base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_base: Option<VsBase>,
}

/// A control's row: its figures as a variant's (with `vs_base`), and +GBR − the control, which
/// says how much of +GBR's gain survives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    pub description: String,
    #[serde(flatten)]
    pub result: VariantResult,
    pub gbr_vs_control: VsBase,
}

/// One trained model's figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    pub auc: f64,
    pub gauc: f64,
    pub logloss: f64,
    pub epochs: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VsBase {
    pub auc: Comparison,
    pub gauc: Comparison,
}

/// A paired user-bootstrap difference of seed-means, and the seeds that agree with it (the
/// bootstrap resamples users, not seeds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub difference: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
    pub per_seed: Vec<f64>,
    pub seeds_ahead: usize,
}

/// A slice's size and each variant's AUC (seed-mean; None when the slice has one class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceRow {
    pub impressions: usize,
    #[serde(flatten)]
    pub auc: BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SparseDifference {
    pub impressions: usize,
    pub auc_difference: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
}

/// `test_scores.json` (synthetic worlds only): seed 0's score of every test row, per variant,
/// so anyone can check that the shipped bundles score as the CLI did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestScores {
    pub format_version: u32,
    /// Per variant name, one score per test row in row order.
    pub scores: BTreeMap<String, Vec<f64>>,
}

impl Artifact for TestScores {
    const KIND: &'static str = "test scores";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq experiment --synthetic --write-asset";
}
