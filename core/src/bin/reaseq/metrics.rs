//! `reaseq metrics --scores F`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use reaseq_core::data::load::read_scores_csv;
use reaseq_core::data::Strictness;
use reaseq_core::metrics::{score_report, BootstrapConfig};
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
    let cfg = BootstrapConfig {
        replicates: args.bootstrap,
        seed: args.seed,
        ..BootstrapConfig::default()
    };
    let bootstrap = (args.bootstrap > 0).then_some(&cfg);
    let report = score_report(&table.user, &table.label, &table.score, bootstrap)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    pb.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}
