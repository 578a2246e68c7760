//! Where a command's dataset comes from: `--data DIR`, `--interactions F [--items F]`, or by
//! default the fetched MovieLens-100k.

use std::path::PathBuf;

use clap::Args;
use reaseq_core::data::fetch::ml100k_dir;
use reaseq_core::data::load::{load_csv_files, load_dir};
use reaseq_core::data::{
    BeyondLog, Dataset, GroundTruth, LoadOptions, Loaded, Protocol, SplitConfig, Strictness,
    SyntheticConfig, SyntheticWorld,
};
use reaseq_core::Error;

use crate::progress::spinner;

#[derive(Args)]
pub struct Source {
    /// A directory with interactions.csv (+ items.csv) or RecBole atomic files.
    #[arg(long, conflicts_with_all = ["interactions", "items"])]
    pub data: Option<PathBuf>,
    /// interactions.csv: user_id,item_id,timestamp[,label|rating]
    #[arg(long)]
    pub interactions: Option<PathBuf>,
    /// items.csv: item_id,title[,genres][,year][,description]
    #[arg(long, requires = "interactions")]
    pub items: Option<PathBuf>,
}

pub fn load(source: &Source, strictness: Strictness) -> std::result::Result<Loaded, Error> {
    let opts = LoadOptions { strictness };
    let pb = spinner("loading");
    let loaded = match (&source.data, &source.interactions) {
        (Some(dir), _) => load_dir(dir, opts),
        (None, Some(inter)) => load_csv_files(inter, source.items.as_deref(), opts),
        (None, None) => {
            let dir = ml100k_dir(&crate::default_data_dir());
            if !dir.exists() {
                pb.finish_and_clear();
                return Err(Error::Config(format!(
                    "{} does not exist: run `reaseq data fetch` first, or pass --data DIR",
                    dir.display()
                )));
            }
            load_dir(&dir, opts)
        }
    };
    pb.finish_and_clear();
    loaded
}

/// The data a model command works on and its beyond-log protocol.
pub struct Split {
    pub ds: Dataset,
    pub protocol: Protocol,
    pub mode: BeyondLog,
    /// The synthetic world's ground truth (None for datasets).
    pub truth: Option<GroundTruth>,
}

/// A seeded synthetic world under its planted off-log behaviour (`world` given), or the source's
/// dataset under `random` (rho) or `future` (the last `future_m` events); `seed` seeds the
/// world and the protocol alike.
pub fn split(
    source: &Source,
    world: Option<(usize, usize)>,
    mode: &str,
    rho: f64,
    future_m: usize,
    seed: u64,
) -> anyhow::Result<Split> {
    let (ds, mode, truth) = match world {
        Some((users, items)) => {
            let w = SyntheticWorld::generate(&SyntheticConfig {
                users,
                items,
                seed,
                ..SyntheticConfig::default()
            })?;
            let off_log = w.truth.off_log.clone();
            (w.dataset, BeyondLog::Planted { off_log }, Some(w.truth))
        }
        None => {
            let mode = match mode {
                "random" => BeyondLog::Random { rho },
                "future" => BeyondLog::Future { m: future_m },
                other => anyhow::bail!("unknown mode '{other}' (available: random, future)"),
            };
            (load(source, Strictness::Strict)?.dataset, mode, None)
        }
    };
    let protocol = Protocol::new(&ds, SplitConfig::default(), &mode, seed)?;
    Ok(Split {
        ds,
        protocol,
        mode,
        truth,
    })
}
