//! GBR, the implicit-reasoning half: a diffusion language model over semantic-ID tokens that
//! infers behaviours the platform never logged. This module holds its vocabulary and its
//! constrained, traced sampler; the mask predictor is anything that implements
//! [`MaskPredictor`].

pub mod sampler;
pub mod vocab;

pub use sampler::{
    infer, semantic_consistency, Commit, Inference, MaskPredictor, SamplerConfig, TraceStep,
};
pub use vocab::{ItemVocab, BOS, MASK, PAD, SEP};
