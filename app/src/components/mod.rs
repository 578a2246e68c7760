pub mod attention;
pub mod controls;
pub mod export;
pub mod stat;

pub use attention::AttentionStrips;
pub use controls::{use_set_query, DataControls};
pub use export::download;
pub use stat::Stat;
