//! `reaseq metrics --scores F`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use reaseq_core::data::load::{one_model_file, read_model_scores, read_scores_csv};
use reaseq_core::data::Strictness;
use reaseq_core::metrics::{evaluate_models, model_slices, score_report, BootstrapConfig};
use reaseq_core::Error;

use crate::progress::spinner;
use crate::source::{load, Source};

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
    /// With --data or --interactions: each model's AUC by slice of the rows (item popularity,
    /// user history length, genre) as this dataset knows them (a file with item_id).
    #[command(flatten)]
    source: Source,
}

pub fn run(args: MetricsArgs) -> Result<ExitCode> {
    let file = args.scores.display().to_string();
    let bytes = std::fs::read(&args.scores).map_err(|e| Error::io(&args.scores, e))?;
    let pb = spinner("scoring");
    let out = figures(&args, &file, &bytes);
    pb.finish_and_clear();
    let (json, text) = match out {
        Ok(o) => o,
        Err(Error::Invalid { report }) => {
            eprint!("{report}");
            eprintln!("error: {} problem(s) in {file}", report.count());
            return Ok(ExitCode::FAILURE);
        }
        Err(e @ Error::Metric(_)) => return Err(anyhow::anyhow!("{file}: {e}")),
        Err(e) => return Err(e.into()),
    };
    if args.json {
        println!("{json}");
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The file's figures as JSON and text: one model (a `score` column), or a column per model
/// (1000 replicates unless asked) with their paired tests.
fn figures(args: &MetricsArgs, file: &str, bytes: &[u8]) -> reaseq_core::Result<(String, String)> {
    let cfg = |replicates| BootstrapConfig {
        replicates,
        seed: args.seed,
        ..BootstrapConfig::default()
    };
    let json = |v: serde_json::Result<String>| v.map_err(|e| Error::Metric(e.to_string()));
    if one_model_file(bytes) {
        let t = read_scores_csv(file, bytes, Strictness::Strict)?;
        let (c, asked) = (cfg(args.bootstrap), args.bootstrap > 0);
        let r = score_report(&t.user, &t.label, &t.score, asked.then_some(&c))?;
        Ok((json(serde_json::to_string(&r))?, r.to_string()))
    } else {
        let m = read_model_scores(file, bytes, Strictness::Strict)?;
        let replicates = Some(args.bootstrap).filter(|&n| n > 0).unwrap_or(1000);
        let mut r = evaluate_models(&m, &cfg(replicates))?;
        if args.source.data.is_some() || args.source.interactions.is_some() {
            r.slices = Some(model_slices(
                &m,
                &load(&args.source, Strictness::Strict)?.dataset,
            )?);
        }
        Ok((json(serde_json::to_string(&r))?, r.to_string()))
    }
}
