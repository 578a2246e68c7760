//! A workspace on disk: the artifact layout of [`crate::layout`] under a data directory (what
//! the commands make) and an assets directory (what is committed for the workbench). The CLI
//! is a thin caller of these stages; every read and write names its path, and a missing file
//! names the command that makes it.

#[cfg(feature = "train")]
mod experiment;
mod knowledge;
#[cfg(feature = "train")]
mod reasoner;
#[cfg(feature = "train")]
mod study;
#[cfg(feature = "train")]
mod what_if;

use std::path::{Path, PathBuf};

use crate::artifact::{from_json, to_json, Artifact};
use crate::error::{Error, Result};
use crate::progress::Progress;

#[cfg(feature = "train")]
pub use experiment::{SeedZeroCheck, ShippedExperiment};
pub use knowledge::KNOWLEDGE_BUILD;
#[cfg(feature = "train")]
pub use what_if::{PageRankers, PageReasoner};

/// The two roots of the layout.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// What commands make (`$REASEQ_DATA`, else `./data`, in the CLI).
    pub data: PathBuf,
    /// What is committed for the workbench (`$REASEQ_ASSETS`, else `./assets`).
    pub assets: PathBuf,
    /// Train every model afresh: neither the shipped models (under the assets) nor the
    /// sequences a fit here saved are reused.
    pub retrain: bool,
    /// The data directory whose knowledge build this workspace reads, when not its own (a
    /// draw study's draws read their parent's: the knowledge does not depend on the protocol).
    pub knowledge_from: Option<PathBuf>,
}

impl Workspace {
    pub fn new(data: impl Into<PathBuf>, assets: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            assets: assets.into(),
            retrain: false,
            knowledge_from: None,
        }
    }

    /// The same workspace, training every model afresh when `retrain`.
    pub fn retraining(self, retrain: bool) -> Self {
        Self { retrain, ..self }
    }

    /// The same workspace, reading `parent`'s knowledge build.
    pub fn reading_knowledge_of(self, parent: &Workspace) -> Self {
        let from = parent
            .knowledge_from
            .as_ref()
            .unwrap_or(&parent.data)
            .clone();
        Self {
            knowledge_from: Some(from),
            ..self
        }
    }

    /// A layout directory (`crate::layout::*_dir`) under the data directory.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.data.join(relative)
    }

    /// Where the page reads `relative` for `data`: the workbench's synthetic world's from the
    /// assets the repository ships, MovieLens-100k's (and any other world's, which the page
    /// never shows) from this workspace (which `scripts/stage-data.sh` stages into the build).
    pub fn page_path(&self, data: &crate::data::Prepared, relative: &str) -> PathBuf {
        if Self::shipped_world(data) {
            self.assets.join(relative)
        } else {
            self.path(relative)
        }
    }

    /// Whether `data` is the world whose models the repository ships.
    pub fn shipped_world(data: &crate::data::Prepared) -> bool {
        data.world == Some(crate::data::WorldSpec::WORKBENCH)
    }

    /// Copies `files` from the layout directory `relative` under the data directory to the same
    /// directory under the assets; files that are not there are skipped. Returns where they went.
    pub fn copy_to_assets(
        &self,
        relative: &str,
        files: &[String],
        progress: &dyn Progress,
    ) -> Result<PathBuf> {
        let (from, to) = (self.path(relative), self.assets.join(relative));
        let there: Vec<&String> = files.iter().filter(|f| from.join(f).exists()).collect();
        copy_files(&from, &to, there)?;
        progress.message(&format!("assets → {}", to.display()));
        Ok(to)
    }

    /// Copies the shipped `files` of the layout directory `relative` from the assets to the
    /// data directory, as the command that made them would have written them there.
    pub fn install_from_assets(&self, relative: &str, files: &[String]) -> Result<PathBuf> {
        let to = self.path(relative);
        copy_files(&self.assets.join(relative), &to, files)?;
        Ok(to)
    }
}

/// Copies `files` from the directory `from` to `to`, creating `to`.
fn copy_files<'a>(
    from: &Path,
    to: &Path,
    files: impl IntoIterator<Item = &'a String>,
) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for f in files {
        std::fs::copy(from.join(f), to.join(f)).map_err(|e| Error::io(from.join(f), e))?;
    }
    Ok(())
}

/// Reads a file another command makes; a missing file names that command.
pub fn read_file(path: &Path, made_by: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Config(format!(
            "{}: not found: run `{made_by}` first",
            path.display()
        )),
        _ => Error::io(path, e),
    })
}

/// Reads an artifact, checking its format version.
pub fn read_artifact<T: Artifact>(path: &Path) -> Result<T> {
    from_json(&path.display().to_string(), &read_file(path, T::MADE_BY)?)
}

/// Writes a file, creating its directory.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Writes an artifact as pretty JSON with its format version.
pub fn write_artifact<T: Artifact>(path: &Path, value: &T) -> Result<()> {
    write_file(path, &to_json(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn a_draws_workspace_reads_its_parents_knowledge_and_writes_its_own_models() {
        let parent = Workspace::new("/p/data", "/p/assets");
        let draw =
            Workspace::new("/p/data/study/toy/draws/draw-1", "/none").reading_knowledge_of(&parent);
        let ds = crate::data::Dataset::new("toy");
        assert_eq!(
            draw.knowledge_dir(&ds),
            PathBuf::from("/p/data/knowledge/toy")
        );
        assert_eq!(
            draw.path("reasoner/toy"),
            PathBuf::from("/p/data/study/toy/draws/draw-1/reasoner/toy")
        );
        // A workspace made from a draw's reads the same knowledge.
        let nested = Workspace::new("/q", "/none").reading_knowledge_of(&draw);
        assert_eq!(nested.knowledge_dir(&ds), parent.knowledge_dir(&ds));
        assert_eq!(
            Workspace::new("/q", "/none").knowledge_dir(&ds),
            PathBuf::from("/q/knowledge/toy")
        );
    }

    #[test]
    fn a_missing_file_names_the_command_and_assets_copy_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path().join("data"), dir.path().join("assets"));
        let e = read_file(&ws.path("x/y.json"), "reaseq make-y")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("y.json: not found: run `reaseq make-y` first"),
            "{e}"
        );
        write_file(&ws.path("r/a.json"), b"{}").unwrap();
        let to = ws
            .copy_to_assets("r", &["a.json".into(), "b.json".into()], &Silent)
            .unwrap();
        assert!(to.join("a.json").exists() && !to.join("b.json").exists());
    }
}
