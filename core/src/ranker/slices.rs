//! The slices of the test set the ablation is reported on: target-item popularity, the length
//! of the history the ranker attended, and the target's first genre. One definition, so the CLI's
//! report and the browser's charts cut the same rows.

use serde::{Deserialize, Serialize};

use crate::data::protocol::{history_bucket, PopularityBucket, PopularityBuckets};
use crate::data::Dataset;

use super::examples::RankerExample;

/// Edges of the attended-history buckets (the ranker attends to at most its `max_history`).
pub const HISTORY_EDGES: [usize; 2] = [10, 20];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SliceKind {
    Popularity,
    HistoryLength,
    Genre,
}

impl SliceKind {
    pub const ALL: [SliceKind; 3] = [Self::Popularity, Self::HistoryLength, Self::Genre];

    /// The key in `results.json` and in a shared URL.
    pub fn key(self) -> &'static str {
        match self {
            Self::Popularity => "popularity",
            Self::HistoryLength => "history_length",
            Self::Genre => "genre",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// What a chart of this slice is titled.
    pub fn title(self) -> &'static str {
        match self {
            Self::Popularity => "item popularity in training",
            Self::HistoryLength => "attended history length (items)",
            Self::Genre => "the target's first genre",
        }
    }
}

/// One slice: its name and the indices of the rows in it (never empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub kind: SliceKind,
    pub name: String,
    pub rows: Vec<usize>,
}

/// The popularity slices, in the order they are reported, with their names.
pub const POPULARITY_SLICES: [(PopularityBucket, &str); 3] = [
    (PopularityBucket::Cold, "cold"),
    (PopularityBucket::LongTail, "long-tail"),
    (PopularityBucket::Head, "head"),
];

/// The name of history bucket `k` of `edges` (`history_bucket`): `≤a`, `a+1–b`, `>b`; `all`
/// when there are no edges.
pub fn history_slice_name(edges: &[usize], k: usize) -> String {
    match k {
        0 if edges.is_empty() => "all".into(),
        0 => format!("≤{}", edges[0]),
        k if k == edges.len() => format!(">{}", edges[k - 1]),
        k => format!("{}–{}", edges[k - 1] + 1, edges[k]),
    }
}

/// Every non-empty slice of `rows`, kind by kind, in a fixed order.
pub fn slices(ds: &Dataset, pop: &PopularityBuckets, rows: &[RankerExample]) -> Vec<Slice> {
    let mut out = Vec::new();
    let mut add = |kind, name: String, keep: &dyn Fn(&RankerExample) -> bool| {
        let rows: Vec<usize> = (0..rows.len()).filter(|&i| keep(&rows[i])).collect();
        if !rows.is_empty() {
            out.push(Slice { kind, name, rows });
        }
    };
    for (b, name) in POPULARITY_SLICES {
        add(SliceKind::Popularity, name.into(), &|e| {
            pop.of(e.target) == b
        });
    }
    let edges = HISTORY_EDGES;
    for k in 0..=edges.len() {
        let name = history_slice_name(&edges, k);
        add(SliceKind::HistoryLength, name, &|e| {
            history_bucket(e.history.len(), &edges) == k
        });
    }
    for g in 0..ds.genres.len() as u32 {
        add(SliceKind::Genre, ds.genres.name(g).to_string(), &|e| {
            ds.items[e.target as usize].genres.first() == Some(&g)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Part, SyntheticConfig, SyntheticWorld};

    #[test]
    fn every_row_falls_in_exactly_one_slice_of_each_complete_kind() {
        let w = SyntheticWorld::generate(&SyntheticConfig {
            users: 40,
            items: 200,
            ..SyntheticConfig::default()
        })
        .unwrap();
        let ds = &w.dataset;
        let rows: Vec<RankerExample> = (0..60)
            .map(|i| RankerExample {
                user: i % 7,
                target: i % 30,
                label: i % 2 == 0,
                part: Part::Test,
                history: vec![0; (i as usize * 3) % 31],
                logged_before: 0,
                gbr_slot: i % 7,
            })
            .collect();
        let counts: Vec<u32> = (0..30).map(|i| if i < 5 { 0 } else { i }).collect();
        let pop = PopularityBuckets::new(&counts, PopularityBuckets::HEAD_SHARE);
        let s = slices(ds, &pop, &rows);
        for kind in [SliceKind::Popularity, SliceKind::HistoryLength] {
            let mut seen = vec![0; rows.len()];
            for sl in s.iter().filter(|x| x.kind == kind) {
                for &r in &sl.rows {
                    seen[r] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{kind:?}: {seen:?}");
        }
        let lengths: Vec<&str> = s
            .iter()
            .filter(|x| x.kind == SliceKind::HistoryLength)
            .map(|x| x.name.as_str())
            .collect();
        assert_eq!(lengths, ["≤10", "11–20", ">20"]);
        assert_eq!(SliceKind::from_key("genre"), Some(SliceKind::Genre));
        assert_eq!(SliceKind::from_key("nope"), None);
    }
}
