//! `reaseq experiment`: the ablation. The training and evaluation are
//! `reaseq_core::experiment`'s; this reads flags, finds the REP vectors and GBR sequences, and
//! writes `results.json`, the Markdown report with its charts, and the workbench's bundles.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;
use reaseq_core::artifact::to_json;
use reaseq_core::data::Prepared;
use reaseq_core::experiment::{draws_table, markdown_table, run_experiment, ExperimentResults};
use reaseq_core::experiment::{ExperimentConfig, GbrDecoding, GbrSource};
use reaseq_core::layout;
use reaseq_core::ranker::cold::NewItem;
use reaseq_core::ranker::train::RankerTrainConfig;
use reaseq_core::ranker::HistoryEvents;
use reaseq_core::workspace::Workspace;

use crate::knowledge::LazyTeacher;
use crate::progress::Stderr;
use crate::source::DataArgs;
use crate::workspace::workspace;

#[derive(Args)]
pub struct ExperimentArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Training seeds per variant (reported as mean ± std): protocol seed × seeds, +1, …
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Repeat the whole experiment on this many protocol draws (seeds --seed, +1, …), each
    /// with its own reasoner cross-fit and model seeds, and pool each declared comparison over
    /// them (draws.json, in {data}/study/{dataset}/draws unless --reports says where).
    #[arg(long)]
    draws: Option<usize>,
    /// Models trained at once (each is seeded, so the results do not depend on it).
    #[arg(long, default_value_t = default_jobs())]
    jobs: usize,
    /// Most epochs per model (early stopping on validation GAUC); default 12, 30 on worlds.
    #[arg(long)]
    epochs: Option<usize>,
    /// Impressions per optimiser step; default 256 on datasets, 64 on the synthetic world.
    #[arg(long)]
    batch: Option<usize>,
    /// Epochs without a better validation GAUC before a model stops; default 2, 4 on worlds.
    #[arg(long)]
    patience: Option<usize>,
    /// Sampled negatives per logged event (0: labels from ratings only).
    #[arg(long, default_value_t = 0)]
    negatives: usize,
    /// Where results.json, report.md and the charts go (default: {data}/reports/{dataset}).
    #[arg(long)]
    reports: Option<PathBuf>,
    /// The protocol's seed (also the reasoner's, whose sequences are reused); the models are
    /// seeded seed × --seeds, +1, …
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reasoner epochs when its sequences must be (re)made.
    #[arg(long, default_value_t = 30)]
    reasoner_epochs: usize,
    /// Also copy the first model seed's bundles (seed 0 with the default --seed), results.json
    /// and (synthetic worlds only, whose rows may be shared) the GBR sequences and test scores
    /// to assets/ranker/{dataset}; with --draws, draws.json to assets/study/{dataset}.
    #[arg(long)]
    write_asset: bool,
    /// Train the reasoner and every ranker afresh instead of installing the shipped ones
    /// (assets/), and say how far the figures are from the shipped.
    #[arg(long)]
    retrain: bool,
    /// Histories of every logged event instead of the liked ones only.
    #[arg(long)]
    all_events: bool,
    /// GBR = each user's last `--oracle-slots` real off-log events: a perfect reasoner's
    /// ceiling. It reads hidden events, so it is a diagnostic, never a result.
    #[arg(long)]
    gbr_oracle: bool,
    #[arg(long, default_value_t = 10)]
    oracle_slots: usize,
    /// Also train the controls (+GBR's block over co-occurrence, popularity, placebo, … items;
    /// Base with a user embedding).
    #[arg(long)]
    controls: bool,
    /// Infer GBR every N logged events of each user, each row reading the latest sequence
    /// before it (no look-ahead); 0: one sequence per user from the whole pre-test log.
    #[arg(long, default_value_t = 0)]
    gbr_every: usize,
    /// How time-windowed GBR is decoded: beam (the ranked decoder) or diffusion (the sampler).
    #[arg(long, default_value = "beam", value_parser = ["beam", "diffusion"])]
    gbr_decoding: String,
    /// Cold start with the saved bundles: place a new item with this title (and `--cold-text`)
    /// in the REP space and score it for `--cold-user` with every variant, as the page does.
    #[arg(long)]
    cold_title: Option<String>,
    #[arg(long, default_value = "")]
    cold_text: String,
    /// The new item's genres, comma-separated.
    #[arg(long, default_value = "")]
    cold_genres: String,
    /// A user by name (default: the first user with a test impression).
    #[arg(long)]
    cold_user: Option<String>,
    /// Rank every test user's whole catalogue with the saved bundles (Recall, NDCG and HitRate
    /// at 5, 10, 20 with intervals and paired tests against Base), as the Compare page does;
    /// with --write-asset, also to assets/ranker/{dataset}/full_ranking.json.
    #[arg(long)]
    full_ranking: bool,
    /// Place every catalogue item as if it were new (its title and description through the
    /// student) against the +REP bundle's REP vectors — the files the page reads: a synthetic
    /// world's shipped ones, MovieLens-100k's from this workspace — as the Compare page's
    /// cold-start card does; with --write-asset, also to assets/ranker/{dataset}/cold_catalogue.json.
    #[arg(long)]
    cold_catalogue: bool,
    #[arg(long)]
    json: bool,
}

impl ExperimentArgs {
    fn prepare(&self) -> Result<Prepared> {
        self.data.prepare(10, self.seed)
    }

    fn history(&self) -> HistoryEvents {
        if self.all_events {
            HistoryEvents::All
        } else {
            HistoryEvents::Liked
        }
    }

    /// The library's configuration: the flags over the per-source defaults.
    fn config(&self) -> Result<ExperimentConfig> {
        let d = ExperimentConfig::defaults(self.data.synthetic);
        let cfg = ExperimentConfig {
            seeds: self.seeds,
            jobs: self.jobs,
            training: RankerTrainConfig {
                epochs: self.epochs.unwrap_or(d.training.epochs),
                batch: self.batch.unwrap_or(d.training.batch),
                patience: self.patience.unwrap_or(d.training.patience),
                ..d.training
            },
            negatives: self.negatives,
            history: self.history(),
            gbr: match (self.gbr_oracle, self.gbr_every) {
                (true, _) => GbrSource::Oracle {
                    slots: self.oracle_slots,
                },
                (false, 0) => GbrSource::Reasoner,
                (false, every) => GbrSource::Windowed {
                    every,
                    decoding: match self.gbr_decoding.as_str() {
                        "diffusion" => GbrDecoding::Diffusion,
                        _ => GbrDecoding::Beam,
                    },
                },
            },
            controls: self.controls,
            ..d
        };
        Ok(cfg.with_protocol_seed(self.seed)?)
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn run(a: ExperimentArgs) -> Result<ExitCode> {
    if let Some(title) = &a.cold_title {
        return cold_start(&a, title);
    }
    if a.full_ranking {
        return full_ranking(&a);
    }
    if a.cold_catalogue {
        let c = workspace().cold_catalogue(&a.prepare()?, a.write_asset, &Stderr)?;
        if a.json {
            println!("{}", String::from_utf8(to_json(&c)?)?);
        } else {
            print!("{c}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.gbr_oracle && a.write_asset {
        bail!("--gbr-oracle reads the hidden events: its models cannot be workbench assets");
    }
    if let Some(k) = a.draws {
        return draws(&a, k);
    }
    let started = Instant::now();
    let ws = workspace().retraining(a.retrain);
    let (data, cfg) = (a.prepare()?, a.config()?);
    let rep = ws.experiment_rep(&data, &LazyTeacher::default(), &Stderr)?;
    eprintln!("REP: {}", rep.source.describe());
    let gbr = ws.experiment_gbr(&data, cfg.gbr, a.reasoner_epochs, &Stderr)?;
    // The shipped models and results when they were made on this data with these settings:
    // their seed-0 bundles must score here what they scored there.
    if !(a.gbr_oracle || a.write_asset) {
        if let Some(shipped) =
            ws.install_shipped_experiment(&data, &cfg, (&rep.source, &gbr.sequences), &Stderr)?
        {
            eprint!("{}", shipped.describe());
            return write_reports(&a, &ws, &shipped.results, data.ds.name.clone());
        }
    }
    let mut run = run_experiment(&data, &rep, &gbr, &cfg, &Stderr)?;
    // The whole command's time, as before: with the setup and the sequences.
    run.results.seconds = started.elapsed().as_secs_f64();
    // Models that read hidden events (the oracle) get their own report and never reach the
    // workbench.
    let name = &data.ds.name;
    let reports_name = if a.gbr_oracle {
        format!("{name}-gbr-oracle")
    } else {
        ws.write_experiment_bundles(&data, &run)?;
        name.clone()
    };
    if a.retrain {
        ws.compare_with_shipped(&data, &run.results, &Stderr)?;
    }
    if a.write_asset {
        ws.write_experiment_assets(&data, &run, &Stderr)?;
    }
    write_reports(&a, &ws, &run.results, reports_name)
}

/// The reports (`Workspace::write_reports`); the table, or with `--json` the results, on stdout.
fn write_reports(
    a: &ExperimentArgs,
    ws: &Workspace,
    r: &ExperimentResults,
    name: String,
) -> Result<ExitCode> {
    let reports = ws.write_reports(a.reports.clone(), &name, r)?;
    if a.json {
        println!("{}", String::from_utf8(to_json(r)?)?);
    } else {
        print!("{}", markdown_table(r));
        eprintln!("results, report and charts → {}", reports.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--draws K`: the experiment on K protocol draws (`Workspace::draw_study`), pooled.
fn draws(a: &ExperimentArgs, k: usize) -> Result<ExitCode> {
    if k < 2 {
        bail!("--draws must be at least 2: one draw has no spread to read");
    }
    if a.gbr_oracle {
        bail!(
            "--draws repeats the reasoner's experiment: --gbr-oracle is a diagnostic of one draw"
        );
    }
    let Some(last) = a.seed.checked_add(k as u64) else {
        bail!(
            "--seed {} with --draws {k}: the draws' seeds overflow",
            a.seed
        );
    };
    let ws = workspace().retraining(a.retrain);
    // One world for every draw: --world-seed's, else the first draw's seed.
    let draws = a.data.prepare_draws(10, a.seed..last, a.seed)?;
    let name = &draws[0].ds.name;
    let dir = a
        .reports
        .clone()
        .unwrap_or_else(|| ws.path(&layout::draws_dir(name)));
    let study = ws.draw_study(
        &draws,
        (&a.config()?, a.reasoner_epochs),
        &LazyTeacher::default(),
        &dir,
        &Stderr,
    )?;
    eprintln!("draws → {}", dir.display());
    if a.write_asset {
        eprintln!("assets → {}", ws.write_draws_asset(&study)?.display());
    }
    if a.json {
        println!("{}", String::from_utf8(to_json(&study)?)?);
    } else {
        print!("{}", draws_table(&study));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--full-ranking`: the saved bundles rank the whole catalogue (`Workspace::full_ranking`).
fn full_ranking(a: &ExperimentArgs) -> Result<ExitCode> {
    let ws = workspace();
    let data = a.prepare()?;
    let f = ws.full_ranking(&data, a.reasoner_epochs, a.jobs, &Stderr)?;
    if a.write_asset {
        ws.write_full_ranking_asset(&data, &Stderr)?;
    }
    if a.json {
        println!("{}", String::from_utf8(to_json(&f)?)?);
    } else {
        print!("{}", f.markdown());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--cold-title`: the saved bundles place and score a new item (`ranker::cold::cold_start`).
fn cold_start(a: &ExperimentArgs, title: &str) -> Result<ExitCode> {
    let item = NewItem {
        title: title.to_owned(),
        description: a.cold_text.clone(),
        genres: a.cold_genres.split(',').map(str::to_owned).collect(),
        user: a.cold_user.clone(),
    };
    let r = workspace().cold_start(&a.prepare()?, &item, a.reasoner_epochs, &Stderr)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}
