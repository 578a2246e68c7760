//! The candle side of the building blocks: one mapping of candle's errors, a trainer's
//! parameters keyed by the plain model's tensor names, and the layers over them.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor, Var, D};

use crate::bundle::Tensors;
use crate::error::{Error, Result};

use super::{LayerNorm, Linear};

/// A candle error as the crate's, naming the model it came from ("ranker training").
pub fn model_error(what: &str) -> impl Fn(candle_core::Error) -> Error + '_ {
    move |e| Error::Model(format!("{what}: {e}"))
}

/// A candle twin's tensors by the plain model's names: learned variables and fixed inputs.
pub struct Params {
    pub vars: BTreeMap<String, Var>,
    pub inputs: BTreeMap<String, Tensor>,
}

impl Params {
    /// Variables of `tensors`, except those `is_input` says are fixed inputs.
    pub fn new(tensors: Tensors, is_input: impl Fn(&str) -> bool, device: &Device) -> Result<Self> {
        let err = model_error("parameters");
        let (mut vars, mut inputs) = (BTreeMap::new(), BTreeMap::new());
        for (name, (shape, data)) in tensors {
            if is_input(&name) {
                inputs.insert(name, Tensor::from_vec(data, shape, device).map_err(&err)?);
            } else {
                vars.insert(name, Var::from_vec(data, shape, device).map_err(&err)?);
            }
        }
        Ok(Self { vars, inputs })
    }

    /// A tensor by name; the names come from the model's own list, so it is there.
    pub fn get(&self, name: &str) -> &Tensor {
        match self.vars.get(name) {
            Some(v) => v.as_tensor(),
            None => &self.inputs[name],
        }
    }

    /// The variables, for the optimiser.
    pub fn trainable(&self) -> Vec<Var> {
        self.vars.values().cloned().collect()
    }

    /// Every tensor back as plain f32 rows, for the plain model.
    pub fn tensors(&self) -> Result<Tensors> {
        let err = model_error("parameters");
        let all = self.vars.iter().map(|(n, v)| (n, v.as_tensor()));
        let mut t = Tensors::new();
        for (name, x) in all.chain(self.inputs.iter()) {
            let data = x
                .flatten_all()
                .and_then(|x| x.to_vec1::<f32>())
                .map_err(&err)?;
            t.insert(name.clone(), (x.dims().to_vec(), data));
        }
        Ok(t)
    }

    /// `x · W + b` over rows `(n, in)`.
    pub fn linear(&self, l: &Linear, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(self.get(&l.w))?.broadcast_add(self.get(&l.b))
    }

    /// [`Self::linear`] for many rows: the bias enters as `1 · b` (a `(n, 1) × (1, out)`
    /// product) rather than a broadcast, because candle differentiates a broadcast by a strided
    /// sum over the rows, and a product by a matrix multiplication.
    pub fn linear_rows(&self, l: &Linear, x: &Tensor) -> candle_core::Result<Tensor> {
        let ones = Tensor::ones((x.dim(0)?, 1), x.dtype(), x.device())?;
        x.matmul(self.get(&l.w))? + ones.matmul(&self.get(&l.b).unsqueeze(0)?)?
    }

    /// Layer normalisation of the last dimension, as the plain [`super::layer_norm`].
    pub fn layer_norm(&self, n: &LayerNorm, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let xc = x.broadcast_sub(&mean)?;
        let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
        xc.broadcast_div(&(var + f64::from(super::layer_norm::EPS))?.sqrt()?)?
            .broadcast_mul(self.get(&n.g))?
            .broadcast_add(self.get(&n.b))
    }

    /// [`Self::layer_norm`] for many rows `(n, d)`, its gain and bias entering as products
    /// with a column of ones (see [`Self::linear_rows`]).
    /// The row statistics are spread over the columns the same way (`s · 1`, exact), so every
    /// elementwise op meets two contiguous tensors: candle's broadcast ops walk a strided index
    /// element by element.
    pub fn layer_norm_rows(&self, n: &LayerNorm, x: &Tensor) -> candle_core::Result<Tensor> {
        let (rows, d) = x.dims2()?;
        let ones = Tensor::ones((rows, 1), x.dtype(), x.device())?;
        let across = Tensor::ones((1, d), x.dtype(), x.device())?;
        let row = |p: &str| ones.matmul(&self.get(p).unsqueeze(0)?);
        let mean = x.mean_keepdim(D::Minus1)?;
        let xc = (x - mean.matmul(&across)?)?;
        let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
        let std = (var + f64::from(super::layer_norm::EPS))?.sqrt()?;
        let normed = (xc / std.matmul(&across)?)?;
        (normed * row(&n.g)?)? + row(&n.b)?
    }
}

/// GELU's tanh approximation, as the plain [`super::activation::gelu`], written as
/// `x · σ(2z)` (`0.5 · (1 + tanh z) = σ(2z)`): candle's own `gelu` differentiates through
/// `powf` and `tanh`, which cost the reasoner's training a sixth of its time.
pub fn gelu(x: &Tensor) -> candle_core::Result<Tensor> {
    let z = (x + ((x * x)? * x)?.affine(0.044_715, 0.0)?)?.affine(2.0 * 0.797_884_6, 0.0)?;
    x * candle_nn::ops::sigmoid(&z)?
}
