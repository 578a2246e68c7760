//! Semantic IDs (after TIGER): residual quantisation of knowledge vectors. Level 1 clusters the
//! vectors, level 2 clusters what level 1 left unexplained, and so on; an item's ID is its code
//! at each level, plus a final index that tells apart items whose codes all collide. The
//! diffusion reasoner speaks in these tokens.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SeededRng;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RqConfig {
    pub levels: usize,
    /// Codes per level.
    pub codebook_size: usize,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for RqConfig {
    fn default() -> Self {
        Self {
            levels: 3,
            codebook_size: 32,
            iterations: 30,
            seed: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RqStats {
    /// Per level, the share of codes used by at least one item.
    pub codebook_use: Vec<f64>,
    /// Per level, mean squared norm of the residual left after that level.
    pub residual_mse: Vec<f64>,
    /// Share of items whose level codes equal another item's (before the final index).
    pub collision_rate: f64,
    /// Most items sharing one code tuple.
    pub max_collisions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemanticIds {
    pub config: RqConfig,
    /// Per item: `levels` codes, then the collision index.
    pub codes: Vec<Vec<u16>>,
    /// Per level, `codebook_size` centroids.
    pub codebooks: Vec<Vec<Vec<f32>>>,
    pub stats: RqStats,
}

fn dist2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn closest(x: &[f32], centroids: &[Vec<f32>]) -> usize {
    let mut best = (0, f32::INFINITY);
    for (c, m) in centroids.iter().enumerate() {
        let d = dist2(x, m);
        if d < best.1 {
            best = (c, d);
        }
    }
    best.0
}

/// Seeded k-means (k-means++ start, Lloyd steps; an empty cluster takes the point farthest from
/// its centroid). Returns centroids and assignments.
fn kmeans(
    xs: &[Vec<f32>],
    k: usize,
    iterations: usize,
    rng: &mut SeededRng,
) -> (Vec<Vec<f32>>, Vec<usize>) {
    let n = xs.len();
    let mut centroids = vec![xs[rng.below(n)].clone()];
    let mut d2: Vec<f64> = xs.iter().map(|x| dist2(x, &centroids[0]) as f64).collect();
    while centroids.len() < k {
        let next = if d2.iter().sum::<f64>() > 0.0 {
            rng.weighted(&d2)
        } else {
            rng.below(n)
        };
        centroids.push(xs[next].clone());
        let c = centroids.len() - 1;
        for (i, x) in xs.iter().enumerate() {
            d2[i] = d2[i].min(dist2(x, &centroids[c]) as f64);
        }
    }
    let dim = xs[0].len();
    let mut assign = vec![0usize; n];
    for _ in 0..iterations {
        let mut changed = false;
        for (i, x) in xs.iter().enumerate() {
            let c = closest(x, &centroids);
            changed |= c != assign[i];
            assign[i] = c;
        }
        let mut sums = vec![vec![0f64; dim]; k];
        let mut counts = vec![0usize; k];
        for (x, &c) in xs.iter().zip(&assign) {
            counts[c] += 1;
            for (s, v) in sums[c].iter_mut().zip(x) {
                *s += *v as f64;
            }
        }
        for c in 0..k {
            if counts[c] == 0 {
                let far = (0..n)
                    .max_by(|&a, &b| {
                        dist2(&xs[a], &centroids[assign[a]])
                            .total_cmp(&dist2(&xs[b], &centroids[assign[b]]))
                    })
                    .unwrap_or(0);
                centroids[c] = xs[far].clone();
                assign[far] = c;
                changed = true;
            } else {
                centroids[c] = sums[c]
                    .iter()
                    .map(|s| (*s / counts[c] as f64) as f32)
                    .collect();
            }
        }
        if !changed {
            break;
        }
    }
    (centroids, assign)
}

/// Residual quantisation of `vectors` (all the same length).
pub fn residual_quantise(vectors: &[Vec<f32>], cfg: &RqConfig) -> Result<SemanticIds> {
    let n = vectors.len();
    if n < cfg.codebook_size
        || cfg.codebook_size < 2
        || cfg.codebook_size > u16::MAX as usize
        || cfg.levels == 0
    {
        return Err(Error::Config(format!(
            "residual quantisation of {n} vectors with {} levels of {} codes: need 2 <= codes <= items and levels >= 1",
            cfg.levels, cfg.codebook_size
        )));
    }
    let mut rng = SeededRng::derive(cfg.seed, 29);
    let mut residual: Vec<Vec<f32>> = vectors.to_vec();
    let mut codes = vec![Vec::with_capacity(cfg.levels + 1); n];
    let mut codebooks = Vec::with_capacity(cfg.levels);
    let mut codebook_use = Vec::new();
    let mut residual_mse = Vec::new();
    for _ in 0..cfg.levels {
        let (centroids, assign) = kmeans(&residual, cfg.codebook_size, cfg.iterations, &mut rng);
        let mut used = vec![false; cfg.codebook_size];
        for (i, &c) in assign.iter().enumerate() {
            used[c] = true;
            codes[i].push(c as u16);
            for (r, m) in residual[i].iter_mut().zip(&centroids[c]) {
                *r -= m;
            }
        }
        codebook_use.push(used.iter().filter(|&&u| u).count() as f64 / cfg.codebook_size as f64);
        residual_mse.push(
            residual
                .iter()
                .map(|r| r.iter().map(|x| (x * x) as f64).sum::<f64>())
                .sum::<f64>()
                / n as f64,
        );
        codebooks.push(centroids);
    }
    // Collisions: items sharing every level code get 0, 1, 2 … in item order.
    let mut seen: std::collections::HashMap<Vec<u16>, u16> = std::collections::HashMap::new();
    for c in codes.iter_mut() {
        let next = seen.entry(c.clone()).or_insert(0);
        c.push(*next);
        *next += 1;
    }
    let colliding: usize = seen.values().filter(|&&k| k > 1).map(|&k| k as usize).sum();
    Ok(SemanticIds {
        config: *cfg,
        codes,
        codebooks,
        stats: RqStats {
            codebook_use,
            residual_mse,
            collision_rate: colliding as f64 / n as f64,
            max_collisions: seen.values().copied().max().unwrap_or(0) as usize,
        },
    })
}

impl SemanticIds {
    /// IDs given directly (tests, benchmarks, imported IDs): no codebooks, no statistics.
    pub fn from_codes(codes: Vec<Vec<u16>>) -> Self {
        Self {
            config: RqConfig::default(),
            codes,
            codebooks: Vec::new(),
            stats: RqStats {
                codebook_use: Vec::new(),
                residual_mse: Vec::new(),
                collision_rate: 0.0,
                max_collisions: 0,
            },
        }
    }

    /// The semantic ID a vector no item has would get: its nearest code at each level (of what
    /// the earlier levels left), then the collision index after the items that share them.
    pub fn encode(&self, v: &[f32]) -> Result<Vec<u16>> {
        let dim = self.codebooks.first().and_then(|c| c.first()).map(Vec::len);
        if dim != Some(v.len()) {
            return Err(Error::Config(format!(
                "semantic IDs: a vector of {} dims, the codebooks have {}",
                v.len(),
                dim.map_or("none".to_string(), |d| d.to_string())
            )));
        }
        let mut residual = v.to_vec();
        let mut code = Vec::with_capacity(self.codebooks.len() + 1);
        for centroids in &self.codebooks {
            let c = closest(&residual, centroids);
            code.push(c as u16);
            for (r, m) in residual.iter_mut().zip(&centroids[c]) {
                *r -= m;
            }
        }
        let levels = code.len();
        let taken = self
            .codes
            .iter()
            .filter(|c| c[..levels] == code[..])
            .count();
        code.push(taken as u16);
        Ok(code)
    }

    /// `12-3-27-0`
    pub fn display(&self, item: usize) -> String {
        self.codes[item]
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// `semantic_ids.json`: the IDs with a format version (the knowledge build's and the reasoner's
/// vocabulary, which the browser reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemanticIdFile {
    pub format_version: u32,
    #[serde(flatten)]
    pub ids: SemanticIds,
}

impl SemanticIdFile {
    pub fn new(ids: SemanticIds) -> Self {
        Self {
            format_version: <Self as crate::artifact::Artifact>::FORMAT_VERSION,
            ids,
        }
    }
}

impl crate::artifact::Artifact for SemanticIdFile {
    const KIND: &'static str = "semantic IDs";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq knowledge build` or `reaseq reasoner export";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};
    use crate::knowledge::graph_embedding::{graph_embedding, GraphEmbeddingConfig};

    #[test]
    fn an_items_own_vector_encodes_to_its_codes_and_a_new_one_comes_after_them() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let vectors = graph_embedding(&w.dataset, &GraphEmbeddingConfig::default()).unwrap();
        let ids = residual_quantise(&vectors, &RqConfig::default()).unwrap();
        let levels = ids.config.levels;
        for (i, v) in vectors.iter().enumerate().take(50) {
            let code = ids.encode(v).unwrap();
            assert_eq!(code[..levels], ids.codes[i][..levels], "item {i}");
            // A new item with these codes comes after every item that has them.
            let sharing = ids
                .codes
                .iter()
                .filter(|c| c[..levels] == code[..levels])
                .count();
            assert_eq!(code[levels] as usize, sharing);
        }
        assert!(ids.encode(&[0.0; 3]).is_err());
    }

    #[test]
    fn ids_are_unique_and_the_first_level_follows_the_latent_genre() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let vectors = graph_embedding(&w.dataset, &GraphEmbeddingConfig::default()).unwrap();
        // The synthetic graph links items only through 40 directors (5 per genre), so a
        // first level with more codes than directors can follow the genre.
        let cfg = RqConfig {
            codebook_size: 48,
            ..RqConfig::default()
        };
        let ids = residual_quantise(&vectors, &cfg).unwrap();
        let unique: std::collections::HashSet<&Vec<u16>> = ids.codes.iter().collect();
        assert_eq!(unique.len(), vectors.len());
        assert!(
            ids.stats
                .residual_mse
                .windows(2)
                .all(|w| w[1] <= w[0] + 1e-9),
            "{:?}",
            ids.stats
        );
        // Majority genre per first-level code covers most items.
        let mut by_code: std::collections::HashMap<u16, Vec<u32>> = Default::default();
        for (c, &g) in ids.codes.iter().zip(&w.truth.item_genre) {
            by_code.entry(c[0]).or_default().push(g);
        }
        let majority: usize = by_code
            .values()
            .map(|gs| {
                (0..8)
                    .map(|g| gs.iter().filter(|&&x| x == g).count())
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        let purity = majority as f64 / vectors.len() as f64;
        assert!(purity > 0.8, "first-level purity {purity}");
        assert_eq!(ids, residual_quantise(&vectors, &cfg).unwrap(), "seeded");
    }

    #[test]
    fn too_few_items_is_an_error() {
        assert!(residual_quantise(&[vec![0.0, 1.0]], &RqConfig::default()).is_err());
    }
}
