//! Multiplicity: Holm's step-down correction of a family of p-values, so that a report of many
//! comparisons controls the chance of any false win; Benjamini–Hochberg's q-values where a
//! search over many slices controls the share of false finds instead.

/// Holm-adjusted p-values, in the order given: the k-th smallest p is multiplied by `m − k + 1`
/// (k from 1), the results made non-decreasing in that order and capped at 1.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Benjamini–Hochberg q-values, in the order given: the k-th smallest p is multiplied by
/// `m / k`, the results made non-increasing from the largest down and capped at 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_matches_its_definition() {
        // p sorted: .005 .01 .03 .04 → ×4/1, ×4/2, ×4/3, ×4/4 = .02 .02 .04 .04.
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, w) in q.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{q:?}");
        }
        // Monotone from the top: a larger p never gets a smaller q.
        assert_eq!(benjamini_hochberg(&[0.9, 0.5]), vec![0.9, 0.9]);
        assert!(benjamini_hochberg(&[]).is_empty());
        assert!(benjamini_hochberg(&[0.02, 0.02])[0] <= holm(&[0.02, 0.02])[0]);
    }

    #[test]
    fn holm_steps_down_and_stays_monotone() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert_eq!(holm(&[0.5, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
        // One test is not corrected.
        assert_eq!(holm(&[0.02]), vec![0.02]);
    }
}
