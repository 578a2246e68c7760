//! ReaSeq Workbench in the browser. Thin: every number comes from `reaseq-core`. The page
//! (`reaseq-app`) renders; the Web Worker (`reaseq-worker`) runs the models, so the page never
//! freezes while they do.

pub mod app;
mod components;
pub mod jobs;
mod pages;
pub mod source;
pub mod worker;
