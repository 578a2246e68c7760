//! Where a command's dataset comes from: `--data DIR`, `--interactions F [--items F]`, or by
//! default the fetched MovieLens-100k.

use std::path::PathBuf;

use clap::Args;
use reaseq_core::data::fetch::ml100k_dir;
use reaseq_core::data::load::{load_csv_files, load_dir};
use reaseq_core::data::WorldSpec;
use reaseq_core::data::{LoadOptions, Loaded, Prepared, ProtocolMode, SplitKind, Strictness};
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
    let opts = LoadOptions::from(strictness);
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

/// A synthetic world's parameters: every synthetic command takes them, and `reaseq study`
/// varies the seed across worlds.
#[derive(Args, Clone)]
pub struct WorldArgs {
    /// Users and items of the synthetic world; the default is the workbench's world, the one
    /// its committed bundles were trained on.
    #[arg(long, default_value_t = WorldSpec::WORKBENCH.users)]
    pub world_users: usize,
    #[arg(long, default_value_t = WorldSpec::WORKBENCH.items)]
    pub world_items: usize,
    /// Share of off-log behaviour in the user's partner genre (the planted signal).
    #[arg(long, default_value_t = WorldSpec::WORKBENCH.partner_off_log)]
    pub partner_off_log: f64,
    /// Share of logged behaviour in the partner genre (how much of it the log shows).
    #[arg(long, default_value_t = WorldSpec::WORKBENCH.partner_on_log)]
    pub partner_on_log: f64,
}

impl WorldArgs {
    /// The world with this seed.
    pub fn spec(&self, seed: u64) -> WorldSpec {
        WorldSpec {
            users: self.world_users,
            items: self.world_items,
            seed,
            partner_off_log: self.partner_off_log,
            partner_on_log: self.partner_on_log,
        }
    }
}

/// The data a model command works on: a seeded synthetic world, or a dataset under a beyond-log
/// mode.
#[derive(Args)]
pub struct DataArgs {
    #[command(flatten)]
    pub source: Source,
    /// A seeded synthetic world (planted off-log behaviour) instead of a dataset.
    #[arg(long)]
    pub synthetic: bool,
    #[command(flatten)]
    pub world: WorldArgs,
    /// The synthetic world's seed (default: the protocol's --seed, as before this flag).
    #[arg(long)]
    pub world_seed: Option<u64>,
    /// Beyond-log mode for datasets: random, future or domain (worlds use their planted one).
    #[arg(long, default_value = "random")]
    pub mode: String,
    /// random: each pre-test event's chance to be off-log; domain: the least share of all
    /// interactions its held-out genres cover.
    #[arg(long, default_value_t = 0.3)]
    pub rho: f64,
    /// Datasets' test and validation cuts: per `user`, or `global` (one time for everyone).
    #[arg(long, default_value = "user")]
    pub split: String,
}

impl DataArgs {
    /// The world (its seed `--world-seed`, else `seed`, which draws the protocol) or the dataset
    /// under its mode; `future_m` is the `future` mode's number of hidden events.
    pub fn prepare(&self, future_m: usize, seed: u64) -> anyhow::Result<Prepared> {
        let mut one = self.prepare_draws(future_m, seed..seed + 1, seed)?;
        one.pop()
            .ok_or_else(|| anyhow::anyhow!("no protocol seed to draw"))
    }

    /// The protocol drawn with each of `seeds` on one dataset (loaded once) or one world (its
    /// seed `--world-seed`, else `world_seed`).
    pub fn prepare_draws(
        &self,
        future_m: usize,
        seeds: std::ops::Range<u64>,
        world_seed: u64,
    ) -> anyhow::Result<Vec<Prepared>> {
        if self.synthetic {
            let world = self.world.spec(self.world_seed.unwrap_or(world_seed));
            return seeds
                .map(|seed| Ok(Prepared::synthetic_seeded(world, seed)?))
                .collect();
        }
        let mode = ProtocolMode::parse(&self.mode, self.rho, future_m)?;
        let split = SplitKind::parse(&self.split)?;
        let ds = load(&self.source, Strictness::Strict)?.dataset;
        seeds
            .map(|seed| Ok(Prepared::dataset_split(ds.clone(), mode, split, seed)?))
            .collect()
    }
}
