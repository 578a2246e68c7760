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

/// Whether a score file's header names a `score` column (or an alias): the one-model format of
/// [`read_scores_csv`]; otherwise every other column is a model ([`read_model_scores`]).
pub fn one_model_file(data: &[u8]) -> bool {
    let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let score = &COLUMNS[2];
    String::from_utf8_lossy(header).split(',').any(|c| {
        let c = c.trim().trim_matches('"').to_ascii_lowercase();
        c == score.name || score.aliases.contains(&c.as_str())
    })
}

const MODEL_COLUMNS: &[ColumnSpec] = &[
    col("user_id", &["user"], true),
    col("label", &["y", "click"], true),
    col("item_id", &["item"], false),
];

/// A score file of one or more models: `user_id,label[,item_id]` and a score column per model
/// (every other column, named by its header). Scores may be logits: AUC and GAUC only need an
/// order; logloss is computed for the models whose scores are all in [0, 1].
#[derive(Debug, Clone, Default)]
pub struct ModelScores {
    pub users: Vocab,
    pub user: Vec<u32>,
    pub label: Vec<bool>,
    /// The item of each row, when the file has `item_id`.
    pub item: Option<Vec<String>>,
    /// The line each row starts on (for errors about a row after reading).
    pub line: Vec<u64>,
    /// Per model: its column's name and scores.
    pub models: Vec<(String, Vec<f64>)>,
}

impl ModelScores {
    /// Names the models by their file, for one file per model: `stem` for a file of one
    /// model, `stem:column` for a file of several.
    pub fn named_by_file(mut self, file: &str) -> Self {
        let stem = file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(file)
            .trim_end_matches(".csv");
        let one = self.models.len() == 1;
        for (name, _) in &mut self.models {
            *name = if one {
                stem.to_owned()
            } else {
                format!("{stem}:{name}")
            };
        }
        self
    }

    /// Adds the models of `other`, a file of the same rows (the same users and labels in the
    /// same order); a name already here is refused, so no two models share one.
    pub fn merge(&mut self, file: &str, other: ModelScores) -> Result<()> {
        let same = self.label == other.label
            && self.user.len() == other.user.len()
            && self
                .user
                .iter()
                .zip(&other.user)
                .all(|(&a, &b)| self.users.name(a) == other.users.name(b));
        if !same {
            return Err(crate::error::Error::Config(format!(
                "{file}: not the same rows as the first score file (users and labels must match row by row)"
            )));
        }
        for (name, scores) in other.models {
            if self.models.iter().any(|(n, _)| *n == name) {
                return Err(crate::error::Error::Config(format!(
                    "{file}: a second model named '{name}': give the files different names"
                )));
            }
            self.models.push((name, scores));
        }
        Ok(())
    }
}

/// Reads a score file of one or more models; every bad row is reported with its line and
/// column. Strict mode fails if any row is bad.
pub fn read_model_scores(file: &str, data: &[u8], strictness: Strictness) -> Result<ModelScores> {
    let mut table = Table::open(file, data, Dialect::Csv, MODEL_COLUMNS)?;
    let named: Vec<usize> = table.index.iter().flatten().copied().collect();
    let score_at: Vec<usize> = (0..table.columns().len())
        .filter(|i| !named.contains(i))
        .collect();
    if score_at.is_empty() {
        return Err(crate::error::Error::Format(crate::error::Problem::new(
            file,
            1,
            "header",
            "no score column: add one column of scores per model after user_id,label[,item_id]",
        )));
    }
    let mut out = ModelScores {
        models: score_at
            .iter()
            .map(|&i| (table.columns()[i].clone(), Vec::new()))
            .collect(),
        item: table.index[2].map(|_| Vec::new()),
        ..ModelScores::default()
    };
    table.for_each_row(|row| {
        let user = row.id(0)?;
        let label = row
            .label(1)?
            .ok_or_else(|| row.problem(1, "missing value"))?;
        let mut scores = Vec::with_capacity(score_at.len());
        for &i in &score_at {
            let raw = row.field(i).unwrap_or("");
            match raw.parse::<f64>() {
                Ok(s) if s.is_finite() => scores.push(s),
                Ok(_) => return Err(row.problem_at(i, format!("score '{raw}' is not finite"))),
                Err(_) if raw.is_empty() => return Err(row.problem_at(i, "missing value")),
                Err(_) => {
                    let shown = super::table::shorten(raw);
                    return Err(row.problem_at(i, format!("not a number: '{shown}'")));
                }
            }
        }
        if let Some(items) = out.item.as_mut() {
            items.push(row.id(2)?.to_owned());
        }
        out.user.push(out.users.intern(user));
        out.label.push(label);
        out.line.push(row.line());
        for ((_, col), s) in out.models.iter_mut().zip(scores) {
            col.push(s);
        }
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
    fn every_other_column_is_a_model_and_logits_are_scores() {
        let data =
            b"user_id,item_id,label,ours,theirs\na,x,1,2.5,0.9\na,y,0,-1,0.2\nb,x,1,0.3,0.4\n";
        let t = read_model_scores("m.csv", data, Strictness::Strict).unwrap();
        let names: Vec<&str> = t.models.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ours", "theirs"]);
        assert_eq!(t.models[0].1, [2.5, -1.0, 0.3]);
        assert_eq!(
            t.item.as_deref(),
            Some(&["x".to_string(), "y".into(), "x".into()][..])
        );
        let bad = b"user_id,label,ours\na,1,inf\na,0,x\n";
        let Err(Error::Invalid { report }) = read_model_scores("m.csv", bad, Strictness::Strict)
        else {
            panic!("expected a report");
        };
        let text = report.to_string();
        assert!(
            text.contains("m.csv:2: ours: score 'inf' is not finite"),
            "{text}"
        );
        assert!(text.contains("m.csv:3: ours: not a number: 'x'"), "{text}");
        let first = read_model_scores(
            "a.csv",
            b"user_id,label,score\na,1,0.4\nb,0,0.1\n",
            Strictness::Strict,
        )
        .unwrap();
        let second = read_model_scores(
            "b.csv",
            b"user_id,label,score\na,1,0.7\nb,0,0.3\n",
            Strictness::Strict,
        )
        .unwrap();
        let mut first = first.named_by_file("runs/a.csv");
        first
            .merge("runs/b.csv", second.named_by_file("runs/b.csv"))
            .unwrap();
        assert_eq!(first.models[0].0, "a");
        assert_eq!(first.models[1], ("b".to_string(), vec![0.7, 0.3]));
        let other = read_model_scores(
            "c.csv",
            b"user_id,label,score\nb,1,0.7\na,0,0.3\n",
            Strictness::Strict,
        )
        .unwrap();
        assert!(first.merge("c.csv", other).is_err());
        let again = read_model_scores(
            "b.csv",
            b"user_id,label,score\na,1,0.7\nb,0,0.3\n",
            Strictness::Strict,
        )
        .unwrap();
        let e = first
            .merge("b.csv", again.named_by_file("b.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("a second model named 'b'"), "{e}");
        assert!(one_model_file(b"user_id,label,Score,timestamp\n"));
        assert!(!one_model_file(b"user_id,label,ours,theirs\n"));
        let none = read_model_scores("m.csv", b"user_id,label\na,1\n", Strictness::Strict);
        assert!(none.unwrap_err().to_string().contains("no score column"));
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
