//! `reaseq study`: the experiment with its controls on several synthetic worlds, each in a
//! workspace of its own under the study's directory, so an interrupted study resumes from the
//! worlds it finished.

use std::path::Path;
use std::time::Instant;

use crate::artifact::to_json;
use crate::data::{Prepared, WorldSpec};
use crate::error::{Error, Result};
use crate::experiment::{draws_report, DrawStudy, StudyResults, WorldResult};
use crate::experiment::{run_experiment, study_report, ExperimentConfig, ExperimentResults};
use crate::knowledge::rep::RepVectors;
use crate::knowledge::vectors::TextEncoder;
use crate::layout::{self, file};
use crate::progress::Progress;

use super::experiment::made_with;
use super::{read_artifact, write_file, Workspace};

impl Workspace {
    /// Runs the ablation (`cfg`, with its controls) on the world `template` under each seed of
    /// `world_seeds`, the protocol and the reasoner seeded with `cfg.seed`, in
    /// `dir/world-{seed}` (a world finished there with the same settings is read back, not
    /// rerun); writes `study.json` and `report.md` to `dir`.
    pub fn study(
        &self,
        template: WorldSpec,
        world_seeds: &[u64],
        (cfg, reasoner_epochs): (&ExperimentConfig, usize),
        encoder: &dyn TextEncoder,
        dir: &Path,
        progress: &dyn Progress,
    ) -> Result<StudyResults> {
        if world_seeds.is_empty() {
            return Err(Error::Config("a study needs at least one world".into()));
        }
        let mut worlds = Vec::with_capacity(world_seeds.len());
        for (k, &seed) in world_seeds.iter().enumerate() {
            let world = WorldSpec { seed, ..template };
            progress.message(&format!(
                "world {}/{}: {}",
                k + 1,
                world_seeds.len(),
                world.describe()
            ));
            let root = dir.join(format!("world-{}", world.seed));
            let results =
                self.study_world(world, (cfg, reasoner_epochs), encoder, &root, progress)?;
            worlds.extend(WorldResult::new(&results));
        }
        let study = StudyResults::new(worlds, cfg.seed, cfg.seeds, cfg.gbr)
            .ok_or_else(|| Error::Config("the study's worlds gave no results".into()))?;
        write_file(&dir.join(file::STUDY), &to_json(&study)?)?;
        write_file(&dir.join(file::REPORT), study_report(&study).as_bytes())?;
        Ok(study)
    }

    /// Copies the study's results (aggregates only: no row of any world) to the assets, where
    /// the page's Summary reads them.
    pub fn write_study_asset(&self, study: &StudyResults) -> Result<std::path::PathBuf> {
        let path = self
            .assets
            .join(layout::study_dir("synthetic"))
            .join(file::STUDY);
        write_file(&path, &to_json(study)?)?;
        Ok(path)
    }

    /// One world of the study in a workspace of its own at `root`, with its own knowledge
    /// build: its results, read back when they were made with `cfg`.
    fn study_world(
        &self,
        world: WorldSpec,
        (cfg, reasoner_epochs): (&ExperimentConfig, usize),
        encoder: &dyn TextEncoder,
        root: &Path,
        progress: &dyn Progress,
    ) -> Result<ExperimentResults> {
        let data = Prepared::synthetic_seeded(world, cfg.seed)?;
        let ws = self.scratch(root);
        let rep = ws.experiment_rep(&data, encoder, progress)?;
        ws.run_in(root, &data, &rep, cfg, reasoner_epochs, progress)
    }

    /// The ablation on each of `draws` (one dataset or world under several protocol seeds),
    /// each with `cfg` but its own protocol seed and model seeds (protocol seed × `cfg.seeds`,
    /// +1, …), in `dir/draw-{seed}` (a draw finished there with the same settings is read
    /// back); writes `draws.json` and `report.md` to `dir`.
    pub fn draw_study(
        &self,
        draws: &[Prepared],
        (cfg, reasoner_epochs): (&ExperimentConfig, usize),
        encoder: &dyn TextEncoder,
        dir: &Path,
        progress: &dyn Progress,
    ) -> Result<DrawStudy> {
        if draws.len() < 2 {
            return Err(Error::Config(
                "a draw study needs two draws or more: one has no spread to read".into(),
            ));
        }
        // Every draw is of the first one's data: checked before any is run.
        let first = &draws[0];
        if let Some(d) = draws
            .iter()
            .find(|d| (d.ds.fingerprint(), d.world) != (first.ds.fingerprint(), first.world))
        {
            return Err(Error::Config(format!(
                "the draw with seed {} is of other data than the draw with seed {}",
                d.seed, first.seed
            )));
        }
        // The REP vectors depend on the items only: one set for every draw.
        let rep = self.experiment_rep(first, encoder, progress)?;
        let mut runs = Vec::with_capacity(draws.len());
        for (k, data) in draws.iter().enumerate() {
            let cfg = cfg.clone().with_protocol_seed(data.seed)?;
            progress.message(&format!(
                "draw {}/{}: protocol seed {}, model seeds {:?}",
                k + 1,
                draws.len(),
                data.seed,
                cfg.model_seeds().collect::<Vec<_>>()
            ));
            let root = dir.join(format!("draw-{}", data.seed));
            runs.push(self.run_in(&root, data, &rep, &cfg, reasoner_epochs, progress)?);
        }
        let study = DrawStudy::new(&runs)?;
        write_file(&dir.join(file::DRAWS), &to_json(&study)?)?;
        write_file(&dir.join(file::REPORT), draws_report(&study).as_bytes())?;
        Ok(study)
    }

    /// Copies a draw study's results (aggregates only: no row) to the assets, where the page's
    /// Summary reads them.
    pub fn write_draws_asset(&self, study: &DrawStudy) -> Result<std::path::PathBuf> {
        let path = self
            .assets
            .join(layout::study_dir(&study.dataset))
            .join(file::DRAWS);
        write_file(&path, &to_json(study)?)?;
        Ok(path)
    }

    /// A workspace of its own at `root`, retraining as this one does, with no shipped models.
    fn scratch(&self, root: &Path) -> Workspace {
        Workspace::new(root, root.join("no-assets")).retraining(self.retrain)
    }

    /// The ablation on `data` (its items' REP vectors `rep`) with `cfg` in a workspace of its
    /// own at `root` (reading this one's knowledge build; never the shipped models): its results,
    /// read back when a run there was made on the same data and protocol with the same settings
    /// and REP vectors.
    fn run_in(
        &self,
        root: &Path,
        data: &Prepared,
        rep: &RepVectors,
        cfg: &ExperimentConfig,
        reasoner_epochs: usize,
        progress: &dyn Progress,
    ) -> Result<ExperimentResults> {
        let path = root.join(file::RESULTS);
        if let Ok(r) = read_artifact::<ExperimentResults>(&path) {
            // These very REP vectors, not only their kind: they were made on this machine.
            let same_rep = r.rep.as_ref() == Some(&rep.source);
            if !self.retrain
                && r.spec() == data.spec()
                && made_with(&r, cfg, &rep.source)
                && same_rep
            {
                progress.message(&format!("{}: finished before, read back", path.display()));
                return Ok(r);
            }
        }
        let started = Instant::now();
        let ws = self.scratch(root).reading_knowledge_of(self);
        let gbr = ws.experiment_gbr(data, cfg.gbr, reasoner_epochs, progress)?;
        let mut run = run_experiment(data, rep, &gbr, cfg, progress)?;
        // The run's whole time, the reasoner's fit included.
        run.results.seconds = started.elapsed().as_secs_f64();
        write_file(&path, &to_json(&run.results)?)?;
        write_file(
            &root.join(file::REPORT),
            crate::experiment::markdown_report(&run.results).as_bytes(),
        )?;
        Ok(run.results)
    }
}
