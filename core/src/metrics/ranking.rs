//! Top-K metrics of a ranked list against a set of relevant items.

/// |top-K ∩ relevant| / |relevant|; `None` when nothing is relevant. Repeats in `ranked` count
/// once.
pub fn recall_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> Option<f64> {
    if relevant.is_empty() {
        return None;
    }
    let hits = hits(ranked, relevant, k).filter(|&h| h).count();
    Some(hits as f64 / distinct(relevant) as f64)
}

/// DCG of binary gains at positions 1..K over the ideal DCG of min(K, |relevant|) hits.
pub fn ndcg_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> Option<f64> {
    if relevant.is_empty() || k == 0 {
        return None;
    }
    let discount = |pos: usize| 1.0 / libm::log2(pos as f64 + 2.0);
    let dcg: f64 = hits(ranked, relevant, k)
        .enumerate()
        .filter(|(_, h)| *h)
        .map(|(pos, _)| discount(pos))
        .sum();
    let ideal: f64 = (0..k.min(distinct(relevant))).map(discount).sum();
    Some(dcg / ideal)
}

/// 1 when any of the top `k` is relevant, else 0; `None` when nothing is relevant.
pub fn hit_rate_at_k(ranked: &[u32], relevant: &[u32], k: usize) -> Option<f64> {
    if relevant.is_empty() {
        return None;
    }
    Some(if hits(ranked, relevant, k).any(|h| h) {
        1.0
    } else {
        0.0
    })
}

fn distinct(xs: &[u32]) -> usize {
    xs.iter()
        .enumerate()
        .filter(|(i, x)| !xs[..*i].contains(x))
        .count()
}

/// For each of the first `k` ranked items, whether it is a first-time hit.
fn hits<'a>(ranked: &'a [u32], relevant: &'a [u32], k: usize) -> impl Iterator<Item = bool> + 'a {
    ranked
        .iter()
        .take(k)
        .enumerate()
        .map(move |(i, x)| relevant.contains(x) && !ranked[..i].contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_and_ndcg() {
        let ranked = [5, 1, 9, 2];
        let relevant = [1, 2, 7];
        assert_eq!(recall_at_k(&ranked, &relevant, 2), Some(1.0 / 3.0));
        assert_eq!(recall_at_k(&ranked, &relevant, 4), Some(2.0 / 3.0));
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((ndcg_at_k(&ranked, &relevant, 4).unwrap() - dcg / idcg).abs() < 1e-12);
        assert_eq!(ndcg_at_k(&[1, 2], &[1, 2], 2), Some(1.0));
        assert_eq!(recall_at_k(&ranked, &[], 4), None);
        // A repeated hit counts once.
        assert_eq!(recall_at_k(&[1, 1], &[1, 2], 2), Some(0.5));
        assert_eq!(hit_rate_at_k(&ranked, &relevant, 1), Some(0.0));
        assert_eq!(hit_rate_at_k(&ranked, &relevant, 2), Some(1.0));
        assert_eq!(hit_rate_at_k(&ranked, &[], 2), None);
    }
}
