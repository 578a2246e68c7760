//! The data layer: one typed [`Dataset`] whatever the source, its loaders and validation, the
//! chronological split and beyond-log protocol, and the seeded synthetic world.

mod dataset;
pub mod load;
mod prepared;
pub mod protocol;
pub mod stats;
pub mod synthetic;
pub mod text;

#[cfg(feature = "fetch")]
pub mod fetch;

pub use dataset::{Dataset, Interaction, Item, KnowledgeGraph, LabelPolicy, Triple, Vocab};
pub use load::{load_dir, LoadOptions, Loaded, Strictness};
pub use prepared::{Prepared, PreparedSpec, ProtocolMode, WorldSpec};
pub use protocol::{BeyondLog, Impression, Part, Protocol, SplitConfig, SplitKind};
pub use stats::DatasetStats;
pub use synthetic::{GroundTruth, SyntheticConfig, SyntheticWorld};
