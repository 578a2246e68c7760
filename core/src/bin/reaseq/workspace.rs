//! The CLI's files: the artifact layout of `reaseq_core::layout` under `$REASEQ_DATA` (else
//! `./data`) and `$REASEQ_ASSETS` (else `./assets`), read and written with the path in every
//! error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
