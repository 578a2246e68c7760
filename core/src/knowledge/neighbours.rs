//! Nearest neighbours in knowledge space (cosine similarity of unit vectors).

/// Dot product; cosine similarity for unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales `v` to unit length (leaves a zero vector alone).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The `k` items most similar to `query` (highest first, ties by index), skipping `exclude`.
pub fn nearest(
    vectors: &[Vec<f32>],
    query: &[f32],
    k: usize,
    exclude: Option<usize>,
) -> Vec<(usize, f32)> {
    let mut scored: Vec<(usize, f32)> = vectors
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != exclude)
        .map(|(i, v)| (i, dot(v, query)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

/// Mean over items of the share of their `k` nearest neighbours with the same label: how well
/// a vector space recovers a known attribute.
pub fn knn_purity(vectors: &[Vec<f32>], labels: &[u32], k: usize) -> f64 {
    let mut unit: Vec<Vec<f32>> = vectors.to_vec();
    for v in &mut unit {
        normalise(v);
    }
    let mut total = 0.0;
    for (i, v) in unit.iter().enumerate() {
        let nn = nearest(&unit, v, k, Some(i));
        total += nn.iter().filter(|(j, _)| labels[*j] == labels[i]).count() as f64
            / nn.len().max(1) as f64;
    }
    total / unit.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_orders_by_similarity_and_skips_the_query() {
        let v = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        let nn = nearest(&v, &v[0], 2, Some(0));
        assert_eq!(nn.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(knn_purity(&v, &[0, 0, 1], 1), (1.0 + 1.0 + 0.0) / 3.0);
    }
}
