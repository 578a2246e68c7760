//! The models a what-if and the slice finder read, from where the page reads them
//! ([`Workspace::page_path`]: a synthetic world's shipped bundles, a dataset's from this
//! workspace): the four variants, the student into their REP space, fold 0's reasoner with its
//! prior, and the test rows the bundles were evaluated on.

use crate::bundle::Manifest;
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::experiment::{ExperimentResults, ExperimentRows};
use crate::knowledge::student::StudentEncoder;
use crate::layout::{self, file};
use crate::ranker::cold::ColdSpace;
use crate::ranker::{Ranker, Variant};
use crate::reasoner::{
    DecodingPrior, DiffusionReasoner, InferredSequences, ItemVocab, PriorWeight,
};

use super::{read_artifact, read_file, Workspace};

/// The page's rankers, student, test rows and the GBR sequences they were scored with.
pub struct PageRankers {
    pub rankers: Vec<Ranker>,
    pub space: ColdSpace,
    pub rows: ExperimentRows,
    pub gbr: Vec<Vec<u32>>,
}

/// The page's reasoner and what its ranked decoder needs.
pub struct PageReasoner {
    pub model: DiffusionReasoner,
    pub vocab: ItemVocab,
    pub prior: DecodingPrior,
    pub weight: PriorWeight,
}

impl Workspace {
    /// The variants' bundles, the student and the test rows the page evaluates.
    pub fn page_rankers(&self, data: &Prepared) -> Result<PageRankers> {
        let dir = self.page_path(data, &layout::ranker_dir(&data.ds.name));
        let how = "reaseq experiment";
        let read = |f: &str| read_file(&dir.join(f), how);
        let mut rankers = Vec::new();
        for v in Variant::ALL {
            let [m, w] = layout::bundle_files(v.key());
            rankers.push(Ranker::from_bundle(v.key(), &read(&m)?, &read(&w)?)?);
        }
        let results: ExperimentResults = read_artifact(&dir.join(file::RESULTS))?;
        let rows = ExperimentRows::of_results(data, &results, &rankers)?;
        // Where the page finds them (scripts/stage-data.sh): the shipped world's beside its
        // bundles; a dataset's (or another world's) student from its knowledge build and its
        // sequences from the reasoner's dir.
        let (student, inferred) = if Self::shipped_world(data) {
            let [m, w] = layout::bundle_files(file::STUDENT);
            let s = StudentEncoder::from_bundle(file::STUDENT, &read(&m)?, &read(&w)?)?;
            (s, dir.join(file::INFERRED))
        } else {
            (
                self.student(&data.ds)?,
                self.reasoner_dir(data).join(file::INFERRED),
            )
        };
        let space = ColdSpace::for_rankers(student, &rankers)?;
        let name = inferred.display().to_string();
        let sequences = InferredSequences::from_json(&name, &read_file(&inferred, how)?)?;
        let gbr = sequences.resolve(&name, data)?;
        Ok(PageRankers {
            rankers,
            space,
            rows,
            gbr,
        })
    }

    /// Fold 0's reasoner as the page runs it, with the prior weight its bundle was decoded with.
    pub fn page_reasoner_decoder(&self, data: &Prepared) -> Result<PageReasoner> {
        let (model, ids) = self.page_reasoner(data)?;
        let dir = self.page_path(data, &layout::reasoner_dir(&data.ds.name));
        let [m, _] = layout::bundle_files(file::REASONER).map(|f| dir.join(f));
        let bytes = read_file(&m, "reaseq reasoner export")?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::artifact(m.display().to_string(), format!("not a manifest: {e}"))
        })?;
        let weight = PriorWeight::from_manifest(&manifest);
        let vocab = ItemVocab::new(&ids)?;
        let prior = DecodingPrior::for_protocol(&data.ds, &data.protocol, weight.mix > 0.0);
        Ok(PageReasoner {
            model,
            vocab,
            prior,
            weight,
        })
    }
}
