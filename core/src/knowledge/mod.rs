//! Explicit reasoning (REP): agents describe every item, a critic checks what they claim, and the
//! result is one [`KnowledgeCard`] per item — JSON facets with provenance plus a canonical text.

pub mod agent;
pub mod card;
pub mod catalog;
pub mod critic;
// Needs candle, which the teacher and the trainer both bring.
#[cfg(any(feature = "teacher", feature = "train"))]
pub mod distill;
pub mod graph;
pub mod graph_embedding;
pub mod llm;
pub mod neighbours;
pub mod pipeline;
#[cfg(any(feature = "teacher", feature = "train"))]
pub mod purity;
pub mod rep;
pub mod report;
pub mod semantic_id;
pub mod student;
#[cfg(feature = "teacher")]
pub mod teacher;
pub mod vectors;

pub use agent::{build_cards, Agent};
pub use card::{Dropped, Facet, FacetKind, KnowledgeCard, Provenance};
pub use catalog::CatalogAgent;
pub use critic::Critic;
pub use graph::GraphAgent;
