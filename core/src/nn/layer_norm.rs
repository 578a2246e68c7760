//! Layer normalisation over the last dimension, ε = 1e-5, with a gain and a bias.

use super::{Shapes, Weights};

pub const EPS: f32 = 1e-5;

/// The names and width of a layer norm's gain (`.g`) and bias (`.b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerNorm {
    pub g: String,
    pub b: String,
    pub dim: usize,
}

impl LayerNorm {
    /// `{prefix}.g` and `{prefix}.b`.
    pub fn new(prefix: &str, dim: usize) -> Self {
        Self {
            g: format!("{prefix}.g"),
            b: format!("{prefix}.b"),
            dim,
        }
    }

    /// The gain, then the bias.
    pub fn shapes(&self) -> Shapes {
        vec![
            (self.g.clone(), vec![self.dim]),
            (self.b.clone(), vec![self.dim]),
        ]
    }

    /// The gain and bias in `weights`, looked up once for many rows.
    pub fn bind<'a>(&self, weights: &'a Weights) -> BoundLayerNorm<'a> {
        BoundLayerNorm {
            g: &weights[&self.g],
            b: &weights[&self.b],
        }
    }
}

/// A layer norm's gain and bias, ready to normalise rows.
#[derive(Debug, Clone, Copy)]
pub struct BoundLayerNorm<'a> {
    pub g: &'a [f32],
    pub b: &'a [f32],
}

impl BoundLayerNorm<'_> {
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        layer_norm(x, self.g, self.b, out);
    }
}

pub fn layer_norm(x: &[f32], g: &[f32], b: &[f32], out: &mut [f32]) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + EPS).sqrt();
    for i in 0..x.len() {
        out[i] = (x[i] - mean) * inv * g[i] + b[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normalised_row_has_zero_mean_and_unit_variance() {
        let n = LayerNorm::new("ln", 4);
        let w = Weights::from([("ln.g".into(), vec![1.0; 4]), ("ln.b".into(), vec![0.0; 4])]);
        let mut out = [0.0; 4];
        n.bind(&w).forward(&[1.0, 2.0, 3.0, 6.0], &mut out);
        let mean: f32 = out.iter().sum::<f32>() / 4.0;
        let var: f32 = out.iter().map(|x| x * x).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-3, "{out:?}");
    }
}
