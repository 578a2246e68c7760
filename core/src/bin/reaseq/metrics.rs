//! `reaseq metrics --scores F`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use reaseq_core::data::load::read_scores_csv;
use reaseq_core::data::Strictness;
use reaseq_core::metrics::{bootstrap_ci, evaluate, BootstrapConfig, Metric};
use reaseq_core::Error;

use crate::progress::spinner;

#[derive(Args)]
pub struct MetricsArgs {
    /// CSV with header user_id,label,score (label 0/1, score a probability).
    #[arg(long)]
    scores: PathBuf,
    /// One JSON object: n, auc, gauc, logloss, users_total, users_used (+ CIs with --bootstrap).
    #[arg(long)]
    json: bool,
    /// User-level bootstrap replicates for 95% intervals of AUC and GAUC (0 = none).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// What `reaseq metrics --json` prints: the evaluation and, with `--bootstrap`, its intervals.
#[derive(serde::Serialize)]
struct MetricsOutput<'a> {
    #[serde(flatten)]
    evaluation: &'a reaseq_core::metrics::Evaluation,
    #[serde(skip_serializing_if = "Option::is_none")]
    auc_ci: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gauc_ci: Option<[f64; 2]>,
}

pub fn run(args: MetricsArgs) -> Result<ExitCode> {
    let file = args.scores.display().to_string();
    let bytes = std::fs::read(&args.scores).map_err(|e| Error::io(&args.scores, e))?;
    let pb = spinner("scoring");
    let table = match read_scores_csv(&file, &bytes, Strictness::Strict) {
        Ok(t) => t,
        Err(Error::Invalid { report }) => {
            pb.finish_and_clear();
            eprint!("{report}");
            eprintln!("error: {} problem(s) in {file}", report.count());
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            pb.finish_and_clear();
            return Err(e.into());
        }
    };
    let ev = evaluate(&table.user, &table.label, &table.score)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let mut cis = Vec::new();
    if args.bootstrap > 0 {
        let cfg = BootstrapConfig {
            replicates: args.bootstrap,
            seed: args.seed,
            ..BootstrapConfig::default()
        };
        for (name, m) in [("auc", Metric::Auc), ("gauc", Metric::Gauc)] {
            pb.set_message(format!("bootstrap {name}"));
            cis.push((
                name,
                bootstrap_ci(m, &table.user, &table.label, &table.score, &cfg)?,
            ));
        }
    }
    pb.finish_and_clear();
    if args.json {
        let ci = |name: &str| {
            cis.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, i)| [i.lower, i.upper])
        };
        let out = MetricsOutput {
            evaluation: &ev,
            auc_ci: ci("auc"),
            gauc_ci: ci("gauc"),
        };
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!("rows      {}", ev.n);
        println!("AUC       {:.6}", ev.auc);
        println!(
            "GAUC      {:.6} ({} of {} users have both classes)",
            ev.gauc, ev.users_used, ev.users_total
        );
        println!("logloss   {:.6}", ev.logloss);
        for (name, ci) in &cis {
            println!(
                "{name} 95% CI [{:.6}, {:.6}] ({} replicates)",
                ci.lower, ci.upper, ci.replicates_used
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
