//! The knowledge build's files: vectors, compact REP vectors, the student and semantic IDs.

use std::path::PathBuf;

use crate::data::Dataset;
use crate::error::{Error, Result};
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::pipeline::{build_knowledge, make_agents};
use crate::knowledge::pipeline::{DistilledStudent, KnowledgeBuild, KnowledgeCards};
#[cfg(any(feature = "teacher", feature = "train"))]
use crate::knowledge::pipeline::{KnowledgeBuildConfig, KnowledgeVectors};
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
        let for_ds = build.is_for(ds);
        let Some(vectors) = build.vectors.filter(|_| for_ds) else {
            progress.message(&format!(
                "{}: distilled for other data ({}, this data {:016x})",
                dir.display(),
                build.dataset_fingerprint,
                ds.fingerprint()
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

/// A knowledge build on disk, as a REP source.
#[cfg(any(feature = "teacher", feature = "train"))]
enum BuildState {
    /// Made for this very data, with vectors.
    Made(Box<KnowledgeBuild>),
    /// Missing, made for other data or without vectors: why.
    Unusable(String),
}

#[cfg(any(feature = "teacher", feature = "train"))]
impl Workspace {
    /// Writes a build's vector files (when it made them), then its summary.
    pub fn write_knowledge(
        &self,
        ds: &Dataset,
        summary: &KnowledgeBuild,
        vectors: Option<&KnowledgeVectors>,
    ) -> Result<()> {
        let dir = self.knowledge_dir(ds);
        if let Some(v) = vectors {
            for (name, bytes) in v.files(ds)? {
                write_file(&dir.join(name), &bytes)?;
            }
        }
        write_artifact(&dir.join(file::KNOWLEDGE_BUILD), summary)
    }

    /// The knowledge build of `ds`, or why it cannot serve (a file that cannot be read is an
    /// error, not a reason to build anew).
    fn knowledge_build_of(&self, ds: &Dataset) -> Result<BuildState> {
        let path = self.knowledge_dir(ds).join(file::KNOWLEDGE_BUILD);
        if !path.exists() {
            return Ok(BuildState::Unusable("not found".into()));
        }
        let build: KnowledgeBuild = read_artifact(&path)?;
        Ok(if !build.is_for(ds) {
            BuildState::Unusable(format!(
                "made for other data ({}, this data {:016x})",
                build.dataset_fingerprint,
                ds.fingerprint()
            ))
        } else if build.vectors.is_none() {
            BuildState::Unusable("made without vectors (--encoder none)".into())
        } else {
            BuildState::Made(Box::new(build))
        })
    }

    /// The items' REP vectors, the ranker's REP input: on every dataset and synthetic world
    /// the knowledge build's. A dataset's build is `reaseq knowledge build`'s (refused when
    /// missing or made for other data); a synthetic world's is made here, with the catalog and
    /// graph agents and `encoder`, when missing, made for another world, or when retraining.
    pub(super) fn rep(
        &self,
        ds: &Dataset,
        world: bool,
        encoder: &dyn TextEncoder,
        progress: &dyn Progress,
    ) -> Result<RepVectors> {
        let path = self.knowledge_dir(ds).join(file::KNOWLEDGE_BUILD);
        let reason = match self.knowledge_build_of(ds)? {
            BuildState::Made(b) if !(world && self.retrain) => return self.rep_of(ds, &b),
            BuildState::Made(_) => "retraining".to_owned(),
            BuildState::Unusable(why) => why,
        };
        if !world {
            return Err(Error::artifact(
                path.display().to_string(),
                format!("{reason}: run `{KNOWLEDGE_BUILD}`"),
            ));
        }
        progress.message(&format!(
            "{}: {reason}; the world's knowledge build (catalog and graph agents, {})",
            path.display(),
            encoder.name()
        ));
        let build = self.build_world_knowledge(ds, encoder, progress)?;
        self.rep_of(ds, &build)
    }

    /// The REP vectors `build` wrote, with their source; refused when they are not its size.
    fn rep_of(&self, ds: &Dataset, build: &KnowledgeBuild) -> Result<RepVectors> {
        let vectors = self.rep_vectors(ds)?;
        let path = self.knowledge_dir(ds).join(file::REP);
        let source = RepSource::of_build(build, &vectors).ok_or_else(|| {
            Error::artifact(path.display().to_string(), "its build made no vectors")
        })?;
        if let Some(v) = vectors.iter().find(|v| v.len() != source.dims) {
            return Err(Error::artifact(
                path.display().to_string(),
                format!(
                    "a vector of {} dimensions, the build says {}: run `{KNOWLEDGE_BUILD}` again",
                    v.len(),
                    source.dims
                ),
            ));
        }
        Ok(RepVectors { source, vectors })
    }

    /// A synthetic world's knowledge build (`KnowledgeBuildConfig::for_world`), written where
    /// `reaseq knowledge build` writes a dataset's.
    fn build_world_knowledge(
        &self,
        ds: &Dataset,
        encoder: &dyn TextEncoder,
        progress: &dyn Progress,
    ) -> Result<KnowledgeBuild> {
        let cfg = KnowledgeBuildConfig::for_world();
        let mut agents = make_agents(&cfg, None)?;
        let out = build_knowledge(ds, &cfg, &mut agents, Some(encoder), progress)?;
        self.write_cards(ds, &out.cards)?;
        self.write_knowledge(ds, &out.summary, out.vectors.as_ref())?;
        Ok(out.summary)
    }
}
