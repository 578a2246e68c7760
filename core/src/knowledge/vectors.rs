//! Knowledge vectors: the teacher's text vector of each card fused with the item's graph vector,
//! their compact (PCA) REP projection, and the safetensors files that hold them, one row per
//! item.

use crate::error::{Error, Result};

use super::graph_embedding::symmetric_eigen;
use super::neighbours::normalise;

/// The tensors of `vectors.safetensors` and `rep.safetensors`.
pub mod tensor {
    /// The text encoder's vector of each card.
    pub const TEXT: &str = "text";
    /// The graph embedding (only when the dataset has a knowledge graph).
    pub const GRAPH: &str = "graph";
    /// Text and graph fused: the knowledge vector.
    pub const KNOWLEDGE: &str = "knowledge";
    /// The compact REP vector (the student's target, the ranker's REP input).
    pub const REP: &str = "rep";
}

/// Embeds card texts: natively the MiniLM teacher (`knowledge::teacher`), in tests anything
/// deterministic.
pub trait TextEncoder {
    /// Recorded in the build summary, e.g. `all-MiniLM-L6-v2`.
    fn name(&self) -> &str;

    /// One unit vector per text.
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

/// Named f32 matrices (one row per item, all rows of a matrix the same length) as the bytes of
/// a safetensors file.
pub fn matrices_to_safetensors(matrices: &[(&str, &[Vec<f32>])]) -> Result<Vec<u8>> {
    let mut tensors = crate::bundle::Tensors::new();
    for (name, rows) in matrices {
        let dim = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != dim) {
            return Err(Error::Model(format!(
                "tensor {name}: rows of different lengths"
            )));
        }
        let flat = rows.iter().flatten().copied().collect();
        tensors.insert((*name).to_owned(), (vec![rows.len(), dim], flat));
    }
    crate::bundle::encode_tensors(&tensors)
}

/// Tensor `name` of the safetensors file `file` (its `bytes`), which must have `rows` rows (one
/// per item of the dataset).
pub fn matrix_from_safetensors(
    file: &str,
    bytes: &[u8],
    name: &str,
    rows: usize,
) -> Result<Vec<Vec<f32>>> {
    let bad = |reason: String| Error::artifact(file, reason);
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let t = st
        .tensor(name)
        .map_err(|_| bad(format!("no tensor '{name}'")))?;
    let &[n, dim] = t.shape() else {
        return Err(bad(format!("tensor '{name}' is not a matrix")));
    };
    if t.dtype() != safetensors::Dtype::F32 {
        return Err(bad(format!("tensor '{name}' is {:?}, not F32", t.dtype())));
    }
    if n != rows {
        return Err(bad(format!("{n} rows for {rows} items: rebuild it")));
    }
    let values: Vec<f32> = t
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if dim == 0 {
        return Ok(vec![Vec::new(); n]);
    }
    Ok(values.chunks_exact(dim).map(<[f32]>::to_vec).collect())
}

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

/// Projections of `vectors` on their top `dim` principal directions (centred), unit length.
pub fn pca(vectors: &[Vec<f32>], dim: usize) -> Vec<Vec<f32>> {
    let n = vectors.len();
    let d = vectors.first().map_or(0, Vec::len);
    let mut mean = vec![0f64; d];
    for v in vectors {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += *x as f64 / n as f64;
        }
    }
    let mut cov = vec![0f64; d * d];
    for v in vectors {
        let c: Vec<f64> = v.iter().zip(&mean).map(|(x, m)| *x as f64 - m).collect();
        for i in 0..d {
            for j in i..d {
                cov[i * d + j] += c[i] * c[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    let (_, vecs) = symmetric_eigen(cov, d);
    let k = dim.min(d);
    vectors
        .iter()
        .map(|v| {
            let mut p: Vec<f32> = (0..k)
                .map(|c| {
                    (0..d)
                        .map(|i| (v[i] as f64 - mean[i]) * vecs[i * d + c])
                        .sum::<f64>() as f32
                })
                .collect();
            normalise(&mut p);
            p
        })
        .collect()
}

/// A deterministic stand-in for the teacher in tests: each text's hashed words and trigrams
/// (the student's features) counted in 64 buckets, unit length.
#[cfg(all(test, any(feature = "teacher", feature = "train")))]
pub(crate) struct HashedBag;

#[cfg(all(test, any(feature = "teacher", feature = "train")))]
impl TextEncoder for HashedBag {
    fn name(&self) -> &str {
        "hashed bag"
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; 64];
                for b in super::student::features(t, 64) {
                    v[b as usize] += 1.0;
                }
                normalise(&mut v);
                v
            })
            .collect())
    }
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

    #[test]
    fn matrices_round_trip_and_a_wrong_file_is_named() {
        let a = vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]];
        let b = vec![vec![0.5], vec![0.25], vec![0.0]];
        let bytes =
            matrices_to_safetensors(&[(tensor::TEXT, &a), (tensor::KNOWLEDGE, &b)]).unwrap();
        assert_eq!(
            matrix_from_safetensors("v", &bytes, tensor::TEXT, 3).unwrap(),
            a
        );
        assert_eq!(
            matrix_from_safetensors("v", &bytes, tensor::KNOWLEDGE, 3).unwrap(),
            b
        );
        let missing = matrix_from_safetensors("v.st", &bytes, tensor::REP, 3).unwrap_err();
        assert_eq!(missing.to_string(), "v.st: no tensor 'rep'");
        let stale = matrix_from_safetensors("v.st", &bytes, tensor::TEXT, 4).unwrap_err();
        assert_eq!(stale.to_string(), "v.st: 3 rows for 4 items: rebuild it");
        assert!(matrix_from_safetensors("v.st", b"junk", tensor::TEXT, 3).is_err());
        assert!(matrices_to_safetensors(&[("x", &[vec![1.0], vec![1.0, 2.0]])]).is_err());
    }

    #[test]
    fn pca_keeps_the_main_direction() {
        let v: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![i as f32, 0.1 * (i % 3) as f32, 0.0])
            .collect();
        let p = pca(&v, 1);
        assert!(p
            .iter()
            .all(|x| x.len() == 1 && (x[0].abs() - 1.0).abs() < 1e-5 || x[0] == 0.0));
    }
}
