//! GAUC: impression-weighted mean of per-user AUC.

use serde::Serialize;

use crate::error::{Error, Result};

use super::auc::{auc_sorted, score_key};
use super::{check_finite, check_lengths};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UserAuc {
    /// Impressions of the user.
    pub n: u32,
    /// `None` when the user has one class only.
    pub auc: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gauc {
    pub value: f64,
    /// Users with at least one impression.
    pub users_total: usize,
    /// Users with both classes, the ones GAUC averages over.
    pub users_used: usize,
    pub impressions_used: usize,
}

/// Per-user AUC, indexed by user id (`users` holds dense ids; ids never seen get `n = 0`).
///
/// Rows are bucketed by user and class with a counting sort, then each bucket is sorted in
/// place: O(n log n) and no allocation per user.
pub fn per_user_auc(users: &[u32], labels: &[bool], scores: &[f64]) -> Result<Vec<UserAuc>> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    check_lengths(labels.len(), users.len(), "users")?;
    check_finite(scores)?;
    let n_users = users.iter().max().map_or(0, |&m| m as usize + 1);
    // Counting sort straight into two key arrays, positives and negatives, each grouped by
    // user; then every user's two segments are sorted in place.
    let mut pos_start = vec![0u32; n_users + 1];
    let mut neg_start = vec![0u32; n_users + 1];
    for (&u, &l) in users.iter().zip(labels) {
        let c = if l { &mut pos_start } else { &mut neg_start };
        c[u as usize + 1] += 1;
    }
    for u in 0..n_users {
        pos_start[u + 1] += pos_start[u];
        neg_start[u + 1] += neg_start[u];
    }
    let mut pos = vec![0u64; pos_start[n_users] as usize];
    let mut neg = vec![0u64; neg_start[n_users] as usize];
    let (mut pos_fill, mut neg_fill) = (pos_start.clone(), neg_start.clone());
    for i in 0..users.len() {
        let u = users[i] as usize;
        let (keys, fill) = if labels[i] {
            (&mut pos, &mut pos_fill)
        } else {
            (&mut neg, &mut neg_fill)
        };
        keys[fill[u] as usize] = score_key(scores[i]);
        fill[u] += 1;
    }
    let mut out = Vec::with_capacity(n_users);
    for u in 0..n_users {
        let p = &mut pos[pos_start[u] as usize..pos_start[u + 1] as usize];
        let q = &mut neg[neg_start[u] as usize..neg_start[u + 1] as usize];
        let n = (p.len() + q.len()) as u32;
        let auc = if p.is_empty() || q.is_empty() {
            None
        } else {
            p.sort_unstable();
            q.sort_unstable();
            auc_sorted(p, q)
        };
        out.push(UserAuc { n, auc });
    }
    Ok(out)
}

/// GAUC from per-user AUCs, with per-user multiplicities (all ones for the plain figure;
/// bootstrap replicates use counts). `None` when no user has both classes.
pub(crate) fn gauc_from(per_user: &[UserAuc], multiplicity: impl Fn(usize) -> f64) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for (u, x) in per_user.iter().enumerate() {
        if let Some(a) = x.auc {
            let w = multiplicity(u) * x.n as f64;
            num += w * a;
            den += w;
        }
    }
    (den > 0.0).then(|| num / den)
}

pub fn gauc(users: &[u32], labels: &[bool], scores: &[f64]) -> Result<Gauc> {
    let per_user = per_user_auc(users, labels, scores)?;
    let users_total = per_user.iter().filter(|x| x.n > 0).count();
    let used: Vec<&UserAuc> = per_user.iter().filter(|x| x.auc.is_some()).collect();
    let value = gauc_from(&per_user, |_| 1.0).ok_or_else(|| {
        Error::metric(format!(
            "GAUC is undefined: none of the {users_total} users has both a positive and a negative impression"
        ))
    })?;
    Ok(Gauc {
        value,
        users_total,
        users_used: used.len(),
        impressions_used: used.iter().map(|x| x.n as usize).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_by_impressions_and_skips_single_class_users() {
        // User 0: AUC 1 over 2 rows; user 1: AUC 0.75 over 3 rows (the brief's example);
        // user 2: one class, skipped.
        let users = [0, 0, 1, 1, 1, 2, 2];
        let labels = [false, true, false, true, true, true, true];
        let scores = [0.1, 0.2, 0.5, 0.9, 0.5, 0.3, 0.4];
        let g = gauc(&users, &labels, &scores).unwrap();
        assert!((g.value - (2.0 * 1.0 + 3.0 * 0.75) / 5.0).abs() < 1e-15);
        assert_eq!((g.users_total, g.users_used, g.impressions_used), (3, 2, 5));
    }

    #[test]
    fn no_user_with_both_classes_is_an_error() {
        assert!(gauc(&[0, 1], &[true, false], &[0.1, 0.2]).is_err());
    }

    #[test]
    fn sparse_user_ids_are_fine() {
        let g = gauc(
            &[7, 7, 3, 3],
            &[true, false, true, false],
            &[0.9, 0.1, 0.1, 0.9],
        )
        .unwrap();
        assert_eq!((g.users_total, g.users_used), (2, 2));
        assert_eq!(g.value, 0.5);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn matches_per_user_brute_force(rows in proptest::collection::vec((0u32..5, proptest::bool::ANY, 0u8..4), 1..80)) {
            let users: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let scores: Vec<f64> = rows.iter().map(|r| r.2 as f64).collect();
            use crate::metrics::auc;
            let (mut num, mut den) = (0.0, 0.0);
            for u in 0..5u32 {
                let idx: Vec<usize> = (0..rows.len()).filter(|&i| users[i] == u).collect();
                let y: Vec<bool> = idx.iter().map(|&i| labels[i]).collect();
                let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
                if let Ok(a) = auc(&y, &s) {
                    num += idx.len() as f64 * a;
                    den += idx.len() as f64;
                }
            }
            match gauc(&users, &labels, &scores) {
                Ok(g) => proptest::prop_assert!((g.value - num / den).abs() < 1e-12),
                Err(_) => proptest::prop_assert!(den == 0.0),
            }
        }
    }
}
