//! The CLI's files: the artifact layout of `reaseq_core::layout` under `$REASEQ_DATA` (else
//! `./data`) and `$REASEQ_ASSETS` (else `./assets`), read and written with the path in every
//! error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use reaseq_core::data::Dataset;
use reaseq_core::knowledge::llm::LlmSetup;
use reaseq_core::knowledge::semantic_id::SemanticIds;
use reaseq_core::knowledge::vectors::{matrix_from_safetensors, tensor};
use reaseq_core::layout::{self, file};

/// Where generated data lives: `$REASEQ_DATA`, else `./data`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("REASEQ_DATA").map_or_else(|| PathBuf::from("data"), PathBuf::from)
}

/// Committed assets: `$REASEQ_ASSETS`, else `./assets`.
pub fn assets_dir() -> PathBuf {
    std::env::var_os("REASEQ_ASSETS").map_or_else(|| PathBuf::from("assets"), PathBuf::from)
}

/// A layout path (`reaseq_core::layout`) under the data directory.
pub fn data_path(relative: &str) -> PathBuf {
    data_dir().join(relative)
}

/// Reads a file another command makes; the error names the file and that command.
pub fn read_file(path: &Path, made_by: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}: run `{made_by}` first", path.display()))
}

/// Writes a file, creating its directory.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Copies `files` from `from` to the layout directory `relative` under the assets directory;
/// files that do not exist are skipped.
pub fn copy_to_assets(from: &Path, relative: &str, files: &[String]) -> Result<()> {
    let to = assets_dir().join(relative);
    std::fs::create_dir_all(&to).with_context(|| format!("creating {}", to.display()))?;
    for f in files {
        if !from.join(f).exists() {
            continue;
        }
        std::fs::copy(from.join(f), to.join(f))
            .with_context(|| format!("copying {f} to {}", to.display()))?;
    }
    eprintln!("assets → {}", to.display());
    Ok(())
}

/// Where the LLM agents keep their answers: this machine's cache under the data directory, the
/// committed asset under the assets; a progress bar per agent.
pub fn llm_setup() -> LlmSetup<'static> {
    LlmSetup {
        data_dir: data_dir(),
        cache_dir: data_path(&layout::llm_cache_dir()),
        asset_dir: assets_dir().join(layout::llm_asset_dir()),
        log: |l| eprintln!("{l}"),
        progress: &crate::progress::llm_bar,
    }
}

/// What makes the knowledge files, named when one is missing.
pub const KNOWLEDGE_BUILD: &str = "reaseq knowledge build";

/// `{data}/knowledge/{dataset}`
pub fn knowledge_dir(ds: &Dataset) -> PathBuf {
    data_path(&layout::knowledge_dir(&ds.name))
}

/// Tensor `name` of the knowledge file `file`, one row per item of `ds`.
fn read_matrix(ds: &Dataset, file: &str, name: &str) -> Result<Vec<Vec<f32>>> {
    let path = knowledge_dir(ds).join(file);
    let bytes = read_file(&path, KNOWLEDGE_BUILD)?;
    let shown = path.display().to_string();
    Ok(matrix_from_safetensors(
        &shown,
        &bytes,
        name,
        ds.num_items(),
    )?)
}

/// The fused knowledge vector of every item (from `reaseq knowledge build`).
pub fn read_knowledge_vectors(ds: &Dataset) -> Result<Vec<Vec<f32>>> {
    read_matrix(ds, file::VECTORS, tensor::KNOWLEDGE)
}

/// The compact REP vector of every item (the student's target; the ranker's REP input).
pub fn read_rep_vectors(ds: &Dataset) -> Result<Vec<Vec<f32>>> {
    read_matrix(ds, file::REP, tensor::REP)
}

/// The student's bundle as `reaseq knowledge build` wrote it: manifest and weights.
pub fn student_bundle(ds: &Dataset) -> Result<(Vec<u8>, Vec<u8>)> {
    let [m, w] = layout::bundle_files(file::STUDENT).map(|f| knowledge_dir(ds).join(f));
    Ok((
        read_file(&m, KNOWLEDGE_BUILD)?,
        read_file(&w, KNOWLEDGE_BUILD)?,
    ))
}

/// The semantic IDs of the last knowledge build, if they are there and fit the dataset.
pub fn read_semantic_ids(ds: &Dataset) -> Option<SemanticIds> {
    let bytes = std::fs::read(knowledge_dir(ds).join(file::SEMANTIC_IDS)).ok()?;
    let ids: SemanticIds = serde_json::from_slice(&bytes).ok()?;
    (ids.codes.len() == ds.num_items()).then_some(ids)
}
