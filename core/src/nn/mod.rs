//! The building blocks the models share, one concept per file: a linear layer, layer
//! normalisation, activations, and (with candle) the parameters of a trainer's twin. A layer
//! is its tensor names and shapes: the plain-Rust model reads its weights by them, the candle
//! twin its variables, and the bundle's shape check its list, so the three cannot drift.

mod activation;
#[cfg(any(feature = "train", feature = "teacher", feature = "smollm"))]
pub mod candle;
mod layer_norm;
mod linear;

pub use activation::{gelu, sigmoid};
pub use layer_norm::{layer_norm, BoundLayerNorm, LayerNorm, EPS};
pub use linear::{affine, BoundLinear, Linear};

use std::collections::BTreeMap;

/// Named f32 weights, row-major: a plain-Rust model's parameters.
pub type Weights = BTreeMap<String, Vec<f32>>;

/// Tensor names and shapes, in a model's fixed order (its seeded initialisation draws in it).
pub type Shapes = Vec<(String, Vec<usize>)>;
