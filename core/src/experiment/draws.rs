//! `draws.json`: the ablation with its controls repeated on K protocol draws of one dataset (or
//! world). Each draw redraws what its protocol seed seeds: on a dataset which events are hidden
//! and the negatives; everywhere the reasoner's cross-fit, the controls' sequences, the
//! bootstrap and the rankers' seeds (on a world the hidden events are the planted ones, fixed).
//! Each declared comparison is pooled over the draws ([`crate::metrics::pool_runs`]: the draws'
//! spread plus the user bootstrap's variance, Student's t with Welch–Satterthwaite degrees of
//! freedom) and the pooled p-values are Holm-corrected over the family.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::{ProtocolMode, SplitKind, WorldSpec};
use crate::error::{Error, Result};
use crate::metrics::{holm, pool_runs, PooledDifference};

use super::results::{ExperimentResults, GbrSource};
use super::verdicts::{comparison_label, outcome, same_comparison, Outcome, Verdict};

/// What one draw measured: its seeds and its declared comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawResult {
    /// The protocol's seed, which also seeds the reasoner's cross-fit.
    pub protocol_seed: u64,
    /// The rankers' seeds in this draw.
    pub model_seeds: Vec<u64>,
    pub test_users: usize,
    pub test_impressions: usize,
    /// The declared comparisons in this draw, corrected within it.
    pub verdicts: Vec<Verdict>,
    /// The reasoner (when fitted here), the variants and the controls, end to end.
    pub seconds: f64,
}

impl DrawResult {
    pub fn new(r: &ExperimentResults) -> Self {
        let model_seeds = r
            .variant(crate::ranker::Variant::Base)
            .map(|b| b.per_seed.iter().map(|s| s.seed).collect())
            .unwrap_or_default();
        Self {
            protocol_seed: r.seed,
            model_seeds,
            test_users: r.test_users,
            test_impressions: r.impressions.test,
            verdicts: r.verdicts.clone(),
            seconds: r.seconds,
        }
    }
}

/// One declared comparison pooled over the draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledVerdict {
    /// "ReaSeq − Base", "+GBR − shuffled", …
    pub comparison: String,
    /// "gauc" or "auc".
    pub metric: String,
    pub primary: bool,
    /// In draw order.
    pub per_draw: Vec<f64>,
    pub pooled: PooledDifference,
    /// Holm-adjusted over the family.
    pub p_holm: f64,
    /// Draws whose own (within-draw, Holm-corrected) verdict is a win / a loss.
    pub wins: usize,
    pub losses: usize,
    pub outcome: Outcome,
}

/// The draw study's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawStudy {
    pub format_version: u32,
    pub dataset: String,
    pub protocol: ProtocolMode,
    pub split: SplitKind,
    /// The synthetic world (None for datasets).
    pub world: Option<WorldSpec>,
    /// Ranker seeds per model in every draw.
    pub seeds: usize,
    pub gbr: GbrSource,
    pub draws: Vec<DrawResult>,
    pub verdicts: Vec<PooledVerdict>,
    /// The draws' end-to-end seconds, summed (a draw read back counts the time it took).
    pub seconds: f64,
}

impl Artifact for DrawStudy {
    const KIND: &'static str = "draw study";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq experiment --draws";
}

impl DrawStudy {
    /// The study of `runs` (one per draw, made on one dataset with one configuration).
    pub fn new(runs: &[ExperimentResults]) -> Result<Self> {
        let first = runs
            .first()
            .ok_or_else(|| Error::Config("a draw study needs draws".into()))?;
        if let Some(r) = runs.iter().find(|r| {
            (
                r.dataset_fingerprint.as_str(),
                r.protocol,
                r.split,
                r.world,
                r.gbr,
            ) != (
                first.dataset_fingerprint.as_str(),
                first.protocol,
                first.split,
                first.world,
                first.gbr,
            )
        }) {
            return Err(Error::Config(format!(
                "the draw with seed {} ran on other data or settings than the draw with seed {}",
                r.seed, first.seed
            )));
        }
        let draws: Vec<DrawResult> = runs.iter().map(DrawResult::new).collect();
        Ok(Self {
            format_version: Self::FORMAT_VERSION,
            dataset: first.dataset.clone(),
            protocol: first.protocol,
            split: first.split,
            world: first.world,
            seeds: first.seeds,
            gbr: first.gbr,
            verdicts: pool_draws(&draws)?,
            seconds: draws.iter().map(|d| d.seconds).sum(),
            draws,
        })
    }
}

/// Every comparison the first draw declares, pooled over the draws (each must have it).
pub fn pool_draws(draws: &[DrawResult]) -> Result<Vec<PooledVerdict>> {
    let Some(first) = draws.first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(first.verdicts.len());
    for v in &first.verdicts {
        let found = draws
            .iter()
            .map(|d| {
                same_comparison(&d.verdicts, v).ok_or_else(|| {
                    Error::Config(format!(
                        "the draw with seed {} has no {} on {}",
                        d.protocol_seed, v.comparison, v.metric
                    ))
                })
            })
            .collect::<Result<Vec<&Verdict>>>()?;
        let per_draw: Vec<f64> = found.iter().map(|x| x.difference).collect();
        let intervals: Vec<[f64; 2]> = found.iter().map(|x| x.ci).collect();
        out.push(PooledVerdict {
            comparison: v.comparison.clone(),
            metric: v.metric.clone(),
            primary: v.primary,
            pooled: pool_runs(&per_draw, &intervals)?,
            p_holm: 1.0,
            wins: found.iter().filter(|x| x.outcome == Outcome::Win).count(),
            losses: found.iter().filter(|x| x.outcome == Outcome::Loss).count(),
            outcome: Outcome::Tie,
            per_draw,
        });
    }
    let p: Vec<f64> = out.iter().map(|v| v.pooled.p_value).collect();
    for (v, adj) in out.iter_mut().zip(holm(&p)) {
        v.p_holm = adj;
        v.outcome = outcome(adj, [v.pooled.lower, v.pooled.upper]);
    }
    Ok(out)
}

/// Per comparison: each draw's difference, the pooled one with its interval, the draws' spread
/// and the corrected verdict; the primary endpoint first.
pub fn draws_table(s: &DrawStudy) -> String {
    let mut out = String::from("| comparison | metric |");
    for d in &s.draws {
        out += &format!(" draw {} |", d.protocol_seed);
    }
    out += " pooled [95% CI] | between-draw SD | within-draw SE | t df | p | Holm p | draws won / lost | verdict |\n|---|---|";
    out += &"---|".repeat(s.draws.len() + 8);
    out += "\n";
    let mut rows: Vec<&PooledVerdict> = s.verdicts.iter().collect();
    rows.sort_by_key(|v| !v.primary);
    for v in rows {
        out += &format!(
            "| {} | {} |",
            comparison_label(&v.comparison, v.primary),
            v.metric.to_uppercase()
        );
        for d in &v.per_draw {
            out += &format!(" {d:+.4} |");
        }
        let p = &v.pooled;
        out += &format!(
            " {:+.4} [{:+.4}, {:+.4}] | {:.4} | {:.4} | {:.1} | {:.3} | {:.3} | {} / {} | {:?} |\n",
            p.estimate,
            p.lower,
            p.upper,
            p.between_sd,
            p.within_se,
            p.df,
            p.p_value,
            v.p_holm,
            v.wins,
            v.losses,
            v.outcome
        );
    }
    out
}

/// `report.md` of a draw study.
pub fn draws_report(s: &DrawStudy) -> String {
    let seeds: Vec<String> = s
        .draws
        .iter()
        .map(|d| format!("{} (models {:?})", d.protocol_seed, d.model_seeds))
        .collect();
    let world = s
        .world
        .map_or(String::new(), |w| format!(" ({})", w.describe()));
    format!(
        "# {dataset}{world}: the ablation on {n} protocol draws\n\n\
         Protocol {protocol}, split {split:?}, GBR {gbr:?}; {k} ranker seeds per model. Each \
         draw redraws the protocol, the reasoner's cross-fit (seeded with the protocol) and the \
         rankers' seeds: protocol seeds {seeds}. Within a draw each difference is a paired user \
         bootstrap of seed-means; pooled over the draws, the mean difference with the draws' \
         spread (s²/K) and the mean within-draw bootstrap variance added, Student's t with \
         Welch–Satterthwaite degrees of freedom (at least {df}; column t df), Holm-corrected \
         over the family. Made by `reaseq experiment --draws`: {secs:.0} s for the draws end \
         to end.\n\n{table}",
        dataset = s.dataset,
        n = s.draws.len(),
        protocol = s.protocol.describe(),
        split = s.split,
        gbr = s.gbr,
        k = s.seeds,
        seeds = seeds.join(", "),
        df = s.draws.len().saturating_sub(1),
        secs = s.seconds,
        table = draws_table(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(comparison: &str, difference: f64) -> Verdict {
        Verdict {
            comparison: comparison.into(),
            metric: "gauc".into(),
            primary: comparison == "ReaSeq − Base",
            difference,
            ci: [difference - 0.002, difference + 0.002],
            p_value: 0.01,
            p_holm: 0.02,
            outcome: if difference > 0.0 {
                Outcome::Win
            } else {
                Outcome::Tie
            },
        }
    }

    fn draw(seed: u64, ds: [f64; 2]) -> DrawResult {
        DrawResult {
            protocol_seed: seed,
            model_seeds: vec![seed * 2, seed * 2 + 1],
            test_users: 30,
            test_impressions: 300,
            verdicts: vec![
                verdict("ReaSeq − Base", ds[0]),
                verdict("+GBR − shuffled", ds[1]),
            ],
            seconds: 1.0,
        }
    }

    #[test]
    fn comparisons_are_pooled_over_draws_and_corrected() {
        let draws: Vec<DrawResult> = (0..4)
            .map(|s| {
                draw(
                    s,
                    [
                        0.01 + s as f64 * 1e-4,
                        if s % 2 == 0 { 0.01 } else { -0.01 },
                    ],
                )
            })
            .collect();
        let v = pool_draws(&draws).unwrap();
        let primary = &v[0];
        assert!(primary.primary);
        assert!((primary.pooled.estimate - 0.01015).abs() < 1e-12);
        assert_eq!((primary.wins, primary.losses), (4, 0));
        // Holm over two, the smaller p doubled.
        assert!((primary.p_holm - (2.0 * primary.pooled.p_value).min(1.0)).abs() < 1e-12);
        assert_eq!(primary.outcome, Outcome::Win, "{primary:?}");
        // Draws that disagree in sign pool to a tie however precise each one is.
        let placebo = &v[1];
        assert!(placebo.pooled.estimate.abs() < 1e-12);
        assert_eq!(placebo.outcome, Outcome::Tie);
        let s = DrawStudy {
            format_version: DrawStudy::FORMAT_VERSION,
            dataset: "toy".into(),
            protocol: ProtocolMode::Domain { share: 0.2 },
            split: SplitKind::Global,
            world: None,
            seeds: 2,
            gbr: GbrSource::Reasoner,
            verdicts: v,
            seconds: 4.0,
            draws,
        };
        let table = draws_table(&s);
        assert!(
            table.contains("| ReaSeq − Base (primary) | GAUC | +0.0100 | +0.0101 |"),
            "{table}"
        );
        assert!(table.contains("| 4 / 0 | Win |"), "{table}");
        let back: DrawStudy =
            crate::artifact::from_json("draws.json", &crate::artifact::to_json(&s).unwrap())
                .unwrap();
        assert_eq!(back.draws, s.draws);
        // serde_json parses floats to within an ulp.
        assert!((back.verdicts[0].pooled.se - s.verdicts[0].pooled.se).abs() < 1e-15);
    }

    #[test]
    fn a_draw_without_a_comparison_or_a_single_draw_is_refused() {
        let mut d = vec![draw(0, [0.01, 0.0]), draw(1, [0.01, 0.0])];
        d[1].verdicts.pop();
        let e = pool_draws(&d).unwrap_err().to_string();
        assert!(e.contains("seed 1 has no +GBR − shuffled"), "{e}");
        assert!(pool_draws(&d[..1]).is_err());
    }
}
