//! Score files for `reaseq metrics`: CSV with header `user_id,label,score` (any column order,
//! extra columns ignored).

use crate::data::text::Dialect;
use crate::data::Vocab;
use crate::error::Result;

use super::table::{col, conclude, ColumnSpec, Table};
use super::Strictness;

const COLUMNS: &[ColumnSpec] = &[
    col("user_id", &["user"], true),
    col("label", &["y", "click"], true),
    col("score", &["prediction", "pred", "p"], true),
];

/// Columns of a score file, row-aligned; users interned to dense ids.
#[derive(Debug, Clone, Default)]
pub struct ScoreTable {
    pub users: Vocab,
    pub user: Vec<u32>,
    pub label: Vec<bool>,
    pub score: Vec<f64>,
}

/// Reads a score file. Scores must be finite probabilities in [0, 1] (logloss needs them);
/// every bad row is reported with its line. Strict mode fails if any row is bad.
pub fn read_scores_csv(file: &str, data: &[u8], strictness: Strictness) -> Result<ScoreTable> {
    let mut table = Table::open(file, data, Dialect::Csv, COLUMNS)?;
    let mut out = ScoreTable::default();
    table.for_each_row(|row| {
        let user = row.id(0)?;
        let label = row
            .label(1)?
            .ok_or_else(|| row.problem(1, "missing value"))?;
        let raw = row.get(2).unwrap_or("");
        let score = match raw.parse::<f64>() {
            Ok(s) if s.is_finite() && (0.0..=1.0).contains(&s) => s,
            Ok(s) if s.is_finite() => {
                return Err(row.problem(2, format!("score {s} is outside [0, 1]")))
            }
            Ok(_) => return Err(row.problem(2, format!("score '{raw}' is not finite"))),
            Err(_) if raw.is_empty() => return Err(row.problem(2, "missing value")),
            Err(_) => {
                return Err(
                    row.problem(2, format!("not a number: '{}'", super::table::shorten(raw)))
                )
            }
        };
        out.user.push(out.users.intern(user));
        out.label.push(label);
        out.score.push(score);
        Ok(())
    });
    let report = table.finish()?;
    conclude(report, strictness)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn reads_any_column_order() {
        let t = read_scores_csv(
            "s.csv",
            b"Score,user_id,LABEL,extra\n0.5,a,0,x\n0.9,a,1.0,y\n 0.5 ,\"b\",true,z\r\n",
            Strictness::Strict,
        )
        .unwrap();
        assert_eq!(t.user, [0, 0, 1]);
        assert_eq!(t.label, [false, true, true]);
        assert_eq!(t.score, [0.5, 0.9, 0.5]);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let data = b"user_id,label,score\na,1,0.5\na,2,0.5\nb,0,nan\nb,1,1.5\nc,1,x\nc,0\n";
        let Err(Error::Invalid { report }) = read_scores_csv("s.csv", data, Strictness::Strict)
        else {
            panic!("expected a report");
        };
        let text = report.to_string();
        for needle in [
            "s.csv:3: label: label must be 0 or 1",
            "s.csv:4: score: score 'nan' is not finite",
            "s.csv:5: score: score 1.5 is outside [0, 1]",
            "s.csv:6: score: not a number: 'x'",
            "s.csv:7: record: expected 3 fields, found 2",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
        let lenient = read_scores_csv("s.csv", data, Strictness::Lenient).unwrap();
        assert_eq!(lenient.user.len(), 1);
    }
}
