//! AUC as the Mann–Whitney statistic, computed exactly in O(n log n).

use crate::error::{Error, Result};

use super::{check_finite, check_lengths};

/// Order-preserving integer key of a finite score; −0.0 and 0.0 share a key so they tie.
#[inline]
pub(crate) fn score_key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Twice the Mann–Whitney U of sorted positive and negative keys: Σ over positives of
/// 2·#(negatives below) + #(negatives tied). Exact in integers.
pub(crate) fn twice_u_sorted(pos: &[u64], neg: &[u64]) -> u64 {
    let (mut i, mut lo) = (0usize, 0usize);
    let mut total = 0u64;
    while i < pos.len() {
        let k = pos[i];
        let start = i;
        while i < pos.len() && pos[i] == k {
            i += 1;
        }
        while lo < neg.len() && neg[lo] < k {
            lo += 1;
        }
        // Each negative is scanned as a tie at most once: positive groups have distinct keys.
        let mut hi = lo;
        while hi < neg.len() && neg[hi] == k {
            hi += 1;
        }
        total += (i - start) as u64 * (2 * lo as u64 + (hi - lo) as u64);
    }
    total
}

/// AUC of sorted keys; `None` when a class is empty.
pub(crate) fn auc_sorted(pos: &[u64], neg: &[u64]) -> Option<f64> {
    if pos.is_empty() || neg.is_empty() {
        return None;
    }
    // Both integers stay below 2^53 up to ~6.7e7 rows, so the division is correctly rounded.
    Some(twice_u_sorted(pos, neg) as f64 / (2.0 * pos.len() as f64 * neg.len() as f64))
}

pub(crate) fn one_class_error(labels: &[bool]) -> Error {
    let positives = labels.iter().filter(|&&l| l).count();
    Error::metric(format!(
        "AUC is undefined with one class: {} of {} labels are 1",
        positives,
        labels.len()
    ))
}

/// AUC with average ranks for ties. `y = [0,1,1]`, `p = [.5,.9,.5]` gives 0.75.
pub fn auc(labels: &[bool], scores: &[f64]) -> Result<f64> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    check_finite(scores)?;
    let positives = labels.iter().filter(|&&l| l).count();
    let mut pos = Vec::with_capacity(positives);
    let mut neg = Vec::with_capacity(labels.len() - positives);
    for (&l, &s) in labels.iter().zip(scores) {
        if l {
            pos.push(score_key(s));
        } else {
            neg.push(score_key(s));
        }
    }
    pos.sort_unstable();
    neg.sort_unstable();
    auc_sorted(&pos, &neg).ok_or_else(|| one_class_error(labels))
}

/// Rows sorted by score within each class, carrying the index of their weight.
pub(crate) struct WeightedPlan {
    pos: Vec<(u64, u32)>,
    neg: Vec<(u64, u32)>,
}

impl WeightedPlan {
    /// `group[i]` is the index into the weight vector used for row `i`.
    pub(crate) fn new(labels: &[bool], scores: &[f64], group: impl Fn(usize) -> u32) -> Self {
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        for (i, (&l, &s)) in labels.iter().zip(scores).enumerate() {
            let row = (score_key(s), group(i));
            if l {
                pos.push(row);
            } else {
                neg.push(row);
            }
        }
        pos.sort_unstable_by_key(|r| r.0);
        neg.sort_unstable_by_key(|r| r.0);
        Self { pos, neg }
    }

    /// Weighted AUC: Σ w_i w_j ([s_i > s_j] + ½[s_i = s_j]) / (W₊ W₋); `None` if a class has
    /// no weight.
    pub(crate) fn eval(&self, weight: &[f64]) -> Option<f64> {
        let (pos, neg) = (&self.pos, &self.neg);
        let (mut i, mut lo) = (0usize, 0usize);
        let mut below = 0.0f64;
        let (mut num, mut w_pos) = (0.0f64, 0.0f64);
        while i < pos.len() {
            let k = pos[i].0;
            let mut w_group = 0.0;
            while i < pos.len() && pos[i].0 == k {
                w_group += weight[pos[i].1 as usize];
                i += 1;
            }
            while lo < neg.len() && neg[lo].0 < k {
                below += weight[neg[lo].1 as usize];
                lo += 1;
            }
            let (mut hi, mut tied) = (lo, 0.0f64);
            while hi < neg.len() && neg[hi].0 == k {
                tied += weight[neg[hi].1 as usize];
                hi += 1;
            }
            num += w_group * (below + 0.5 * tied);
            w_pos += w_group;
        }
        let w_neg: f64 = neg.iter().map(|r| weight[r.1 as usize]).sum();
        (w_pos > 0.0 && w_neg > 0.0).then(|| num / (w_pos * w_neg))
    }
}

/// AUC with sample weights (scikit-learn's `sample_weight`).
pub fn auc_weighted(labels: &[bool], scores: &[f64], weights: &[f64]) -> Result<f64> {
    check_lengths(labels.len(), scores.len(), "scores")?;
    check_lengths(labels.len(), weights.len(), "weights")?;
    check_finite(scores)?;
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(Error::metric(format!(
            "weight of row {i} is {} (weights must be finite and >= 0)",
            weights[i]
        )));
    }
    let plan = WeightedPlan::new(labels, scores, |i| i as u32);
    plan.eval(weights)
        .ok_or_else(|| Error::metric("weighted AUC is undefined: one class has zero total weight"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_tie_example() {
        assert_eq!(auc(&[false, true, true], &[0.5, 0.9, 0.5]).unwrap(), 0.75);
    }

    #[test]
    fn all_tied_is_one_half_and_perfect_is_one() {
        assert_eq!(auc(&[false, true, false, true], &[0.3; 4]).unwrap(), 0.5);
        assert_eq!(auc(&[false, false, true], &[0.1, 0.2, 0.3]).unwrap(), 1.0);
        assert_eq!(auc(&[true, true, false], &[0.1, 0.2, 0.3]).unwrap(), 0.0);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        assert_eq!(auc(&[false, true], &[0.0, -0.0]).unwrap(), 0.5);
        assert_eq!(auc(&[false, true], &[-1.0, -0.5]).unwrap(), 1.0);
    }

    #[test]
    fn one_class_and_non_finite_are_errors() {
        assert!(auc(&[true, true], &[0.1, 0.2]).is_err());
        assert!(auc(&[], &[]).is_err());
        assert!(auc(&[true, false], &[f64::NAN, 0.2]).is_err());
        assert!(auc(&[true, false], &[f64::INFINITY, 0.2]).is_err());
        assert!(auc(&[true, false], &[0.1]).is_err());
    }

    #[test]
    fn weights_scale_pairs() {
        let (y, p) = ([false, true, true], [0.5, 0.9, 0.5]);
        assert_eq!(auc_weighted(&y, &p, &[1.0, 1.0, 1.0]).unwrap(), 0.75);
        // Weight 3 on the winning positive: (3·1 + 1·0.5) / 4.
        assert_eq!(auc_weighted(&y, &p, &[1.0, 3.0, 1.0]).unwrap(), 0.875);
        assert!(auc_weighted(&y, &p, &[0.0, 1.0, 1.0]).is_err());
        assert!(auc_weighted(&y, &p, &[-1.0, 1.0, 1.0]).is_err());
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Pairwise definition, O(n²).
        fn brute(labels: &[bool], scores: &[f64], w: &[f64]) -> Option<f64> {
            let (mut num, mut den) = (0.0, 0.0);
            for i in 0..labels.len() {
                for j in 0..labels.len() {
                    if labels[i] && !labels[j] {
                        let ww = w[i] * w[j];
                        den += ww;
                        if scores[i] > scores[j] {
                            num += ww;
                        } else if scores[i] == scores[j] {
                            num += 0.5 * ww;
                        }
                    }
                }
            }
            (den > 0.0).then(|| num / den)
        }

        fn rows() -> impl Strategy<Value = Vec<(bool, u8, u8)>> {
            // Few distinct scores so ties are frequent.
            prop::collection::vec((any::<bool>(), 0u8..6, 0u8..4), 2..60)
        }

        proptest! {
            #[test]
            fn matches_pairwise_definition(rows in rows()) {
                let y: Vec<bool> = rows.iter().map(|r| r.0).collect();
                let s: Vec<f64> = rows.iter().map(|r| r.1 as f64 / 5.0).collect();
                let w: Vec<f64> = rows.iter().map(|r| r.2 as f64).collect();
                let ones = vec![1.0; y.len()];
                match brute(&y, &s, &ones) {
                    Some(b) => prop_assert!((auc(&y, &s).unwrap() - b).abs() < 1e-12),
                    None => prop_assert!(auc(&y, &s).is_err()),
                }
                match brute(&y, &s, &w) {
                    Some(b) => prop_assert!((auc_weighted(&y, &s, &w).unwrap() - b).abs() < 1e-12),
                    None => prop_assert!(auc_weighted(&y, &s, &w).is_err()),
                }
            }
        }
    }
}
