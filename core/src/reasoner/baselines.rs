//! What the reasoner must beat at guessing off-log behaviour: popularity, item co-occurrence kNN
//! and knowledge-vector kNN, which learn from training interactions only (or from item
//! knowledge); and a logged → off-log transition model, which gets the reasoner's own
//! supervision (other users' off-log events, cross-fitted over the same folds).

use crate::data::protocol::{Part, Protocol};
use crate::data::Dataset;

/// A scorer of every item for a user's logged history.
pub trait OffLogBaseline {
    fn name(&self) -> &str;
    fn scores(&self, history: &[u32]) -> Vec<f64>;
}

/// The `k` best-scored items that are not in `excluded`, best first (ties by item id).
pub fn top_k(scores: &[f64], excluded: &[bool], k: usize) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..scores.len() as u32)
        .filter(|&i| !excluded.get(i as usize).copied().unwrap_or(false))
        .collect();
    idx.sort_by(|&a, &b| {
        scores[b as usize]
            .total_cmp(&scores[a as usize])
            .then(a.cmp(&b))
    });
    idx.truncate(k);
    idx
}

/// Training-part interactions per user, in time order.
fn train_histories(ds: &Dataset, protocol: &Protocol) -> Vec<Vec<u32>> {
    (0..ds.num_users() as u32)
        .map(|u| {
            protocol
                .events(u, Part::Train)
                .map(|i| ds.interactions[i as usize].item)
                .collect()
        })
        .collect()
}

pub struct Popularity {
    counts: Vec<f64>,
}

impl Popularity {
    pub fn new(ds: &Dataset, protocol: &Protocol) -> Self {
        Self {
            counts: protocol
                .train_popularity(ds)
                .into_iter()
                .map(f64::from)
                .collect(),
        }
    }
}

impl OffLogBaseline for Popularity {
    fn name(&self) -> &str {
        "popularity"
    }

    fn scores(&self, _history: &[u32]) -> Vec<f64> {
        self.counts.clone()
    }
}

/// Item-item cosine of co-occurrence in training histories; a user's score for an item is the
/// sum of its similarities to the history.
pub struct CoOccurrence {
    /// Sparse rows: for each item, (other item, cosine).
    neighbours: Vec<Vec<(u32, f64)>>,
}

impl CoOccurrence {
    pub fn new(ds: &Dataset, protocol: &Protocol) -> Self {
        let n = ds.num_items();
        let mut counts: Vec<std::collections::HashMap<u32, f64>> = vec![Default::default(); n];
        let mut pop = vec![0f64; n];
        for h in train_histories(ds, protocol) {
            let mut items = h.clone();
            items.sort_unstable();
            items.dedup();
            for &a in &items {
                pop[a as usize] += 1.0;
                for &b in &items {
                    if a != b {
                        *counts[a as usize].entry(b).or_default() += 1.0;
                    }
                }
            }
        }
        let neighbours = counts
            .into_iter()
            .enumerate()
            .map(|(a, row)| {
                let mut r: Vec<(u32, f64)> = row
                    .into_iter()
                    .map(|(b, c)| (b, c / (pop[a] * pop[b as usize]).sqrt()))
                    .collect();
                r.sort_by_key(|x| x.0);
                r
            })
            .collect();
        Self { neighbours }
    }
}

impl OffLogBaseline for CoOccurrence {
    fn name(&self) -> &str {
        "co-occurrence kNN"
    }

    fn scores(&self, history: &[u32]) -> Vec<f64> {
        let mut s = vec![0f64; self.neighbours.len()];
        for &h in history {
            for &(b, w) in &self.neighbours[h as usize] {
                s[b as usize] += w;
            }
        }
        s
    }
}

/// Cosine of each item's knowledge vector with the mean of the history's.
pub struct KnowledgeKnn {
    vectors: Vec<Vec<f32>>,
}

impl KnowledgeKnn {
    pub fn new(vectors: Vec<Vec<f32>>) -> Self {
        Self { vectors }
    }
}

impl OffLogBaseline for KnowledgeKnn {
    fn name(&self) -> &str {
        "knowledge kNN"
    }

    fn scores(&self, history: &[u32]) -> Vec<f64> {
        let mean = super::sampler::history_sum(&self.vectors, history);
        self.vectors
            .iter()
            .map(|v| super::sampler::consistency_with(&mean, v) as f64)
            .collect()
    }
}

/// Which off-log items follow which logged items, counted over the users of the other folds:
/// a user's score for item `j` is the sum over their history of P(j off-log | i logged), with
/// off-log popularity breaking ties. It sees exactly the reasoner's supervision (the logged
/// history it reads and the off-log events it is trained to recover), so it separates "the
/// supervision helps" from "the reasoner helps".
pub struct OffLogTransition {
    /// Per logged item, (off-log item, P(off-log item | logged item)), by item.
    rows: Vec<Vec<(u32, f64)>>,
    /// Off-log popularity over the fitted users, scaled far below any transition.
    popularity: Vec<f64>,
}

impl OffLogTransition {
    /// Fitted on `users` (the other folds'), each history its last `max_history` logged items.
    pub fn fit(ds: &Dataset, protocol: &Protocol, users: &[u32], max_history: usize) -> Self {
        let n = ds.num_items();
        let mut counts: Vec<std::collections::HashMap<u32, f64>> = vec![Default::default(); n];
        let mut logged = vec![0f64; n];
        let mut popularity = vec![0f64; n];
        for &u in users {
            let mut off = super::history::off_log_items(ds, protocol, u);
            off.sort_unstable();
            off.dedup();
            if off.is_empty() {
                continue;
            }
            let mut history = super::history::logged_history(ds, protocol, u, max_history);
            history.sort_unstable();
            history.dedup();
            for &j in &off {
                popularity[j as usize] += 1.0;
            }
            for &i in &history {
                logged[i as usize] += 1.0;
                for &j in &off {
                    *counts[i as usize].entry(j).or_default() += 1.0;
                }
            }
        }
        let top = popularity.iter().copied().fold(0.0, f64::max).max(1.0);
        let rows = counts
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let mut r: Vec<(u32, f64)> =
                    row.into_iter().map(|(j, c)| (j, c / logged[i])).collect();
                r.sort_by_key(|x| x.0);
                r
            })
            .collect();
        Self {
            rows,
            popularity: popularity.iter().map(|p| 1e-6 * p / top).collect(),
        }
    }
}

impl OffLogBaseline for OffLogTransition {
    fn name(&self) -> &str {
        "off-log transition"
    }

    fn scores(&self, history: &[u32]) -> Vec<f64> {
        let mut s = self.popularity.clone();
        for &h in history {
            for &(j, p) in self.rows.get(h as usize).map_or(&[][..], Vec::as_slice) {
                s[j as usize] += p;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_skips_excluded_items_and_breaks_ties_by_id() {
        let s = [0.5, 0.9, 0.5, 0.1];
        assert_eq!(top_k(&s, &[false, true, false, false], 2), vec![0, 2]);
        assert_eq!(top_k(&s, &[], 10), vec![1, 0, 2, 3]);
    }

    #[test]
    fn knowledge_knn_prefers_items_like_the_history() {
        let v = vec![vec![1.0, 0.0], vec![0.9, 0.1], vec![0.0, 1.0]];
        let s = KnowledgeKnn::new(v).scores(&[0]);
        assert!(s[1] > s[2]);
    }

    #[test]
    fn the_transition_model_learns_which_off_log_items_follow_a_logged_one() {
        use crate::data::{Prepared, WorldSpec};
        let data = Prepared::synthetic(WorldSpec::sized(60, 120, 4)).unwrap();
        let (ds, p) = (&data.ds, &data.protocol);
        let users: Vec<u32> = (0..60).collect();
        let t = OffLogTransition::fit(ds, p, &users, 30);
        // A fitted user's logged item points at their off-log items.
        let u = (0..60u32)
            .find(|&u| !super::super::history::off_log_items(ds, p, u).is_empty())
            .unwrap();
        let h = super::super::history::logged_history(ds, p, u, 30);
        let off = super::super::history::off_log_items(ds, p, u);
        let s = t.scores(&h[h.len() - 1..]);
        assert!(s[off[0] as usize] >= 1.0 / 60.0, "{}", s[off[0] as usize]);
        // Fitted on nobody, it knows nothing but zeros.
        let empty = OffLogTransition::fit(ds, p, &[], 30);
        assert!(empty.scores(&h).iter().all(|&x| x == 0.0));
    }
}
