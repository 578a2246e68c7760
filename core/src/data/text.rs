//! A bounded reader of delimited text (RFC 4180 CSV, or tab-separated RecBole atomic files).
//!
//! Hand-written rather than the `csv` crate because validation needs what that crate does not give:
//! a problem for every stray quote, the physical line of every record, and a hard cap on field and
//! record size so a pathological line costs a scan, not memory.

use std::borrow::Cow;

use crate::error::Problem;

/// Largest record we accept (all fields together).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Largest single field.
pub const MAX_FIELD_BYTES: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Comma-separated, `"` quoting with `""` escapes.
    Csv,
    /// Tab-separated, no quoting (RecBole atomic files).
    Tsv,
}

/// One record: its starting line and its fields, borrowed from the input where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub line: u64,
    pub fields: Vec<Cow<'a, str>>,
}

pub struct RecordReader<'a> {
    file: &'a str,
    data: &'a [u8],
    pos: usize,
    line: u64,
    dialect: Dialect,
    columns: Vec<String>,
}

impl<'a> RecordReader<'a> {
    pub fn new(file: &'a str, data: &'a [u8], dialect: Dialect) -> Self {
        let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        Self {
            file,
            data,
            pos: 0,
            line: 1,
            dialect,
            columns: Vec::new(),
        }
    }

    /// Column names used in problems (`user_id` rather than `field 1`).
    pub fn set_columns(&mut self, columns: Vec<String>) {
        self.columns = columns;
    }

    pub fn file(&self) -> &str {
        self.file
    }

    /// Bytes read so far, and the input's length.
    pub fn position(&self) -> (usize, usize) {
        (self.pos, self.data.len())
    }

    fn column_name(&self, i: usize) -> String {
        self.columns
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("field {}", i + 1))
    }

    fn problem(&self, line: u64, field: usize, reason: impl Into<String>) -> Problem {
        Problem::new(self.file, line, self.column_name(field), reason)
    }

    /// Recomputes the current line after the reader moved from `record_start` to `self.pos`.
    fn sync_line(&mut self, start_line: u64, record_start: usize) {
        self.line = start_line + count_newlines(&self.data[record_start..self.pos]);
    }

    /// Moves past the end of the physical line that contains `from`.
    fn skip_line(&mut self, from: usize) {
        match memchr(b'\n', &self.data[from.min(self.data.len())..]) {
            Some(k) => {
                self.pos = from + k + 1;
            }
            None => self.pos = self.data.len(),
        }
    }

    /// The next record, a problem with it (the reader then resumes at the next line), or `None`
    /// at the end. Blank lines are skipped.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Record<'a>, Problem>> {
        // Skip blank lines.
        loop {
            if self.pos >= self.data.len() {
                return None;
            }
            match self.data[self.pos] {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                }
                b'\r' if self.data.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                _ => break,
            }
        }
        let start_line = self.line;
        let record_start = self.pos;
        let mut fields: Vec<Cow<'a, str>> = Vec::new();
        loop {
            let field_index = fields.len();
            let quoted =
                self.dialect == Dialect::Csv && self.data[self.pos..].first() == Some(&b'"');
            let parsed = if quoted {
                self.quoted_field(start_line, field_index)
            } else {
                self.plain_field(start_line, field_index)
            };
            let (value, end) = match parsed {
                Ok(v) => v,
                Err(p) => {
                    // Resume after the line where the bad field starts.
                    self.skip_line(self.pos);
                    self.sync_line(start_line, record_start);
                    return Some(Err(p));
                }
            };
            if self.pos - record_start > MAX_RECORD_BYTES {
                let p = self.problem(
                    start_line,
                    field_index,
                    format!("record longer than the {MAX_RECORD_BYTES}-byte limit"),
                );
                self.skip_line(self.pos);
                self.sync_line(start_line, record_start);
                return Some(Err(p));
            }
            fields.push(value);
            match end {
                FieldEnd::Delimiter => continue,
                FieldEnd::Line | FieldEnd::Eof => {
                    self.sync_line(start_line, record_start);
                    return Some(Ok(Record {
                        line: start_line,
                        fields,
                    }));
                }
            }
        }
    }

    fn delimiter(&self) -> u8 {
        match self.dialect {
            Dialect::Csv => b',',
            Dialect::Tsv => b'\t',
        }
    }

    fn plain_field(
        &mut self,
        line: u64,
        field: usize,
    ) -> Result<(Cow<'a, str>, FieldEnd), Problem> {
        let delim = self.delimiter();
        let start = self.pos;
        let rest = &self.data[start..];
        let mut end = rest.len();
        let mut how = FieldEnd::Eof;
        for (k, &b) in rest.iter().enumerate() {
            if b == delim {
                end = k;
                how = FieldEnd::Delimiter;
                break;
            }
            if b == b'\n' {
                end = k;
                how = FieldEnd::Line;
                break;
            }
            if b == b'"' && self.dialect == Dialect::Csv {
                return Err(self.problem(line, field, "quote inside an unquoted field (quote the whole field and double inner quotes)"));
            }
        }
        let next = start + end + usize::from(how != FieldEnd::Eof);
        let mut bytes = &rest[..end];
        if how == FieldEnd::Line {
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        }
        let s = self.field_text(line, field, Cow::Borrowed(bytes))?;
        // Only a good field moves the reader, so a bad one is skipped with the rest of its line.
        self.pos = next;
        Ok((s, how))
    }

    /// Checks a field's size and UTF-8, borrowing from the input when it can.
    fn field_text(
        &self,
        line: u64,
        field: usize,
        bytes: Cow<'a, [u8]>,
    ) -> Result<Cow<'a, str>, Problem> {
        if bytes.len() > MAX_FIELD_BYTES {
            return Err(self.problem(
                line,
                field,
                format!(
                    "field of {} bytes is over the {MAX_FIELD_BYTES}-byte limit",
                    bytes.len()
                ),
            ));
        }
        let bad_utf8 =
            |at: usize| self.problem(line, field, format!("not valid UTF-8 (byte {at})"));
        match bytes {
            Cow::Borrowed(b) => std::str::from_utf8(b)
                .map(Cow::Borrowed)
                .map_err(|e| bad_utf8(e.valid_up_to())),
            Cow::Owned(b) => String::from_utf8(b)
                .map(Cow::Owned)
                .map_err(|e| bad_utf8(e.utf8_error().valid_up_to())),
        }
    }

    fn quoted_field(
        &mut self,
        line: u64,
        field: usize,
    ) -> Result<(Cow<'a, str>, FieldEnd), Problem> {
        let delim = self.delimiter();
        let start = self.pos + 1;
        let data = self.data;
        let mut k = start;
        let mut owned: Option<Vec<u8>> = None;
        let mut seg = start;
        loop {
            let Some(off) = memchr(b'"', &data[k..]) else {
                return Err(self.problem(line, field, "quoted field is never closed"));
            };
            let q = k + off;
            if data.get(q + 1) == Some(&b'"') {
                let buf = owned.get_or_insert_with(Vec::new);
                buf.extend_from_slice(&data[seg..=q]);
                k = q + 2;
                seg = k;
                if buf.len() > MAX_FIELD_BYTES {
                    return Err(self.problem(
                        line,
                        field,
                        format!("field longer than the {MAX_FIELD_BYTES}-byte limit"),
                    ));
                }
                continue;
            }
            // Closing quote.
            let bytes: Cow<'a, [u8]> = match owned.take() {
                Some(mut buf) => {
                    buf.extend_from_slice(&data[seg..q]);
                    Cow::Owned(buf)
                }
                None => Cow::Borrowed(&data[start..q]),
            };
            let after = q + 1;
            let (how, next) = match data.get(after) {
                None => (FieldEnd::Eof, after),
                Some(&b) if b == delim => (FieldEnd::Delimiter, after + 1),
                Some(b'\n') => (FieldEnd::Line, after + 1),
                Some(b'\r') if data.get(after + 1) == Some(&b'\n') => (FieldEnd::Line, after + 2),
                Some(_) => {
                    return Err(self.problem(
                        line,
                        field,
                        "unexpected character after a closing quote",
                    ));
                }
            };
            let s = self.field_text(line, field, bytes)?;
            self.pos = next;
            return Ok((s, how));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldEnd {
    Delimiter,
    Line,
    Eof,
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8], dialect: Dialect) -> Vec<Result<(u64, Vec<String>), String>> {
        let mut r = RecordReader::new("f", data, dialect);
        let mut out = Vec::new();
        while let Some(x) = r.next() {
            out.push(
                x.map(|rec| (rec.line, rec.fields.iter().map(|f| f.to_string()).collect()))
                    .map_err(|p| p.to_string()),
            );
        }
        out
    }

    #[test]
    fn quotes_escapes_crlf_bom_and_blank_lines() {
        let got = all(
            b"\xEF\xBB\xBFa,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n\nlast,\n",
            Dialect::Csv,
        );
        assert_eq!(
            got,
            vec![
                Ok((1, vec!["a".into(), "b".into()])),
                Ok((2, vec!["x, \"y\"".into(), "multi\nline".into()])),
                Ok((5, vec!["last".into(), "".into()])),
            ]
        );
    }

    #[test]
    fn a_bad_record_reports_its_line_and_reading_resumes() {
        let got = all(b"h1,h2\nu\"1,2\nok,3\n\"open,4\nafter,5", Dialect::Csv);
        assert_eq!(got.len(), 5);
        assert!(got[1]
            .as_ref()
            .unwrap_err()
            .starts_with("f:2: field 1: quote inside"));
        assert_eq!(got[2], Ok((3, vec!["ok".into(), "3".into()])));
        assert!(got[3]
            .as_ref()
            .unwrap_err()
            .starts_with("f:4: field 1: quoted field is never closed"));
        assert_eq!(got[4], Ok((5, vec!["after".into(), "5".into()])));
    }

    #[test]
    fn tsv_has_no_quoting() {
        let got = all(b"a\"b\tc\n", Dialect::Tsv);
        assert_eq!(got, vec![Ok((1, vec!["a\"b".into(), "c".into()]))]);
    }

    #[test]
    fn oversized_fields_are_rejected_without_copying() {
        let mut data = b"a,".to_vec();
        data.extend(std::iter::repeat_n(b'z', MAX_FIELD_BYTES + 1));
        data.extend(b"\nb,c\n");
        let got = all(&data, Dialect::Csv);
        assert!(got[0]
            .as_ref()
            .unwrap_err()
            .contains("over the 65536-byte limit"));
        assert_eq!(got[1], Ok((2, vec!["b".into(), "c".into()])));
    }
}
