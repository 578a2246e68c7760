//! Exact offline metrics. Definitions (they differ across libraries, so they are part of the
//! product):
//!
//! - **AUC**: the Mann–Whitney statistic, P(score of a random positive > score of a random
//!   negative), ties counted one half (average ranks). Undefined, and an error, with one class.
//! - **GAUC**: Σ_u n_u · AUC_u / Σ_u n_u over users with both classes, n_u = the user's
//!   impressions; single-class users are skipped and counted.
//! - **Logloss**: mean binary cross-entropy, scores clipped to [ε, 1 − ε] with ε = 2⁻⁵² as
//!   scikit-learn does; scores outside [0, 1] or not finite are errors.
//! - **RelaImpr**: ((AUC_m − 0.5) / (AUC_base − 0.5) − 1) · 100 %.
//! - **Recall@K** = |top-K ∩ relevant| / |relevant|; **NDCG@K** with binary gains and the ideal
//!   DCG of min(K, |relevant|) hits; **HitRate@K** = 1 when any of the top K is relevant.

pub mod auc;
pub mod bootstrap;
pub mod gauc;
pub mod logloss;
pub(crate) mod model_slices;
mod models;
pub mod multiplicity;
pub mod pooling;
pub mod ranking;
mod report;
pub mod roc;

pub use auc::{auc, auc_weighted};
pub use bootstrap::{
    bootstrap_ci, bootstrap_ci_seeds, paired_bootstrap, paired_bootstrap_seeds, BootstrapConfig,
    Interval, Metric, PairedDifference,
};
pub use gauc::{gauc, per_user_auc, Gauc, UserAuc};
pub use logloss::logloss;
pub use model_slices::{model_slices, ModelSlice, ModelSlices};
pub use models::{evaluate_models, ModelFigures, ModelPair, ModelsReport};
pub use multiplicity::{benjamini_hochberg, holm};
pub use pooling::{pool_runs, PooledDifference};
pub use ranking::{hit_rate_at_k, ndcg_at_k, recall_at_k};
pub use report::{score_report, ScoreReport};
pub use roc::roc_curve;

use serde::Serialize;

use crate::error::{Error, Result};

/// RelaImpr of a model's AUC over a base AUC, in percent.
pub fn rela_impr(auc_model: f64, auc_base: f64) -> Result<f64> {
    if !(auc_model.is_finite() && auc_base.is_finite()) || (auc_base - 0.5).abs() < 1e-12 {
        return Err(Error::metric(format!(
            "RelaImpr is undefined for base AUC {auc_base} (it must differ from 0.5)"
        )));
    }
    Ok(((auc_model - 0.5) / (auc_base - 0.5) - 1.0) * 100.0)
}

/// The headline figures of one score column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub n: usize,
    pub auc: f64,
    pub gauc: f64,
    pub logloss: f64,
    pub users_total: usize,
    pub users_used: usize,
}

/// AUC, GAUC and logloss of probability scores.
pub fn evaluate(users: &[u32], labels: &[bool], scores: &[f64]) -> Result<Evaluation> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    check_lengths(labels.len(), users.len(), "users")?;
    let logloss = logloss(labels, scores)?;
    let auc = auc(labels, scores)?;
    let g = gauc(users, labels, scores)?;
    Ok(Evaluation {
        n: labels.len(),
        auc,
        gauc: g.value,
        logloss,
        users_total: g.users_total,
        users_used: g.users_used,
    })
}

pub(crate) fn check_lengths(labels: usize, other: usize, what: &str) -> Result<()> {
    if labels != other {
        return Err(Error::metric(format!("{labels} labels but {other} {what}")));
    }
    Ok(())
}

/// Every score finite; the first bad one is named by its row index.
pub(crate) fn check_finite(scores: &[f64]) -> Result<()> {
    match scores.iter().position(|s| !s.is_finite()) {
        Some(i) => Err(Error::metric(format!(
            "score of row {i} is {} (scores must be finite)",
            scores[i]
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rela_impr_definition() {
        assert!((rela_impr(0.8, 0.75).unwrap() - 20.0).abs() < 1e-9);
        assert!(rela_impr(0.8, 0.5).is_err());
    }

    #[test]
    fn evaluate_brief_example() {
        let e = evaluate(&[0, 0, 0], &[false, true, true], &[0.5, 0.9, 0.5]).unwrap();
        assert_eq!(e.auc, 0.75);
        assert_eq!(e.gauc, 0.75);
        assert_eq!((e.users_total, e.users_used), (1, 1));
    }
}
