//! The comparisons declared in docs/results/preregistration.md: ReaSeq − Base on GAUC (the
//! primary endpoint) and AUC, +GBR − Base and +REP − Base on both, and +GBR − each control on
//! GAUC, Holm-corrected together, each with its verdict.

use serde::{Deserialize, Serialize};

use crate::metrics::holm;
use crate::ranker::Variant;

use super::results::{Comparison, ExperimentResults};

/// Where a comparison lands after the correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Corrected p below 0.05 and the interval above zero.
    Win,
    /// Corrected p below 0.05 and the interval below zero.
    Loss,
    Tie,
}

impl Outcome {
    /// "win", "loss" or "tie", as results files spell it.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Win => "win",
            Outcome::Loss => "loss",
            Outcome::Tie => "tie",
        }
    }
}

/// A comparison's name as tables print it: "ReaSeq − Base (primary)" for the primary endpoint.
pub fn comparison_label(comparison: &str, primary: bool) -> String {
    if primary {
        format!("{comparison} (primary)")
    } else {
        comparison.to_owned()
    }
}

/// One declared comparison, its paired difference and its corrected verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// "ReaSeq − Base", "+GBR − shuffled", …
    pub comparison: String,
    /// "gauc" or "auc".
    pub metric: String,
    /// The declared primary endpoint (ReaSeq − Base on GAUC).
    pub primary: bool,
    pub difference: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
    /// Holm-adjusted over every comparison of the family present in this run.
    pub p_holm: f64,
    pub outcome: Outcome,
}

/// `like`'s comparison (the same comparison on the same metric) among `verdicts`: how a study
/// reads one comparison across its runs.
pub fn same_comparison<'a>(verdicts: &'a [Verdict], like: &Verdict) -> Option<&'a Verdict> {
    verdicts
        .iter()
        .find(|x| x.comparison == like.comparison && x.metric == like.metric)
}

/// The family's comparisons present in `r` (controls only when it trained them), corrected.
pub fn declared_verdicts(r: &ExperimentResults) -> Vec<Verdict> {
    let mut family: Vec<(String, &'static str, bool, &Comparison)> = Vec::new();
    for v in [Variant::ReaSeq, Variant::Gbr, Variant::Rep] {
        let Some(vs) = r.variant(v).and_then(|x| x.vs_base.as_ref()) else {
            continue;
        };
        let name = format!("{} − Base", v.name());
        family.push((name.clone(), "gauc", v == Variant::ReaSeq, &vs.gauc));
        family.push((name, "auc", false, &vs.auc));
    }
    for (control, c) in &r.controls {
        family.push((
            format!("+GBR − {control}"),
            "gauc",
            false,
            &c.gbr_vs_control.gauc,
        ));
    }
    let p: Vec<f64> = family.iter().map(|f| f.3.p_value).collect();
    family
        .into_iter()
        .zip(holm(&p))
        .map(|((comparison, metric, primary, d), p_holm)| Verdict {
            comparison,
            metric: metric.to_owned(),
            primary,
            difference: d.difference,
            ci: d.ci,
            p_value: d.p_value,
            p_holm,
            outcome: outcome(p_holm, d.ci),
        })
        .collect()
}

/// A win or a loss needs the corrected p below 0.05 and the interval on one side of zero.
pub(super) fn outcome(p_holm: f64, [lo, hi]: [f64; 2]) -> Outcome {
    match p_holm < 0.05 {
        true if lo > 0.0 => Outcome::Win,
        true if hi < 0.0 => Outcome::Loss,
        _ => Outcome::Tie,
    }
}

/// The verdicts as a Markdown table, the primary endpoint first.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut out = String::from(
        "| comparison | metric | difference [95% CI] | p | Holm p | verdict |\n|---|---|---|---|---|---|\n",
    );
    let mut rows: Vec<&Verdict> = verdicts.iter().collect();
    rows.sort_by_key(|v| !v.primary);
    for v in rows {
        out += &format!(
            "| {} | {} | {:+.4} [{:+.4}, {:+.4}] | {:.3} | {:.3} | {:?} |\n",
            comparison_label(&v.comparison, v.primary),
            v.metric.to_uppercase(),
            v.difference,
            v.ci[0],
            v.ci[1],
            v.p_value,
            v.p_holm,
            v.outcome
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_corrected_p_and_the_interval() {
        assert_eq!(outcome(0.04, [0.002, 0.02]), Outcome::Win);
        assert_eq!(outcome(0.06, [0.002, 0.02]), Outcome::Tie);
        assert_eq!(outcome(0.01, [-0.02, -0.002]), Outcome::Loss);
        assert_eq!(outcome(0.01, [-0.02, 0.002]), Outcome::Tie);
        let table = verdict_table(&[Verdict {
            comparison: "ReaSeq − Base".into(),
            metric: "gauc".into(),
            primary: true,
            difference: 0.01,
            ci: [0.002, 0.02],
            p_value: 0.01,
            p_holm: 0.07,
            outcome: Outcome::Tie,
        }]);
        assert!(table.contains("ReaSeq − Base (primary) | GAUC"), "{table}");
    }
}
