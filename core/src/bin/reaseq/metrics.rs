//! `reaseq metrics --scores F`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use reaseq_core::data::load::{read_model_scores, read_scores_csv};
use reaseq_core::data::Strictness;
use reaseq_core::metrics::{evaluate_models, score_report, BootstrapConfig};
use reaseq_core::Error;

use crate::progress::spinner;

#[derive(Args)]
pub struct MetricsArgs {
    /// CSV with header user_id,label,score (label 0/1, score a probability); or user_id,label
    /// [,item_id] and one score column per model (scores or logits): then every model's AUC,
    /// GAUC and logloss with intervals (1000 replicates unless --bootstrap) and paired tests.
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
    let cfg = |replicates| BootstrapConfig {
        replicates,
        seed: args.seed,
        ..BootstrapConfig::default()
    };
    let at = |e: Error| anyhow::anyhow!("{file}: {e}");
    // Several score columns: every model (1000 replicates unless asked), and paired tests.
    let models = read_model_scores(&file, &bytes, Strictness::Strict).ok();
    let (json, text) = match models.filter(|m| m.models.len() > 1) {
        Some(m) => {
            let replicates = if args.bootstrap > 0 {
                args.bootstrap
            } else {
                1000
            };
            let r = evaluate_models(&m, &cfg(replicates)).map_err(at)?;
            (serde_json::to_string(&r)?, r.to_string())
        }
        None => {
            let table = match read_scores_csv(&file, &bytes, Strictness::Strict) {
                Ok(t) => t,
                Err(Error::Invalid { report }) => {
                    pb.finish_and_clear();
                    eprint!("{report}");
                    eprintln!("error: {} problem(s) in {file}", report.count());
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            };
            let c = cfg(args.bootstrap);
            let bootstrap = (args.bootstrap > 0).then_some(&c);
            let r = score_report(&table.user, &table.label, &table.score, bootstrap).map_err(at)?;
            (serde_json::to_string(&r)?, r.to_string())
        }
    };
    pb.finish_and_clear();
    if args.json {
        println!("{json}");
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}
