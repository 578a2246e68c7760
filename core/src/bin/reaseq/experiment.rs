//! `reaseq experiment`: the ablation. The training and evaluation are
//! `reaseq_core::experiment`'s; this reads flags, finds the REP vectors and GBR sequences, and
//! writes `results.json`, the Markdown report with its charts, and the workbench's bundles.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use reaseq_core::artifact::{to_json, Artifact};
use reaseq_core::data::Prepared;
use reaseq_core::experiment::{
    markdown_report, markdown_table, oracle_sequences, report_charts, run_experiment,
    synthetic_student, ExperimentConfig, ExperimentRows, ExperimentRun, GbrSource, RowSettings,
    TestScores,
};
use reaseq_core::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use reaseq_core::knowledge::student::StudentEncoder;
use reaseq_core::layout::{self, file};
use reaseq_core::ranker::cold::{cold_start as cold_start_report, rep_vectors, ColdSpace, NewItem};
use reaseq_core::ranker::train::RankerTrainConfig;
use reaseq_core::ranker::{HistoryEvents, Ranker, Variant};

use crate::progress::Stderr;
use crate::source::DataArgs;
use crate::workspace::{data_path, read_file, write_file};

#[derive(Args)]
pub struct ExperimentArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Training seeds per variant (reported as mean ± std).
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Models trained at once (each is seeded, so the results do not depend on it).
    #[arg(long, default_value_t = default_jobs())]
    jobs: usize,
    /// Most epochs per model (early stopping on validation GAUC); default 12 on datasets, 30
    /// on the synthetic world, whose few thousand impressions make short epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Impressions per optimiser step; default 256 on datasets, 64 on the synthetic world.
    #[arg(long)]
    batch: Option<usize>,
    /// Epochs without a better validation GAUC before a model stops; default 2 on datasets, 4
    /// on the synthetic world.
    #[arg(long)]
    patience: Option<usize>,
    /// Sampled negatives per logged event (0: labels from ratings only).
    #[arg(long, default_value_t = 0)]
    negatives: usize,
    /// Where results.json, report.md and the charts go (default: {data}/reports/{dataset}).
    #[arg(long)]
    reports: Option<PathBuf>,
    /// The protocol's seed (also the reasoner's, whose sequences are reused).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reasoner epochs when its sequences must be (re)made.
    #[arg(long, default_value_t = 30)]
    reasoner_epochs: usize,
    /// Also copy the seed-0 bundles, results.json and (synthetic worlds only, whose rows may
    /// be shared) the GBR sequences and test scores to assets/ranker/{dataset}.
    #[arg(long)]
    write_asset: bool,
    /// Histories of every logged event instead of the liked ones only.
    #[arg(long)]
    all_events: bool,
    /// GBR = each user's real off-log events (the last `--oracle-slots`) instead of the
    /// reasoner's: the ceiling a perfect reasoner would reach. It reads the hidden events, so
    /// it is a diagnostic, never a result; the report says so.
    #[arg(long)]
    gbr_oracle: bool,
    #[arg(long, default_value_t = 10)]
    oracle_slots: usize,
    /// Cold start, with the saved bundles instead of training: place a new item with this
    /// title (and `--cold-text`) in the REP space and score it for `--cold-user` with every
    /// variant — what the workbench's new-item box shows.
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
    fn config(&self) -> ExperimentConfig {
        let d = ExperimentConfig::defaults(self.data.synthetic);
        ExperimentConfig {
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
            seed: self.seed,
            gbr: if self.gbr_oracle {
                GbrSource::Oracle {
                    slots: self.oracle_slots,
                }
            } else {
                GbrSource::Reasoner
            },
        }
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The items' REP vectors: the graph embedding on the synthetic world, on a dataset the
/// compact vectors `reaseq knowledge build` distilled.
fn rep(a: &ExperimentArgs, data: &Prepared) -> Result<Vec<Vec<f32>>> {
    if a.data.synthetic {
        Ok(graph_embedding(&data.ds, &GraphEmbeddingConfig::default())?)
    } else {
        crate::workspace::read_rep_vectors(&data.ds)
    }
}

fn gbr(a: &ExperimentArgs, data: &Prepared) -> Result<Vec<Vec<u32>>> {
    if a.gbr_oracle {
        Ok(oracle_sequences(data, a.oracle_slots))
    } else {
        crate::reasoner::sequences_for(data, a.seed, a.reasoner_epochs)
    }
}

pub fn run(a: ExperimentArgs) -> Result<ExitCode> {
    if let Some(title) = &a.cold_title {
        return cold_start(&a, title);
    }
    if a.gbr_oracle && a.write_asset {
        bail!("--gbr-oracle reads the hidden events: its models cannot be workbench assets");
    }
    let started = Instant::now();
    let data = a.prepare()?;
    let rep = rep(&a, &data)?;
    let gbr = gbr(&a, &data)?;
    let mut run = run_experiment(&data, &rep, &gbr, &a.config(), &Stderr)?;
    // The whole command's time, as before: with the setup and the sequences.
    run.results.seconds = started.elapsed().as_secs_f64();
    let text = String::from_utf8(to_json(&run.results)?)?;
    let name = &data.ds.name;
    // Models that read hidden events (the oracle) get their own report and never reach the
    // workbench.
    let reports_name = if a.gbr_oracle {
        format!("{name}-gbr-oracle")
    } else {
        write_bundles(&a, &data, &rep, &run, &text)?;
        name.clone()
    };
    let reports = a
        .reports
        .clone()
        .unwrap_or_else(|| data_path(&layout::reports_dir(&reports_name)));
    write_file(&reports.join(file::RESULTS), text.as_bytes())?;
    write_file(
        &reports.join(file::REPORT),
        markdown_report(&run.results).as_bytes(),
    )?;
    for (f, svg) in report_charts(&run.results)? {
        write_file(&reports.join(f), svg.as_bytes())?;
    }
    if a.write_asset {
        write_assets(&a, &data, &run, &text)?;
    }
    if a.json {
        println!("{text}");
    } else {
        print!("{}", markdown_table(&run.results));
        eprintln!("results, report and charts → {}", reports.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn ranker_dir(data: &Prepared) -> PathBuf {
    data_path(&layout::ranker_dir(&data.ds.name))
}

/// Seed 0's bundles, the student into their REP space and the results, for the workbench.
fn write_bundles(
    a: &ExperimentArgs,
    data: &Prepared,
    rep: &[Vec<f32>],
    run: &ExperimentRun,
    text: &str,
) -> Result<()> {
    let dir = ranker_dir(data);
    for (v, m) in &run.models {
        let seed0 = run.results.variant(*v).and_then(|r| r.per_seed.first());
        let metrics = [
            ("test_auc".to_owned(), seed0.map_or(f64::NAN, |s| s.auc)),
            ("test_gauc".to_owned(), seed0.map_or(f64::NAN, |s| s.gauc)),
        ]
        .into();
        let (manifest, weights) = m.to_bundle(Some(data.ds.fingerprint()), metrics)?;
        let [mf, wf] = layout::bundle_files(v.key());
        write_file(&dir.join(mf), &manifest)?;
        write_file(&dir.join(wf), &weights)?;
    }
    // On MovieLens-100k the student `reaseq knowledge build` distilled (the REP vectors are its
    // targets); on the synthetic world one distilled here to the graph vectors.
    let (manifest, weights) = if a.data.synthetic {
        synthetic_student(data, rep, a.seed, &Stderr)?
    } else {
        crate::workspace::student_bundle(&data.ds)?
    };
    let [mf, wf] = layout::bundle_files(file::STUDENT);
    write_file(&dir.join(mf), &manifest)?;
    write_file(&dir.join(wf), &weights)?;
    write_file(&dir.join(file::RESULTS), text.as_bytes())
}

/// `--write-asset`: the bundles, results and (synthetic worlds, whose rows may be shared) the
/// GBR sequences and test scores under assets/ranker/{dataset}.
fn write_assets(
    a: &ExperimentArgs,
    data: &Prepared,
    run: &ExperimentRun,
    text: &str,
) -> Result<()> {
    let relative = layout::ranker_dir(&data.ds.name);
    let files: Vec<String> = Variant::ALL
        .iter()
        .map(|v| v.key())
        .chain([file::STUDENT])
        .flat_map(layout::bundle_files)
        .collect();
    crate::workspace::copy_to_assets(&ranker_dir(data), &relative, &files)?;
    let dir = crate::workspace::assets_dir().join(&relative);
    write_file(&dir.join(file::RESULTS), text.as_bytes())?;
    if a.data.synthetic {
        let scores0 = TestScores {
            format_version: TestScores::FORMAT_VERSION,
            scores: run
                .scores
                .iter()
                .filter_map(|(v, cols)| Some((v.name().to_owned(), cols.first()?.clone())))
                .collect(),
        };
        write_file(&dir.join(file::TEST_SCORES), &serde_json::to_vec(&scores0)?)?;
        let seq = data_path(&layout::reasoner_dir(&data.ds.name)).join(file::INFERRED);
        std::fs::copy(&seq, dir.join(file::INFERRED))
            .with_context(|| format!("copying {}", seq.display()))?;
    }
    Ok(())
}

/// The seed-0 bundles `reaseq experiment` saved, and the student into their REP space.
fn saved_bundles(dir: &Path) -> Result<(Vec<Ranker>, StudentEncoder)> {
    let read = |f: &str| read_file(&dir.join(f), "reaseq experiment");
    let mut rankers = Vec::new();
    for v in Variant::ALL {
        let [m, w] = layout::bundle_files(v.key());
        rankers.push(Ranker::from_bundle(v.key(), &read(&m)?, &read(&w)?)?);
    }
    let [m, w] = layout::bundle_files(file::STUDENT);
    let student = StudentEncoder::from_bundle(file::STUDENT, &read(&m)?, &read(&w)?)?;
    Ok((rankers, student))
}

/// `--cold-title`: the saved bundles place and score a new item (`ranker::cold::cold_start`).
fn cold_start(a: &ExperimentArgs, title: &str) -> Result<ExitCode> {
    let data = a.prepare()?;
    let gbr = gbr(a, &data)?;
    let (rankers, student) = saved_bundles(&ranker_dir(&data))?;
    let rep = rep_vectors(&rankers).context("the +REP bundle has no REP vectors")?;
    let space = ColdSpace::new(student, rep)?;
    // The user's history as their test impressions see it.
    let rows = ExperimentRows::build(
        &data,
        &RowSettings {
            negatives: a.negatives,
            history: a.history(),
            max_history: rankers[0].config.max_history,
            seed: a.seed,
        },
    )?;
    let item = NewItem {
        title: title.to_owned(),
        description: a.cold_text.clone(),
        genres: a.cold_genres.split(',').map(str::to_owned).collect(),
        user: a.cold_user.clone(),
    };
    let r = cold_start_report(&space, &rankers, &data.ds, &rows.test, &gbr, &item)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}
