//! The knowledge build's files: vectors, compact REP vectors, the student and semantic IDs.

use std::path::PathBuf;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::knowledge::pipeline::{DistilledStudent, KnowledgeBuild, KnowledgeCards};
use crate::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use crate::knowledge::student::StudentEncoder;
use crate::knowledge::vectors::{matrix_from_safetensors, tensor};
use crate::layout::{self, file};
use crate::progress::Progress;

use super::{read_artifact, read_file, Workspace};

/// What makes the knowledge files, named when one is missing.
pub const KNOWLEDGE_BUILD: &str = "reaseq knowledge build";

impl Workspace {
    /// `{data}/knowledge/{dataset}`
    pub fn knowledge_dir(&self, ds: &Dataset) -> PathBuf {
        let root = self.knowledge_from.as_ref().unwrap_or(&self.data);
        root.join(layout::knowledge_dir(&ds.name))
    }

    /// Tensor `name` of the knowledge file `file`, one row per item of `ds`.
    fn knowledge_matrix(&self, ds: &Dataset, file: &str, name: &str) -> Result<Vec<Vec<f32>>> {
        let path = self.knowledge_dir(ds).join(file);
        let bytes = read_file(&path, KNOWLEDGE_BUILD)?;
        matrix_from_safetensors(&path.display().to_string(), &bytes, name, ds.num_items())
    }

    /// The fused knowledge vector of every item.
    pub fn knowledge_vectors(&self, ds: &Dataset) -> Result<Vec<Vec<f32>>> {
        self.knowledge_matrix(ds, file::VECTORS, tensor::KNOWLEDGE)
    }

    /// The compact REP vector of every item (the student's target; the ranker's REP input).
    pub fn rep_vectors(&self, ds: &Dataset) -> Result<Vec<Vec<f32>>> {
        self.knowledge_matrix(ds, file::REP, tensor::REP)
    }

    /// The student's bundle as the knowledge build wrote it: manifest and weights.
    pub fn student_bundle(&self, ds: &Dataset) -> Result<(Vec<u8>, Vec<u8>)> {
        let [m, w] = layout::bundle_files(file::STUDENT).map(|f| self.knowledge_dir(ds).join(f));
        Ok((
            read_file(&m, KNOWLEDGE_BUILD)?,
            read_file(&w, KNOWLEDGE_BUILD)?,
        ))
    }

    /// The student encoder into the knowledge build's REP space.
    pub fn student(&self, ds: &Dataset) -> Result<StudentEncoder> {
        let (m, w) = self.student_bundle(ds)?;
        StudentEncoder::from_bundle(file::STUDENT, &m, &w)
    }

    /// The knowledge build's semantic IDs, refused when they do not cover `ds`'s items.
    pub fn semantic_ids(&self, ds: &Dataset) -> Result<SemanticIds> {
        let path = self.knowledge_dir(ds).join(file::SEMANTIC_IDS);
        let ids = read_artifact::<SemanticIdFile>(&path)?.ids;
        if ids.codes.len() != ds.num_items() {
            return Err(Error::artifact(
                path.display().to_string(),
                format!(
                    "{} items, the dataset has {}: run `{KNOWLEDGE_BUILD}` again",
                    ids.codes.len(),
                    ds.num_items()
                ),
            ));
        }
        Ok(ids)
    }

    /// The student shipped for this dataset (`assets/knowledge/{dataset}`, written by
    /// `reaseq knowledge build --write-asset`) with the REP targets it learnt; `None` when
    /// none is shipped, or (said through `progress`) it was distilled for other data.
    pub fn distilled_student(
        &self,
        ds: &Dataset,
        progress: &dyn Progress,
    ) -> Result<Option<DistilledStudent>> {
        let dir = self.assets.join(layout::knowledge_dir(&ds.name));
        let [m, w] = layout::bundle_files(file::STUDENT).map(|f| dir.join(f));
        if self.retrain || !m.exists() {
            return Ok(None);
        }
        let build: KnowledgeBuild = read_artifact(&dir.join(file::KNOWLEDGE_BUILD))?;
        let want = format!("{:016x}", ds.fingerprint());
        let Some(vectors) = build.vectors.filter(|_| build.dataset_fingerprint == want) else {
            progress.message(&format!(
                "{}: distilled for other data ({}, this data {want})",
                dir.display(),
                build.dataset_fingerprint
            ));
            return Ok(None);
        };
        let (manifest, weights) = (
            read_file(&m, KNOWLEDGE_BUILD)?,
            read_file(&w, KNOWLEDGE_BUILD)?,
        );
        let student = StudentEncoder::from_bundle(&m.display().to_string(), &manifest, &weights)?;
        let rep_path = dir.join(file::REP);
        let rep = matrix_from_safetensors(
            &rep_path.display().to_string(),
            &read_file(&rep_path, KNOWLEDGE_BUILD)?,
            tensor::REP,
            ds.num_items(),
        )?;
        Ok(Some(DistilledStudent {
            rep,
            student,
            agreement: vectors.student.agreement,
        }))
    }

    /// Ships the student, its REP targets and the build's summary: copies them to the assets.
    pub fn write_knowledge_assets(&self, ds: &Dataset, progress: &dyn Progress) -> Result<PathBuf> {
        let mut files: Vec<String> = layout::bundle_files(file::STUDENT).into();
        files.extend([file::REP.into(), file::KNOWLEDGE_BUILD.into()]);
        self.copy_to_assets(&layout::knowledge_dir(&ds.name), &files, progress)
    }

    /// Every item's knowledge card.
    pub fn cards(&self, ds: &Dataset) -> Result<KnowledgeCards> {
        read_artifact(&self.knowledge_dir(ds).join(file::CARDS))
    }
}
