//! Where a command's dataset comes from: `--data DIR`, `--interactions F [--items F]`, or by
//! default the fetched MovieLens-100k.

use std::path::PathBuf;

use clap::Args;
use reaseq_core::data::fetch::ml100k_dir;
use reaseq_core::data::load::{load_csv_files, load_dir};
use reaseq_core::data::{LoadOptions, Loaded, Prepared, ProtocolMode, Strictness, WorldSpec};
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
            let dir = ml100k_dir(&crate::workspace::data_dir());
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

/// The world or dataset a model command works on, under its protocol: a seeded synthetic world
/// (`world` given; `seed` seeds it and the protocol alike), or the source's dataset under
/// `mode`.
pub fn prepare(
    source: &Source,
    world: Option<(usize, usize)>,
    mode: ProtocolMode,
    seed: u64,
) -> Result<Prepared, Error> {
    match world {
        Some((users, items)) => Prepared::synthetic(WorldSpec { users, items, seed }),
        None => Prepared::dataset(load(source, Strictness::Strict)?.dataset, mode, seed),
    }
}
