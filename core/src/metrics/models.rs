//! Several models' scores on the same impressions, compared: each model's AUC, GAUC (with
//! user-bootstrap intervals) and logloss where its scores are probabilities, and a paired
//! bootstrap test of GAUC between every two. What `reaseq metrics` prints for a file of several
//! score columns and the Compare view shows for opened score files.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::load::ModelScores;
use crate::error::Result;

use super::{auc, bootstrap_ci, gauc, logloss, paired_bootstrap, BootstrapConfig, Metric};

/// One model's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFigures {
    pub model: String,
    pub n: usize,
    pub auc: f64,
    pub auc_ci: [f64; 2],
    pub gauc: f64,
    pub gauc_ci: [f64; 2],
    pub users_used: usize,
    pub users_total: usize,
    /// None when some score is outside [0, 1] (logits): logloss does not apply.
    pub logloss: Option<f64>,
}

/// GAUC(a) − GAUC(b), paired over users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPair {
    pub a: String,
    pub b: String,
    pub difference: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsReport {
    pub models: Vec<ModelFigures>,
    pub pairs: Vec<ModelPair>,
    pub replicates: usize,
    /// AUC by slice of the rows, when they were matched against a dataset
    /// ([`super::model_slices`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<super::ModelSlices>,
}

/// Every model's figures and every pair's paired test, with `cfg`'s replicates and seed.
pub fn evaluate_models(s: &ModelScores, cfg: &BootstrapConfig) -> Result<ModelsReport> {
    let (users, labels) = (&s.user, &s.label);
    let mut models = Vec::with_capacity(s.models.len());
    for (name, scores) in &s.models {
        let g = gauc(users, labels, scores)?;
        let ci = |m| bootstrap_ci(m, users, labels, scores, cfg).map(|i| [i.lower, i.upper]);
        let probabilities = scores.iter().all(|p| (0.0..=1.0).contains(p));
        models.push(ModelFigures {
            model: name.clone(),
            n: scores.len(),
            auc: auc(labels, scores)?,
            auc_ci: ci(Metric::Auc)?,
            gauc: g.value,
            gauc_ci: ci(Metric::Gauc)?,
            users_used: g.users_used,
            users_total: g.users_total,
            logloss: probabilities.then(|| logloss(labels, scores)).transpose()?,
        });
    }
    let mut pairs = Vec::new();
    for (i, (a, sa)) in s.models.iter().enumerate() {
        for (b, sb) in &s.models[i + 1..] {
            let d = paired_bootstrap(Metric::Gauc, users, labels, sa, sb, cfg)?;
            pairs.push(ModelPair {
                a: a.clone(),
                b: b.clone(),
                difference: d.estimate,
                ci: [d.lower, d.upper],
                p_value: d.p_value,
            });
        }
    }
    Ok(ModelsReport {
        models,
        pairs,
        replicates: cfg.replicates,
        slices: None,
    })
}

impl ModelsReport {
    /// One row per model: `model,rows,auc,auc_lower,auc_upper,gauc,gauc_lower,gauc_upper,logloss`
    /// (logloss empty where it does not apply).
    pub fn csv(&self) -> String {
        let mut out =
            String::from("model,rows,auc,auc_lower,auc_upper,gauc,gauc_lower,gauc_upper,logloss\n");
        for m in &self.models {
            let ll = m.logloss.map_or(String::new(), |l| format!("{l:.6}"));
            let [a, g] = [(m.auc, m.auc_ci), (m.gauc, m.gauc_ci)]
                .map(|(v, ci)| format!("{v:.6},{:.6},{:.6}", ci[0], ci[1]));
            let model = super::model_slices::csv_field(&m.model);
            out.push_str(&format!("{model},{},{a},{g},{ll}\n", m.n));
        }
        out
    }
}

impl fmt::Display for ModelsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model  rows  AUC [95% CI]  GAUC [95% CI]  logloss")?;
        for m in &self.models {
            let ll = m
                .logloss
                .map_or("n/a (not probabilities)".into(), |l| format!("{l:.6}"));
            writeln!(
                f,
                "{}  {}  {:.6} [{:.6}, {:.6}]  {:.6} [{:.6}, {:.6}] ({} of {} users)  {ll}",
                m.model,
                m.n,
                m.auc,
                m.auc_ci[0],
                m.auc_ci[1],
                m.gauc,
                m.gauc_ci[0],
                m.gauc_ci[1],
                m.users_used,
                m.users_total
            )?;
        }
        for p in &self.pairs {
            writeln!(
                f,
                "GAUC {} − {}: {:+.6} [{:+.6}, {:+.6}], p = {:.4} (paired user bootstrap, {} replicates)",
                p.a, p.b, p.difference, p.ci[0], p.ci[1], p.p_value, self.replicates
            )?;
        }
        match &self.slices {
            Some(s) => write!(f, "{s}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{read_model_scores, Strictness};

    #[test]
    fn each_model_is_evaluated_as_alone_and_pairs_are_tested() {
        let data = b"user_id,label,good,logit\na,1,0.9,3\na,0,0.2,-1\nb,1,0.7,-2\nb,0,0.4,1\nc,1,0.6,0.5\nc,0,0.5,0.1\n";
        let s = read_model_scores("m.csv", data, Strictness::Strict).unwrap();
        let cfg = BootstrapConfig {
            replicates: 200,
            ..BootstrapConfig::default()
        };
        let r = evaluate_models(&s, &cfg).unwrap();
        let alone = super::super::evaluate(&s.user, &s.label, &s.models[0].1).unwrap();
        assert_eq!((r.models[0].auc, r.models[0].gauc), (alone.auc, alone.gauc));
        assert_eq!(r.models[0].logloss, Some(alone.logloss));
        assert_eq!(r.models[1].logloss, None, "logits have no logloss");
        assert_eq!(r.pairs.len(), 1);
        assert!((r.pairs[0].difference - (r.models[0].gauc - r.models[1].gauc)).abs() < 1e-12);
        assert!(r.to_string().contains("n/a (not probabilities)"));
        let csv = r.csv();
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(
            csv.lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("logit,6,") && l.ends_with(',')),
            "{csv}"
        );
    }
}
