//! The knowledge build's files: vectors, compact REP vectors, the student and semantic IDs.

use std::path::PathBuf;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::knowledge::pipeline::KnowledgeCards;
use crate::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use crate::knowledge::student::StudentEncoder;
use crate::knowledge::vectors::{matrix_from_safetensors, tensor};
use crate::layout::{self, file};

use super::{read_artifact, read_file, Workspace};

/// What makes the knowledge files, named when one is missing.
pub const KNOWLEDGE_BUILD: &str = "reaseq knowledge build";

impl Workspace {
    /// `{data}/knowledge/{dataset}`
    pub fn knowledge_dir(&self, ds: &Dataset) -> PathBuf {
        self.path(&layout::knowledge_dir(&ds.name))
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

    /// Every item's knowledge card.
    pub fn cards(&self, ds: &Dataset) -> Result<KnowledgeCards> {
        read_artifact(&self.knowledge_dir(ds).join(file::CARDS))
    }
}
