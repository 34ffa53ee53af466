//! CSV exports (RFC 4180): a header line, then one line per row, CRLF line ends.

use poem_openapi::ApiResponse;
use poem_openapi::payload::Binary;

/// An export: the file's bytes and the name it is offered under.
#[derive(ApiResponse)]
pub enum CsvExport {
    /// The rows as CSV (RFC 4180), a header line first.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        Binary<Vec<u8>>,
        /// `attachment; filename="…"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
}

impl CsvExport {
    pub fn new(filename: &str, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Self {
        let mut out = line(header.iter().copied());
        for row in rows {
            out.push_str(&line(row.iter().map(String::as_str)));
        }
        Self::Csv(
            Binary(out.into_bytes()),
            format!("attachment; filename=\"{filename}\""),
        )
    }
}

fn line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut out = cells.map(cell).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// One field, quoted when it holds a comma, quote or line break. A field a spreadsheet would
/// run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`: names and addresses
/// are typed by patients (OWASP, CSV injection).
fn cell(raw: &str) -> String {
    let neutral = match raw.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{raw}"),
        _ => raw.to_owned(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// An optional value as a cell: empty when absent.
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
        assert_eq!(line(["a", "b"].into_iter()), "a,b\r\n");
    }
}
