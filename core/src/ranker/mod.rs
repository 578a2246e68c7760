//! The ranker and its ablation: DIN-style target attention over the logged sequence (and, with
//! GBR, over the reasoner's inferred sequence), items represented by ID, genre and (with REP)
//! knowledge vectors.

pub mod attention_cache;
pub mod cold;
pub mod cold_catalogue;
pub mod examples;
pub mod model;
pub mod packed;
pub mod slices;
#[cfg(feature = "train")]
pub mod train;

pub use attention_cache::AttentionCache;
pub use examples::{ranker_examples, HistoryEvents, RankerExample};
pub use model::{ItemFeatures, Ranker, RankerConfig, RankerInput, Scored, Variant};
pub use slices::{slices, Slice, SliceKind};
