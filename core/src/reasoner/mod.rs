//! GBR, the implicit-reasoning half: a diffusion language model over semantic-ID tokens that
//! infers behaviours the platform never logged. This module holds its vocabulary and its
//! constrained, traced sampler; the mask predictor is anything that implements
//! [`MaskPredictor`].

pub mod baselines;
pub mod beam;
pub mod codes;
#[cfg(feature = "train")]
pub mod crossfit;
pub mod evaluation;
pub mod every_user;
pub mod history;
pub mod model;
pub mod packed;
#[cfg(feature = "train")]
pub mod pipeline;
pub mod population;
pub mod prior;
pub mod sampler;
#[cfg(feature = "train")]
pub mod sasrec;
pub mod sequences;
pub mod slots;
mod space;
#[cfg(feature = "train")]
pub mod train;
pub mod vocab;

pub use beam::{beam_items, beam_items_with_prior, BeamConfig, ItemPrior};
pub use history::{excluded, logged_history, off_log_items, ranked};
pub use model::{DiffusionReasoner, ReasonerConfig};
pub use prior::{DecodingPrior, PriorWeight};
pub use sampler::{
    infer, semantic_consistency, Commit, Inference, MaskPredictor, SamplerConfig, Sampling,
    TraceStep,
};
pub use sequences::{InferredSequences, SequenceProvenance};
pub use slots::GbrSlots;
pub use space::knowledge_space;
pub use vocab::{ItemVocab, BOS, HELD_OUT, PAD, SEP};
