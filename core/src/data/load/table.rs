//! A header-mapped view of delimited records with typed field parsing.

use std::borrow::Cow;

use crate::data::text::{Dialect, Record, RecordReader};
use crate::error::{Error, Problem, Report, Result};

use super::{LoadOptions, Strictness};

/// A column a file kind knows: its canonical name, other accepted spellings, and whether it must
/// be there.
pub struct ColumnSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

pub const fn col(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required,
    }
}

pub struct Table<'a> {
    pub reader: RecordReader<'a>,
    /// Per spec, the position of that column in the file.
    pub index: Vec<Option<usize>>,
    pub width: usize,
    pub report: Report,
    columns: Vec<String>,
    header_line: u64,
    rows: u64,
}

/// A data row with its spec-ordered fields.
pub struct Row<'r, 'a> {
    record: &'r Record<'a>,
    index: &'r [Option<usize>],
    file: &'r str,
    columns: &'r [String],
}

impl<'r, 'a> Row<'r, 'a> {
    pub fn line(&self) -> u64 {
        self.record.line
    }

    /// The raw field of spec column `k`, trimmed; `None` if the file lacks that column.
    pub fn get(&self, k: usize) -> Option<&'r str> {
        self.index[k].map(|i| self.record.fields[i].as_ref().trim())
    }

    fn column_name(&self, k: usize) -> String {
        self.index[k]
            .and_then(|i| self.columns.get(i).cloned())
            .unwrap_or_else(|| format!("column {k}"))
    }

    pub fn problem(&self, k: usize, reason: impl Into<String>) -> Problem {
        Problem::new(self.file, self.line(), self.column_name(k), reason)
    }

    /// The raw field at file position `i`, trimmed (for columns no spec names).
    pub fn field(&self, i: usize) -> Option<&'r str> {
        self.record.fields.get(i).map(|f| f.as_ref().trim())
    }

    /// A problem in the column at file position `i`.
    pub fn problem_at(&self, i: usize, reason: impl Into<String>) -> Problem {
        let column = self
            .columns
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {i}"));
        Problem::new(self.file, self.line(), column, reason)
    }

    /// A required, non-empty field.
    pub fn id(&self, k: usize) -> std::result::Result<&'r str, Problem> {
        match self.get(k) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(self.problem(k, "missing value")),
        }
    }

    pub fn f64(&self, k: usize) -> std::result::Result<Option<f64>, Problem> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                Ok(_) => Err(self.problem(k, format!("not a finite number: '{}'", shorten(s)))),
                Err(_) => Err(self.problem(k, format!("not a number: '{}'", shorten(s)))),
            },
        }
    }

    /// A timestamp: an integer, or a finite decimal number (floored).
    pub fn timestamp(&self, k: usize) -> std::result::Result<Option<i64>, Problem> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some(s) => {
                if let Ok(t) = s.parse::<i64>() {
                    return Ok(Some(t));
                }
                match s.parse::<f64>() {
                    Ok(x) if x.is_finite() && x.abs() < 9.0e18 => Ok(Some(x.floor() as i64)),
                    _ => Err(self.problem(
                        k,
                        format!(
                            "not a timestamp (integer or decimal seconds): '{}'",
                            shorten(s)
                        ),
                    )),
                }
            }
        }
    }

    /// A 0/1 label (`0`, `1`, `0.0`, `1.0`, `true`, `false`).
    pub fn label(&self, k: usize) -> std::result::Result<Option<bool>, Problem> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some(s) => parse_label(s).map(Some).ok_or_else(|| {
                self.problem(k, format!("label must be 0 or 1, found '{}'", shorten(s)))
            }),
        }
    }

    pub fn year(&self, k: usize) -> std::result::Result<Option<i32>, Problem> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some(s) => match s.parse::<i32>() {
                Ok(y) if (0..=9999).contains(&y) => Ok(Some(y)),
                _ => Err(self.problem(k, format!("not a year: '{}'", shorten(s)))),
            },
        }
    }
}

pub fn parse_label(s: &str) -> Option<bool> {
    match s {
        "1" | "1.0" | "true" | "True" | "TRUE" => Some(true),
        "0" | "0.0" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Quotes at most 40 characters of a bad value so a megabyte field does not flood the report.
pub fn shorten(s: &str) -> Cow<'_, str> {
    if s.chars().count() <= 40 {
        Cow::Borrowed(s)
    } else {
        let head: String = s.chars().take(40).collect();
        Cow::Owned(format!("{head}…"))
    }
}

impl<'a> Table<'a> {
    /// The file's column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Reads the header and maps it onto `specs`. Fatal problems (empty file, header only,
    /// missing or duplicate columns) are errors in every mode.
    pub fn open(
        file: &'a str,
        data: &'a [u8],
        dialect: Dialect,
        specs: &[ColumnSpec],
    ) -> Result<Self> {
        let mut reader = RecordReader::new(file, data, dialect);
        let header = match reader.next() {
            None => {
                return Err(Error::Format(Problem::new(
                    file,
                    1,
                    "header",
                    "file is empty",
                )))
            }
            Some(Err(p)) => return Err(Error::Format(p)),
            Some(Ok(h)) => h,
        };
        let header_line = header.line;
        let names: Vec<String> = header
            .fields
            .iter()
            .map(|f| {
                let f = f.trim();
                // RecBole headers carry a type: `user_id:token`.
                match dialect {
                    Dialect::Tsv => f.split_once(':').map_or(f, |(n, _)| n).to_owned(),
                    Dialect::Csv => f.to_owned(),
                }
            })
            .collect();
        let expected = describe(specs);
        if dialect == Dialect::Tsv {
            for (f, n) in header.fields.iter().zip(&names) {
                let ty = f.trim().split_once(':').map(|(_, t)| t);
                if !matches!(ty, Some("token" | "token_seq" | "float" | "float_seq")) {
                    return Err(Error::Format(Problem::new(
                        file,
                        header_line,
                        "header",
                        format!("column '{n}' needs a RecBole type (name:token, name:token_seq, name:float or name:float_seq)"),
                    )));
                }
            }
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(Error::Format(Problem::new(
                    file,
                    header_line,
                    "header",
                    format!("column '{n}' appears twice"),
                )));
            }
        }
        let mut index = Vec::with_capacity(specs.len());
        for spec in specs {
            let pos = names.iter().position(|n| {
                // Header names match case-insensitively: `User_ID` is `user_id`.
                let n = n.to_ascii_lowercase();
                n == spec.name || spec.aliases.contains(&n.as_str())
            });
            if pos.is_none() && spec.required {
                return Err(Error::Format(Problem::new(
                    file,
                    header_line,
                    "header",
                    format!(
                        "missing column '{}': expected {expected}, found {}",
                        spec.name,
                        shorten(&names.join(","))
                    ),
                )));
            }
            index.push(pos);
        }
        let width = names.len();
        reader.set_columns(names.clone());
        Ok(Self {
            reader,
            index,
            width,
            report: Report::default(),
            columns: names,
            header_line,
            rows: 0,
        })
    }

    /// Calls `f` on every well-formed row; problems from the reader, from a wrong field count or
    /// returned by `f` go to the report (and the row is skipped).
    pub fn for_each_row(
        &mut self,
        f: impl FnMut(&Row<'_, 'a>) -> std::result::Result<(), Problem>,
    ) {
        self.for_each_row_metered(&Meter::none(), f);
    }

    /// [`Table::for_each_row`], telling `meter` how far it has read.
    pub fn for_each_row_metered(
        &mut self,
        meter: &Meter<'_>,
        mut f: impl FnMut(&Row<'_, 'a>) -> std::result::Result<(), Problem>,
    ) {
        let Self {
            reader,
            index,
            width,
            report,
            columns,
            rows,
            ..
        } = self;
        let file = reader.file().to_owned();
        while let Some(next) = reader.next() {
            *rows += 1;
            if *rows % Meter::EVERY == 0 {
                meter.at(reader.position().0);
            }
            let record = match next {
                Ok(r) => r,
                Err(p) => {
                    report.push(p);
                    report.skipped_rows += 1;
                    continue;
                }
            };
            if record.fields.len() != *width {
                report.push(Problem::new(
                    &file,
                    record.line,
                    "record",
                    format!("expected {} fields, found {}", width, record.fields.len()),
                ));
                report.skipped_rows += 1;
                continue;
            }
            let row = Row {
                record: &record,
                index,
                file: &file,
                columns,
            };
            if let Err(p) = f(&row) {
                report.push(p);
                report.skipped_rows += 1;
            }
        }
        meter.file_read(reader.position().1);
    }

    /// Ends reading; a header-only file is fatal. Strictness is applied by the caller once every
    /// file of the dataset has been read, so the report is complete.
    pub fn finish(self) -> Result<Report> {
        if self.rows == 0 {
            return Err(Error::Format(Problem::new(
                self.reader.file(),
                self.header_line,
                "header",
                "header only: the file has no data rows",
            )));
        }
        Ok(self.report)
    }
}

/// How far a load has read over all its files, told to [`LoadOptions::progress`].
pub struct Meter<'p> {
    listener: Option<&'p dyn Fn(f64)>,
    total: f64,
    /// Bytes of the files read to their end.
    before: std::cell::Cell<usize>,
}

impl<'p> Meter<'p> {
    /// Rows between two reports: a few hundred reports for millions of rows.
    const EVERY: u64 = 16_384;

    /// A meter over `files` (their bytes, in the order they are read).
    pub fn new(opts: &LoadOptions<'p>, files: &[&[u8]]) -> Self {
        Self {
            listener: opts.progress,
            total: files.iter().map(|f| f.len()).sum::<usize>().max(1) as f64,
            before: std::cell::Cell::new(0),
        }
    }

    pub fn none() -> Self {
        Self::new(&LoadOptions::default(), &[])
    }

    fn at(&self, position: usize) {
        if let Some(l) = self.listener {
            l(((self.before.get() + position) as f64 / self.total).min(1.0));
        }
    }

    /// A file of `len` bytes was read to its end.
    fn file_read(&self, len: usize) {
        self.before.set(self.before.get() + len);
        self.at(0);
    }
}

/// Applies strictness to the combined report of all files.
pub fn conclude(report: Report, strictness: Strictness) -> Result<Report> {
    if strictness == Strictness::Strict && !report.is_empty() {
        return Err(Error::Invalid { report });
    }
    Ok(report)
}
fn describe(specs: &[ColumnSpec]) -> String {
    let mut s = String::new();
    for (i, c) in specs.iter().enumerate() {
        let name = if c.aliases.is_empty() {
            c.name.to_owned()
        } else {
            format!("{}|{}", c.name, c.aliases.join("|"))
        };
        if i > 0 {
            s.push(',');
        }
        if c.required {
            s.push_str(&name);
        } else {
            s.push_str(&format!("[{name}]"));
        }
    }
    s
}
