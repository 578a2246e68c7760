//! The test-set evaluation of every variant: the table (means over seeds, user-bootstrap
//! intervals, paired differences from Base), the slices and the sparse items. `reaseq
//! experiment` calls it on every seed's scores; the browser's Compare view on the bundles'
//! scores (seed 0). One function, so the two cannot drift.

use std::collections::BTreeMap;

use crate::data::protocol::{PopularityBucket, PopularityBuckets};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::{
    auc, bootstrap_ci_seeds, evaluate, paired_bootstrap_seeds, rela_impr, BootstrapConfig, Metric,
};
use crate::ranker::{slices, RankerExample, Variant};

use super::controls::Control;
use super::results::{
    Comparison, ControlResult, SeedResult, SliceRow, SparseDifference, TestSetEvaluation,
    VariantResult, VsBase,
};

/// Test scores per variant: one column per training seed, each aligned with the test rows.
pub type SeedScores = BTreeMap<Variant, Vec<Vec<f64>>>;

/// How a scored model was trained: its seed, epochs and seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedRun {
    pub seed: u64,
    pub epochs: usize,
    pub seconds: f64,
}

/// The test rows' users and labels, in row order.
struct Labels {
    users: Vec<u32>,
    labels: Vec<bool>,
}

impl Labels {
    fn of(test: &[RankerExample]) -> Self {
        Self {
            users: test.iter().map(|e| e.user).collect(),
            labels: test.iter().map(|e| e.label).collect(),
        }
    }
}

/// Evaluates every variant in `scores` (Base must be among them) on `test`. `runs` gives, per
/// variant, one [`SeedRun`] per score column; `boot` seeds every bootstrap.
pub fn evaluate_test_set(
    ds: &Dataset,
    pop: &PopularityBuckets,
    test: &[RankerExample],
    scores: &SeedScores,
    runs: &BTreeMap<Variant, Vec<SeedRun>>,
    boot: &BootstrapConfig,
) -> Result<TestSetEvaluation> {
    let t = Labels::of(test);
    let base_cols = scores
        .get(&Variant::Base)
        .ok_or_else(|| Error::Config("the evaluation needs Base's scores".into()))?;
    let mut per_seed = BTreeMap::new();
    for (&v, cols) in scores {
        let r = runs.get(&v).map_or(&[][..], Vec::as_slice);
        if r.len() != cols.len() || cols.iter().any(|c| c.len() != test.len()) {
            return Err(Error::Config(format!(
                "{}: {} score columns, {} runs, {} test rows",
                v.name(),
                cols.len(),
                r.len(),
                test.len()
            )));
        }
        per_seed.insert(v, seed_results(&t, cols, r)?);
    }
    let base = &per_seed[&Variant::Base];
    let mut variants = BTreeMap::new();
    for (&v, cols) in scores {
        let row = variant_row(
            &t,
            cols,
            &per_seed[&v],
            v != Variant::Base,
            base_cols,
            base,
            boot,
        )?;
        variants.insert(v.name().to_owned(), row);
    }
    Ok(TestSetEvaluation {
        variants,
        slices: slice_table(ds, pop, test, &t.labels, scores),
        reaseq_vs_base_cold_long_tail: sparse_difference(pop, test, &t, scores, boot),
    })
}

fn seed_results(t: &Labels, cols: &[Vec<f64>], runs: &[SeedRun]) -> Result<Vec<SeedResult>> {
    cols.iter()
        .zip(runs)
        .map(|(col, r)| {
            let ev = evaluate(&t.users, &t.labels, col)?;
            Ok(SeedResult {
                seed: r.seed,
                auc: ev.auc,
                gauc: ev.gauc,
                logloss: ev.logloss,
                epochs: r.epochs,
                seconds: r.seconds,
            })
        })
        .collect()
}

/// Mean and sample standard deviation.
fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, v.sqrt())
}

fn column_refs(cols: &[Vec<f64>]) -> Vec<&[f64]> {
    cols.iter().map(Vec::as_slice).collect()
}

fn variant_row(
    t: &Labels,
    cols: &[Vec<f64>],
    seeds: &[SeedResult],
    compare: bool,
    base_cols: &[Vec<f64>],
    base: &[SeedResult],
    boot: &BootstrapConfig,
) -> Result<VariantResult> {
    let stat = |s: &[SeedResult], f: fn(&SeedResult) -> f64| s.iter().map(f).collect::<Vec<_>>();
    let (auc, auc_std) = mean_std(&stat(seeds, |s| s.auc));
    let (gauc, gauc_std) = mean_std(&stat(seeds, |s| s.gauc));
    let (logloss, logloss_std) = mean_std(&stat(seeds, |s| s.logloss));
    let (base_auc, base_gauc) = (
        mean_std(&stat(base, |s| s.auc)).0,
        mean_std(&stat(base, |s| s.gauc)).0,
    );
    let ci = |m| -> Result<[f64; 2]> {
        let i = bootstrap_ci_seeds(m, &t.users, &t.labels, &column_refs(cols), boot)?;
        Ok([i.lower, i.upper])
    };
    let vs_base = if compare {
        Some(paired(t, (cols, seeds), (base_cols, base), boot)?)
    } else {
        None
    };
    Ok(VariantResult {
        auc,
        auc_std,
        gauc,
        gauc_std,
        logloss,
        logloss_std,
        auc_ci: ci(Metric::Auc)?,
        gauc_ci: ci(Metric::Gauc)?,
        rela_impr_auc: rela_impr(auc, base_auc)?,
        rela_impr_gauc: rela_impr(gauc, base_gauc)?,
        per_seed: seeds.to_vec(),
        vs_base,
    })
}

/// `a − b` on AUC and GAUC: a paired user bootstrap of the seed-means, and per seed.
fn paired(
    t: &Labels,
    (a_cols, a): (&[Vec<f64>], &[SeedResult]),
    (b_cols, b): (&[Vec<f64>], &[SeedResult]),
    boot: &BootstrapConfig,
) -> Result<VsBase> {
    let cmp = |m: Metric, f: fn(&SeedResult) -> f64| -> Result<Comparison> {
        let d = paired_bootstrap_seeds(
            m,
            &t.users,
            &t.labels,
            &column_refs(a_cols),
            &column_refs(b_cols),
            boot,
        )?;
        let per_seed: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x) - f(y)).collect();
        Ok(Comparison {
            difference: d.estimate,
            ci: [d.lower, d.upper],
            p_value: d.p_value,
            seeds_ahead: per_seed.iter().filter(|&&x| x > 0.0).count(),
            per_seed,
        })
    };
    Ok(VsBase {
        auc: cmp(Metric::Auc, |s| s.auc)?,
        gauc: cmp(Metric::Gauc, |s| s.gauc)?,
    })
}

/// Every control's row: its figures and difference from Base as a variant's, and +GBR − it.
/// `scores` and `evaluation` (the variants', [`evaluate_test_set`]) must hold Base and +GBR;
/// each control's columns pair with theirs seed by seed.
pub fn evaluate_controls(
    test: &[RankerExample],
    scores: &SeedScores,
    evaluation: &TestSetEvaluation,
    controls: &BTreeMap<Control, (Vec<Vec<f64>>, Vec<SeedRun>)>,
    boot: &BootstrapConfig,
) -> Result<BTreeMap<String, ControlResult>> {
    let t = Labels::of(test);
    let arm = |v: Variant| -> Result<(&[Vec<f64>], &[SeedResult])> {
        let missing = || Error::Config(format!("the controls need {}'s scores", v.name()));
        let cols = scores.get(&v).ok_or_else(missing)?;
        let row = evaluation.variants.get(v.name()).ok_or_else(missing)?;
        Ok((cols, &row.per_seed))
    };
    let (base_cols, base) = arm(Variant::Base)?;
    let (gbr_cols, gbr) = arm(Variant::Gbr)?;
    let mut out = BTreeMap::new();
    for (&c, (cols, r)) in controls {
        let shape_ok = cols.len() == base_cols.len() && r.len() == cols.len();
        if !shape_ok || cols.iter().any(|col| col.len() != test.len()) {
            return Err(Error::Config(format!(
                "control {}: {} score columns and {} runs for {} seeds and {} test rows",
                c.key(),
                cols.len(),
                r.len(),
                base_cols.len(),
                test.len()
            )));
        }
        let seeds = seed_results(&t, cols, r)?;
        let result = variant_row(&t, cols, &seeds, true, base_cols, base, boot)?;
        let gbr_vs_control = paired(&t, (gbr_cols, gbr), (cols, &seeds), boot)?;
        out.insert(
            c.key().to_owned(),
            ControlResult {
                description: c.describe().to_owned(),
                result,
                gbr_vs_control,
            },
        );
    }
    Ok(out)
}

/// AUC of the rows in `rows`, averaged over seeds (None when the slice has one class).
fn slice_auc(labels: &[bool], columns: &[Vec<f64>], rows: &[usize]) -> Option<f64> {
    let l: Vec<bool> = rows.iter().map(|&i| labels[i]).collect();
    let mut sum = 0.0;
    for c in columns {
        let s: Vec<f64> = rows.iter().map(|&i| c[i]).collect();
        sum += auc(&l, &s).ok()?;
    }
    Some(sum / columns.len() as f64)
}

/// Slices by item popularity, history length and genre: each variant's seed-mean AUC.
fn slice_table(
    ds: &Dataset,
    pop: &PopularityBuckets,
    test: &[RankerExample],
    labels: &[bool],
    scores: &SeedScores,
) -> BTreeMap<String, BTreeMap<String, SliceRow>> {
    let mut out: BTreeMap<String, BTreeMap<String, SliceRow>> = BTreeMap::new();
    for sl in slices(ds, pop, test) {
        let auc = scores
            .iter()
            .map(|(v, cols)| (v.name().to_owned(), slice_auc(labels, cols, &sl.rows)))
            .collect();
        out.entry(sl.kind.key().to_owned()).or_default().insert(
            sl.name,
            SliceRow {
                impressions: sl.rows.len(),
                auc,
            },
        );
    }
    out
}

/// Where ReaSeq stands against Base on the items outside the popular head, with a paired
/// interval (None without both variants or when the sparse rows have one class).
fn sparse_difference(
    pop: &PopularityBuckets,
    test: &[RankerExample],
    t: &Labels,
    scores: &SeedScores,
    boot: &BootstrapConfig,
) -> Option<SparseDifference> {
    let sparse: Vec<usize> = (0..test.len())
        .filter(|&i| pop.of(test[i].target) != PopularityBucket::Head)
        .collect();
    let pick = |cols: &[Vec<f64>]| -> Vec<Vec<f64>> {
        cols.iter()
            .map(|c| sparse.iter().map(|&i| c[i]).collect())
            .collect()
    };
    let a = pick(scores.get(&Variant::ReaSeq)?);
    let b = pick(scores.get(&Variant::Base)?);
    let users: Vec<u32> = sparse.iter().map(|&i| t.users[i]).collect();
    let labels: Vec<bool> = sparse.iter().map(|&i| t.labels[i]).collect();
    paired_bootstrap_seeds(
        Metric::Auc,
        &users,
        &labels,
        &column_refs(&a),
        &column_refs(&b),
        boot,
    )
    .ok()
    .map(|d| SparseDifference {
        impressions: sparse.len(),
        auc_difference: d.estimate,
        ci: [d.lower, d.upper],
        p_value: d.p_value,
    })
}
