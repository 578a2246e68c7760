//! The Compare job: the four bundled rankers score every test impression, and the table,
//! ROC curves, slice AUCs and paired tests are computed from those scores. It runs in the
//! worker; the page only draws what it returns.

use reaseq_core::data::protocol::PopularityBuckets;
use reaseq_core::data::{Dataset, Part};
use reaseq_core::metrics::{
    auc, bootstrap_ci, evaluate, paired_bootstrap, rela_impr, roc_curve, BootstrapConfig, Metric,
};
use reaseq_core::ranker::{slices, RankerExample, RankerInput, SliceKind, Variant};
use serde::{Deserialize, Serialize};

use crate::pages::compare::{Assets, ExperimentRows};
use crate::source::now;

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
    pub seconds: f64,
    /// Seeds behind the CLI's seed-mean table, for reference.
    pub seeds: u64,
}

impl Outcome {
    /// `a` − `b` on AUC and GAUC. The reverse of a tested pair is its negation: the same
    /// resampled users give the same differences with the sign flipped.
    pub fn pair(&self, a: Variant, b: Variant) -> Result<[Difference; 2], String> {
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
            .ok_or_else(|| format!("no paired test of {} and {}", a.name(), b.name()))
    }

    pub fn slice(&self, kind: SliceKind) -> Option<&SliceAucs> {
        self.slices.iter().find(|s| s.kind == kind)
    }
}

/// Impressions scored between two progress reports.
const CHUNK: usize = 400;

/// Scores the test set with every bundle and computes the view's figures. `progress` hears the
/// share done, in [0, 1].
pub(crate) fn compare(
    assets: &Assets,
    ds: &Dataset,
    rows: &ExperimentRows,
    progress: &mut dyn FnMut(f64),
) -> Result<Outcome, String> {
    let t = now();
    let r = &assets.results;
    let pop = PopularityBuckets::new(&rows.protocol.train_popularity(ds), 0.5);
    let gbr = &rows.gbr;
    let test: Vec<RankerExample> = rows
        .examples
        .iter()
        .filter(|e| e.part == Part::Test)
        .cloned()
        .collect();
    let users: Vec<u32> = test.iter().map(|e| e.user).collect();
    let labels: Vec<bool> = test.iter().map(|e| e.label).collect();
    // Scoring is most of the work; the statistics take the last fifth of the bar.
    let total = (test.len() * assets.rankers.len()).max(1) as f64 / 0.8;
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for (k, m) in assets.rankers.iter().enumerate() {
        let mut col = Vec::with_capacity(test.len());
        for chunk in test.chunks(CHUNK) {
            for e in chunk {
                let s = m
                    .score(&RankerInput {
                        target: e.target,
                        history: &e.history,
                        gbr: e.gbr(gbr),
                    })
                    .map_err(|e| e.to_string())?;
                col.push(f64::from(s.probability));
            }
            progress((k * test.len() + col.len()) as f64 / total);
        }
        columns.push(col);
    }
    let boot = BootstrapConfig {
        replicates: 500,
        seed: r["seed"].as_u64().unwrap_or(0),
        ..BootstrapConfig::default()
    };
    let err = |e: reaseq_core::Error| e.to_string();
    let base = evaluate(&users, &labels, &columns[0]).map_err(err)?;
    let mut table = Vec::new();
    for (m, col) in assets.rankers.iter().zip(&columns) {
        let v = m.config.variant;
        let ev = evaluate(&users, &labels, col).map_err(err)?;
        let ci = |metric| {
            bootstrap_ci(metric, &users, &labels, col, &boot)
                .map(|i| (i.lower, i.upper))
                .map_err(err)
        };
        let vs_base = if v == Variant::Base {
            None
        } else {
            let d = paired_bootstrap(Metric::Gauc, &users, &labels, col, &columns[0], &boot)
                .map_err(err)?;
            Some((d.estimate, d.lower, d.upper, d.p_value))
        };
        let cli = &r["variants"][v.name()]["per_seed"][0];
        table.push(Row {
            variant: v,
            auc: ev.auc,
            auc_ci: ci(Metric::Auc)?,
            gauc: ev.gauc,
            gauc_ci: ci(Metric::Gauc)?,
            logloss: ev.logloss,
            rela_impr: rela_impr(ev.gauc, base.gauc).map_err(err)?,
            vs_base,
            cli: (
                cli["auc"].as_f64().unwrap_or(f64::NAN),
                cli["gauc"].as_f64().unwrap_or(f64::NAN),
            ),
        });
        progress(0.8 + 0.1 * table.len() as f64 / columns.len() as f64);
    }
    let mut pairs = Vec::new();
    for i in 0..columns.len() {
        for j in i + 1..columns.len() {
            let d = |metric| {
                paired_bootstrap(metric, &users, &labels, &columns[i], &columns[j], &boot)
                    .map(|d| (d.estimate, d.lower, d.upper, d.p_value))
                    .map_err(err)
            };
            pairs.push(PairTest {
                a: table[i].variant,
                b: table[j].variant,
                auc: d(Metric::Auc)?,
                gauc: d(Metric::Gauc)?,
            });
        }
    }
    let roc = columns
        .iter()
        .zip(&table)
        .map(|(c, row)| {
            roc_curve(&labels, c, 150)
                .map(|p| (row.variant, p))
                .map_err(err)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let cuts = slices(ds, &pop, &test);
    let slices = SliceKind::ALL
        .into_iter()
        .map(|kind| SliceAucs {
            kind,
            groups: cuts
                .iter()
                .filter(|c| c.kind == kind)
                .filter_map(|c| {
                    let l: Vec<bool> = c.rows.iter().map(|&i| labels[i]).collect();
                    let aucs: Option<Vec<f64>> = columns
                        .iter()
                        .map(|col| {
                            let s: Vec<f64> = c.rows.iter().map(|&i| col[i]).collect();
                            auc(&l, &s).ok()
                        })
                        .collect();
                    aucs.map(|a| (format!("{} ({})", c.name, c.rows.len()), a))
                })
                .collect(),
        })
        .collect();
    progress(1.0);
    Ok(Outcome {
        rows: table,
        roc,
        slices,
        pairs,
        impressions: test.len(),
        users: users
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        seconds: (now() - t) / 1e3,
        seeds: r["seeds"].as_u64().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            seeds: 0,
        };
        let [auc, gauc] = o.pair(Variant::ReaSeq, Variant::Base).unwrap();
        assert_eq!(auc, (0.02, 0.01, 0.03, 0.004));
        assert_eq!(gauc, (-0.01, -0.02, 0.01, 0.3));
        assert_eq!(o.pair(Variant::Rep, Variant::Rep).unwrap()[0].3, 1.0);
        assert!(o.pair(Variant::Rep, Variant::Gbr).is_err());
    }
}
