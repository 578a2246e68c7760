//! The Open-data job: the files a researcher opened, parsed and validated in the worker by
//! `reaseq_core::data::load::load_opened` (CSV or RecBole, told apart by name), strictly or
//! leniently. The dataset comes back to the page, which keeps it in memory only; the worker
//! keeps it too, with the workspace files among the opened ones, for the views' later jobs.

use reaseq_core::data::load::{load_opened, LoadOptions, Strictness};
use reaseq_core::data::Dataset;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::error::{AppError, AppResult};

/// One opened file: its name (with its folders when a folder was opened: the workspace's
/// layout is read from them) and bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The opened dataset and, in lenient mode, the rows it skipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opened {
    pub dataset: Arc<Dataset>,
    /// The dataset's fingerprint, which names it in links.
    pub fingerprint: String,
    pub skipped_rows: u64,
    /// The first [`AppError::SHOWN`] skipped rows' problems, `file:line: column: reason`.
    pub problems: Vec<String>,
    pub problems_total: u64,
    /// The worker's memory after loading (WebAssembly memory only grows: its peak), in bytes;
    /// 0 where it is not measured (native tests).
    pub worker_memory: f64,
}

/// `(name, bytes)` of each file, as the loaders take them.
pub fn named(files: &[OpenedFile]) -> impl Iterator<Item = (&str, &[u8])> {
    files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice()))
}

/// `progress` hears the share of the files' bytes read.
pub(crate) fn open(
    files: &[OpenedFile],
    lenient: bool,
    progress: &dyn Fn(f64),
) -> AppResult<Opened> {
    let named: Vec<(String, &[u8])> = named(files).map(|(n, b)| (n.to_owned(), b)).collect();
    let strictness = Strictness::lenient_if(lenient);
    let opts = LoadOptions {
        strictness,
        progress: Some(progress),
    };
    let loaded = load_opened(&named, opts)?;
    let report = loaded.report;
    Ok(Opened {
        fingerprint: crate::loading::fingerprint(&loaded.dataset),
        dataset: Arc::new(loaded.dataset),
        skipped_rows: report.skipped_rows,
        problems: report
            .problems
            .iter()
            .take(AppError::SHOWN)
            .map(ToString::to_string)
            .collect(),
        problems_total: report.count(),
        worker_memory: 0.0,
    })
}
