//! A log entry as stored in D1, written to archive chunks and answered to clients.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time;

/// Severity, ordered from least to most severe; stored as its rank 1..=6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// Parses a level name, ignoring ASCII case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(name))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Fatal => "fatal",
        }
    }

    /// The value of the `level` column.
    pub fn rank(self) -> i64 {
        match self {
            Self::Trace => 1,
            Self::Debug => 2,
            Self::Info => 3,
            Self::Warn => 4,
            Self::Error => 5,
            Self::Fatal => 6,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.rank() == rank)
    }
}

/// A stored entry, wherever it lives now. In archive chunks it is one JSON line with `ts`
/// in Unix milliseconds; `archived` says where it was read from and is never written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub ts: i64,
    pub service: String,
    pub level: Level,
    pub message: String,
    pub fields: Option<Value>,
    pub request_id: Option<String>,
    #[serde(skip)]
    pub archived: bool,
}

/// A `log_entries` row as D1 returns it.
#[derive(Debug, Deserialize)]
pub struct Row {
    pub id: i64,
    pub ts: i64,
    pub service: String,
    pub level: i64,
    pub message: String,
    pub fields: Option<String>,
    pub request_id: Option<String>,
}

/// The columns of [`Row`], in the order of its fields.
pub const ROW_COLUMNS: &str = "id, ts, service, level, message, fields, request_id";

impl Row {
    /// The entry this row holds; `None` when the row breaks the schema's rules.
    pub fn into_entry(self) -> Option<Entry> {
        let fields = match self.fields {
            Some(text) => Some(serde_json::from_str(&text).ok()?),
            None => None,
        };
        Some(Entry {
            id: self.id,
            ts: self.ts,
            service: self.service,
            level: Level::from_rank(self.level)?,
            message: self.message,
            fields,
            request_id: self.request_id,
            archived: false,
        })
    }
}

/// An entry as the JSON API and the NDJSON export answer it.
#[derive(Debug, Serialize)]
pub struct ApiEntry<'a> {
    pub id: i64,
    pub ts: String,
    pub service: &'a str,
    pub level: Level,
    pub message: &'a str,
    pub fields: &'a Option<Value>,
    pub request_id: &'a Option<String>,
}

impl<'a> From<&'a Entry> for ApiEntry<'a> {
    fn from(entry: &'a Entry) -> Self {
        Self {
            id: entry.id,
            ts: time::format_rfc3339(entry.ts),
            service: &entry.service,
            level: entry.level,
            message: &entry.message,
            fields: &entry.fields,
            request_id: &entry.request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_any_case_and_order_by_severity() {
        assert_eq!(Level::parse("warn"), Some(Level::Warn));
        assert_eq!(Level::parse("FATAL"), Some(Level::Fatal));
        assert_eq!(Level::parse("Info"), Some(Level::Info));
        for bad in ["", "warning", "err", "information", "5", " info"] {
            assert_eq!(Level::parse(bad), None, "{bad}");
        }
        assert!(Level::Trace < Level::Debug && Level::Error < Level::Fatal);
    }

    #[test]
    fn ranks_match_the_schema_check_and_round_trip() {
        let ranks: Vec<i64> = Level::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6]);
        for level in Level::ALL {
            assert_eq!(Level::from_rank(level.rank()), Some(level));
        }
        assert_eq!(Level::from_rank(0), None);
        assert_eq!(Level::from_rank(7), None);
    }

    #[test]
    fn a_row_becomes_an_entry_and_a_broken_row_does_not() {
        let row = |level, fields: Option<&str>| Row {
            id: 7,
            ts: 1_000,
            service: "api".into(),
            level,
            message: "hi".into(),
            fields: fields.map(String::from),
            request_id: None,
        };
        let entry = row(4, Some(r#"{"a":1}"#)).into_entry().unwrap();
        assert_eq!(entry.level, Level::Warn);
        assert_eq!(entry.fields, Some(serde_json::json!({"a": 1})));
        assert!(row(9, None).into_entry().is_none());
        assert!(row(3, Some("{nope")).into_entry().is_none());
    }

    #[test]
    fn archive_lines_round_trip_without_the_source_flag() {
        let entry = Entry {
            id: 1,
            ts: 5,
            service: "api".into(),
            level: Level::Error,
            message: "boom".into(),
            fields: None,
            request_id: Some("r1".into()),
            archived: true,
        };
        let line = serde_json::to_string(&entry).unwrap();
        assert!(!line.contains("archived"), "{line}");
        assert!(line.contains(r#""level":"error""#), "{line}");
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert_eq!(
            back,
            Entry {
                archived: false,
                ..entry
            }
        );
    }
}
