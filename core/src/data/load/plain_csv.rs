//! Bring-your-own data as plain CSV: `interactions.csv` (`user_id,item_id,timestamp[,label|rating]`)
//! and optionally `items.csv` (`item_id,title[,genres][,year][,description]`).

use crate::data::text::Dialect;
use crate::data::Dataset;
use crate::error::{Report, Result};

use super::rows::{read_interactions, read_items};
use super::table::{conclude, Meter};
use super::{LoadOptions, Loaded};

/// Loads from bytes (the browser has no file system): `(file name, bytes)` pairs.
pub fn load_csv_bytes(
    name: &str,
    interactions: (&str, &[u8]),
    items: Option<(&str, &[u8])>,
    opts: LoadOptions,
) -> Result<Loaded> {
    let mut ds = Dataset::new(name);
    let mut report = Report::default();
    let files: Vec<&[u8]> = items.iter().chain([&interactions]).map(|f| f.1).collect();
    let meter = Meter::new(&opts, &files);
    if let Some((file, data)) = items {
        report.merge(read_items(file, data, Dialect::Csv, &meter, &mut ds)?);
    }
    let (file, data) = interactions;
    report.merge(read_interactions(
        file,
        data,
        Dialect::Csv,
        true,
        items.map(|(f, _)| f),
        &meter,
        &mut ds,
    )?);
    let report = conclude(report, opts.strictness)?;
    Ok(Loaded {
        dataset: ds,
        report,
    })
}
