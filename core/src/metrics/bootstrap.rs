//! User-level bootstrap: resample users with replacement, recompute the metric.
//!
//! A replicate is a vector of per-user multiplicities. AUC under a replicate is the weighted
//! AUC with each row weighted by its user's multiplicity, so rows are sorted once and every
//! replicate is one O(n) pass; GAUC reuses the per-user AUCs.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::auc::WeightedPlan;
use super::gauc::{gauc_from, per_user_auc, UserAuc};
use super::{auc, check_lengths, gauc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    Auc,
    Gauc,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapConfig {
    pub replicates: usize,
    /// e.g. 0.95 for a 95% interval.
    pub confidence: f64,
    pub seed: u64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            replicates: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
    /// Replicates where the metric was defined (a replicate can draw one class only).
    pub replicates_used: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDifference {
    /// metric(a) − metric(b) on the full data.
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
    /// Two-sided bootstrap p-value for "no difference": 2·min(P(d ≤ 0), P(d ≥ 0)), with the
    /// add-one correction so it is never exactly 0.
    pub p_value: f64,
    pub replicates_used: usize,
}

/// What a replicate needs to evaluate one score column.
enum Evaluator {
    Auc(WeightedPlan),
    Gauc(Vec<UserAuc>),
}

impl Evaluator {
    fn new(metric: Metric, users: &[u32], labels: &[bool], scores: &[f64]) -> Result<Self> {
        Ok(match metric {
            Metric::Auc => Evaluator::Auc(WeightedPlan::new(labels, scores, |i| users[i])),
            Metric::Gauc => Evaluator::Gauc(per_user_auc(users, labels, scores)?),
        })
    }

    fn eval(&self, multiplicity: &[f64]) -> Option<f64> {
        match self {
            Evaluator::Auc(plan) => plan.eval(multiplicity),
            Evaluator::Gauc(per_user) => gauc_from(per_user, |u| multiplicity[u]),
        }
    }
}

fn point(metric: Metric, users: &[u32], labels: &[bool], scores: &[f64]) -> Result<f64> {
    match metric {
        Metric::Auc => auc(labels, scores),
        Metric::Gauc => gauc(users, labels, scores).map(|g| g.value),
    }
}

fn check(cfg: &BootstrapConfig, users: &[u32], labels: &[bool]) -> Result<()> {
    check_lengths(labels.len(), users.len(), "users")?;
    if cfg.replicates < 10 {
        return Err(Error::Config(format!(
            "at least 10 bootstrap replicates are needed, got {}",
            cfg.replicates
        )));
    }
    if !(cfg.confidence > 0.0 && cfg.confidence < 1.0) {
        return Err(Error::Config(format!(
            "confidence must be in (0, 1), got {}",
            cfg.confidence
        )));
    }
    Ok(())
}

/// Draws replicate multiplicities over the users present and calls `f` with each.
pub(crate) fn for_each_replicate(users: &[u32], cfg: &BootstrapConfig, mut f: impl FnMut(&[f64])) {
    let n_users = users.iter().max().map_or(0, |&m| m as usize + 1);
    let mut present = vec![false; n_users];
    for &u in users {
        present[u as usize] = true;
    }
    let ids: Vec<usize> = (0..n_users).filter(|&u| present[u]).collect();
    let mut rng = SeededRng::derive(cfg.seed, 17);
    let mut mult = vec![0.0; n_users];
    for _ in 0..cfg.replicates {
        mult.iter_mut().for_each(|m| *m = 0.0);
        for _ in 0..ids.len() {
            mult[ids[rng.below(ids.len())]] += 1.0;
        }
        f(&mult);
    }
}

/// The percentile interval of replicate differences and the two-sided bootstrap p-value for
/// "no difference": 2·min(P(d ≤ 0), P(d ≥ 0)), add-one corrected so it is never 0.
pub(crate) fn difference_interval(diffs: &mut [f64], confidence: f64) -> Result<(f64, f64, f64)> {
    let le = diffs.iter().filter(|&&d| d <= 0.0).count();
    let ge = diffs.iter().filter(|&&d| d >= 0.0).count();
    let n = diffs.len();
    let (lower, upper) = percentile_interval(diffs, confidence)?;
    Ok((
        lower,
        upper,
        (2.0 * (le.min(ge) + 1) as f64 / (n + 1) as f64).min(1.0),
    ))
}

fn percentile_interval(values: &mut [f64], confidence: f64) -> Result<(f64, f64)> {
    if values.is_empty() {
        return Err(Error::metric("no bootstrap replicate had both classes"));
    }
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    let q = |p| crate::data::stats::quantile_sorted(values, p);
    Ok((q(alpha), q(1.0 - alpha)))
}

/// Percentile bootstrap interval of AUC or GAUC, resampling users.
pub fn bootstrap_ci(
    metric: Metric,
    users: &[u32],
    labels: &[bool],
    scores: &[f64],
    cfg: &BootstrapConfig,
) -> Result<Interval> {
    bootstrap_ci_seeds(metric, users, labels, &[scores], cfg)
}

/// The metric of several score columns of the same rows (one per training seed), averaged.
fn mean_point(metric: Metric, users: &[u32], labels: &[bool], columns: &[&[f64]]) -> Result<f64> {
    if columns.is_empty() {
        return Err(Error::metric("no score column"));
    }
    let mut sum = 0.0;
    for c in columns {
        check_lengths(labels.len(), c.len(), "scores")?;
        sum += point(metric, users, labels, c)?;
    }
    Ok(sum / columns.len() as f64)
}

fn evaluators(
    metric: Metric,
    users: &[u32],
    labels: &[bool],
    columns: &[&[f64]],
) -> Result<Vec<Evaluator>> {
    columns
        .iter()
        .map(|c| Evaluator::new(metric, users, labels, c))
        .collect()
}

/// The seed-mean of a replicate; None when any column is undefined on it.
fn mean_eval(evs: &[Evaluator], m: &[f64]) -> Option<f64> {
    let mut sum = 0.0;
    for e in evs {
        sum += e.eval(m)?;
    }
    Some(sum / evs.len() as f64)
}

/// Like [`bootstrap_ci`] for the mean of the metric over several score columns (one per seed):
/// every replicate resamples users once and scores all columns on them, so the interval is the
/// user-sampling uncertainty of the seed-mean.
pub fn bootstrap_ci_seeds(
    metric: Metric,
    users: &[u32],
    labels: &[bool],
    columns: &[&[f64]],
    cfg: &BootstrapConfig,
) -> Result<Interval> {
    check(cfg, users, labels)?;
    let estimate = mean_point(metric, users, labels, columns)?;
    let evs = evaluators(metric, users, labels, columns)?;
    let mut values = Vec::with_capacity(cfg.replicates);
    for_each_replicate(users, cfg, |m| values.extend(mean_eval(&evs, m)));
    let (lower, upper) = percentile_interval(&mut values, cfg.confidence)?;
    Ok(Interval {
        estimate,
        lower,
        upper,
        replicates_used: values.len(),
    })
}

/// Paired bootstrap of metric(a) − metric(b): both columns are scored on the same resampled
/// users in every replicate.
pub fn paired_bootstrap(
    metric: Metric,
    users: &[u32],
    labels: &[bool],
    scores_a: &[f64],
    scores_b: &[f64],
    cfg: &BootstrapConfig,
) -> Result<PairedDifference> {
    check_lengths(
        scores_a.len(),
        scores_b.len(),
        "scores in the second column",
    )?;
    paired_bootstrap_seeds(metric, users, labels, &[scores_a], &[scores_b], cfg)
}

/// [`paired_bootstrap`] of seed-means: mean over `a`'s columns minus mean over `b`'s, all
/// scored on the same resampled users in every replicate.
pub fn paired_bootstrap_seeds(
    metric: Metric,
    users: &[u32],
    labels: &[bool],
    a: &[&[f64]],
    b: &[&[f64]],
    cfg: &BootstrapConfig,
) -> Result<PairedDifference> {
    check(cfg, users, labels)?;
    let estimate = mean_point(metric, users, labels, a)? - mean_point(metric, users, labels, b)?;
    let ea = evaluators(metric, users, labels, a)?;
    let eb = evaluators(metric, users, labels, b)?;
    let mut diffs = Vec::with_capacity(cfg.replicates);
    for_each_replicate(users, cfg, |m| {
        if let (Some(x), Some(y)) = (mean_eval(&ea, m), mean_eval(&eb, m)) {
            diffs.push(x - y);
        }
    });
    let n = diffs.len();
    let (lower, upper, p_value) = difference_interval(&mut diffs, cfg.confidence)?;
    Ok(PairedDifference {
        estimate,
        lower,
        upper,
        p_value,
        replicates_used: n,
    })
}

/// Paired bootstrap over users of mean(a) − mean(b), for per-user scores such as Recall@K:
/// (estimate, lower, upper of the 95% interval, two-sided p-value).
pub fn paired_mean_bootstrap(
    a: &[f64],
    b: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<(f64, f64, f64, f64)> {
    let n = a.len().min(b.len());
    if n == 0 {
        return Err(Error::metric("no user to compare"));
    }
    let diff: Vec<f64> = (0..n).map(|i| a[i] - b[i]).collect();
    let estimate = diff.iter().sum::<f64>() / n as f64;
    let mut rng = SeededRng::derive(seed, 29);
    let mut reps: Vec<f64> = (0..replicates)
        .map(|_| (0..n).map(|_| diff[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    let (lower, upper, p) = difference_interval(&mut reps, 0.95)?;
    Ok((estimate, lower, upper, p))
}

/// Percentile bootstrap over users of the mean of per-user values (such as Recall@K): (mean,
/// lower, upper) of the 95% interval.
pub fn mean_bootstrap(values: &[f64], replicates: usize, seed: u64) -> Result<(f64, f64, f64)> {
    let n = values.len();
    if n == 0 {
        return Err(Error::metric("no user to average"));
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = SeededRng::derive(seed, 31);
    let mut reps: Vec<f64> = (0..replicates)
        .map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    let (lower, upper) = percentile_interval(&mut reps, 0.95)?;
    Ok((mean, lower, upper))
}

/// A mean over units (users, items) and its 95% percentile-bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    pub mean: f64,
    pub ci: [f64; 2],
}

impl MeanInterval {
    /// [`mean_bootstrap`] of `values`.
    pub fn of(values: &[f64], replicates: usize, seed: u64) -> Result<Self> {
        let (mean, lower, upper) = mean_bootstrap(values, replicates, seed)?;
        Ok(Self {
            mean,
            ci: [lower, upper],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn sample(
        n_users: u32,
        per_user: usize,
        signal: f64,
        seed: u64,
    ) -> (Vec<u32>, Vec<bool>, Vec<f64>) {
        let mut r = SeededRng::new(seed);
        let (mut u, mut y, mut s) = (vec![], vec![], vec![]);
        for user in 0..n_users {
            for _ in 0..per_user {
                let label = r.chance(0.4);
                u.push(user);
                y.push(label);
                s.push((r.unit() + if label { signal } else { 0.0 }) / (1.0 + signal));
            }
        }
        (u, y, s)
    }

    #[test]
    fn interval_contains_the_estimate_and_is_reproducible() {
        let (u, y, s) = sample(60, 20, 0.5, 1);
        let cfg = BootstrapConfig {
            replicates: 200,
            ..BootstrapConfig::default()
        };
        for metric in [Metric::Auc, Metric::Gauc] {
            let ci = bootstrap_ci(metric, &u, &y, &s, &cfg).unwrap();
            assert!(ci.lower < ci.estimate && ci.estimate < ci.upper, "{ci:?}");
            assert!(ci.upper - ci.lower < 0.15);
            assert_eq!(ci, bootstrap_ci(metric, &u, &y, &s, &cfg).unwrap());
        }
    }

    #[test]
    fn paired_test_separates_a_better_column_and_not_an_equal_one() {
        let (u, y, weak) = sample(80, 20, 0.2, 2);
        let strong: Vec<f64> = y
            .iter()
            .zip(&weak)
            .map(|(&l, &p)| if l { (p + 0.3).min(1.0) } else { p })
            .collect();
        let cfg = BootstrapConfig {
            replicates: 300,
            ..BootstrapConfig::default()
        };
        let d = paired_bootstrap(Metric::Gauc, &u, &y, &strong, &weak, &cfg).unwrap();
        assert!(
            d.estimate > 0.0 && d.lower > 0.0 && d.p_value < 0.01,
            "{d:?}"
        );
        let same = paired_bootstrap(Metric::Auc, &u, &y, &weak, &weak, &cfg).unwrap();
        assert_eq!(same.estimate, 0.0);
        assert_eq!(same.p_value, 1.0);
    }
}
