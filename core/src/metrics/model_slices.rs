//! Your models' AUC on slices of their rows, cut by what the open dataset knows of each row's
//! user and item: the item's popularity, the user's history length and the item's first genre —
//! the kinds of slice the ablation is reported on (`ranker::slices`), for models the workbench
//! did not train. A score file has no split, so popularity counts the item's interactions in the
//! whole dataset, and the history-length edges are the tertiles of the scored users' history
//! lengths (the ablation's fixed edges fit only its attended window).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::load::ModelScores;
use crate::data::protocol::{history_bucket, PopularityBuckets};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::ranker::slices::{history_slice_name, SliceKind, POPULARITY_SLICES};

use super::auc;

/// One slice: its rows and positives, and each model's AUC there (None when the slice holds
/// one class only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSlice {
    pub kind: SliceKind,
    pub name: String,
    pub rows: usize,
    pub positives: usize,
    /// In the order of [`ModelSlices::models`].
    pub auc: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSlices {
    /// The dataset the rows were matched against.
    pub dataset: String,
    pub models: Vec<String>,
    /// Rows whose user and item the dataset has (only these are sliced), of all rows.
    pub matched: usize,
    pub rows: usize,
    /// The history-length buckets' upper edges (interactions in the dataset).
    pub history_edges: Vec<usize>,
    pub slices: Vec<ModelSlice>,
}

/// The slices of `s`'s rows by `ds`; an error says why there are none (no `item_id` column, or
/// no row whose user and item the dataset has).
pub fn model_slices(s: &ModelScores, ds: &Dataset) -> Result<ModelSlices> {
    let items = s
        .item
        .as_ref()
        .ok_or_else(|| Error::NotFound("slices need an item_id column in the score file".into()))?;
    // The rows whose user and item the dataset has, with those.
    let matched: Vec<(usize, u32, u32)> = (0..s.label.len())
        .filter_map(|r| {
            let user = ds.users.get(s.users.name(s.user[r]))?;
            Some((r, user, ds.item_index(&items[r])?))
        })
        .collect();
    if matched.is_empty() {
        return Err(Error::NotFound(format!(
            "no row's user and item are in {} (its ids differ from the score file's)",
            ds.name
        )));
    }
    let (mut per_item, mut per_user) = (vec![0u32; ds.num_items()], vec![0usize; ds.num_users()]);
    for x in &ds.interactions {
        per_item[x.item as usize] += 1;
        per_user[x.user as usize] += 1;
    }
    // Half the interactions go to the head, as in the ablation's slices.
    let pop = PopularityBuckets::new(&per_item, PopularityBuckets::HEAD_SHARE);
    let users: std::collections::BTreeSet<u32> = matched.iter().map(|&(_, u, _)| u).collect();
    let edges = tertiles(users.iter().map(|&u| per_user[u as usize]));
    let mut out = ModelSlices {
        dataset: ds.name.clone(),
        models: s.models.iter().map(|(n, _)| n.clone()).collect(),
        matched: matched.len(),
        rows: s.label.len(),
        history_edges: edges.clone(),
        slices: Vec::new(),
    };
    let mut add = |kind, name: String, keep: &dyn Fn(u32, u32) -> bool| -> Result<()> {
        let rows: Vec<usize> = matched
            .iter()
            .filter(|&&(_, u, i)| keep(u, i))
            .map(|&(r, _, _)| r)
            .collect();
        if !rows.is_empty() {
            out.slices.push(slice(s, kind, name, &rows)?);
        }
        Ok(())
    };
    for (b, name) in POPULARITY_SLICES {
        add(SliceKind::Popularity, name.into(), &|_, i| pop.of(i) == b)?;
    }
    for k in 0..=edges.len() {
        let name = history_slice_name(&edges, k);
        let keep = |u: u32, _| history_bucket(per_user[u as usize], &edges) == k;
        add(SliceKind::HistoryLength, name, &keep)?;
    }
    for g in 0..ds.genres.len() as u32 {
        let keep = |_, i: u32| ds.items[i as usize].genres.first() == Some(&g);
        add(SliceKind::Genre, ds.genres.name(g).to_string(), &keep)?;
    }
    Ok(out)
}

/// One slice's counts and every model's AUC over `rows`.
fn slice(s: &ModelScores, kind: SliceKind, name: String, rows: &[usize]) -> Result<ModelSlice> {
    let labels: Vec<bool> = rows.iter().map(|&r| s.label[r]).collect();
    let positives = labels.iter().filter(|&&l| l).count();
    let both = positives > 0 && positives < labels.len();
    let auc = s
        .models
        .iter()
        .map(|(_, col)| {
            let scores: Vec<f64> = rows.iter().map(|&r| col[r]).collect();
            both.then(|| auc(&labels, &scores)).transpose()
        })
        .collect::<Result<_>>()?;
    Ok(ModelSlice {
        kind,
        name,
        rows: rows.len(),
        positives,
        auc,
    })
}

/// The upper edges of the lower and middle thirds of `lengths` (one per user), without repeats.
pub(crate) fn tertiles(lengths: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = lengths.collect();
    v.sort_unstable();
    let Some(&longest) = v.last() else {
        return Vec::new();
    };
    let mut edges: Vec<usize> = [1, 2]
        .iter()
        .map(|k| v[(v.len() * k / 3).min(v.len() - 1)])
        .collect();
    edges.dedup();
    // The last edge would leave the top bucket empty.
    edges.retain(|&e| e < longest);
    edges
}

impl ModelSlices {
    /// One row per slice and model: `kind,slice,rows,positives,model,auc` (empty when n/a).
    pub fn csv(&self) -> String {
        let mut out = String::from("kind,slice,rows,positives,model,auc\n");
        for s in &self.slices {
            for (m, a) in self.models.iter().zip(&s.auc) {
                let auc = a.map_or(String::new(), |a| format!("{a:.6}"));
                let (kind, name, model) = (s.kind.key(), csv_field(&s.name), csv_field(m));
                out.push_str(&format!(
                    "{kind},{name},{},{},{model},{auc}\n",
                    s.rows, s.positives
                ));
            }
        }
        out
    }

    /// What a chart of `kind` is titled (not the ablation's: these cut a whole dataset).
    pub fn title(kind: SliceKind) -> &'static str {
        match kind {
            SliceKind::Popularity => "AUC by the item's popularity in the dataset",
            SliceKind::HistoryLength => "AUC by the user's history length in the dataset",
            SliceKind::Genre => "AUC by the item's first genre",
        }
    }

    /// Each slice of `kind` as a group of bars, one per model (a slice of one class has none).
    pub fn groups(&self, kind: SliceKind) -> Vec<(String, Vec<f64>)> {
        self.slices
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| {
                (
                    s.name.clone(),
                    s.auc.iter().map(|a| a.unwrap_or(f64::NAN)).collect(),
                )
            })
            .collect()
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl fmt::Display for ModelSlices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "AUC by slice ({} of {} rows matched in {}; history edges {:?})",
            self.matched, self.rows, self.dataset, self.history_edges
        )?;
        writeln!(f, "slice  rows  positives  {}", self.models.join("  "))?;
        for s in &self.slices {
            let aucs: Vec<String> = s
                .auc
                .iter()
                .map(|a| a.map_or("n/a".into(), |a| format!("{a:.4}")))
                .collect();
            let kind = s.kind.key();
            let (name, n, p) = (&s.name, s.rows, s.positives);
            writeln!(f, "{kind}={name}  {n}  {p}  {}", aucs.join("  "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{load_csv_bytes, read_model_scores, LoadOptions, Strictness};

    fn dataset() -> Dataset {
        let items = b"item_id,title,genres\nhit,Hit,Drama\nrare,Rare,Comedy\nnew,New,Drama\n";
        let mut inter = String::from("user_id,item_id,timestamp\n");
        for k in 0..12 {
            inter.push_str(&format!("u{},hit,{k}\n", k % 3));
        }
        inter.push_str("u0,rare,20\nu1,rare,21\nu3,rare,22\n");
        let items = Some(("items.csv", &items[..]));
        let inter = ("interactions.csv", inter.as_bytes());
        load_csv_bytes("mine", inter, items, LoadOptions::default())
            .unwrap()
            .dataset
    }

    #[test]
    fn rows_are_sliced_by_what_the_dataset_knows_and_unknown_ids_are_left_out() {
        let ds = dataset();
        let file = b"user_id,label,item_id,a,b\n\
            u0,1,hit,0.9,0.2\nu0,0,rare,0.1,0.8\nu1,1,rare,0.7,0.4\nu1,0,new,0.2,0.6\n\
            u3,1,hit,0.6,0.5\nu3,0,new,0.3,0.1\nstranger,1,hit,0.5,0.5\n";
        let s = read_model_scores("s.csv", file, Strictness::Strict).unwrap();
        let m = model_slices(&s, &ds).unwrap();
        assert_eq!((m.matched, m.rows), (6, 7));
        assert_eq!(m.models, ["a", "b"]);
        let get = |kind, name: &str| {
            m.slices
                .iter()
                .find(|x| x.kind == kind && x.name == name)
                .unwrap_or_else(|| panic!("{kind:?} {name}: {m:?}"))
        };
        // `new` has no interaction: cold; `hit` holds most of them: head.
        let cold = get(SliceKind::Popularity, "cold");
        assert_eq!((cold.rows, cold.positives), (2, 0));
        assert_eq!(cold.auc, [None, None]);
        let head = get(SliceKind::Popularity, "head");
        assert_eq!((head.rows, head.positives), (2, 2));
        // Drama (hit, new): u0 hit+, u1 new−, u3 hit+, u3 new−: model a ranks every positive first.
        let drama = get(SliceKind::Genre, "Drama");
        assert_eq!(drama.rows, 4);
        assert_eq!(drama.auc[0], Some(1.0));
        // Every matched row falls in one history bucket.
        let by_history: usize = m
            .slices
            .iter()
            .filter(|x| x.kind == SliceKind::HistoryLength)
            .map(|x| x.rows)
            .sum();
        assert_eq!(by_history, 6);
        assert!(
            m.to_string().contains("popularity=cold  2  0  n/a  n/a"),
            "{m}"
        );
        let csv = m.csv();
        assert!(
            csv.starts_with("kind,slice,rows,positives,model,auc\npopularity,cold,2,0,a,\n"),
            "{csv}"
        );
        assert!(csv.contains("genre,Drama,4,2,a,1.000000\n"), "{csv}");
        assert_eq!(csv_field("x, \"y\""), "\"x, \"\"y\"\"\"");
        let groups = m.groups(SliceKind::Popularity);
        assert!(groups[0].1[0].is_nan() && groups.len() == 3);
    }

    #[test]
    fn without_items_or_matching_ids_it_says_why() {
        let ds = dataset();
        let no_item = read_model_scores(
            "s.csv",
            b"user_id,label,a,b\nu0,1,0.5,0.4\n",
            Strictness::Strict,
        )
        .unwrap();
        let e = model_slices(&no_item, &ds).unwrap_err().to_string();
        assert!(e.contains("item_id column"), "{e}");
        let other = read_model_scores(
            "s.csv",
            b"user_id,label,item_id,a,b\nx,1,y,0.5,0.4\n",
            Strictness::Strict,
        )
        .unwrap();
        let e = model_slices(&other, &ds).unwrap_err().to_string();
        assert!(e.contains("no row's user and item are in mine"), "{e}");
    }

    #[test]
    fn history_edges_are_tertiles_without_an_empty_top() {
        assert_eq!(tertiles([1, 2, 3, 4, 5, 6].into_iter()), [3, 5]);
        assert_eq!(tertiles([7, 7, 7].into_iter()), Vec::<usize>::new());
        assert_eq!(tertiles(std::iter::empty()), Vec::<usize>::new());
        assert_eq!(history_slice_name(&[3, 5], 1), "4–5");
        assert_eq!(history_slice_name(&[], 0), "all");
    }
}
