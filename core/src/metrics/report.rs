//! A score file's figures as `reaseq metrics` reports them: AUC, GAUC and logloss and, with
//! bootstrap replicates, their 95% user-bootstrap intervals.

use std::fmt;

use serde::Serialize;

use crate::error::Result;

use super::{bootstrap_ci, evaluate, BootstrapConfig, Evaluation, Interval, Metric};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreReport {
    #[serde(flatten)]
    pub evaluation: Evaluation,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "bounds")]
    pub auc_ci: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "bounds")]
    pub gauc_ci: Option<Interval>,
}

/// An interval as `[lower, upper]`, the shape the JSON has always had.
fn bounds<S: serde::Serializer>(
    ci: &Option<Interval>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    ci.map(|i| [i.lower, i.upper]).serialize(s)
}

/// The figures of one score column; `bootstrap` adds the intervals.
pub fn score_report(
    users: &[u32],
    labels: &[bool],
    scores: &[f64],
    bootstrap: Option<&BootstrapConfig>,
) -> Result<ScoreReport> {
    let evaluation = evaluate(users, labels, scores)?;
    let ci = |m| {
        bootstrap
            .map(|cfg| bootstrap_ci(m, users, labels, scores, cfg))
            .transpose()
    };
    Ok(ScoreReport {
        evaluation,
        auc_ci: ci(Metric::Auc)?,
        gauc_ci: ci(Metric::Gauc)?,
    })
}

impl fmt::Display for ScoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.evaluation;
        writeln!(f, "rows      {}", e.n)?;
        writeln!(f, "AUC       {:.6}", e.auc)?;
        writeln!(
            f,
            "GAUC      {:.6} ({} of {} users have both classes)",
            e.gauc, e.users_used, e.users_total
        )?;
        writeln!(f, "logloss   {:.6}", e.logloss)?;
        for (name, ci) in [("auc", &self.auc_ci), ("gauc", &self.gauc_ci)] {
            if let Some(ci) = ci {
                writeln!(
                    f,
                    "{name} 95% CI [{:.6}, {:.6}] ({} replicates)",
                    ci.lower, ci.upper, ci.replicates_used
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_keeps_its_shape_and_the_text_its_lines() {
        let users = [0, 0, 1, 1, 2, 2];
        let labels = [true, false, true, false, false, true];
        let scores = [0.9, 0.2, 0.4, 0.6, 0.3, 0.8];
        let plain = score_report(&users, &labels, &scores, None).unwrap();
        let json = serde_json::to_value(&plain).unwrap();
        assert!(json.get("auc_ci").is_none() && json["n"] == 6, "{json}");
        let cfg = BootstrapConfig {
            replicates: 50,
            ..BootstrapConfig::default()
        };
        let r = score_report(&users, &labels, &scores, Some(&cfg)).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["gauc_ci"].as_array().map(Vec::len), Some(2), "{json}");
        let text = r.to_string();
        assert!(text.contains("GAUC      0.666667 (3 of 3 users"), "{text}");
        assert!(text.contains("auc 95% CI ["), "{text}");
    }
}
