pub mod attention;
pub mod controls;
pub mod export;
pub mod pipeline;
pub mod stat;

pub use attention::AttentionStrips;
pub use controls::{use_set_query, DataControls};
pub use export::{download, download_png};
pub use pipeline::Pipeline;
pub use stat::Stat;
