//! The experiment's files: seed 0's bundles and the student into their REP space (what the
//! workbench loads), the results, and the inputs it reads: REP vectors and GBR sequences.

use std::path::PathBuf;

use crate::artifact::{to_compact_json, to_json, Artifact};
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::experiment::{oracle_sequences, synthetic_student, ExperimentRun, GbrSource};
use crate::experiment::{ExperimentResults, ExperimentRows, TestScores};
use crate::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};
use crate::knowledge::student::StudentEncoder;
use crate::layout::{self, file};
use crate::progress::Progress;
use crate::ranker::cold::{cold_start, ColdSpace, ColdStartReport, NewItem};
use crate::ranker::{Ranker, Variant};

use super::{read_artifact, read_file, write_file, Workspace};

/// What makes the experiment's bundles, named when one is missing.
const EXPERIMENT: &str = "reaseq experiment";

impl Workspace {
    /// `{data}/ranker/{dataset}`
    pub fn ranker_dir(&self, data: &Prepared) -> PathBuf {
        self.path(&layout::ranker_dir(&data.ds.name))
    }

    /// The items' REP vectors: the graph embedding on the synthetic world, on a dataset the
    /// compact vectors the knowledge build distilled.
    pub fn experiment_rep(&self, data: &Prepared) -> Result<Vec<Vec<f32>>> {
        match data.world {
            Some(_) => graph_embedding(&data.ds, &GraphEmbeddingConfig::default()),
            None => self.rep_vectors(&data.ds),
        }
    }

    /// Every user's GBR sequence: the reasoner's (made with `reasoner_epochs` when missing), or
    /// the oracle's real off-log events.
    pub fn experiment_gbr(
        &self,
        data: &Prepared,
        gbr: GbrSource,
        reasoner_epochs: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<Vec<u32>>> {
        match gbr {
            GbrSource::Oracle { slots } => Ok(oracle_sequences(data, slots)),
            GbrSource::Reasoner => self.gbr_sequences(data, data.seed, reasoner_epochs, progress),
        }
    }

    /// Seed 0's bundles, the student into their REP space and the results, for the workbench.
    /// A run that read hidden events (the oracle) is refused: it must never reach the page.
    pub fn write_experiment_bundles(
        &self,
        data: &Prepared,
        rep: &[Vec<f32>],
        run: &ExperimentRun,
        progress: &dyn Progress,
    ) -> Result<()> {
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
        // On a dataset the student the knowledge build distilled (the REP vectors are its
        // targets); on the synthetic world one distilled here to the graph vectors.
        let (manifest, weights) = match data.world {
            Some(_) => synthetic_student(data, rep, data.seed, progress)?,
            None => self.student_bundle(&data.ds)?,
        };
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
        let mut files: Vec<String> = Variant::ALL
            .iter()
            .map(|v| v.key())
            .chain([file::STUDENT])
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

    /// The seed-0 bundles the experiment saved, and the student into their REP space.
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
        let gbr = self.experiment_gbr(data, results.gbr, reasoner_epochs, progress)?;
        let (rankers, student) = self.experiment_bundles(data)?;
        let space = ColdSpace::for_rankers(student, &rankers)?;
        let rows = ExperimentRows::of_results(data, &results, &rankers)?;
        cold_start(&space, &rankers, &data.ds, &rows.test, &gbr, item)
    }
}
