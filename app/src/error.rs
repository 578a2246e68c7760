//! The app's one error type, for every layer (views, jobs and the worker, loading). It crosses
//! the worker's message channel as JSON, so it carries messages rather than error sources; its
//! `Display` is the text the page shows.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A `reaseq_core::Error`'s message (it already names the file, line or field).
    #[error("{0}")]
    Core(String),
    /// A file this build does not carry, and the command that makes it.
    #[error("{url}: not in this build ({how}, then build again)")]
    Missing { url: String, how: String },
    /// A file opened data has no copy of (the workspace folder lacked it, or only data files
    /// were opened), and how the CLI makes it for these data.
    #[error("{file} is not among the opened files. Make it for these data with the CLI, `reaseq knowledge build --data DIR`, then {how} with `--data DIR`, and open the folder it writes to (./data, or $REASEQ_DATA; put DIR inside it) with “or a folder”.")]
    NotOpened { file: String, how: String },
    /// The request for `url` failed (network, server, or reading the body).
    #[error("{url}: {reason}")]
    Fetch { url: String, reason: String },
    /// A file of the build that is there but does not read; `file` names it.
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    /// What the build carries does not fit what was asked (another dataset, a model of
    /// another kind, a dataset that was not deployed).
    #[error("{0}")]
    Build(String),
    /// The worker could not run the job: it failed, crashed or was cancelled ("cancelled").
    #[error("{0}")]
    Worker(String),
    /// Something the user asked for that the data does not have (a user, a pair).
    #[error("{0}")]
    Input(String),
    /// Input files with bad rows: the first [`AppError::SHOWN`] problems as
    /// `file:line: column: reason`, and how many more there were.
    #[error("{} problem(s) in the input:\n{}{}", .problems.len() as u64 + .more, .problems.join("\n"), more_line(*.more))]
    Invalid { problems: Vec<String>, more: u64 },
}

fn more_line(more: u64) -> String {
    if more > 0 {
        format!("\n… and {more} more problems")
    } else {
        String::new()
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<reaseq_core::Error> for AppError {
    fn from(e: reaseq_core::Error) -> Self {
        match e {
            reaseq_core::Error::Invalid { report } => {
                let shown = report.problems.len().min(Self::SHOWN);
                Self::Invalid {
                    problems: report.problems[..shown]
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    more: report.count() - shown as u64,
                }
            }
            e => Self::Core(e.to_string()),
        }
    }
}

impl AppError {
    /// Problems a page lists; the rest are counted.
    pub const SHOWN: usize = 100;

    /// What a cancelled job fails with.
    pub fn cancelled() -> Self {
        Self::Worker("cancelled".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_wording() {
        let missing = AppError::Missing {
            url: "/ranker/results.json".into(),
            how: "run `reaseq experiment`".into(),
        };
        assert_eq!(
            missing.to_string(),
            "/ranker/results.json: not in this build (run `reaseq experiment`, then build again)"
        );
        assert_eq!(AppError::cancelled().to_string(), "cancelled");
        let core = reaseq_core::Error::Metric("no positive label".into());
        assert_eq!(
            AppError::from(core).to_string(),
            "metric: no positive label"
        );
    }

    #[test]
    fn bad_rows_list_the_first_hundred_and_count_the_rest() {
        let mut report = reaseq_core::error::Report::default();
        for line in 2..=151 {
            report.push(reaseq_core::Problem::new(
                "i.csv",
                line,
                "timestamp",
                "not a number",
            ));
        }
        let e = AppError::from(reaseq_core::Error::Invalid { report });
        let text = e.to_string();
        assert!(
            text.starts_with("150 problem(s) in the input:\ni.csv:2: timestamp: not a number\n"),
            "{text}"
        );
        assert!(
            text.contains("i.csv:101: timestamp") && !text.contains("i.csv:102:"),
            "{text}"
        );
        assert!(text.ends_with("… and 50 more problems"), "{text}");
    }

    #[test]
    fn crosses_the_worker_channel() {
        let e = AppError::Fetch {
            url: "/a.json".into(),
            reason: "offline \"now\"".into(),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&text).unwrap(), e);
    }
}
