//! RecBole "atomic" files: tab-separated with typed headers (`user_id:token`, `rating:float`).

use crate::data::text::Dialect;
use crate::data::Dataset;
use crate::error::{Report, Result};

use super::rows::{read_graph, read_interactions, read_items};
use super::table::{conclude, Meter};
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
    // In the order they are read.
    let bytes = |f: &Option<(String, &'a [u8])>| f.as_ref().map(|f| f.1);
    let read: Vec<&[u8]> = [bytes(&files.item), Some(files.inter.1)]
        .into_iter()
        .chain([bytes(&files.link), bytes(&files.kg)])
        .flatten()
        .collect();
    let meter = Meter::new(&opts, &read);
    if let Some((file, data)) = &files.item {
        report.merge(read_items(file, data, Dialect::Tsv, &meter, &mut ds)?);
    }
    let (file, data) = &files.inter;
    report.merge(read_interactions(
        file,
        data,
        Dialect::Tsv,
        false,
        files.item.as_ref().map(|(f, _)| f.as_str()),
        &meter,
        &mut ds,
    )?);
    let graph = read_graph(pair(&files.kg), pair(&files.link), &meter, &mut ds)?;
    report.merge(graph);
    let report = conclude(report, opts.strictness)?;
    Ok(Loaded {
        dataset: ds,
        report,
    })
}

fn pair<'s, 'a>(x: &'s Option<(String, &'a [u8])>) -> Option<(&'s str, &'a [u8])> {
    x.as_ref().map(|(f, d)| (f.as_str(), *d))
}
