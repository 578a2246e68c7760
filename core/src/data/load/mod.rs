//! Loading a [`Dataset`] from plain CSV or RecBole atomic files, with validation that names the
//! file, line and column of every bad row.

mod opened;
mod plain_csv;
mod recbole;
mod rows;
mod scores;
mod table;

use std::path::Path;

pub use opened::{check_size, dataset_file, load_opened, MAX_OPEN_BYTES};
pub use plain_csv::load_csv_bytes;
pub use recbole::{load_recbole_bytes, RecboleFiles};
pub use scores::{one_model_file, read_model_scores, read_scores_csv, ModelScores, ScoreTable};

use crate::data::Dataset;
use crate::error::{Error, Report, Result};

/// At most 40 characters of `s`, for quoting a bad value in a message.
pub fn shorten_str(s: &str) -> String {
    table::shorten(s).into_owned()
}

/// Strict mode fails on the first file with any bad row (after reporting all of them); lenient
/// mode skips bad rows and counts them in the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strictness {
    #[default]
    Strict,
    Lenient,
}

impl Strictness {
    /// Lenient when `skip_bad_rows` (a flag, a checkbox), else strict.
    pub fn lenient_if(skip_bad_rows: bool) -> Self {
        if skip_bad_rows {
            Self::Lenient
        } else {
            Self::Strict
        }
    }
}

impl From<Strictness> for LoadOptions<'_> {
    fn from(strictness: Strictness) -> Self {
        Self {
            strictness,
            progress: None,
        }
    }
}

#[derive(Clone, Copy, Default)]
pub struct LoadOptions<'p> {
    pub strictness: Strictness,
    /// Hears the share of the input's bytes read, in [0, 1], every few thousand rows (the
    /// page's progress bar while its worker reads opened files).
    pub progress: Option<&'p dyn Fn(f64)>,
}

impl std::fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("strictness", &self.strictness)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A loaded dataset and what was wrong with its input (empty in strict mode).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub dataset: Dataset,
    pub report: Report,
}

/// Which format a directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// `interactions.csv` and, optionally, `items.csv`.
    Csv,
    /// `NAME.inter` with optional `NAME.item`, `NAME.kg`, `NAME.link`.
    Recbole { name: String },
}

pub fn detect_format(dir: &Path) -> Result<Format> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut inters = Vec::new();
    let mut has_csv = false;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".inter") {
            inters.push(stem.to_owned());
        }
        if name == "interactions.csv" {
            has_csv = true;
        }
    }
    inters.sort();
    match (inters.len(), has_csv) {
        (1, _) => Ok(Format::Recbole {
            name: inters.remove(0),
        }),
        (0, true) => Ok(Format::Csv),
        (0, false) => Err(Error::Config(format!(
            "no dataset in {}: expected interactions.csv (+ items.csv) or RecBole atomic files NAME.inter (+ NAME.item, NAME.kg, NAME.link)",
            dir.display()
        ))),
        _ => Err(Error::Config(format!(
            "{} holds several RecBole datasets ({}): point at a directory with one",
            dir.display(),
            inters.join(", ")
        ))),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    if path.exists() {
        read(path).map(Some)
    } else {
        Ok(None)
    }
}

/// Loads whatever dataset `dir` holds (see [`detect_format`]).
pub fn load_dir(dir: &Path, opts: LoadOptions) -> Result<Loaded> {
    match detect_format(dir)? {
        Format::Csv => {
            let items = dir.join("items.csv");
            load_csv_files(
                &dir.join("interactions.csv"),
                items.exists().then_some(items.as_path()),
                opts,
            )
        }
        Format::Recbole { name } => {
            let p = |ext: &str| dir.join(format!("{name}.{ext}"));
            let inter = read(&p("inter"))?;
            let item = read_optional(&p("item"))?;
            let kg = read_optional(&p("kg"))?;
            let link = read_optional(&p("link"))?;
            let names = |ext: &str| p(ext).display().to_string();
            let files = RecboleFiles {
                name: name.clone(),
                inter: (names("inter"), &inter),
                item: item.as_deref().map(|b| (names("item"), b)),
                kg: kg.as_deref().map(|b| (names("kg"), b)),
                link: link.as_deref().map(|b| (names("link"), b)),
            };
            load_recbole_bytes(files, opts)
        }
    }
}

/// Loads `interactions.csv` and an optional `items.csv`.
pub fn load_csv_files(
    interactions: &Path,
    items: Option<&Path>,
    opts: LoadOptions,
) -> Result<Loaded> {
    let inter = read(interactions)?;
    let item_bytes = match items {
        Some(p) => Some(read(p)?),
        None => None,
    };
    let inter_name = interactions.display().to_string();
    let item_name = items.map(|p| p.display().to_string());
    let name = interactions
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    load_csv_bytes(
        &name,
        (&inter_name, &inter),
        item_name.as_deref().zip(item_bytes.as_deref()),
        opts,
    )
}
