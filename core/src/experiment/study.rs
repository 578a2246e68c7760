//! `study.json`: the ablation with its controls run on several synthetic worlds, each world
//! drawn afresh from its seed. Within a world the comparisons are paired user bootstraps
//! ([`super::Verdict`]); across worlds each comparison is read as its per-world differences and
//! an exact sign test, Holm-corrected over the family, since the worlds, not the users, are
//! what a reader wants the claim to generalise over.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::WorldSpec;
use crate::metrics::holm;

use super::results::{ExperimentResults, GbrSource};
use super::verdicts::{comparison_label, same_comparison, Outcome, Verdict};

/// What one world's run measured: its results' declared comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldResult {
    pub world: WorldSpec,
    /// Test users and impressions of the world.
    pub test_users: usize,
    pub test_impressions: usize,
    /// The declared comparisons in this world, corrected within it.
    pub verdicts: Vec<Verdict>,
    /// The reasoner (when fitted here), the variants and the controls, end to end.
    pub seconds: f64,
}

impl WorldResult {
    /// `results`' world and comparisons; None when they were not made on a world.
    pub fn new(results: &ExperimentResults) -> Option<Self> {
        Some(Self {
            world: results.world?,
            test_users: results.test_users,
            test_impressions: results.impressions.test,
            verdicts: results.verdicts.clone(),
            seconds: results.seconds,
        })
    }
}

/// One declared comparison across the worlds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcrossWorlds {
    /// "ReaSeq − Base", "+GBR − shuffled", …
    pub comparison: String,
    /// "gauc" or "auc".
    pub metric: String,
    pub primary: bool,
    /// In world order.
    pub per_world: Vec<f64>,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Worlds where the difference is above / below zero.
    pub positive: usize,
    pub negative: usize,
    /// Worlds whose own (within-world, Holm-corrected) verdict is a win.
    pub wins: usize,
    /// Exact two-sided sign test over the worlds (ties dropped).
    pub sign_p: f64,
    /// Holm-adjusted over the family.
    pub sign_p_holm: f64,
    /// Win: corrected p below 0.05 and more worlds above zero than below; loss the mirror.
    pub outcome: Outcome,
}

/// The study's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    pub format_version: u32,
    /// The first world's spec; the others differ only in their seeds.
    pub world: WorldSpec,
    pub world_seeds: Vec<u64>,
    /// The protocol's (and the reasoner's) seed in every world.
    pub seed: u64,
    /// Ranker seeds per model in every world.
    pub seeds: usize,
    pub gbr: GbrSource,
    pub worlds: Vec<WorldResult>,
    pub verdicts: Vec<AcrossWorlds>,
    /// The worlds' end-to-end seconds, summed (a world read back counts the time it took).
    pub seconds: f64,
}

impl Artifact for StudyResults {
    const KIND: &'static str = "study results";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq study";
}

impl StudyResults {
    /// The study of `worlds`, each one's comparisons read across them.
    pub fn new(worlds: Vec<WorldResult>, seed: u64, seeds: usize, gbr: GbrSource) -> Option<Self> {
        let world = worlds.first()?.world;
        Some(Self {
            format_version: Self::FORMAT_VERSION,
            world,
            world_seeds: worlds.iter().map(|w| w.world.seed).collect(),
            seed,
            seeds,
            gbr,
            verdicts: across_worlds(&worlds),
            seconds: worlds.iter().map(|w| w.seconds).sum(),
            worlds,
        })
    }
}

/// Every comparison the first world declares, read in every world that has it too.
pub fn across_worlds(worlds: &[WorldResult]) -> Vec<AcrossWorlds> {
    let Some(first) = worlds.first() else {
        return Vec::new();
    };
    let mut out: Vec<AcrossWorlds> = first
        .verdicts
        .iter()
        .map(|v| {
            let found: Vec<&Verdict> = worlds
                .iter()
                .filter_map(|w| same_comparison(&w.verdicts, v))
                .collect();
            let per_world: Vec<f64> = found.iter().map(|x| x.difference).collect();
            let positive = per_world.iter().filter(|&&d| d > 0.0).count();
            let negative = per_world.iter().filter(|&&d| d < 0.0).count();
            AcrossWorlds {
                comparison: v.comparison.clone(),
                metric: v.metric.clone(),
                primary: v.primary,
                mean: per_world.iter().sum::<f64>() / per_world.len() as f64,
                min: per_world.iter().copied().fold(f64::INFINITY, f64::min),
                max: per_world.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                positive,
                negative,
                wins: found.iter().filter(|x| x.outcome == Outcome::Win).count(),
                sign_p: sign_test(positive, negative),
                sign_p_holm: 1.0,
                outcome: Outcome::Tie,
                per_world,
            }
        })
        .collect();
    let p: Vec<f64> = out.iter().map(|a| a.sign_p).collect();
    for (a, adj) in out.iter_mut().zip(holm(&p)) {
        a.sign_p_holm = adj;
        a.outcome = match adj < 0.05 {
            true if a.positive > a.negative => Outcome::Win,
            true if a.negative > a.positive => Outcome::Loss,
            _ => Outcome::Tie,
        };
    }
    out
}

/// Exact two-sided sign test: the chance, with no effect, of a split at least this uneven.
pub fn sign_test(positive: usize, negative: usize) -> f64 {
    let n = positive + negative;
    if n == 0 {
        return 1.0;
    }
    let k = positive.min(negative);
    // P(X ≤ k) for X ~ Binomial(n, ½), from the binomial coefficients in f64 (n is a few dozen).
    let mut coef = 1.0f64;
    let mut tail = 0.0f64;
    for i in 0..=k {
        if i > 0 {
            coef *= (n - i + 1) as f64 / i as f64;
        }
        tail += coef;
    }
    (2.0 * tail * 0.5f64.powi(n as i32)).min(1.0)
}

/// The smallest two-sided sign-test p that `worlds` can reach (all on one side).
pub fn least_sign_p(worlds: usize) -> f64 {
    sign_test(worlds, 0)
}

/// The study as Markdown: per comparison, the per-world differences and the sign test.
pub fn study_table(s: &StudyResults) -> String {
    let mut out = String::from("| comparison | metric |");
    for seed in &s.world_seeds {
        out += &format!(" world {seed} |");
    }
    out += " mean | above / below 0 | within-world wins | sign p | Holm p | verdict |\n|---|---|";
    out += &"---|".repeat(s.world_seeds.len() + 6);
    out += "\n";
    let mut rows: Vec<&AcrossWorlds> = s.verdicts.iter().collect();
    rows.sort_by_key(|v| !v.primary);
    for v in rows {
        out += &format!(
            "| {} | {} |",
            comparison_label(&v.comparison, v.primary),
            v.metric.to_uppercase()
        );
        for d in &v.per_world {
            out += &format!(" {d:+.4} |");
        }
        out += &format!(
            " {:+.4} | {} / {} | {} of {} | {:.3} | {:.3} | {:?} |\n",
            v.mean,
            v.positive,
            v.negative,
            v.wins,
            v.per_world.len(),
            v.sign_p,
            v.sign_p_holm,
            v.outcome
        );
    }
    out
}

/// `report.md` of a study.
pub fn study_report(s: &StudyResults) -> String {
    let w = &s.world;
    format!(
        "# Study across {n} synthetic worlds\n\n\
         Worlds {users} users × {items} items, partner off-log share {off}, on-log share {on}, \
         seeds {seeds:?}; protocol and reasoner seed {seed}; {k} ranker seeds per model; GBR \
         {gbr:?}. Within a world each difference is a paired user bootstrap of seed-means; \
         across worlds, an exact two-sided sign test (with {n} worlds its least possible p is \
         {least:.4}), Holm-corrected over the family. Made by `reaseq study`: {secs:.0} s for the worlds end to end.\n\n{table}",
        n = s.worlds.len(),
        users = w.users,
        items = w.items,
        off = w.partner_off_log,
        on = w.partner_on_log,
        seeds = s.world_seeds,
        seed = s.seed,
        k = s.seeds,
        gbr = s.gbr,
        least = least_sign_p(s.worlds.len()),
        secs = s.seconds,
        table = study_table(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(comparison: &str, difference: f64, outcome: Outcome) -> Verdict {
        Verdict {
            comparison: comparison.into(),
            metric: "gauc".into(),
            primary: comparison == "ReaSeq − Base",
            difference,
            ci: [difference - 0.01, difference + 0.01],
            p_value: 0.01,
            p_holm: 0.02,
            outcome,
        }
    }

    #[test]
    fn the_sign_test_is_exact_and_two_sided() {
        assert!((sign_test(5, 0) - 0.0625).abs() < 1e-12);
        assert!((sign_test(0, 5) - 0.0625).abs() < 1e-12);
        // 8 of 8: 2 / 256.
        assert!((sign_test(8, 0) - 2.0 / 256.0).abs() < 1e-12);
        // 7 of 10: 2·(1 + 10 + 45 + 120) / 1024.
        assert!((sign_test(7, 3) - 352.0 / 1024.0).abs() < 1e-12);
        assert_eq!(sign_test(3, 3), 1.0);
        assert_eq!(sign_test(0, 0), 1.0);
        assert!(least_sign_p(5) > 0.05 && least_sign_p(6) < 0.05);
    }

    #[test]
    fn comparisons_are_read_across_worlds_and_corrected() {
        let world = |seed: u64, ds: [f64; 2]| WorldResult {
            world: WorldSpec::sized(30, 120, seed),
            test_users: 30,
            test_impressions: 300,
            verdicts: vec![
                verdict("ReaSeq − Base", ds[0], Outcome::Win),
                verdict("+GBR − shuffled", ds[1], Outcome::Tie),
            ],
            seconds: 1.0,
        };
        let worlds: Vec<WorldResult> = (0..8)
            .map(|s| {
                world(
                    s,
                    [
                        0.01 + s as f64 * 1e-3,
                        if s % 2 == 0 { 0.01 } else { -0.01 },
                    ],
                )
            })
            .collect();
        let s = StudyResults::new(worlds, 0, 3, GbrSource::Reasoner).unwrap();
        assert_eq!(s.world_seeds, (0..8).collect::<Vec<u64>>());
        let primary = &s.verdicts[0];
        assert!(primary.primary);
        assert_eq!(
            (primary.positive, primary.negative, primary.wins),
            (8, 0, 8)
        );
        assert!((primary.mean - 0.0135).abs() < 1e-12);
        // Holm over two: 2 × 2/256.
        assert!((primary.sign_p_holm - 4.0 / 256.0).abs() < 1e-12);
        assert_eq!(primary.outcome, Outcome::Win);
        let placebo = &s.verdicts[1];
        assert_eq!((placebo.positive, placebo.negative), (4, 4));
        assert_eq!(placebo.outcome, Outcome::Tie);
        let table = study_table(&s);
        assert!(
            table.contains("| ReaSeq − Base (primary) | GAUC | +0.0100 |"),
            "{table}"
        );
        assert!(table.contains("| 8 / 0 | 8 of 8 |"), "{table}");
        let back: StudyResults =
            crate::artifact::from_json("study.json", &crate::artifact::to_json(&s).unwrap())
                .unwrap();
        assert_eq!(back.world_seeds, s.world_seeds);
        assert_eq!(back.verdicts[0].outcome, Outcome::Win);
        assert_eq!(back.worlds.len(), 8);
    }
}
