pub mod stat;

pub use stat::{Stat, WorldControls};
