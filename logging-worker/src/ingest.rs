//! `POST /logs`: a service's batch of entries, checked whole and stored whole or not at all.

use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::{json, Map, Value};
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Request, Response};

use crate::auth::Caller;
use crate::entry::Level;
use crate::error::AppError;
use crate::log;
use crate::time::{self, MINUTE_MS};

/// Largest body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most entries in one batch. More is answered 413, like an oversized body: the request is
/// well-formed but too large, and the client's remedy is the same (split it).
pub const MAX_ENTRIES: usize = 1000;
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Limit of `fields` serialized as compact JSON.
pub const MAX_FIELDS_BYTES: usize = 16 * 1024;
pub const MAX_REQUEST_ID_CHARS: usize = 128;
/// How far ahead of our clock an entry's `ts` may be (clock skew of the sender).
pub const MAX_FUTURE_MS: i64 = 5 * MINUTE_MS;

/// D1's limit of bound parameters per statement.
const D1_MAX_PARAMS: usize = 100;
/// Bound columns of one row: ts, service, level, message, fields, request_id, received_at.
const COLUMNS: usize = 7;
/// Rows per multi-row INSERT: 14 rows use 98 of the 100 parameters.
pub const ROWS_PER_STATEMENT: usize = D1_MAX_PARAMS / COLUMNS;

const FIELDS: [&str; 5] = ["level", "message", "ts", "fields", "request_id"];

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`: one JSON array of entries.
    Json,
    /// `application/x-ndjson`: one entry per line; blank lines are skipped.
    Ndjson,
}

impl BodyFormat {
    pub fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        let media_type = content_type?.split(';').next()?.trim().to_ascii_lowercase();
        match media_type.as_str() {
            "application/json" => Some(Self::Json),
            "application/x-ndjson" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

/// A valid entry, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub ts: i64,
    pub level: Level,
    pub message: String,
    /// Compact JSON of the `fields` object.
    pub fields: Option<String>,
    pub request_id: Option<String>,
}

/// What is wrong with one entry of a batch. `index` counts from 0: the array position, or
/// for NDJSON the position among the non-blank lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryProblem {
    pub index: usize,
    pub reason: String,
}

/// Why a batch was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    Malformed(String),
    NotAnArray,
    Empty,
    TooMany(usize),
    Invalid {
        total: usize,
        details: Vec<EntryProblem>,
    },
}

impl From<BatchError> for AppError {
    fn from(err: BatchError) -> Self {
        match err {
            BatchError::Malformed(why) => AppError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {why}"),
            ),
            BatchError::NotAnArray => {
                AppError::bad_request("malformed_json", "the body must be a JSON array of entries")
            }
            BatchError::Empty => AppError::bad_request("empty_batch", "the batch has no entries"),
            BatchError::TooMany(count) => AppError::TooLarge {
                code: "too_many_entries",
                description: format!("{count} entries sent; at most {MAX_ENTRIES} per batch"),
            },
            BatchError::Invalid { total, details } => AppError::InvalidEntries { total, details },
        }
    }
}

/// Parses and checks a whole batch at `now` (Unix ms). Every bad entry is reported.
pub fn parse_batch(body: &[u8], format: BodyFormat, now: i64) -> Result<Vec<NewEntry>, BatchError> {
    let values: Vec<Result<Value, String>> = match format {
        BodyFormat::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(values)) => values.into_iter().map(Ok).collect(),
            Ok(_) => return Err(BatchError::NotAnArray),
            Err(err) => return Err(BatchError::Malformed(err.to_string())),
        },
        BodyFormat::Ndjson => body
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.trim_ascii().is_empty())
            .map(|line| {
                serde_json::from_slice(line).map_err(|err| format!("malformed JSON: {err}"))
            })
            .collect(),
    };
    if values.is_empty() {
        return Err(BatchError::Empty);
    }
    if values.len() > MAX_ENTRIES {
        return Err(BatchError::TooMany(values.len()));
    }

    let total = values.len();
    let mut entries = Vec::with_capacity(total);
    let mut details = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        match value.and_then(|value| validate_entry(&value, now)) {
            Ok(entry) => entries.push(entry),
            Err(reason) => details.push(EntryProblem { index, reason }),
        }
    }
    if details.is_empty() {
        Ok(entries)
    } else {
        Err(BatchError::Invalid { total, details })
    }
}

/// Checks one entry; the error lists every problem found, separated by `; `.
fn validate_entry(value: &Value, now: i64) -> Result<NewEntry, String> {
    let Value::Object(object) = value else {
        return Err(String::from("an entry must be a JSON object"));
    };
    let mut problems = Vec::new();
    for key in object.keys() {
        if key == "service" {
            problems.push(String::from(
                "service may not be given: it is the subject of the sender's token",
            ));
        } else if !FIELDS.contains(&key.as_str()) {
            let shown: String = key.chars().take(40).collect();
            problems.push(format!("unknown field {shown:?}"));
        }
    }
    let level = check(level(object), &mut problems);
    let message = check(message(object), &mut problems);
    let ts = check(timestamp(object, now), &mut problems);
    let fields = check(fields(object), &mut problems);
    let request_id = check(request_id(object), &mut problems);
    match (level, message, ts, fields, request_id) {
        (Some(level), Some(message), Some(ts), Some(fields), Some(request_id))
            if problems.is_empty() =>
        {
            Ok(NewEntry {
                ts,
                level,
                message,
                fields,
                request_id,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

fn check<T>(result: Result<T, String>, problems: &mut Vec<String>) -> Option<T> {
    result.map_err(|problem| problems.push(problem)).ok()
}

fn level(object: &Map<String, Value>) -> Result<Level, String> {
    match object.get("level") {
        None => Err(String::from("level is required")),
        Some(Value::String(name)) => Level::parse(name).ok_or_else(|| {
            String::from("level must be one of trace, debug, info, warn, error, fatal")
        }),
        Some(_) => Err(String::from("level must be a string")),
    }
}

fn message(object: &Map<String, Value>) -> Result<String, String> {
    match object.get("message") {
        None => Err(String::from("message is required")),
        Some(Value::String(text)) if text.len() > MAX_MESSAGE_BYTES => {
            Err(format!("message is longer than {MAX_MESSAGE_BYTES} bytes"))
        }
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(String::from("message must be a string")),
    }
}

fn timestamp(object: &Map<String, Value>, now: i64) -> Result<i64, String> {
    let ts = match object.get("ts") {
        None | Some(Value::Null) => return Ok(now),
        Some(Value::String(text)) => time::parse_rfc3339(text)
            .ok_or_else(|| String::from("ts is not an RFC 3339 date-time after 1970"))?,
        Some(Value::Number(number)) => number
            .as_i64()
            .filter(|ms| (0..=time::MAX_TS).contains(ms))
            .ok_or_else(|| String::from("ts must be whole Unix milliseconds after 1970"))?,
        Some(_) => {
            return Err(String::from(
                "ts must be an RFC 3339 string or Unix milliseconds",
            ))
        }
    };
    if ts > now + MAX_FUTURE_MS {
        return Err(String::from("ts is more than 5 minutes in the future"));
    }
    Ok(ts)
}

fn fields(object: &Map<String, Value>) -> Result<Option<String>, String> {
    match object.get("fields") {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => {
            let text = value.to_string();
            if text.len() > MAX_FIELDS_BYTES {
                Err(format!(
                    "fields is longer than {MAX_FIELDS_BYTES} bytes as JSON"
                ))
            } else {
                Ok(Some(text))
            }
        }
        Some(_) => Err(String::from("fields must be a JSON object")),
    }
}

fn request_id(object: &Map<String, Value>) -> Result<Option<String>, String> {
    match object.get("request_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) if id.is_empty() => {
            Err(String::from("request_id must not be empty"))
        }
        Some(Value::String(id)) if id.chars().count() > MAX_REQUEST_ID_CHARS => Err(format!(
            "request_id is longer than {MAX_REQUEST_ID_CHARS} characters"
        )),
        Some(Value::String(id)) => Ok(Some(id.clone())),
        Some(_) => Err(String::from("request_id must be a string")),
    }
}

/// The multi-row INSERT for `rows` entries (at most [`ROWS_PER_STATEMENT`]).
fn insert_sql(rows: usize) -> String {
    let row = "(?, ?, ?, ?, ?, ?, ?)";
    let values = vec![row; rows].join(", ");
    format!(
        "INSERT INTO log_entries \
         (ts, service, level, message, fields, request_id, received_at) VALUES {values}"
    )
}

fn text_or_null(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// Stores the entries as `service`, all in one D1 batch: one transaction, all or nothing.
async fn store(
    db: &D1Database,
    service: &str,
    entries: &[NewEntry],
    now: i64,
) -> worker::Result<()> {
    let mut statements = Vec::with_capacity(entries.len().div_ceil(ROWS_PER_STATEMENT));
    for group in entries.chunks(ROWS_PER_STATEMENT) {
        let mut values = Vec::with_capacity(group.len() * COLUMNS);
        for entry in group {
            values.extend([
                JsValue::from_f64(entry.ts as f64),
                JsValue::from_str(service),
                JsValue::from_f64(entry.level.rank() as f64),
                JsValue::from_str(&entry.message),
                text_or_null(entry.fields.as_deref()),
                text_or_null(entry.request_id.as_deref()),
                JsValue::from_f64(now as f64),
            ]);
        }
        statements.push(db.prepare(insert_sql(group.len())).bind(&values)?);
    }
    db.batch(statements).await?;
    Ok(())
}

/// Reads the body, refusing it as soon as it passes [`MAX_BODY_BYTES`].
async fn read_body(req: &mut Request) -> Result<Vec<u8>, AppError> {
    let too_large = || AppError::TooLarge {
        code: "body_too_large",
        description: format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    };
    let declared = req.headers().get("Content-Length")?;
    if declared
        .and_then(|len| len.trim().parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let mut stream = req.stream()?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Handles `POST /logs` for a verified service.
pub async fn handle(
    mut req: Request,
    db: &D1Database,
    caller: &Caller,
    now: i64,
) -> Result<Response, AppError> {
    let content_type = req.headers().get("Content-Type")?;
    let format = BodyFormat::from_content_type(content_type.as_deref())
        .ok_or(AppError::UnsupportedMediaType)?;
    let body = read_body(&mut req).await?;
    let entries = match parse_batch(&body, format, now) {
        Ok(entries) => entries,
        Err(err) => {
            log::event(json!({
                "event": "ingest", "result": "refused", "service": caller.sub,
                "reason": batch_reason(&err),
            }));
            return Err(err.into());
        }
    };

    store(db, &caller.sub, &entries, now).await?;
    log::event(json!({
        "event": "ingest", "result": "stored", "service": caller.sub, "stored": entries.len(),
    }));
    let body = json!({"stored": entries.len()});
    Ok(Response::from_json(&body)?.with_status(201))
}

fn batch_reason(err: &BatchError) -> &'static str {
    match err {
        BatchError::Malformed(_) | BatchError::NotAnArray => "malformed",
        BatchError::Empty => "empty",
        BatchError::TooMany(_) => "too_many_entries",
        BatchError::Invalid { .. } => "invalid_entries",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_776_679_200_000;

    fn parse(body: &str) -> Result<Vec<NewEntry>, BatchError> {
        parse_batch(body.as_bytes(), BodyFormat::Json, NOW)
    }

    fn problems(body: &str) -> Vec<EntryProblem> {
        match parse(body) {
            Err(BatchError::Invalid { details, .. }) => details,
            other => panic!("expected invalid entries, got {other:?}"),
        }
    }

    #[test]
    fn a_good_batch_parses_with_defaults() {
        let entries = parse(
            r#"[{"level":"info","message":"hi"},
                {"level":"ERROR","message":"x","ts":"2026-04-20T09:59:00Z",
                 "fields":{"b":2,"a":1},"request_id":"r-1"},
                {"level":"warn","message":"y","ts":1776679100000}]"#,
        )
        .unwrap();
        assert_eq!(entries[0].ts, NOW);
        assert_eq!(entries[0].fields, None);
        assert_eq!(entries[1].level, Level::Error);
        assert_eq!(entries[1].ts, NOW - 60_000);
        assert_eq!(entries[1].fields.as_deref(), Some(r#"{"a":1,"b":2}"#));
        assert_eq!(entries[1].request_id.as_deref(), Some("r-1"));
        assert_eq!(entries[2].ts, 1_776_679_100_000);
    }

    #[test]
    fn ndjson_skips_blank_lines_and_reports_bad_lines_by_index() {
        let body = concat!(
            "{\"level\":\"info\",\"message\":\"a\"}\n\n",
            "{oops\r\n{\"level\":\"info\",\"message\":\"b\"}\n",
        );
        match parse_batch(body.as_bytes(), BodyFormat::Ndjson, NOW) {
            Err(BatchError::Invalid { total: 3, details }) => {
                assert_eq!(details.len(), 1);
                assert_eq!(details[0].index, 1);
                assert!(
                    details[0].reason.starts_with("malformed JSON"),
                    "{:?}",
                    details[0]
                );
            }
            other => panic!("{other:?}"),
        }
        let good =
            "{\"level\":\"info\",\"message\":\"a\"}\r\n{\"level\":\"info\",\"message\":\"b\"}";
        assert_eq!(
            parse_batch(good.as_bytes(), BodyFormat::Ndjson, NOW)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn every_bad_entry_is_reported_with_its_reason() {
        let long = "x".repeat(MAX_MESSAGE_BYTES + 1);
        let body = format!(
            r#"[{{"level":"info","message":"ok"}},
               {{"level":"loud","message":"a"}},
               {{"message":"a"}},
               {{"level":"info"}},
               {{"level":"info","message":"{long}"}},
               {{"level":"info","message":"a","ts":"{}"}},
               {{"level":"info","message":"a","ts":"yesterday"}},
               {{"level":"info","message":"a","ts":1.5}},
               {{"level":"info","message":"a","fields":[1]}},
               {{"level":"info","message":"a","request_id":"{}"}},
               {{"level":"info","message":"a","service":"other"}},
               {{"level":"info","message":"a","colour":"red"}},
               "not an object",
               {{"level":7,"message":8}}]"#,
            time::format_rfc3339(NOW + MAX_FUTURE_MS + 1_000),
            "r".repeat(MAX_REQUEST_ID_CHARS + 1),
        );
        let details = problems(&body);
        let reasons: Vec<(usize, &str)> = details
            .iter()
            .map(|p| (p.index, p.reason.as_str()))
            .collect();
        let expect = [
            (1, "level must be one of"),
            (2, "level is required"),
            (3, "message is required"),
            (4, "message is longer than 16384 bytes"),
            (5, "more than 5 minutes in the future"),
            (6, "ts is not an RFC 3339"),
            (7, "whole Unix milliseconds"),
            (8, "fields must be a JSON object"),
            (9, "request_id is longer than 128"),
            (10, "service may not be given"),
            (11, "unknown field \"colour\""),
            (12, "must be a JSON object"),
            (13, "level must be a string; message must be a string"),
        ];
        assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
        for ((index, reason), (want_index, want)) in reasons.iter().zip(expect) {
            assert_eq!(*index, want_index);
            assert!(reason.contains(want), "{index}: {reason}");
        }
    }

    #[test]
    fn fields_are_limited_by_their_serialized_size() {
        let big = "y".repeat(MAX_FIELDS_BYTES);
        let body = format!(r#"[{{"level":"info","message":"a","fields":{{"k":"{big}"}}}}]"#);
        assert!(problems(&body)[0].reason.contains("fields is longer"));
    }

    #[test]
    fn whole_batch_errors() {
        assert!(matches!(parse("[1,"), Err(BatchError::Malformed(_))));
        assert_eq!(parse(r#"{"level":"info"}"#), Err(BatchError::NotAnArray));
        assert_eq!(parse("[]"), Err(BatchError::Empty));
        assert_eq!(
            parse_batch(b"\n\n", BodyFormat::Ndjson, NOW),
            Err(BatchError::Empty)
        );
        let many = format!(
            "[{}]",
            vec![r#"{"level":"info","message":"a"}"#; 1001].join(",")
        );
        assert_eq!(parse(&many), Err(BatchError::TooMany(1001)));
        let max = format!(
            "[{}]",
            vec![r#"{"level":"info","message":"a"}"#; 1000].join(",")
        );
        assert_eq!(parse(&max).unwrap().len(), 1000);
    }

    #[test]
    fn content_types_select_the_format() {
        assert_eq!(
            BodyFormat::from_content_type(Some("application/json")),
            Some(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::from_content_type(Some("Application/JSON; charset=utf-8")),
            Some(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::from_content_type(Some("application/x-ndjson")),
            Some(BodyFormat::Ndjson)
        );
        assert_eq!(BodyFormat::from_content_type(Some("text/plain")), None);
        assert_eq!(BodyFormat::from_content_type(None), None);
    }

    #[test]
    fn statements_fit_d1_parameter_limit() {
        assert_eq!(ROWS_PER_STATEMENT, 14);
        const { assert!(ROWS_PER_STATEMENT * COLUMNS <= D1_MAX_PARAMS) };
        const { assert!((ROWS_PER_STATEMENT + 1) * COLUMNS > D1_MAX_PARAMS) };
        assert_eq!(insert_sql(ROWS_PER_STATEMENT).matches('?').count(), 98);
        assert_eq!(insert_sql(1).matches('?').count(), 7);
        assert_eq!(MAX_ENTRIES.div_ceil(ROWS_PER_STATEMENT), 72);
    }
}
