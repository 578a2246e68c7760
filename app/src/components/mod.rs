pub mod controls;
pub mod stat;

pub use controls::{use_set_query, DataControls};
pub use stat::Stat;
