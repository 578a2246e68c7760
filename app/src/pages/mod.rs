pub mod compare;
pub mod knowledge;
pub mod metrics;
pub mod overview;
pub mod reasoner;
pub mod sequences;
pub mod summary;
