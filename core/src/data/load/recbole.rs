//! RecBole "atomic" files: tab-separated with typed headers (`user_id:token`, `rating:float`).

use crate::data::text::Dialect;
use crate::data::Dataset;
use crate::error::{Report, Result};

use super::rows::{read_graph, read_interactions, read_items};
use super::table::conclude;
use super::{LoadOptions, Loaded};

/// The files of one RecBole dataset as `(file name, bytes)`.
pub struct RecboleFiles<'a> {
    pub name: String,
    pub inter: (String, &'a [u8]),
    pub item: Option<(String, &'a [u8])>,
    pub kg: Option<(String, &'a [u8])>,
    pub link: Option<(String, &'a [u8])>,
}

pub fn load_recbole_bytes<'a>(files: RecboleFiles<'a>, opts: LoadOptions) -> Result<Loaded> {
    let mut ds = Dataset::new(files.name.clone());
    let mut report = Report::default();
    if let Some((file, data)) = &files.item {
        report.merge(read_items(file, data, Dialect::Tsv, &mut ds)?);
    }
    let (file, data) = &files.inter;
    report.merge(read_interactions(
        file,
        data,
        Dialect::Tsv,
        false,
        files.item.as_ref().map(|(f, _)| f.as_str()),
        &mut ds,
    )?);
    report.merge(read_graph(pair(&files.kg), pair(&files.link), &mut ds)?);
    let report = conclude(report, opts.strictness)?;
    Ok(Loaded {
        dataset: ds,
        report,
    })
}

fn pair<'s, 'a>(x: &'s Option<(String, &'a [u8])>) -> Option<(&'s str, &'a [u8])> {
    x.as_ref().map(|(f, d)| (f.as_str(), *d))
}
