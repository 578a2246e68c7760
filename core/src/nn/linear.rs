//! A linear layer `y = x · W + b`, `W` stored `(in, out)` row-major.

use super::{Shapes, Weights};

/// The names and shape of a linear layer's two tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linear {
    pub w: String,
    pub b: String,
    pub input: usize,
    pub output: usize,
}

impl Linear {
    /// `{prefix}.w` and `{prefix}.b`.
    pub fn new(prefix: &str, input: usize, output: usize) -> Self {
        Self::named(format!("{prefix}.w"), format!("{prefix}.b"), input, output)
    }

    /// Tensors named otherwise (bundles that predate the convention).
    pub fn named(w: String, b: String, input: usize, output: usize) -> Self {
        Self {
            w,
            b,
            input,
            output,
        }
    }

    /// The weight, then the bias.
    pub fn shapes(&self) -> Shapes {
        vec![
            (self.w.clone(), vec![self.input, self.output]),
            (self.b.clone(), vec![self.output]),
        ]
    }

    /// The layer's weights in `weights`, looked up once for many rows.
    pub fn bind<'a>(&self, weights: &'a Weights) -> BoundLinear<'a> {
        BoundLinear {
            w: &weights[&self.w],
            b: &weights[&self.b],
        }
    }
}

/// A linear layer's weights, ready to run rows through.
#[derive(Debug, Clone, Copy)]
pub struct BoundLinear<'a> {
    pub w: &'a [f32],
    pub b: &'a [f32],
}

impl BoundLinear<'_> {
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        affine(x, self.w, self.b, out);
    }
}

/// `out = x · w + b` for one row; `w` is `(x.len(), b.len())` row-major.
pub fn affine(x: &[f32], w: &[f32], b: &[f32], out: &mut [f32]) {
    out.copy_from_slice(b);
    let m = b.len();
    for (i, &xi) in x.iter().enumerate() {
        for (o, &wij) in out.iter_mut().zip(&w[i * m..(i + 1) * m]) {
            *o += xi * wij;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_through_a_layer_read_by_its_names() {
        let l = Linear::new("fc", 2, 3);
        assert_eq!(l.shapes()[0], ("fc.w".to_string(), vec![2, 3]));
        let w = Weights::from([
            ("fc.w".into(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ("fc.b".into(), vec![0.5, 0.0, -1.0]),
        ]);
        let mut out = [0.0; 3];
        l.bind(&w).forward(&[1.0, -1.0], &mut out);
        assert_eq!(out, [-2.5, -3.0, -4.0]);
    }
}
