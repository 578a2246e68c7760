//! `reaseq study`: the ablation with its controls on K fresh synthetic worlds, and each
//! declared comparison read across them (`reaseq_core::experiment::StudyResults`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use reaseq_core::artifact::to_json;
use reaseq_core::experiment::{study_table, ExperimentConfig, GbrSource};
use reaseq_core::layout;
use reaseq_core::ranker::train::RankerTrainConfig;

use crate::knowledge::LazyTeacher;
use crate::progress::Stderr;
use crate::source::WorldArgs;
use crate::workspace::workspace;

#[derive(Args)]
pub struct StudyArgs {
    /// The worlds are synthetic (the only kind a study draws afresh); required for clarity.
    #[arg(long)]
    synthetic: bool,
    /// How many worlds, seeded --world-seed-start, +1, …
    #[arg(long, default_value_t = 5)]
    worlds: usize,
    /// The first world's seed. The workbench's own world is seed 0: start elsewhere to test on
    /// worlds nobody looked at.
    #[arg(long, default_value_t = 1000)]
    world_seed_start: u64,
    #[command(flatten)]
    world: WorldArgs,
    /// Ranker seeds per model in every world.
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Models trained at once.
    #[arg(long, default_value_t = std::thread::available_parallelism().map_or(1, |n| n.get()))]
    jobs: usize,
    /// The protocol's and the reasoner's seed in every world.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reasoner epochs in every world.
    #[arg(long, default_value_t = 30)]
    reasoner_epochs: usize,
    /// Most epochs per model (default 30, as `reaseq experiment --synthetic`).
    #[arg(long)]
    epochs: Option<usize>,
    /// Where the worlds' workspaces, study.json and report.md go (default: {data}/study/synthetic).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fit every world's reasoner and rankers afresh even when a finished world is there.
    #[arg(long)]
    retrain: bool,
    /// Also copy study.json (aggregates across worlds, no rows) to assets/study/synthetic, where
    /// the page's Summary shows it.
    #[arg(long)]
    write_asset: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(a: StudyArgs) -> Result<ExitCode> {
    if !a.synthetic {
        bail!("a study draws synthetic worlds: pass --synthetic (a dataset has one world, use `reaseq experiment`)");
    }
    if a.worlds == 0 {
        bail!("--worlds must be at least 1");
    }
    let d = ExperimentConfig::defaults(true);
    let cfg = ExperimentConfig {
        seeds: a.seeds,
        jobs: a.jobs,
        training: RankerTrainConfig {
            epochs: a.epochs.unwrap_or(d.training.epochs),
            ..d.training
        },
        gbr: GbrSource::Reasoner,
        controls: true,
        ..d
    }
    .with_protocol_seed(a.seed)?;
    let ws = workspace().retraining(a.retrain);
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| ws.path(&layout::study_dir("synthetic")));
    let seeds: Vec<u64> = (0..a.worlds as u64)
        .map(|k| a.world_seed_start + k)
        .collect();
    let study = ws.study(
        a.world.spec(a.world_seed_start),
        &seeds,
        (&cfg, a.reasoner_epochs),
        &LazyTeacher::default(),
        &dir,
        &Stderr,
    )?;
    eprintln!("study → {}", dir.display());
    if a.write_asset {
        eprintln!("assets → {}", ws.write_study_asset(&study)?.display());
    }
    if a.json {
        println!("{}", String::from_utf8(to_json(&study)?)?);
    } else {
        print!("{}", study_table(&study));
    }
    Ok(ExitCode::SUCCESS)
}
