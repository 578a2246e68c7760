//! The experiment's files: seed 0's bundles and the student into their REP space (what the
//! workbench loads), the results, and the inputs it reads: REP vectors and GBR sequences.

use std::path::PathBuf;

use crate::artifact::{to_compact_json, to_json, Artifact};
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::experiment::full_ranking::{
    catalogue_queries, popularity_lists, rank_catalogue, FullRanking,
};
use crate::experiment::{oracle_sequences, ExperimentRun};
use crate::experiment::{ExperimentResults, ExperimentRows, TestScores};
use crate::experiment::{GbrDecoding, GbrSource};
use crate::knowledge::rep::{RepSource, RepVectors};
use crate::knowledge::student::StudentEncoder;
use crate::knowledge::vectors::TextEncoder;
use crate::layout::{self, file};
use crate::progress::Progress;
use crate::ranker::cold::{cold_start, ColdSpace, ColdStartReport, NewItem};
use crate::ranker::cold_catalogue::{catalogue_texts, embed_all, ColdCatalogue};
use crate::ranker::{Ranker, Variant};

use crate::experiment::{markdown_report, shipped_comparison, ExperimentConfig};
use crate::metrics::{auc, gauc};
use crate::ranker::train::score_all;
use crate::reasoner::pipeline::DecoderKind;
use crate::reasoner::GbrSlots;

use super::reasoner::{experiment_settings, made_on};
use super::{read_artifact, read_file, write_file, Workspace};

/// The shipped experiment, installed: its results, and seed 0's bundles scored here.
pub struct ShippedExperiment {
    pub results: ExperimentResults,
    pub seed0: Vec<SeedZeroCheck>,
}

/// One variant's seed-0 bundle: AUC and GAUC as shipped (its results' first seed) and as
/// scored here on the test set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedZeroCheck {
    pub variant: Variant,
    pub shipped: Option<[f64; 2]>,
    pub here: [f64; 2],
}

impl SeedZeroCheck {
    /// The larger of the AUC and GAUC differences (infinite when nothing was shipped).
    pub fn difference(&self) -> f64 {
        self.shipped.map_or(f64::INFINITY, |s| {
            (s[0] - self.here[0]).abs().max((s[1] - self.here[1]).abs())
        })
    }
}

impl ShippedExperiment {
    /// How far seed 0's bundles scored here may be from their shipped figures: float sums may
    /// round differently between machines; other models or sequences move them far more.
    pub const TOLERANCE: f64 = 1e-4;

    /// The largest difference between seed 0's figures as shipped and as scored here.
    pub fn largest_difference(&self) -> f64 {
        self.seed0
            .iter()
            .map(SeedZeroCheck::difference)
            .fold(0.0, f64::max)
    }

    /// One line per variant: seed 0's AUC and GAUC here and as shipped.
    pub fn describe(&self) -> String {
        let mut out =
            String::from("seed 0's shipped bundles scored here (shipped figures in brackets):\n");
        for c in &self.seed0 {
            let [a, g] = c.shipped.map_or([f64::NAN; 2], |s| s);
            out += &format!(
                "  {:<7} AUC {:.4} ({a:.4})  GAUC {:.4} ({g:.4})\n",
                c.variant.name(),
                c.here[0],
                c.here[1]
            );
        }
        out += &format!("  largest difference {:.1e}\n", self.largest_difference());
        out
    }
}

/// Whether `results` were made with `cfg`'s settings (the jobs aside: they change no figure)
/// and REP vectors of `rep`'s kind. Results that did not record their REP source are a
/// dataset's made with the default knowledge build's, or a synthetic world's made with the
/// graph embedding.
pub(super) fn made_with(
    results: &ExperimentResults,
    cfg: &ExperimentConfig,
    rep: &RepSource,
) -> bool {
    let (t, c) = (&results.training, &cfg.training);
    let same_rep = match &results.rep {
        // The same floats are not asked: the teacher's may differ between machines, and the
        // shipped bundles carry their own REP table, checked by scoring.
        Some(r) => r.same_kind(rep),
        // Made before the source was recorded: a dataset's were the default build's.
        None => results.world.is_none() && rep.is_default_build(),
    };
    same_rep
        && results.seeds == cfg.seeds
        && results.first_seed() == Some(cfg.first_seed)
        && results.negatives == cfg.negatives
        && results.history == cfg.history
        && results.gbr == cfg.gbr
        && results.seed == cfg.seed
        && results.controls.is_empty() != cfg.controls
        && (t.epochs, t.batch, t.patience, t.lr) == (c.epochs, c.batch, c.patience, c.lr)
}

/// What makes the experiment's bundles, named when one is missing.
const EXPERIMENT: &str = "reaseq experiment";

impl Workspace {
    /// `{data}/ranker/{dataset}`
    pub fn ranker_dir(&self, data: &Prepared) -> PathBuf {
        self.path(&layout::ranker_dir(&data.ds.name))
    }

    /// The items' REP vectors and their source: the knowledge build's, on a synthetic world
    /// made with `encoder` when missing (`Workspace::rep`).
    pub fn experiment_rep(
        &self,
        data: &Prepared,
        encoder: &dyn TextEncoder,
        progress: &dyn Progress,
    ) -> Result<RepVectors> {
        self.rep(&data.ds, data.world.is_some(), encoder, progress)
    }

    /// The GBR sequences: every user's from the reasoner (made with `reasoner_epochs` when
    /// missing) or the oracle's real off-log events, or the reasoner's time-windowed ones.
    pub fn experiment_gbr(
        &self,
        data: &Prepared,
        gbr: GbrSource,
        reasoner_epochs: usize,
        progress: &dyn Progress,
    ) -> Result<GbrSlots> {
        let (ds, protocol) = (&data.ds, &data.protocol);
        let per_user = match gbr {
            GbrSource::Oracle { slots } => oracle_sequences(data, slots),
            GbrSource::Reasoner => {
                self.gbr_sequences(data, data.seed, reasoner_epochs, progress)?
            }
            GbrSource::Windowed { every, decoding } => {
                let s = experiment_settings(data, data.seed, reasoner_epochs);
                let fitted = self.fitted_reasoner(data, &s, progress)?;
                let t = std::time::Instant::now();
                let kind = match decoding {
                    GbrDecoding::Beam => DecoderKind::Beam,
                    GbrDecoding::Diffusion => DecoderKind::Diffusion,
                };
                let slots = fitted.windowed(data, &s, every, kind)?;
                progress.message(&format!(
                    "{} time-windowed GBR sequences (every {every} logged events, {decoding:?}) in {:.1} s",
                    slots.len(),
                    t.elapsed().as_secs_f64()
                ));
                return Ok(slots);
            }
        };
        Ok(GbrSlots::per_user(ds, protocol, per_user))
    }

    /// The first model seed's bundles, the student into their REP space and the results, for
    /// the workbench.
    /// A run that read hidden events (the oracle) is refused: it must never reach the page.
    pub fn write_experiment_bundles(&self, data: &Prepared, run: &ExperimentRun) -> Result<()> {
        if matches!(run.results.gbr, GbrSource::Oracle { .. }) {
            return Err(Error::Config(
                "the oracle's models read the hidden events: they cannot be workbench bundles"
                    .into(),
            ));
        }
        let dir = self.ranker_dir(data);
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
        // The student the knowledge build distilled: the REP vectors are its targets.
        let (manifest, weights) = self.student_bundle(&data.ds)?;
        let [mf, wf] = layout::bundle_files(file::STUDENT);
        write_file(&dir.join(mf), &manifest)?;
        write_file(&dir.join(wf), &weights)?;
        write_file(&dir.join(file::RESULTS), &to_json(&run.results)?)
    }

    /// The bundles and results under the assets and, for synthetic worlds (whose rows may be
    /// shared), the GBR sequences and seed 0's test scores.
    pub fn write_experiment_assets(
        &self,
        data: &Prepared,
        run: &ExperimentRun,
        progress: &dyn Progress,
    ) -> Result<()> {
        let relative = layout::ranker_dir(&data.ds.name);
        // On a dataset the student is the knowledge build's, shipped with it.
        let student = data.world.map(|_| file::STUDENT);
        let mut files: Vec<String> = Variant::ALL
            .iter()
            .map(|v| v.key())
            .chain(student)
            .flat_map(layout::bundle_files)
            .collect();
        files.push(file::RESULTS.into());
        let dir = self.copy_to_assets(&relative, &files, progress)?;
        if data.world.is_some() {
            let scores0 = TestScores {
                format_version: TestScores::FORMAT_VERSION,
                scores: run
                    .scores
                    .iter()
                    .filter_map(|(v, cols)| Some((v.name().to_owned(), cols.first()?.clone())))
                    .collect(),
            };
            write_file(&dir.join(file::TEST_SCORES), &to_compact_json(&scores0)?)?;
            let seq = self.reasoner_dir(data).join(file::INFERRED);
            let to = dir.join(file::INFERRED);
            std::fs::copy(&seq, &to).map_err(|e| Error::io(&seq, e))?;
        }
        Ok(())
    }

    /// The shipped experiment (`assets/ranker/{dataset}`: seed 0's bundles and the results,
    /// written by `reaseq experiment --write-asset`) when it ran on this data and protocol
    /// with `cfg`: its files are installed in the data directory as a run here would have
    /// written them, and seed 0's bundles score the test set here with `gbr` — the check that
    /// they are the models the results describe. `None` (the reason said through `progress`)
    /// when nothing shipped fits.
    pub fn install_shipped_experiment(
        &self,
        data: &Prepared,
        cfg: &ExperimentConfig,
        (rep, gbr): (&RepSource, &[Vec<u32>]),
        progress: &dyn Progress,
    ) -> Result<Option<ShippedExperiment>> {
        let from = self.assets.join(layout::ranker_dir(&data.ds.name));
        if self.retrain {
            return Ok(None);
        }
        let Some(results) = self.shipped_results(data, progress)? else {
            return Ok(None);
        };
        if !made_with(&results, cfg, rep) {
            progress.message(&format!(
                "{}: made with other settings (seeds {}, negatives {}, epochs {}, batch {}, patience {}, history {:?}, REP {}); training here",
                from.display(),
                results.seeds,
                results.negatives,
                results.training.epochs,
                results.training.batch,
                results.training.patience,
                results.history,
                results.rep.as_ref().map_or("unrecorded".into(), RepSource::describe)
            ));
            return Ok(None);
        }
        let files: Vec<String> = Variant::ALL
            .iter()
            .flat_map(|v| layout::bundle_files(v.key()))
            .chain([file::RESULTS.to_owned()])
            .collect();
        let to = self.install_from_assets(&layout::ranker_dir(&data.ds.name), &files)?;
        // The student that learnt the bundles' REP table: shipped with the bundles on a
        // synthetic world, with the knowledge build's assets on a dataset (a build made here
        // can differ from the shipped one: the signs of PCA directions are arbitrary), else
        // this workspace's build.
        let [mf, wf] = layout::bundle_files(file::STUDENT);
        let shipped = [
            from.clone(),
            self.assets.join(layout::knowledge_dir(&data.ds.name)),
        ]
        .into_iter()
        .find(|d| d.join(&mf).exists());
        let (manifest, weights) = match shipped {
            Some(d) => (
                read_file(&d.join(&mf), EXPERIMENT)?,
                read_file(&d.join(&wf), EXPERIMENT)?,
            ),
            None => self.student_bundle(&data.ds)?,
        };
        write_file(&to.join(mf), &manifest)?;
        write_file(&to.join(wf), &weights)?;
        let (rankers, _) = self.experiment_bundles(data)?;
        let rows = ExperimentRows::of_results(data, &results, &rankers)?;
        let users: Vec<u32> = rows.test.iter().map(|e| e.user).collect();
        let labels: Vec<bool> = rows.test.iter().map(|e| e.label).collect();
        let mut seed0 = Vec::new();
        for (v, model) in Variant::ALL.into_iter().zip(&rankers) {
            let scores = score_all(model, &rows.test, gbr)?;
            let shipped = results.variant(v).and_then(|r| r.per_seed.first());
            seed0.push(SeedZeroCheck {
                variant: v,
                shipped: shipped.map(|s| [s.auc, s.gauc]),
                here: [
                    auc(&labels, &scores)?,
                    gauc(&users, &labels, &scores)?.value,
                ],
            });
        }
        let shipped = ShippedExperiment { results, seed0 };
        if shipped.largest_difference() > ShippedExperiment::TOLERANCE {
            return Err(Error::Config(format!(
                "{}: the shipped bundles do not score here what they scored when shipped; {}run `reaseq experiment --retrain`",
                from.display(),
                shipped.describe()
            )));
        }
        progress.message(&format!("shipped bundles and results → {}", to.display()));
        Ok(Some(shipped))
    }

    /// Says how far `here` (a retrained experiment) is from the shipped results, if any.
    pub fn compare_with_shipped(
        &self,
        data: &Prepared,
        here: &ExperimentResults,
        progress: &dyn Progress,
    ) -> Result<()> {
        if let Some(shipped) = self.shipped_results(data, progress)? {
            progress.message(&format!(
                "against the shipped results (assets):\n{}",
                shipped_comparison(&shipped, here)
            ));
        }
        Ok(())
    }

    /// `results.json`, the Markdown report and its charts under `dir` (default
    /// `{data}/reports/{name}`); returns where they went.
    pub fn write_reports(
        &self,
        dir: Option<PathBuf>,
        name: &str,
        results: &ExperimentResults,
    ) -> Result<PathBuf> {
        let dir = dir.unwrap_or_else(|| self.path(&layout::reports_dir(name)));
        write_file(&dir.join(file::RESULTS), &to_json(results)?)?;
        write_file(&dir.join(file::REPORT), markdown_report(results).as_bytes())?;
        #[cfg(feature = "charts")]
        for (f, svg) in crate::experiment::report_charts(results)? {
            write_file(&dir.join(f), svg.as_bytes())?;
        }
        Ok(dir)
    }

    /// The shipped results when they were made on this data and protocol.
    pub fn shipped_results(
        &self,
        data: &Prepared,
        progress: &dyn Progress,
    ) -> Result<Option<ExperimentResults>> {
        let path = self
            .assets
            .join(layout::ranker_dir(&data.ds.name))
            .join(file::RESULTS);
        if !path.exists() {
            return Ok(None);
        }
        let results: ExperimentResults = read_artifact(&path)?;
        Ok(made_on(&path, &results.spec(), data, progress).then_some(results))
    }

    /// The bundles the experiment saved (its first model seed's), and the student into their
    /// REP space.
    pub fn experiment_bundles(&self, data: &Prepared) -> Result<(Vec<Ranker>, StudentEncoder)> {
        let dir = self.ranker_dir(data);
        let read = |f: &str| read_file(&dir.join(f), EXPERIMENT);
        let mut rankers = Vec::new();
        for v in Variant::ALL {
            let [m, w] = layout::bundle_files(v.key());
            rankers.push(Ranker::from_bundle(v.key(), &read(&m)?, &read(&w)?)?);
        }
        let [m, w] = layout::bundle_files(file::STUDENT);
        let student = StudentEncoder::from_bundle(file::STUDENT, &read(&m)?, &read(&w)?)?;
        Ok((rankers, student))
    }

    /// The results the experiment wrote for this data.
    pub fn experiment_results(&self, data: &Prepared) -> Result<ExperimentResults> {
        read_artifact(&self.ranker_dir(data).join(file::RESULTS))
    }

    /// A new item placed and scored with the saved bundles, on the rows they were trained on
    /// (`ranker::cold::cold_start`, what the workbench's new-item box shows).
    pub fn cold_start(
        &self,
        data: &Prepared,
        item: &NewItem,
        reasoner_epochs: usize,
        progress: &dyn Progress,
    ) -> Result<ColdStartReport> {
        let results = self.experiment_results(data)?;
        let gbr = self
            .experiment_gbr(data, results.gbr, reasoner_epochs, progress)?
            .last_sequences(data.ds.num_users());
        let (rankers, student) = self.experiment_bundles(data)?;
        let space = ColdSpace::for_rankers(student, &rankers)?;
        let rows = ExperimentRows::of_results(data, &results, &rankers)?;
        cold_start(&space, &rankers, &data.ds, &rows.test, &gbr, item)
    }

    /// Every test user's whole catalogue ranked by the saved bundles on `threads` threads, on the
    /// rows they were trained on and their GBR sequences, measured as the Compare page measures
    /// it (`experiment::full_ranking`), and written to `full_ranking.json` beside the bundles.
    pub fn full_ranking(
        &self,
        data: &Prepared,
        reasoner_epochs: usize,
        threads: usize,
        progress: &dyn Progress,
    ) -> Result<FullRanking> {
        let results = self.experiment_results(data)?;
        let gbr = self
            .experiment_gbr(data, results.gbr, reasoner_epochs, progress)?
            .last_sequences(data.ds.num_users());
        let (rankers, _) = self.experiment_bundles(data)?;
        let rows = ExperimentRows::of_results(data, &results, &rankers)?;
        let (queries, without) = catalogue_queries(data, &rows.test, &gbr);
        let mut ranked = Vec::new();
        for m in &rankers {
            let t = std::time::Instant::now();
            let step = (queries.len() / 10).max(1);
            let lists = rank_catalogue(m, &queries, threads, &|done| {
                if done % step == 0 {
                    progress.message(&format!(
                        "{}: {done} of {} users ranked",
                        m.config.variant.name(),
                        queries.len()
                    ));
                }
            })?;
            progress.message(&format!(
                "{}: {} users × {} items in {:.1} s on {threads} threads",
                m.config.variant.name(),
                queries.len(),
                m.config.items,
                t.elapsed().as_secs_f64()
            ));
            ranked.push((m.config.variant, lists));
        }
        let boot = crate::metrics::BootstrapConfig {
            seed: results.seed,
            ..crate::metrics::BootstrapConfig::default()
        };
        let popularity = popularity_lists(&queries, &data.protocol.train_popularity(&data.ds))?;
        let f = FullRanking::new(
            &data.ds.name,
            data.ds.num_items(),
            &queries,
            without,
            &ranked,
            &popularity,
            &boot,
        )?;
        write_file(
            &self.ranker_dir(data).join(file::FULL_RANKING),
            &to_json(&f)?,
        )?;
        Ok(f)
    }

    /// The whole catalogue placed as new with the +REP bundle's REP vectors and the student the
    /// page reads ([`Workspace::page_path`]: a world's shipped bundles, MovieLens-100k's from this
    /// workspace and its knowledge build); written to the ranker's directory and, with
    /// `write_asset`, beside the shipped bundles.
    pub fn cold_catalogue(
        &self,
        data: &Prepared,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<ColdCatalogue> {
        let relative = layout::ranker_dir(&data.ds.name);
        let dir = self.page_path(data, &relative);
        let how = "reaseq experiment";
        let read = |f: &str| read_file(&dir.join(f), how);
        let [m, w] = layout::bundle_files(Variant::Rep.key());
        let rep = Ranker::from_bundle(Variant::Rep.key(), &read(&m)?, &read(&w)?)?
            .rep_vectors()
            .ok_or_else(|| Error::Config("the +REP bundle has no REP vectors".into()))?;
        if rep.len() != data.ds.num_items() {
            return Err(Error::Config(format!(
                "{}: the shipped +REP bundle has {} items, {} has {}",
                dir.display(),
                rep.len(),
                data.ds.name,
                data.ds.num_items()
            )));
        }
        let student = match data.world {
            Some(_) => {
                let [m, w] = layout::bundle_files(file::STUDENT);
                StudentEncoder::from_bundle(file::STUDENT, &read(&m)?, &read(&w)?)?
            }
            None => self.student(&data.ds)?,
        };
        let t = std::time::Instant::now();
        let placed = embed_all(&student, &catalogue_texts(&data.ds));
        progress.message(&format!(
            "{} items placed in {:.2} s",
            placed.len(),
            t.elapsed().as_secs_f64()
        ));
        let c = ColdCatalogue::new(&data.ds.name, &rep, &placed)?;
        write_file(
            &self.ranker_dir(data).join(file::COLD_CATALOGUE),
            &to_json(&c)?,
        )?;
        if write_asset {
            self.copy_to_assets(&relative, &[file::COLD_CATALOGUE.to_owned()], progress)?;
        }
        Ok(c)
    }

    /// `full_ranking.json` under the assets, beside the bundles it measured.
    pub fn write_full_ranking_asset(
        &self,
        data: &Prepared,
        progress: &dyn Progress,
    ) -> Result<PathBuf> {
        let relative = layout::ranker_dir(&data.ds.name);
        self.copy_to_assets(&relative, &[file::FULL_RANKING.to_owned()], progress)
    }
}
