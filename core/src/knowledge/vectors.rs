//! Knowledge vectors: the teacher's text vector of each card fused with the item's graph vector.

use super::neighbours::normalise;

/// Weight of the graph part: the fused cosine is (cos_text + w² · cos_graph) / (1 + w²) for
/// items that have both parts.
pub const GRAPH_WEIGHT: f32 = 0.4;

/// `[text ; w · graph]`, renormalised; an item without graph links keeps its text direction.
pub fn fuse(text: &[Vec<f32>], graph: Option<&[Vec<f32>]>, graph_weight: f32) -> Vec<Vec<f32>> {
    text.iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v = t.clone();
            if let Some(g) = graph {
                v.extend(g[i].iter().map(|x| x * graph_weight));
            }
            normalise(&mut v);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::neighbours::dot;

    #[test]
    fn fused_cosine_mixes_the_parts() {
        let text = vec![vec![1.0, 0.0], vec![1.0, 0.0]];
        let graph = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let f = fuse(&text, Some(&graph), 0.7);
        let want = (1.0 + 0.49 * 0.0) / 1.49;
        assert!((dot(&f[0], &f[1]) - want).abs() < 1e-6);
        assert_eq!(fuse(&text, None, 0.7), text);
    }
}
