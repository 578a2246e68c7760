//! Presentation shared by the CLI's reports and the workbench: charts.

pub mod charts;

pub use charts::{bar_chart, grouped_bars, roc_chart};
