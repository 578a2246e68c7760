//! `reaseq study`: the experiment with its controls on several synthetic worlds, each in a
//! workspace of its own under the study's directory, so an interrupted study resumes from the
//! worlds it finished.

use std::path::Path;
use std::time::Instant;

use crate::artifact::to_json;
use crate::data::{Prepared, WorldSpec};
use crate::error::{Error, Result};
use crate::experiment::{run_experiment, study_report, ExperimentConfig, ExperimentResults};
use crate::experiment::{StudyResults, WorldResult};
use crate::layout::{self, file};
use crate::progress::Progress;

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
        cfg: &ExperimentConfig,
        reasoner_epochs: usize,
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
            let results = self.study_world(world, cfg, reasoner_epochs, dir, progress)?;
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

    /// One world of the study: its results, read back when they were made with `cfg`.
    fn study_world(
        &self,
        world: WorldSpec,
        cfg: &ExperimentConfig,
        reasoner_epochs: usize,
        dir: &Path,
        progress: &dyn Progress,
    ) -> Result<ExperimentResults> {
        let root = dir.join(format!("world-{}", world.seed));
        let path = root.join(file::RESULTS);
        if let Ok(r) = read_artifact::<ExperimentResults>(&path) {
            if made_with(&r, world, cfg) {
                progress.message(&format!("{}: finished before, read back", path.display()));
                return Ok(r);
            }
        }
        let started = Instant::now();
        // No assets: a study world never installs the workbench's shipped models.
        let ws = Workspace::new(&root, root.join("no-assets")).retraining(self.retrain);
        let data = Prepared::synthetic_seeded(world, cfg.seed)?;
        let rep = ws.experiment_rep(&data)?;
        let gbr = ws.experiment_gbr(&data, cfg.gbr, reasoner_epochs, progress)?;
        let mut run = run_experiment(&data, &rep, &gbr, cfg, progress)?;
        // The world's whole time, the reasoner's fit included.
        run.results.seconds = started.elapsed().as_secs_f64();
        write_file(&path, &to_json(&run.results)?)?;
        write_file(
            &root.join(file::REPORT),
            crate::experiment::markdown_report(&run.results).as_bytes(),
        )?;
        Ok(run.results)
    }
}

/// Whether saved results were made on `world` with `cfg`'s settings.
fn made_with(r: &ExperimentResults, world: WorldSpec, cfg: &ExperimentConfig) -> bool {
    let t = &r.training;
    r.world == Some(world)
        && r.seed == cfg.seed
        && r.seeds == cfg.seeds
        && r.gbr == cfg.gbr
        && r.negatives == cfg.negatives
        && r.history == cfg.history
        && (t.epochs, t.batch, t.patience)
            == (
                cfg.training.epochs,
                cfg.training.batch,
                cfg.training.patience,
            )
        && r.controls.is_empty() != cfg.controls
}
