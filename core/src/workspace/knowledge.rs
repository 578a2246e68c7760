//! The knowledge build's files: vectors, compact REP vectors, the student and semantic IDs.

use std::path::PathBuf;

use crate::data::Dataset;
use crate::error::{Error, Result};
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::pipeline::{build_vectors, make_agents, run_agents};
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::pipeline::{CardStats, KnowledgeBuildConfig, KnowledgeVectors};
use crate::knowledge::pipeline::{DistilledStudent, KnowledgeBuild, KnowledgeCards};
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::rep::{RepSource, RepVectors};
use crate::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use crate::knowledge::student::StudentEncoder;
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::vectors::TextEncoder;
use crate::knowledge::vectors::{matrix_from_safetensors, tensor};
use crate::layout::{self, file};
use crate::progress::Progress;

#[cfg(any(feature = "teacher", feature = "train"))]
use super::write_file;
use super::{read_artifact, read_file, write_artifact, Workspace};

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

    /// Writes a build's cards (before its vectors, so they are kept when the teacher cannot be
    /// had); returns where they went.
    pub fn write_cards(&self, ds: &Dataset, cards: &KnowledgeCards) -> Result<PathBuf> {
        let path = self.knowledge_dir(ds).join(file::CARDS);
        write_artifact(&path, cards)?;
        Ok(path)
    }
}

#[cfg(any(feature = "teacher", feature = "train"))]
impl Workspace {
    /// Writes a build's vector files (when it made them), then its summary, which it returns.
    pub fn write_knowledge(
        &self,
        ds: &Dataset,
        cfg: &KnowledgeBuildConfig,
        cards: CardStats,
        vectors: Option<&KnowledgeVectors>,
    ) -> Result<KnowledgeBuild> {
        let dir = self.knowledge_dir(ds);
        if let Some(v) = vectors {
            for (name, bytes) in v.files(ds)? {
                write_file(&dir.join(name), &bytes)?;
            }
        }
        let summary = KnowledgeBuild::new(ds, cfg, cards, vectors.map(|v| v.summary.clone()));
        write_artifact(&dir.join(file::KNOWLEDGE_BUILD), &summary)?;
        Ok(summary)
    }

    /// The knowledge build of `ds` when it was made for this very data, with vectors.
    fn knowledge_build_of(&self, ds: &Dataset) -> Result<KnowledgeBuild> {
        let path = self.knowledge_dir(ds).join(file::KNOWLEDGE_BUILD);
        let build: KnowledgeBuild = read_artifact(&path)?;
        let want = format!("{:016x}", ds.fingerprint());
        if build.dataset_fingerprint != want || build.vectors.is_none() {
            return Err(Error::artifact(
                path.display().to_string(),
                format!(
                    "made for other data ({}, this data {want}) or without vectors: run `{KNOWLEDGE_BUILD}` again",
                    build.dataset_fingerprint
                ),
            ));
        }
        Ok(build)
    }

    /// The items' REP vectors, the ranker's REP input: on every dataset and synthetic world
    /// the knowledge build's. A dataset's build is `reaseq knowledge build`'s (refused when made
    /// for other data); a synthetic world's is made here, with the catalog and graph agents and
    /// `encoder`, when missing or made for another world.
    pub(super) fn rep(
        &self,
        ds: &Dataset,
        world: bool,
        encoder: &dyn TextEncoder,
        progress: &dyn Progress,
    ) -> Result<RepVectors> {
        let build = match self.knowledge_build_of(ds) {
            Ok(b) => b,
            Err(_) if world => self.build_world_knowledge(ds, encoder, progress)?,
            Err(e) => return Err(e),
        };
        let source = RepSource::of_build(&build)
            .ok_or_else(|| Error::Config(format!("{}: no vectors", ds.name)))?;
        Ok(RepVectors {
            source,
            vectors: self.rep_vectors(ds)?,
        })
    }

    /// A synthetic world's knowledge build (`KnowledgeBuildConfig::for_world`), written where
    /// `reaseq knowledge build` writes a dataset's.
    fn build_world_knowledge(
        &self,
        ds: &Dataset,
        encoder: &dyn TextEncoder,
        progress: &dyn Progress,
    ) -> Result<KnowledgeBuild> {
        progress.message(&format!(
            "{}: the knowledge build (catalog and graph agents, {})",
            self.knowledge_dir(ds).display(),
            encoder.name()
        ));
        let cfg = KnowledgeBuildConfig::for_world();
        let (cards, stats) = run_agents(ds, &mut make_agents(&cfg, None)?)?;
        self.write_cards(ds, &cards)?;
        let v = build_vectors(ds, &cards, encoder, &cfg, None, progress)?;
        self.write_knowledge(ds, &cfg, stats, Some(&v))
    }
}
