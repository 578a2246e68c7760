//! The Compare job: the four bundled rankers score every test impression, and the table and
//! slices are computed from those scores by the CLI's own evaluation, with ROC curves and the
//! paired tests between any two variants. It runs in the worker; the page only draws what
//! it returns.

use reaseq_core::data::protocol::PopularityBuckets;
use reaseq_core::experiment::{
    evaluate_test_set, ExperimentResults, SeedRun, SeedScores, TestSetEvaluation, VariantResult,
};
use reaseq_core::metrics::{paired_bootstrap, roc_curve, BootstrapConfig, Metric};
use reaseq_core::ranker::{slices, SliceKind, Variant};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::jobs::backend::BackendUsed;
use crate::loading::experiment::{Assets, ExperimentData};
use crate::loading::now;

/// An estimate, the lower and upper ends of its 95% interval, and its p-value.
pub type Difference = (f64, f64, f64, f64);

/// One variant's figures as the browser computed them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub variant: Variant,
    pub auc: f64,
    pub auc_ci: (f64, f64),
    pub gauc: f64,
    pub gauc_ci: (f64, f64),
    pub logloss: f64,
    pub rela_impr: f64,
    /// GAUC − Base.
    pub vs_base: Option<Difference>,
    /// What `reaseq experiment` measured for this bundle (seed 0): AUC, GAUC.
    pub cli: (f64, f64),
}

/// Each variant's AUC on the slices of one kind (the slices with both labels).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceAucs {
    pub kind: SliceKind,
    /// Per slice: its name with its size, and one AUC per variant (in `rows` order).
    pub groups: Vec<(String, Vec<f64>)>,
}

/// A paired user-bootstrap of `a` − `b`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairTest {
    pub a: Variant,
    pub b: Variant,
    pub auc: Difference,
    pub gauc: Difference,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub rows: Vec<Row>,
    /// Per variant, its ROC curve over the test set.
    pub roc: Vec<(Variant, Vec<(f64, f64)>)>,
    pub slices: Vec<SliceAucs>,
    /// Every unordered pair of variants, once (see [`Outcome::pair`] for either order).
    pub pairs: Vec<PairTest>,
    pub impressions: usize,
    pub users: usize,
    /// The whole job, and of it the scoring of the test set (the backend's part).
    pub seconds: f64,
    pub scoring_seconds: f64,
    /// Seeds behind the CLI's seed-mean table, for reference.
    pub seeds: u64,
    /// User-bootstrap replicates behind every interval (the CLI's).
    pub replicates: usize,
    /// Where the test set was scored.
    pub backend: BackendUsed,
}

impl Outcome {
    /// `a` − `b` on AUC and GAUC. The reverse of a tested pair is its negation: the same
    /// resampled users give the same differences with the sign flipped.
    pub fn pair(&self, a: Variant, b: Variant) -> AppResult<[Difference; 2]> {
        if a == b {
            return Ok([(0.0, 0.0, 0.0, 1.0); 2]);
        }
        let flip = |d: Difference| (-d.0, -d.2, -d.1, d.3);
        self.pairs
            .iter()
            .find_map(|p| {
                if (p.a, p.b) == (a, b) {
                    Some([p.auc, p.gauc])
                } else if (p.a, p.b) == (b, a) {
                    Some([flip(p.auc), flip(p.gauc)])
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                AppError::Input(format!("no paired test of {} and {}", a.name(), b.name()))
            })
    }

    pub fn slice(&self, kind: SliceKind) -> Option<&SliceAucs> {
        self.slices.iter().find(|s| s.kind == kind)
    }
}

/// Impressions scored between two progress reports.
const CHUNK: usize = 400;

/// Every bundle's score of every test row, in `assets.rankers` order. `progress` hears the
/// share done, scaled to [0, `share`].
pub(crate) fn score_test_set(
    assets: &Assets,
    d: &ExperimentData,
    share: f64,
    progress: &mut dyn FnMut(f64),
) -> AppResult<Vec<Vec<f64>>> {
    let test = &d.rows.test;
    let total = (test.len() * assets.rankers.len()).max(1) as f64 / share;
    let mut columns = Vec::new();
    for (k, m) in assets.rankers.iter().enumerate() {
        let mut col = Vec::with_capacity(test.len());
        for chunk in test.chunks(CHUNK) {
            for e in chunk {
                let input = e.input(&d.gbr);
                col.push(f64::from(m.score(&input)?.probability));
            }
            progress((k * test.len() + col.len()) as f64 / total);
        }
        columns.push(col);
    }
    Ok(columns)
}

/// Every bundle's score of every test row on WebGPU, in `assets.rankers` order: the kernel's
/// logits through the CPU's sigmoid. `dir` keys the bundles uploaded to the device.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub(crate) async fn score_test_set_gpu(
    gpu: &crate::jobs::backend::Gpu,
    dir: &str,
    assets: &Assets,
    d: &ExperimentData,
) -> reaseq_core::error::Result<Vec<Vec<f64>>> {
    let test = &d.rows.test;
    let inputs: Vec<_> = test.iter().map(|e| e.input(&d.gbr)).collect();
    let pairs: Vec<(u32, u32)> = test
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32, e.target))
        .collect();
    let mut columns = Vec::new();
    for m in &assets.rankers {
        let on_device = gpu
            .ranker(&format!("{dir}/{}", m.config.variant.key()), m)
            .await?;
        let logits = on_device
            .score_pairs(&gpu.ctx, &gpu.ranker, &inputs, &pairs)
            .await?;
        columns.push(
            logits
                .into_iter()
                .map(|l| f64::from(reaseq_core::nn::sigmoid(l)))
                .collect(),
        );
    }
    Ok(columns)
}

/// Scores the test set on the CPU with every bundle and evaluates it ([`evaluate`]).
/// `progress` hears the share done, in [0, 1].
#[cfg(test)]
pub(crate) fn compare(
    assets: &Assets,
    d: &ExperimentData,
    progress: &mut dyn FnMut(f64),
) -> AppResult<Outcome> {
    let t = now();
    // Scoring is most of the work; the statistics take the last fifth of the bar.
    let columns = score_test_set(assets, d, 0.8, progress)?;
    let cpu = BackendUsed::cpu(crate::jobs::backend::BackendChoice::Cpu, None);
    evaluate(assets, d, columns, (t, now()), cpu, progress)
}

/// Evaluates every bundle's test-set scores (`columns`, in `assets.rankers` order) with the
/// function `reaseq experiment` uses for its report (`evaluate_test_set`, the same bootstrap),
/// plus the ROC curves and every pair's paired test. `(started, scored)`: when scoring began
/// and ended (ms).
pub(crate) fn evaluate(
    assets: &Assets,
    d: &ExperimentData,
    columns: Vec<Vec<f64>>,
    (started, scored): (f64, f64),
    backend: BackendUsed,
    progress: &mut dyn FnMut(f64),
) -> AppResult<Outcome> {
    let t = started;
    let r = &assets.results;
    let variants: Vec<Variant> = assets.rankers.iter().map(|m| m.config.variant).collect();
    // One column per variant (the bundles are seed 0's), moved, not copied.
    let scores: SeedScores = variants
        .iter()
        .zip(columns)
        .map(|(&v, c)| (v, vec![c]))
        .collect();
    let columns: Vec<&[f64]> = variants.iter().map(|v| scores[v][0].as_slice()).collect();
    // The bundles are seed 0's: their runs as the CLI recorded them.
    let runs = variants
        .iter()
        .map(|&v| {
            let epochs = r
                .variant(v)
                .and_then(|x| x.per_seed.first())
                .map_or(0, |s| s.epochs);
            (
                v,
                vec![SeedRun {
                    seed: 0,
                    epochs,
                    seconds: 0.0,
                }],
            )
        })
        .collect();
    let boot = bootstrap(r);
    let test = &d.rows.test;
    let pop = PopularityBuckets::new(
        &d.data.protocol.train_popularity(d.ds()),
        PopularityBuckets::HEAD_SHARE,
    );
    let evaluation = evaluate_test_set(d.ds(), &pop, test, &scores, &runs, &boot)?;
    progress(0.9);
    let rows = variants
        .iter()
        .filter_map(|&v| Some(row(v, evaluation.variants.get(v.name())?, r)))
        .collect();
    let users: Vec<u32> = test.iter().map(|e| e.user).collect();
    let labels: Vec<bool> = test.iter().map(|e| e.label).collect();
    let pairs = pair_tests(&variants, &columns, &users, &labels, &boot)?;
    let roc = variants
        .iter()
        .zip(&columns)
        .map(|(&v, &c)| Ok((v, roc_curve(&labels, c, 150)?)))
        .collect::<AppResult<Vec<_>>>()?;
    progress(1.0);
    Ok(Outcome {
        rows,
        roc,
        slices: slice_groups(d, &pop, &evaluation, &variants),
        pairs,
        impressions: test.len(),
        users: users
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        seconds: (now() - t) / 1e3,
        scoring_seconds: (scored - started) / 1e3,
        seeds: r.seeds as u64,
        replicates: boot.replicates,
        backend,
    })
}

/// The bootstrap `reaseq experiment` used for these results.
pub(crate) fn bootstrap(r: &ExperimentResults) -> BootstrapConfig {
    BootstrapConfig {
        seed: r.seed,
        ..BootstrapConfig::default()
    }
}

/// The page's row of one variant, with what the CLI measured for its bundle (seed 0).
fn row(v: Variant, x: &VariantResult, r: &ExperimentResults) -> Row {
    let cli = r
        .variant(v)
        .and_then(|c| c.per_seed.first())
        .map_or((f64::NAN, f64::NAN), |s| (s.auc, s.gauc));
    Row {
        variant: v,
        auc: x.auc,
        auc_ci: (x.auc_ci[0], x.auc_ci[1]),
        gauc: x.gauc,
        gauc_ci: (x.gauc_ci[0], x.gauc_ci[1]),
        logloss: x.logloss,
        rela_impr: x.rela_impr_gauc,
        vs_base: x.vs_base.as_ref().map(|vs| {
            let g = &vs.gauc;
            (g.difference, g.ci[0], g.ci[1], g.p_value)
        }),
        cli,
    }
}

/// Every unordered pair's paired user-bootstrap, once.
fn pair_tests(
    variants: &[Variant],
    columns: &[&[f64]],
    users: &[u32],
    labels: &[bool],
    boot: &BootstrapConfig,
) -> AppResult<Vec<PairTest>> {
    let mut pairs = Vec::new();
    for i in 0..columns.len() {
        for j in i + 1..columns.len() {
            let d = |metric| -> AppResult<Difference> {
                let d = paired_bootstrap(metric, users, labels, columns[i], columns[j], boot)?;
                Ok((d.estimate, d.lower, d.upper, d.p_value))
            };
            pairs.push(PairTest {
                a: variants[i],
                b: variants[j],
                auc: d(Metric::Auc)?,
                gauc: d(Metric::Gauc)?,
            });
        }
    }
    Ok(pairs)
}

/// The evaluation's slices as chart groups, in the slices' own order, keeping the slices where
/// every variant has an AUC.
fn slice_groups(
    d: &ExperimentData,
    pop: &PopularityBuckets,
    evaluation: &TestSetEvaluation,
    variants: &[Variant],
) -> Vec<SliceAucs> {
    let cuts = slices(d.ds(), pop, &d.rows.test);
    SliceKind::ALL
        .into_iter()
        .map(|kind| SliceAucs {
            kind,
            groups: cuts
                .iter()
                .filter(|c| c.kind == kind)
                .filter_map(|c| {
                    let row = evaluation.slices.get(kind.key())?.get(&c.name)?;
                    let aucs: Option<Vec<f64>> = variants
                        .iter()
                        .map(|v| row.auc.get(v.name()).copied().flatten())
                        .collect();
                    Some((format!("{} ({})", c.name, row.impressions), aucs?))
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use reaseq_core::artifact::from_json;
    use reaseq_core::experiment::TestScores;
    use reaseq_core::ranker::Ranker;
    use reaseq_core::reasoner::InferredSequences;

    /// The committed synthetic bundles and results, as the page loads them.
    pub(crate) fn shipped() -> Assets {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/ranker/synthetic");
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        let rankers = Variant::ALL
            .iter()
            .map(|v| {
                let [m, w] = reaseq_core::layout::bundle_files(v.key());
                Ranker::from_bundle(v.key(), &read(&m), &read(&w)).unwrap()
            })
            .collect();
        Assets {
            results: from_json("results.json", &read("results.json")).unwrap(),
            rankers,
            sequences: InferredSequences::from_json("inferred.json", &read("inferred.json"))
                .unwrap(),
        }
    }

    /// Compare's table is `evaluate_test_set` — the function behind the CLI's report — of the
    /// bundles' scores, which are the CLI's own seed-0 test scores: one function, one bundle.
    #[test]
    fn the_compare_table_is_the_cli_evaluation_of_the_same_bundles() {
        let assets = shipped();
        let d = crate::loading::experiment::experiment_data(&assets, None).unwrap();
        let out = compare(&assets, &d, &mut |_| {}).unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/ranker/synthetic");
        let cli: TestScores = from_json(
            "test_scores.json",
            &std::fs::read(dir.join("test_scores.json")).unwrap(),
        )
        .unwrap();
        let scores: SeedScores = Variant::ALL
            .iter()
            .map(|v| (*v, vec![cli.scores[v.name()].clone()]))
            .collect();
        let runs = Variant::ALL
            .iter()
            .map(|&v| {
                (
                    v,
                    vec![SeedRun {
                        seed: 0,
                        epochs: assets.results.variant(v).unwrap().per_seed[0].epochs,
                        seconds: 0.0,
                    }],
                )
            })
            .collect();
        let pop = PopularityBuckets::new(
            &d.data.protocol.train_popularity(d.ds()),
            PopularityBuckets::HEAD_SHARE,
        );
        let want = evaluate_test_set(
            d.ds(),
            &pop,
            &d.rows.test,
            &scores,
            &runs,
            &bootstrap(&assets.results),
        )
        .unwrap();
        assert_eq!(out.rows.len(), 4);
        for r in &out.rows {
            let x = &want.variants[r.variant.name()];
            let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
            assert!(
                close(r.auc, x.auc) && close(r.gauc, x.gauc),
                "{:?}",
                r.variant
            );
            assert!(
                close(r.auc_ci.0, x.auc_ci[0]) && close(r.gauc_ci.1, x.gauc_ci[1]),
                "{:?}",
                r.variant
            );
            // And what the CLI measured for this bundle.
            assert!(
                close(r.auc, r.cli.0) && close(r.gauc, r.cli.1),
                "{:?}",
                r.variant
            );
        }
        assert_eq!(out.replicates, BootstrapConfig::default().replicates);
    }

    #[test]
    fn a_reversed_pair_is_the_negated_test_and_a_self_pair_is_zero() {
        let o = Outcome {
            rows: Vec::new(),
            roc: Vec::new(),
            slices: Vec::new(),
            pairs: vec![PairTest {
                a: Variant::Base,
                b: Variant::ReaSeq,
                auc: (-0.02, -0.03, -0.01, 0.004),
                gauc: (0.01, -0.01, 0.02, 0.3),
            }],
            impressions: 0,
            users: 0,
            seconds: 0.0,
            scoring_seconds: 0.0,
            seeds: 0,
            replicates: 0,
            backend: BackendUsed::cpu(crate::jobs::backend::BackendChoice::Cpu, None),
        };
        let [auc, gauc] = o.pair(Variant::ReaSeq, Variant::Base).unwrap();
        assert_eq!(auc, (0.02, 0.01, 0.03, 0.004));
        assert_eq!(gauc, (-0.01, -0.02, 0.01, 0.3));
        assert_eq!(o.pair(Variant::Rep, Variant::Rep).unwrap()[0].3, 1.0);
        assert!(o.pair(Variant::Rep, Variant::Gbr).is_err());
    }
}
