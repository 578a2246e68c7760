//! The crate's error type. Every problem in an input names its file, line and column.

use std::fmt;

/// One bad spot in an input file: `file:line: column: reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based physical line where the record starts.
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl Problem {
    pub fn new(
        file: impl Into<String>,
        line: u64,
        column: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            column: column.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

/// Problems found while reading files; kept bounded so a file of bad rows cannot exhaust memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
    /// Problems seen beyond [`Report::MAX_KEPT`]; counted, not stored.
    pub more: u64,
    /// Data rows skipped in lenient mode.
    pub skipped_rows: u64,
}

impl Report {
    pub const MAX_KEPT: usize = 1000;

    pub fn push(&mut self, p: Problem) {
        if self.problems.len() < Self::MAX_KEPT {
            self.problems.push(p);
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty() && self.more == 0
    }

    pub fn count(&self) -> u64 {
        self.problems.len() as u64 + self.more
    }

    pub fn merge(&mut self, other: Report) {
        for p in other.problems {
            self.push(p);
        }
        self.more += other.more;
        self.skipped_rows += other.skipped_rows;
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        if self.more > 0 {
            writeln!(f, "… and {} more problems", self.more)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A single fatal problem (bad header, empty file …).
    #[error("{0}")]
    Format(Problem),
    /// Strict mode: every problem found in the input.
    #[error("{} problem(s) in the input:\n{report}", report.count())]
    Invalid { report: Report },
    #[error("metric: {0}")]
    Metric(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("fetch: {0}")]
    Fetch(String),
    /// Loading or running a model (candle, tokenizers).
    #[error("model: {0}")]
    Model(String),
    /// WebGPU: no adapter or device, a lost device, or a kernel's error.
    #[error("WebGPU: {0}")]
    Gpu(String),
    /// Something the caller named (an item id, a title) that the data does not have.
    #[error("{0}")]
    NotFound(String),
    /// The caller asked the step to stop ([`crate::progress::Progress::cancelled`]).
    #[error("cancelled")]
    Cancelled,
    /// An input file that cannot be opened as data at all (an image, an archive, too large).
    #[error("{file}: {reason}")]
    NotData { file: String, reason: String },
    /// A file the pipeline wrote that this build cannot read: another format version, or not
    /// the kind of file expected.
    #[error("{file}: {reason}")]
    Artifact { file: String, reason: String },
}

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub fn artifact(file: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Artifact {
            file: file.into(),
            reason: reason.into(),
        }
    }

    pub fn metric(msg: impl Into<String>) -> Self {
        Self::Metric(msg.into())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
