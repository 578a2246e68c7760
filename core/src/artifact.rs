//! Every file the pipeline writes is one serde type with a format version. Reading checks the
//! version first, so a file from another build is a clear error naming the file and the command
//! that remakes it, never a silently wrong field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A file of the pipeline.
pub trait Artifact: Serialize + DeserializeOwned {
    /// What the file is, in errors ("experiment results").
    const KIND: &'static str;
    /// Bumped whenever a field changes meaning or shape.
    const FORMAT_VERSION: u32;
    /// The command that makes it, named when the file cannot be read.
    const MADE_BY: &'static str;
}

#[derive(Deserialize)]
struct Probe {
    format_version: Option<u32>,
}

/// Reads an artifact, refusing another format version.
pub fn from_json<T: Artifact>(file: &str, bytes: &[u8]) -> Result<T> {
    let bad = |reason: String| Error::artifact(file, reason);
    let probe: Probe = match serde_json::from_slice(bytes) {
        Ok(p) => p,
        // JSON of another shape (an older build's bare array): a file without a version.
        Err(e) if e.classify() == serde_json::error::Category::Data => Probe {
            format_version: None,
        },
        Err(e) => return Err(bad(format!("not a {} file ({e})", T::KIND))),
    };
    match probe.format_version {
        Some(v) if v == T::FORMAT_VERSION => {}
        found => {
            let found = found.map_or("no format version".to_owned(), |v| format!("format {v}"));
            return Err(bad(format!(
                "{} of {found}, this build reads format {}: remake it with `{}`",
                T::KIND,
                T::FORMAT_VERSION,
                T::MADE_BY
            )));
        }
    }
    serde_json::from_slice(bytes).map_err(|e| bad(format!("not a valid {} file: {e}", T::KIND)))
}

/// Pretty JSON of an artifact.
pub fn to_json<T: Artifact>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::artifact(T::KIND, e.to_string()))
}

/// Compact JSON of an artifact, for files of many numbers (codebooks, sequences, scores).
pub fn to_compact_json<T: Artifact>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::artifact(T::KIND, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        format_version: u32,
        x: f64,
    }

    impl Artifact for Thing {
        const KIND: &'static str = "thing";
        const FORMAT_VERSION: u32 = 2;
        const MADE_BY: &'static str = "reaseq thing";
    }

    #[test]
    fn a_file_of_another_version_or_none_is_refused_with_its_name_and_command() {
        let t = Thing {
            format_version: 2,
            x: 0.5,
        };
        let bytes = to_json(&t).unwrap();
        assert_eq!(from_json::<Thing>("t.json", &bytes).unwrap(), t);
        let old = from_json::<Thing>("t.json", br#"{"format_version": 1, "x": 0.5}"#)
            .unwrap_err()
            .to_string();
        assert!(old.starts_with("t.json: thing of format 1"), "{old}");
        assert!(old.contains("`reaseq thing`"), "{old}");
        let none = from_json::<Thing>("t.json", br#"{"x": 0.5}"#)
            .unwrap_err()
            .to_string();
        assert!(none.contains("no format version"), "{none}");
        let array = from_json::<Thing>("t.json", b"[{}, 2]")
            .unwrap_err()
            .to_string();
        assert!(array.contains("no format version"), "{array}");
        let junk = from_json::<Thing>("t.json", b"PNG")
            .unwrap_err()
            .to_string();
        assert!(junk.starts_with("t.json: not a thing file"), "{junk}");
    }
}
