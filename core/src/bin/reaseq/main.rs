//! `reaseq`: fetch the data, validate it, describe it, and score predictions — every number the
//! workbench shows can be reproduced from here.

mod data;
mod experiment;
mod explain;
mod knowledge;
mod metrics;
mod progress;
mod reasoner;
mod source;
mod study;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Training frees and allocates tensors of megabytes every step: mimalloc keeps that memory
// where glibc returns it to the kernel and faults it in again (docs/results/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Build and inspect the items' knowledge cards (explicit reasoning).
    Knowledge {
        #[command(subcommand)]
        command: knowledge::KnowledgeCommand,
    },
    /// Train and evaluate the diffusion reasoner (implicit reasoning).
    Reasoner {
        #[command(subcommand)]
        command: reasoner::ReasonerCommand,
    },
    /// The ablation: train Base, +REP, +GBR and ReaSeq on identical data and seeds, and report
    /// AUC, GAUC, logloss, CIs, paired tests and slices.
    Experiment(experiment::ExperimentArgs),
    /// The ablation with its controls on K fresh synthetic worlds, each comparison read across
    /// them (per-world differences, sign tests, Holm).
    Study(study::StudyArgs),
    /// AUC, GAUC and logloss of a score file (CSV: user_id,label,score).
    Metrics(metrics::MetricsArgs),
    /// What-if: edit a user's history and see the reasoner's inferences, every variant's score,
    /// attention, leave-one-out effects and top-K before and after, as the Sequences page does.
    Explain(explain::ExplainArgs),
    /// The slices of the test set where one model beats another most surely (paired user
    /// bootstrap, Benjamini–Hochberg q), as the Compare page's slice finder does.
    Slices(explain::SlicesArgs),
}

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`reaseq … | head`) instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data { command } => data::run(command),
        Command::Knowledge { command } => knowledge::run(command),
        Command::Reasoner { command } => reasoner::run(command),
        Command::Experiment(args) => experiment::run(args),
        Command::Study(args) => study::run(args),
        Command::Metrics(args) => metrics::run(args),
        Command::Explain(args) => explain::explain(args),
        Command::Slices(args) => explain::slices(args),
    };
    progress::finish();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
