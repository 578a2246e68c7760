pub mod attention;
pub mod cold_start;
pub mod controls;
pub mod errors;
pub mod export;
pub mod open_data;
pub mod own_scores;
pub mod pipeline;
pub mod stat;

pub use attention::AttentionStrips;
pub use cold_start::ColdStartBox;
pub use controls::{use_set_query, DataControls};
pub use errors::errors_view;
pub use export::{download, download_png};
pub use open_data::OpenData;
pub use own_scores::OwnScores;
pub use pipeline::Pipeline;
pub use stat::Stat;
