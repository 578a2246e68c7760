//! ReaSeq Workbench in the browser. Thin: every number comes from `reaseq-core`. The page
//! (`reaseq-app`) renders; the Web Worker (`reaseq-worker`) runs the models, so the page never
//! freezes while they do. Modules import downwards only: pages and components → jobs and
//! the worker → loading → `reaseq-core`; every layer reports [`error::AppError`].

pub mod app;
mod components;
pub mod error;
pub mod jobs;
pub mod loading;
mod pages;
pub mod worker;
