//! The cold-start job: a title and description no log has seen, placed in the deployed
//! rankers' REP space and scored for one user by every variant (`reaseq_core::ranker::cold`,
//! as `reaseq experiment --cold-title …` does). It runs in the worker.

use reaseq_core::knowledge::student::StudentEncoder;
use reaseq_core::ranker::cold::{cold_start as cold_start_report, ColdSpace};
pub use reaseq_core::ranker::cold::{ColdStartReport as ColdStart, NewItem};

use crate::error::AppResult;
use crate::loading::experiment::{Assets, ExperimentData};

/// The REP space of the deployed rankers: the +REP bundle's table, the student into it.
pub(crate) fn cold_space(student: StudentEncoder, assets: &Assets) -> AppResult<ColdSpace> {
    Ok(ColdSpace::for_rankers(student, &assets.rankers)?)
}

/// Places and scores the new item with the function `reaseq experiment --cold-title` uses.
pub(crate) fn cold_start(
    space: &ColdSpace,
    assets: &Assets,
    d: &ExperimentData,
    item: &NewItem,
) -> AppResult<ColdStart> {
    Ok(cold_start_report(
        space,
        &assets.rankers,
        d.ds(),
        &d.rows.test,
        &d.gbr,
        item,
    )?)
}
