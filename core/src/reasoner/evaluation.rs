//! What `reaseq reasoner eval` measures, as a file the CLI writes and the browser reads: every
//! method's Recall@M and NDCG@M, the paired differences, the training log and the population
//! of inferred behaviour. Plain types, so the page (built without candle) can read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;

use super::population::PopulationReport;
use super::PriorWeight;

/// A paired user-bootstrap of a mean difference (1000 replicates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedMean {
    pub difference: f64,
    pub lower: f64,
    pub upper: f64,
    pub p_value: f64,
}

/// One epoch of one fold: the training loss and the validation Recall@M.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldEpoch {
    pub epoch: usize,
    pub loss: f64,
    pub valid_recall: Option<f64>,
}

/// How much of a synthetic world's planted off-platform taste ranked lists recover: the mean
/// share of each user's top K that lies in their off-platform genre, and Recall@K against only
/// the off-log events of that genre (users with none are skipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlantedRecovery {
    pub partner_share: f64,
    pub partner_recall: f64,
    /// Per user with a partner-genre off-log event (the same users for every method, so two
    /// methods' recalls pair up for a bootstrap).
    #[serde(skip)]
    pub partner_recalls: Vec<f64>,
}

/// Recall@M and NDCG@M of one method over the evaluated users, and (synthetic worlds) how much
/// of the planted partner genre it recovers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodScores {
    pub recall: f64,
    pub ndcg: f64,
    pub planted: Option<PlantedRecovery>,
}

/// A decoder of the reasoner, and its paired difference from popularity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoderScores {
    #[serde(flatten)]
    pub scores: MethodScores,
    pub vs_popularity: PairedMean,
}

/// The headline decoder against one baseline: Recall, and on synthetic worlds the planted
/// (partner-genre) recall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineTest {
    pub recall: PairedMean,
    pub planted_recall: Option<PairedMean>,
}

/// One sampler setting of `--curve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub mode: String,
    pub recall: f64,
    pub ndcg: f64,
    pub forward_passes: f64,
    pub tokens_per_pass: f64,
}

/// What `reaseq reasoner eval` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonerEvaluation {
    pub format_version: u32,
    pub dataset: String,
    /// Users with logged history and an off-log event.
    pub users: usize,
    /// M: Recall and NDCG are measured at it.
    pub k: usize,
    /// T: the sampler's denoising steps.
    pub steps: usize,
    /// The headline decoder (the one the GBR sequences use).
    pub decoding: String,
    #[serde(flatten)]
    pub scores: MethodScores,
    pub decoders: BTreeMap<String, DecoderScores>,
    pub baselines: BTreeMap<String, MethodScores>,
    pub paired_vs_baselines: BTreeMap<String, BaselineTest>,
    pub prior_weights: Vec<PriorWeight>,
    pub prior_search: Vec<Vec<(PriorWeight, f64)>>,
    pub steps_curve: Vec<CurvePoint>,
    pub folds: usize,
    pub parameters: usize,
    pub seconds: f64,
    pub best_epochs: Vec<usize>,
    pub epochs: Vec<Vec<FoldEpoch>>,
    /// Coverage, novelty, popularity and genre mix of the inferred sequences, next to the
    /// logged and real off-log behaviour of the same users (absent in older files).
    #[serde(default)]
    pub population: Option<PopulationReport>,
}

impl Artifact for ReasonerEvaluation {
    const KIND: &'static str = "reasoner evaluation";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq reasoner eval --json";
}

/// What `reaseq reasoner eval` prints: every method's Recall@M and NDCG@M (with the planted
/// columns on synthetic worlds), the steps curve, and the paired differences.
impl std::fmt::Display for ReasonerEvaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = self.k;
        writeln!(
            f,
            "{}: {} users, M = {k}, T = {}, {} folds, {} parameters, {:.0} s",
            self.dataset, self.users, self.steps, self.folds, self.parameters, self.seconds
        )?;
        writeln!(
            f,
            "{:<40} {:>10} {:>10} {:>14} {:>15}",
            "method",
            format!("Recall@{k}"),
            format!("NDCG@{k}"),
            "partner share",
            "partner recall"
        )?;
        let rows = self
            .decoders
            .iter()
            .map(|(name, row)| (format!("reasoner, {name}"), &row.scores))
            .chain(self.baselines.iter().map(|(name, row)| (name.clone(), row)));
        for (name, row) in rows {
            // The planted columns exist for synthetic worlds only.
            let planted = |g: fn(&PlantedRecovery) -> f64| {
                row.planted
                    .as_ref()
                    .map_or("-".to_owned(), |p| format!("{:.4}", g(p)))
            };
            writeln!(
                f,
                "{:<40} {:>10.4} {:>10.4} {:>14} {:>15}",
                name,
                row.recall,
                row.ndcg,
                planted(|p| p.partner_share),
                planted(|p| p.partner_recall)
            )?;
        }
        if !self.steps_curve.is_empty() {
            writeln!(
                f,
                "{:<16} {:>10} {:>14} {:>16}",
                "sampler",
                format!("Recall@{k}"),
                "passes/user",
                "tokens/pass"
            )?;
            for c in &self.steps_curve {
                writeln!(
                    f,
                    "{:<16} {:>10.4} {:>14.1} {:>16.2}",
                    c.mode, c.recall, c.forward_passes, c.tokens_per_pass
                )?;
            }
        }
        for (name, p) in &self.paired_vs_baselines {
            let r = &p.recall;
            writeln!(
                f,
                "reasoner − {name}: Recall {:+.4} [{:+.4}, {:+.4}], p = {:.3}",
                r.difference, r.lower, r.upper, r.p_value
            )?;
        }
        if let Some(p) = &self.population {
            writeln!(
                f,
                "{:<12} {:>8} {:>9} {:>8} {:>8} {:>10} {:>6}",
                "behaviour", "events", "coverage", "novelty", "head", "long-tail", "cold"
            )?;
            for (name, x) in p.rows() {
                writeln!(
                    f,
                    "{:<12} {:>8} {:>9.4} {:>8.2} {:>8.3} {:>10.3} {:>6.3}",
                    name,
                    x.events,
                    x.coverage,
                    x.novelty,
                    x.popularity.head,
                    x.popularity.long_tail,
                    x.popularity.cold
                )?;
            }
        }
        Ok(())
    }
}
