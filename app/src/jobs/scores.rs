//! The Open-scores job: score files of the researcher's own models — one file with a column per
//! model, or one file per model over the same rows — compared in the worker with
//! `reaseq_core::metrics::evaluate_models`, the function `reaseq metrics` prints for them, and
//! sliced by the dataset the page shows (`model_slices`, as `reaseq metrics --data DIR`).

use reaseq_core::data::load::{read_model_scores, Strictness};
use reaseq_core::data::Dataset;
use reaseq_core::metrics::{
    evaluate_models, model_slices, roc_curve, BootstrapConfig, ModelsReport,
};
use serde::{Deserialize, Serialize};

use super::open::OpenedFile;
use crate::error::{AppError, AppResult};

/// Replicates of the intervals and paired tests: `reaseq metrics`' default for such files.
pub const REPLICATES: usize = 1000;

/// The models' figures, and each model's ROC curve for the chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnModels {
    pub report: ModelsReport,
    pub roc: Vec<(String, Vec<(f64, f64)>)>,
    /// Why the report has no slices (no item_id column, ids that are not the dataset's).
    pub no_slices: Option<String>,
}

/// `ds`: the dataset the rows are sliced by, when the page has one.
pub(crate) fn compare_scores(files: &[OpenedFile], ds: Option<&Dataset>) -> AppResult<OwnModels> {
    // One file per model: each model takes its file's name.
    let read = |f: &OpenedFile| -> AppResult<_> {
        let s = read_model_scores(&f.name, &f.bytes, Strictness::Strict)?;
        Ok(if files.len() > 1 {
            s.named_by_file(&f.name)
        } else {
            s
        })
    };
    let (first, rest) = files
        .split_first()
        .ok_or_else(|| AppError::Input("no score file was opened".into()))?;
    let mut scores = read(first)?;
    for f in rest {
        scores.merge(&f.name, read(f)?)?;
    }
    let cfg = BootstrapConfig {
        replicates: REPLICATES,
        ..BootstrapConfig::default()
    };
    let mut report = evaluate_models(&scores, &cfg)?;
    let sliced = ds.map(|ds| model_slices(&scores, ds));
    let no_slices = match sliced {
        Some(Ok(s)) => {
            report.slices = Some(s);
            None
        }
        Some(Err(e)) => Some(e.to_string()),
        None => Some("no dataset is open to slice the rows by".into()),
    };
    let roc = scores
        .models
        .iter()
        .map(|(name, col)| Ok((name.clone(), roc_curve(&scores.label, col, 150)?)))
        .collect::<AppResult<_>>()?;
    Ok(OwnModels {
        report,
        roc,
        no_slices,
    })
}
