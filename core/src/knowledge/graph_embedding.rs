//! A graph embedding of items: the item × entity co-membership matrix of the knowledge graph
//! (entities shared by at least two items, idf-weighted), factorised by a seeded randomised SVD.
//! Two films with the same director, writer or award land close together.

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::rng::SeededRng;

use super::graph::facet_name;
use super::neighbours::normalise;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphEmbeddingConfig {
    pub dim: usize,
    /// Extra sketch columns and power iterations of the randomised SVD.
    pub oversample: usize,
    pub power_iterations: usize,
    pub seed: u64,
}

impl Default for GraphEmbeddingConfig {
    fn default() -> Self {
        Self {
            dim: 32,
            oversample: 8,
            power_iterations: 3,
            seed: 0,
        }
    }
}

/// Sparse rows: per item, (column, weight).
type Rows = Vec<Vec<(u32, f32)>>;

/// The idf-weighted, row-normalised item × entity matrix; columns are entities linked to two or
/// more items through a film relation.
fn co_membership(ds: &Dataset) -> (Rows, usize) {
    let Some(g) = &ds.graph else {
        return (vec![Vec::new(); ds.num_items()], 0);
    };
    let mut item_of_entity = vec![u32::MAX; g.entities.len()];
    for (item, e) in g.item_entity.iter().enumerate() {
        if let Some(e) = e {
            item_of_entity[*e as usize] = item as u32;
        }
    }
    let mut pairs: Vec<(u32, u32)> = g
        .triples
        .iter()
        .filter(|t| facet_name(g.relations.name(t.relation)).is_some())
        .filter_map(|t| {
            let item = *item_of_entity.get(t.head as usize)?;
            (item != u32::MAX).then_some((item, t.tail))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut df = vec![0u32; g.entities.len()];
    for &(_, e) in &pairs {
        df[e as usize] += 1;
    }
    let mut column = vec![u32::MAX; g.entities.len()];
    let mut n_cols = 0u32;
    for (e, &d) in df.iter().enumerate() {
        if d >= 2 {
            column[e] = n_cols;
            n_cols += 1;
        }
    }
    let n = ds.num_items() as f32;
    let mut rows: Rows = vec![Vec::new(); ds.num_items()];
    for (item, e) in pairs {
        let c = column[e as usize];
        if c != u32::MAX {
            rows[item as usize].push((c, (n / df[e as usize] as f32).ln()));
        }
    }
    for r in &mut rows {
        let norm = r.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            r.iter_mut().for_each(|(_, w)| *w /= norm);
        }
    }
    (rows, n_cols as usize)
}

/// Orthonormalises the columns of `m` (n × l, row-major) in place (modified Gram–Schmidt).
fn orthonormalise(m: &mut [f64], n: usize, l: usize) {
    for j in 0..l {
        for k in 0..j {
            let dot: f64 = (0..n).map(|i| m[i * l + j] * m[i * l + k]).sum();
            for i in 0..n {
                m[i * l + j] -= dot * m[i * l + k];
            }
        }
        let norm = (0..n).map(|i| m[i * l + j].powi(2)).sum::<f64>().sqrt();
        for i in 0..n {
            m[i * l + j] = if norm > 1e-12 {
                m[i * l + j] / norm
            } else {
                0.0
            };
        }
    }
}

/// Eigen-decomposition of a symmetric l × l matrix by cyclic Jacobi rotations: (values, vectors
/// as columns), values descending.
pub(crate) fn symmetric_eigen(mut a: Vec<f64>, l: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; l * l];
    for i in 0..l {
        v[i * l + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..l)
            .flat_map(|i| (0..l).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * l + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..l {
            for q in p + 1..l {
                let apq = a[p * l + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * l + q] - a[p * l + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..l {
                    let (akp, akq) = (a[k * l + p], a[k * l + q]);
                    a[k * l + p] = c * akp - s * akq;
                    a[k * l + q] = s * akp + c * akq;
                }
                for k in 0..l {
                    let (apk, aqk) = (a[p * l + k], a[q * l + k]);
                    a[p * l + k] = c * apk - s * aqk;
                    a[q * l + k] = s * apk + c * aqk;
                }
                for k in 0..l {
                    let (vkp, vkq) = (v[k * l + p], v[k * l + q]);
                    v[k * l + p] = c * vkp - s * vkq;
                    v[k * l + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&i, &j| a[j * l + j].total_cmp(&a[i * l + i]));
    let values = order.iter().map(|&i| a[i * l + i]).collect();
    let mut vectors = vec![0.0; l * l];
    for (new, &old) in order.iter().enumerate() {
        for k in 0..l {
            vectors[k * l + new] = v[k * l + old];
        }
    }
    (values, vectors)
}

/// One L2-normalised vector of `cfg.dim` per item (all zeros for items without graph links).
pub fn graph_embedding(ds: &Dataset, cfg: &GraphEmbeddingConfig) -> Result<Vec<Vec<f32>>> {
    let (rows, n_cols) = co_membership(ds);
    if n_cols == 0 {
        return Err(Error::Config(
            "the knowledge graph links no two items: no graph embedding".into(),
        ));
    }
    spectral_rows(&rows, n_cols, cfg)
}

/// A behaviour embedding from the logged events only (`logged[item]` = the users who logged
/// it, each user idf-weighted): items that the same users log end up close. It never reads
/// off-log or test events, so it may shape what the reasoner sees without leaking.
pub fn behaviour_embedding(
    logged: &[Vec<u32>],
    num_users: usize,
    cfg: &GraphEmbeddingConfig,
) -> Result<Vec<Vec<f32>>> {
    let mut df = vec![0u32; num_users];
    for users in logged {
        for &u in users {
            df[u as usize] += 1;
        }
    }
    let n = logged.len() as f32;
    let mut rows: Rows = logged
        .iter()
        .map(|users| {
            let mut r: Vec<(u32, f32)> = users
                .iter()
                .map(|&u| (u, (n / df[u as usize].max(1) as f32).ln().max(1e-3)))
                .collect();
            r.sort_unstable_by_key(|x| x.0);
            r.dedup_by_key(|x| x.0);
            r
        })
        .collect();
    for r in &mut rows {
        let norm = r.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            r.iter_mut().for_each(|(_, w)| *w /= norm);
        }
    }
    if rows.iter().all(Vec::is_empty) {
        return Err(Error::Config(
            "no logged events: no behaviour embedding".into(),
        ));
    }
    spectral_rows(&rows, num_users, cfg)
}

/// The top singular directions of the sparse item × column matrix `rows` (randomised SVD),
/// scaled by their singular values, one L2-normalised vector per item.
fn spectral_rows(rows: &Rows, n_cols: usize, cfg: &GraphEmbeddingConfig) -> Result<Vec<Vec<f32>>> {
    let n = rows.len();
    let l = (cfg.dim + cfg.oversample).min(n_cols).min(n);
    let k = cfg.dim.min(l);
    let mut rng = SeededRng::derive(cfg.seed, 23);
    let omega: Vec<f64> = (0..n_cols * l).map(|_| rng.gaussian()).collect();
    // Y = A Ω, then power iterations Y = A (Aᵀ Y), each re-orthonormalised.
    let mut y = vec![0.0f64; n * l];
    let a_times = |m: &[f64], y: &mut [f64]| {
        y.iter_mut().for_each(|v| *v = 0.0);
        for (i, r) in rows.iter().enumerate() {
            for &(c, w) in r {
                for j in 0..l {
                    y[i * l + j] += w as f64 * m[c as usize * l + j];
                }
            }
        }
    };
    let at_times = |y: &[f64], z: &mut [f64]| {
        z.iter_mut().for_each(|v| *v = 0.0);
        for (i, r) in rows.iter().enumerate() {
            for &(c, w) in r {
                for j in 0..l {
                    z[c as usize * l + j] += w as f64 * y[i * l + j];
                }
            }
        }
    };
    a_times(&omega, &mut y);
    orthonormalise(&mut y, n, l);
    let mut z = vec![0.0f64; n_cols * l];
    for _ in 0..cfg.power_iterations {
        at_times(&y, &mut z);
        orthonormalise(&mut z, n_cols, l);
        a_times(&z, &mut y);
        orthonormalise(&mut y, n, l);
    }
    // B = Qᵀ A (l × cols) is known through Z = Aᵀ Q; B Bᵀ = Zᵀ Z.
    at_times(&y, &mut z);
    let mut bbt = vec![0.0f64; l * l];
    for c in 0..n_cols {
        for p in 0..l {
            let zp = z[c * l + p];
            for q in 0..l {
                bbt[p * l + q] += zp * z[c * l + q];
            }
        }
    }
    let (values, vectors) = symmetric_eigen(bbt, l);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut v: Vec<f32> = (0..k)
            .map(|d| {
                let u: f64 = (0..l).map(|j| y[i * l + j] * vectors[j * l + d]).sum();
                (u * values[d].max(0.0).sqrt()) as f32
            })
            .collect();
        normalise(&mut v);
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};
    use crate::knowledge::neighbours::knn_purity;

    #[test]
    fn behaviour_embedding_puts_items_of_the_same_users_together() {
        // Users 0..10 log items 0..5, users 10..20 log items 5..10.
        let logged: Vec<Vec<u32>> = (0..10u32)
            .map(|i| {
                let users = if i < 5 { 0..10 } else { 10..20 };
                users.filter(|u| (u + i) % 3 != 0).collect()
            })
            .collect();
        // Two groups, two directions.
        let cfg = GraphEmbeddingConfig {
            dim: 2,
            ..GraphEmbeddingConfig::default()
        };
        let v = behaviour_embedding(&logged, 20, &cfg).unwrap();
        let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        for i in 0..10 {
            for j in 0..10 {
                let same = (i < 5) == (j < 5);
                let c = cos(&v[i], &v[j]);
                assert!(if same { c > 0.5 } else { c < 0.2 }, "{i} {j}: {c}");
            }
        }
        assert!(behaviour_embedding(&vec![Vec::new(); 3], 4, &cfg).is_err());
    }

    #[test]
    fn jacobi_recovers_a_known_spectrum() {
        // [[2,1],[1,2]] has eigenvalues 3 and 1.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        assert!((vectors[0].abs() - 0.5f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn graph_vectors_recover_the_latent_genre_far_above_id_embeddings() {
        let w = SyntheticWorld::generate(&SyntheticConfig::default()).unwrap();
        let vectors = graph_embedding(&w.dataset, &GraphEmbeddingConfig::default()).unwrap();
        let purity = knn_purity(&vectors, &w.truth.item_genre, 10);
        // ID embeddings carry no content: random vectors score about 1/8 on 8 genres.
        let mut rng = SeededRng::new(1);
        let random: Vec<Vec<f32>> = (0..vectors.len())
            .map(|_| (0..32).map(|_| rng.gaussian() as f32).collect())
            .collect();
        let chance = knn_purity(&random, &w.truth.item_genre, 10);
        assert!(
            purity > 0.8 && chance < 0.25,
            "graph {purity:.3} vs random {chance:.3}"
        );
        let again = graph_embedding(&w.dataset, &GraphEmbeddingConfig::default()).unwrap();
        assert_eq!(again, vectors, "seeded");
    }
}
