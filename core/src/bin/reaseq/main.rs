//! `reaseq`: fetch the data, validate it, describe it, and score predictions — every number the
//! workbench shows can be reproduced from here.

mod data;
mod metrics;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "reaseq", version, about = "ReaSeq Workbench command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch, validate and describe datasets.
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// AUC, GAUC and logloss of a score file (CSV: user_id,label,score).
    Metrics(metrics::MetricsArgs),
}

/// Where generated data lives: `$REASEQ_DATA`, else `./data`.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("REASEQ_DATA").map_or_else(|| PathBuf::from("data"), PathBuf::from)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data { command } => data::run(command),
        Command::Metrics(args) => metrics::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
