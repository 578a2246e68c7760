//! The experiment's files as the browser loads them: its typed results, seed 0's bundles and
//! the GBR sequences, and its rows rebuilt with the core's own functions.

use reaseq_core::artifact::from_json;
use reaseq_core::data::{Dataset, Prepared};
use reaseq_core::experiment::{DrawStudy, ExperimentResults, ExperimentRows, StudyResults};
use reaseq_core::layout::{self, file};
use reaseq_core::ranker::{Ranker, Variant};
use reaseq_core::reasoner::InferredSequences;

use super::{fetch_optional_artifact, fetch_required, root, Choice};
use crate::error::{AppError, AppResult};

/// Where a build carries the experiment's bundles for this dataset.
pub fn asset_dir(choice: &Choice) -> String {
    let (root, name) = root(choice);
    format!("{root}{}", layout::ranker_dir(name))
}

/// The study across untouched synthetic worlds (`reaseq study --write-asset`), when the build
/// carries one; only the synthetic data has worlds to draw.
pub async fn load_study(choice: &Choice) -> AppResult<Option<StudyResults>> {
    let Choice::Synthetic(_) = choice else {
        return Ok(None);
    };
    let (root, name) = root(choice);
    let url = format!("/{root}{}/{}", layout::study_dir(name), file::STUDY);
    fetch_optional_artifact(&url).await
}

/// The ablation over protocol draws (`reaseq experiment --draws K --write-asset`), when the
/// build carries one for this data.
pub async fn load_draws(choice: &Choice) -> AppResult<Option<DrawStudy>> {
    let (root, name) = root(choice);
    let url = format!("/{root}{}/{}", layout::study_dir(name), file::DRAWS);
    fetch_optional_artifact(&url).await
}

/// `reaseq experiment --cold-catalogue --write-asset`'s figures, when the build carries them.
pub async fn load_cold_catalogue(
    choice: &Choice,
) -> AppResult<Option<reaseq_core::ranker::cold_catalogue::ColdCatalogue>> {
    let url = format!("/{}/{}", asset_dir(choice), file::COLD_CATALOGUE);
    fetch_optional_artifact(&url).await
}

/// `reaseq experiment --full-ranking`'s figures for the bundles this build ships, when it
/// carries them.
pub async fn load_full_ranking(
    choice: &Choice,
) -> AppResult<Option<reaseq_core::experiment::FullRanking>> {
    let url = format!("/{}/{}", asset_dir(choice), file::FULL_RANKING);
    fetch_optional_artifact(&url).await
}

/// What `reaseq experiment` measured for the bundles this build ships for `choice`.
pub async fn load_results(choice: &Choice) -> AppResult<ExperimentResults> {
    let url = format!("/{}/{}", asset_dir(choice), file::RESULTS);
    Ok(from_json(&url, &fetch(&url).await?)?)
}

async fn fetch(url: &str) -> AppResult<Vec<u8>> {
    fetch_required(url, "run `reaseq experiment`").await
}

/// The experiment's results, its seed-0 bundles and the GBR sequences.
pub struct Assets {
    pub results: ExperimentResults,
    /// In `Variant::ALL` order.
    pub rankers: Vec<Ranker>,
    pub sequences: InferredSequences,
}

pub async fn load_assets(dir: &str) -> AppResult<Assets> {
    let base = format!("/{dir}");
    let path = format!("{base}/{}", file::RESULTS);
    let results: ExperimentResults = from_json(&path, &fetch(&path).await?)?;
    let mut rankers = Vec::new();
    for v in Variant::ALL {
        let [m, w] = layout::bundle_files(v.key()).map(|f| format!("{base}/{f}"));
        let r = Ranker::from_bundle(
            &format!("{base}/{}", v.key()),
            &fetch(&m).await?,
            &fetch(&w).await?,
        )?;
        if r.config.variant != v {
            return Err(AppError::Build(format!(
                "{m} holds a {} model",
                r.config.variant.name()
            )));
        }
        rankers.push(r);
    }
    let path = format!("{base}/{}", file::INFERRED);
    let sequences = InferredSequences::from_json(&path, &fetch(&path).await?)?;
    Ok(Assets {
        results,
        rankers,
        sequences,
    })
}

/// The experiment's data, GBR sequences and rows, rebuilt as `reaseq experiment` made them.
pub struct ExperimentData {
    /// Shared, so a slice of the rows ([`ExperimentData::only`]) costs no copy of the data.
    pub data: std::rc::Rc<Prepared>,
    pub gbr: Vec<Vec<u32>>,
    pub rows: ExperimentRows,
}

impl ExperimentData {
    /// The test rows meeting every condition of a slice (`reaseq_core`'s slice finder), the
    /// rest as here; an error when none does.
    pub fn only(
        &self,
        slice: &[reaseq_core::experiment::slice_finder::Condition],
    ) -> AppResult<ExperimentData> {
        let table = reaseq_core::experiment::SliceTable::new(&self.data, &self.rows.test);
        let test: Vec<_> = self
            .rows
            .test
            .iter()
            .zip(&table.row_conditions)
            .filter(|(_, cs)| {
                slice
                    .iter()
                    .all(|c| cs.iter().any(|&k| table.conditions[k] == *c))
            })
            .map(|(e, _)| e.clone())
            .collect();
        if test.is_empty() {
            return Err(AppError::Input(format!(
                "no test impression is in the slice {}",
                slice
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ∧ ")
            )));
        }
        Ok(ExperimentData {
            data: self.data.clone(),
            gbr: self.gbr.clone(),
            rows: ExperimentRows {
                train: Vec::new(),
                valid: Vec::new(),
                test,
            },
        })
    }

    /// The dataset: the results' synthetic world, or `movielens` (the loaded MovieLens-100k).
    pub fn ds(&self) -> &Dataset {
        &self.data.ds
    }
}

/// Rebuilds the experiment's data from its results file (its world, or the loaded dataset
/// under its recorded protocol) and its rows with the bundles' history length.
pub fn experiment_data(a: &Assets, movielens: Option<&Dataset>) -> AppResult<ExperimentData> {
    let r = &a.results;
    let data = r.spec().prepare(movielens)?;
    let gbr = a.sequences.resolve(file::INFERRED, &data)?;
    let rows = ExperimentRows::of_results(&data, r, &a.rankers)?;
    Ok(ExperimentData {
        data: std::rc::Rc::new(data),
        gbr,
        rows,
    })
}
