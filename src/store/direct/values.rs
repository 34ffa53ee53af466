//! Values between sea-query and SQLite, stored exactly as sqlx stores them (so rows written by
//! either path read the same through both, and text comparisons in SQL keep working): UUIDs as
//! 16-byte blobs, times as RFC 3339 text with `+00:00`, dates as `YYYY-MM-DD`, booleans as 0/1.
//!
//! Rows are read into the same row types as on the sqlx path, by name, through [`FromRow`].
//! The names are read once per statement ([`Row`]): rusqlite's own lookup by name asks SQLite
//! for every column's name on every read, which cost about 4% of a token check's CPU.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::{FromSql, Value as Sql, ValueRef};
use sea_orm::{DbErr, Value};
use uuid::Uuid;

fn unsupported(what: &str) -> DbErr {
    DbErr::Custom(format!("direct SQLite: {what}"))
}

/// One bound parameter, encoded as sqlx-sqlite encodes it.
pub fn to_sql(value: &Value) -> Result<Sql, DbErr> {
    let int = |i: Option<i64>| i.map_or(Sql::Null, Sql::Integer);
    Ok(match value {
        Value::Bool(b) => int(b.map(i64::from)),
        Value::TinyInt(i) => int(i.map(i64::from)),
        Value::SmallInt(i) => int(i.map(i64::from)),
        Value::Int(i) => int(i.map(i64::from)),
        Value::BigInt(i) => int(*i),
        Value::TinyUnsigned(i) => int(i.map(i64::from)),
        Value::SmallUnsigned(i) => int(i.map(i64::from)),
        Value::Unsigned(i) => int(i.map(i64::from)),
        Value::BigUnsigned(i) => match i {
            Some(i) => Sql::Integer(i64::try_from(*i).map_err(|_| unsupported("u64 too large"))?),
            None => Sql::Null,
        },
        Value::Float(f) => f.map_or(Sql::Null, |f| Sql::Real(f.into())),
        Value::Double(f) => f.map_or(Sql::Null, Sql::Real),
        Value::String(s) => s.clone().map_or(Sql::Null, Sql::Text),
        Value::Char(c) => c.map_or(Sql::Null, |c| Sql::Text(c.to_string())),
        Value::Enum(sea_orm::sea_query::OptionEnum::Some(e)) => Sql::Text(e.value.to_string()),
        Value::Enum(sea_orm::sea_query::OptionEnum::None(_)) => Sql::Null,
        Value::Bytes(b) => b.clone().map_or(Sql::Null, Sql::Blob),
        Value::Json(j) => j.as_ref().map_or(Sql::Null, |j| Sql::Text(j.to_string())),
        Value::ChronoDate(d) => d.map_or(Sql::Null, |d| Sql::Text(d.format("%F").to_string())),
        Value::ChronoDateTime(t) => {
            t.map_or(Sql::Null, |t| Sql::Text(t.format("%F %T%.f").to_string()))
        }
        Value::ChronoDateTimeUtc(t) => t.map_or(Sql::Null, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::Uuid(u) => u.map_or(Sql::Null, |u| Sql::Blob(u.as_bytes().to_vec())),
        other => return Err(unsupported(&format!("no encoding for {other:?}"))),
    })
}

/// Reads a stored time as sqlx-sqlite does: RFC 3339 first, then SQLite's own formats (a
/// naive time is UTC), then seconds since the epoch.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%F %T%.f%:z", "%F %R%:z", "%FT%T%.f%:z", "%FT%R%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%F %T%.f",
        "%F %R",
        "%FT%T%.f",
        "%FT%R",
        "%F %T%.fZ",
        "%FT%T%.fZ",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    None
}

fn bad(column: &str, what: &str) -> DbErr {
    DbErr::Type(format!(
        "direct SQLite: column {column} does not hold {what}"
    ))
}

/// A result row with its statement's column names.
pub struct Row<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
}

impl<'a, 'r> Row<'a, 'r> {
    pub fn new(row: &'a rusqlite::Row<'r>, names: &'a [String]) -> Self {
        Self { row, names }
    }

    /// The column's index; names compare as rusqlite compares them (ASCII case ignored).
    fn index(&self, column: &str) -> Result<usize, DbErr> {
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(column))
            .ok_or_else(|| bad(column, "anything: there is no such column"))
    }
}

/// The column names of `stmt`, in order.
pub fn names(stmt: &rusqlite::Statement<'_>) -> Vec<String> {
    stmt.column_names().into_iter().map(str::to_owned).collect()
}

fn raw<'a>(row: &'a Row<'_, '_>, column: &str) -> Result<ValueRef<'a>, DbErr> {
    row.row.get_ref(row.index(column)?).map_err(super::db_err)
}

/// A row type read by column name, as its `FromQueryResult` reads it on the sqlx path.
pub trait FromRow: Sized {
    fn from_row(row: &Row<'_, '_>) -> Result<Self, DbErr>;
}

/// Any column rusqlite reads as sqlx does: text, integers, booleans (0/1).
pub fn get<T: FromSql>(row: &Row<'_, '_>, column: &str) -> Result<T, DbErr> {
    row.row.get(row.index(column)?).map_err(super::db_err)
}

pub fn opt_uuid(row: &Row<'_, '_>, column: &str) -> Result<Option<Uuid>, DbErr> {
    match raw(row, column)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) => Uuid::from_slice(b)
            .map(Some)
            .map_err(|_| bad(column, "a UUID")),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|t| Uuid::parse_str(t).ok())
            .map(Some)
            .ok_or_else(|| bad(column, "a UUID")),
        _ => Err(bad(column, "a UUID")),
    }
}

pub fn uuid(row: &Row<'_, '_>, column: &str) -> Result<Uuid, DbErr> {
    opt_uuid(row, column)?.ok_or_else(|| bad(column, "a UUID (NULL)"))
}

pub fn opt_time(row: &Row<'_, '_>, column: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    match raw(row, column)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(secs) => Utc
            .timestamp_opt(secs, 0)
            .single()
            .map(Some)
            .ok_or_else(|| bad(column, "a time")),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(parse_time)
            .map(Some)
            .ok_or_else(|| bad(column, "a time")),
        _ => Err(bad(column, "a time")),
    }
}

pub fn time(row: &Row<'_, '_>, column: &str) -> Result<DateTime<Utc>, DbErr> {
    opt_time(row, column)?.ok_or_else(|| bad(column, "a time (NULL)"))
}

pub fn opt_date(row: &Row<'_, '_>, column: &str) -> Result<Option<NaiveDate>, DbErr> {
    match raw(row, column)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|t| NaiveDate::parse_from_str(t, "%F").ok())
            .map(Some)
            .ok_or_else(|| bad(column, "a date")),
        _ => Err(bad(column, "a date")),
    }
}

/// A column holding one of a closed set of words (a status, a relation), read into its typed
/// enum by the same conversion sea-orm uses.
pub fn opt_word<T: sea_orm::sea_query::ValueType>(
    row: &Row<'_, '_>,
    column: &str,
) -> Result<Option<T>, DbErr> {
    match get::<Option<String>>(row, column)? {
        None => Ok(None),
        Some(word) => T::try_from(Value::String(Some(word)))
            .map(Some)
            .map_err(|_| bad(column, "a known word")),
    }
}

/// The rows of `stmt` run with `params`.
pub fn rows<T: FromRow>(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[Sql],
) -> Result<Vec<T>, DbErr> {
    let names = names(stmt);
    let mut out = Vec::new();
    let mut found = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(super::db_err)?;
    while let Some(row) = found.next().map_err(super::db_err)? {
        out.push(T::from_row(&Row::new(row, &names))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one<T>(sql: &str, read: impl FnOnce(&Row<'_, '_>) -> T) -> T {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let names = names(&stmt);
        stmt.query_row([], |row| Ok(read(&Row::new(row, &names))))
            .unwrap()
    }

    #[test]
    fn times_are_written_as_sqlx_writes_them_and_read_back() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 5).unwrap()
            + chrono::TimeDelta::microseconds(123_456);
        let Sql::Text(s) = to_sql(&Value::from(t)).unwrap() else {
            panic!("a time is text")
        };
        assert_eq!(s, "2026-12-07T17:00:05.123456+00:00");
        assert_eq!(parse_time(&s), Some(t));
        let plain = one("SELECT '2026-12-07 17:00:05' AS t", |r| {
            time(r, "t").unwrap()
        });
        assert_eq!(plain, Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 5).unwrap());
    }

    #[test]
    fn uuids_are_blobs_and_read_from_blob_or_text() {
        let id = Uuid::now_v7();
        assert_eq!(
            to_sql(&Value::from(id)).unwrap(),
            Sql::Blob(id.as_bytes().to_vec())
        );
        let hex: String = id.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let from_blob = one(&format!("SELECT x'{hex}' AS id"), |r| {
            uuid(r, "id").unwrap()
        });
        let from_text = one(&format!("SELECT '{id}' AS id"), |r| uuid(r, "id").unwrap());
        assert_eq!(from_blob, id);
        assert_eq!(from_text, id);
    }

    #[test]
    fn null_reads_as_none_and_a_wrong_value_is_an_error_not_a_guess() {
        assert_eq!(one("SELECT NULL AS t", |r| opt_time(r, "t").unwrap()), None);
        assert!(one("SELECT 'yesterday' AS t", |r| opt_time(r, "t").is_err()));
        assert!(one("SELECT '07/12/2026' AS d", |r| opt_date(r, "d").is_err()));
        assert!(one("SELECT NULL AS id", |r| uuid(r, "id").is_err()));
    }
}
