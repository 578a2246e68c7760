//! The answer cache: one JSON line per answer, appended as soon as it arrives, so a rerun costs
//! nothing and an interrupted run resumes where it stopped.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CacheKey {
    /// FNV-1a of the item text the prompt was built from, in hex.
    pub text_hash: String,
    pub agent: String,
    pub prompt_version: String,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub key: CacheKey,
    pub values: Vec<String>,
    pub reasoning: String,
}

pub struct LlmCache {
    path: Option<PathBuf>,
    entries: HashMap<CacheKey, CachedAnswer>,
}

impl LlmCache {
    /// A cache that lives only in memory.
    pub fn in_memory() -> Self {
        Self {
            path: None,
            entries: HashMap::new(),
        }
    }

    /// Opens (or starts) the cache file; a damaged line is skipped (its answer is asked again).
    pub fn open(path: &Path) -> Result<Self> {
        let mut entries = HashMap::new();
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            for line in text.lines() {
                if let Ok(a) = serde_json::from_str::<CachedAnswer>(line) {
                    entries.insert(a.key.clone(), a);
                }
            }
        }
        Ok(Self {
            path: Some(path.to_path_buf()),
            entries,
        })
    }

    /// Adds the answers of a read-only file (the committed asset), if it exists; answers
    /// already in the cache win.
    pub fn seed(&mut self, path: &Path) -> Result<usize> {
        if !path.exists() {
            return Ok(0);
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut added = 0;
        for line in text.lines() {
            if let Ok(a) = serde_json::from_str::<CachedAnswer>(line) {
                if !self.entries.contains_key(&a.key) {
                    self.entries.insert(a.key.clone(), a);
                    added += 1;
                }
            }
        }
        Ok(added)
    }

    pub fn get(&self, key: &CacheKey) -> Option<&CachedAnswer> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn put(&mut self, answer: CachedAnswer) -> Result<()> {
        if let Some(path) = &self.path {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            let line = serde_json::to_string(&answer)
                .map_err(|e| Error::Model(format!("cache entry: {e}")))?;
            writeln!(f, "{line}").map_err(|e| Error::io(path, e))?;
        }
        self.entries.insert(answer.key.clone(), answer);
        Ok(())
    }
}
