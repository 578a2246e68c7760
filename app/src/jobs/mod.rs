//! The work the page hands to its Web Worker, and what comes back. Messages are JSON.

pub mod attention;
pub mod backend;
pub mod cold;
pub mod coldcat;
pub mod compare;
pub mod every;
pub mod explain;
pub mod full;
pub mod open;
pub mod reason;
pub mod scores;
pub mod slices;

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::loading::Choice;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// Score the test set (the impressions of one slice, when given) with the bundled rankers
    /// of this dataset.
    Compare {
        choice: Choice,
        #[serde(default)]
        backend: backend::BackendChoice,
        #[serde(default)]
        slice: Vec<reaseq_core::experiment::slice_finder::Condition>,
    },
    /// Rank every test user's whole catalogue with the bundled rankers of this dataset.
    FullRanking {
        choice: Choice,
        #[serde(default)]
        backend: backend::BackendChoice,
    },
    /// Run the reasoner for one user of this dataset.
    Reason {
        choice: Choice,
        settings: reason::Settings,
    },
    /// Place every catalogue item as if it were new, with the deployed rankers' student.
    ColdCatalogue {
        choice: Choice,
        #[serde(default)]
        backend: backend::BackendChoice,
    },
    /// Run the reasoner's sampler for every user of this dataset.
    EveryUser {
        choice: Choice,
        settings: reason::Settings,
        #[serde(default)]
        backend: backend::BackendChoice,
    },
    /// Embed, place and score an item no log has seen.
    ColdStart { choice: Choice, item: cold::NewItem },
    /// A user's history edited: the reasoner, every variant's score, attention, leave-one-out
    /// effects and top-K before and after.
    Explain {
        choice: Choice,
        what_if: explain::WhatIf,
    },
    /// The test-set slices where one model beats another most surely: the bundled variants,
    /// and the models of score files of the test impressions.
    Slices {
        choice: Choice,
        pair: slices::SlicePair,
        scores: Vec<open::OpenedFile>,
    },
    /// The models of score files of the test impressions, matched to them.
    SliceModels {
        choice: Choice,
        scores: Vec<open::OpenedFile>,
    },
    /// The test impressions with every variant's probability, as CSV.
    SliceRows { choice: Choice },
    /// Every ranker's attention for one of a user's test targets.
    Attention {
        choice: Choice,
        user: String,
        target: Option<String>,
    },
    /// The Knowledge view of this dataset: the CLI's cards, vectors and semantic IDs where
    /// there are some, the rest computed.
    Knowledge { choice: Choice },
    /// Compare the researcher's own models from their score files, sliced by this dataset.
    Scores {
        files: Vec<open::OpenedFile>,
        choice: Choice,
    },
    /// Parse and validate the files a researcher opened; the worker keeps them for later jobs.
    Open {
        files: std::rc::Rc<Vec<open::OpenedFile>>,
        lenient: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The worker has started and takes jobs.
    Ready,
    /// The share of the job done, in [0, 1].
    Progress(f64),
    Compared(Box<compare::Outcome>),
    Ranked(Box<full::FullOutcome>),
    Reasoned(Box<reason::Reasoning>),
    EveryUserRan(Box<every::EveryOutcome>),
    ColdPlaced(Box<coldcat::ColdCatalogueOutcome>),
    ColdStarted(Box<cold::ColdStart>),
    Attended(Box<attention::Strips>),
    Explained(Box<explain::Explained>),
    SlicesFound(Box<slices::SliceFinding>),
    SliceModels(Vec<String>),
    SliceRows(String),
    Opened(Box<open::Opened>),
    Knew(Box<reaseq_core::knowledge::pipeline::PageKnowledge>),
    ScoresCompared(Box<scores::OwnModels>),
    Failed(AppError),
}

/// A job or reply with the id that pairs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}
