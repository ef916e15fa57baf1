//! The cron job: old entries move from D1 to gzip NDJSON chunks in R2; old chunks expire.
//!
//! # Why a run can stop anywhere without losing or duplicating an entry
//!
//! One chunk holds entries of one service and one UTC hour, at most
//! [`MAX_ENTRIES_PER_CHUNK`] of them in at most [`MAX_CHUNK_NDJSON_BYTES`], and its key is
//! derived from exactly the ids it holds
//! (`logs/YYYY/MM/DD/HH/<service>/<first id>-<last id>-<hash of all ids>.ndjson.gz`). Rows
//! are never updated and ids are never reused (`AUTOINCREMENT`), so the same key always
//! means the same bytes. Moving a chunk is three steps:
//!
//! 1. read the rows from D1 and build the chunk;
//! 2. put it to R2 (a rerun of the same rows overwrites the same object with the same bytes);
//! 3. one D1 batch, one transaction: insert the index row *only if every one of the chunk's
//!    ids is still in `log_entries`*, then delete those ids *only if the index row exists*.
//!
//! Queries read chunks only through `archive_chunks`, so an entry is visible in D1 until the
//! transaction of step 3 commits and in exactly one indexed chunk afterwards. A stop before
//! step 2 leaves nothing behind. A stop after step 2 leaves an unindexed object that no query
//! reads; the next run either overwrites it (same rows) or, if new rows of that hour arrived
//! meanwhile, writes a different chunk and the stray object is removed by the expiry sweep.
//! Two overlapping runs cannot both index the same rows: the second transaction finds rows
//! missing, inserts no index row and deletes nothing. Expiry deletes index rows before
//! objects, so a stop in between leaves only unreadable objects, which the sweep removes.

use aurora_auth::MAX_TOKEN_LEN;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Deserialize;
use serde_json::json;
use std::io::{Read as _, Write as _};
use worker::{Bucket, D1Database, HttpMetadata};

use crate::config::Config;
use crate::entry::{Entry, Row, ROW_COLUMNS};
use crate::error::AppError;
use crate::ingest::{MAX_FIELDS_BYTES, MAX_MESSAGE_BYTES, MAX_REQUEST_ID_CHARS};
use crate::log;
use crate::query::{Direction, Filters, Position};
use crate::sql::{json_list, Param, Statement};
use crate::time::{self, DAY_MS, HOUR_MS};

/// Entries per chunk at most.
pub const MAX_ENTRIES_PER_CHUNK: usize = 1000;
/// Size of a chunk's NDJSON (before gzip) at most: the entries that would pass it wait in D1
/// for the next chunk. Well under [`MAX_CHUNK_BYTES`], so every chunk written can be read.
/// Counting entries is not enough: a 16 KiB message of control characters takes 96 KiB
/// as JSON (`\u0001`), and 1000 of them would pass the read limit.
pub const MAX_CHUNK_NDJSON_BYTES: usize = 8 << 20;
/// The longest NDJSON line one entry can take, so that one always fits a chunk. JSON
/// escapes a byte of a string to at most 6 (`\u001f`); `message` has at most 16 KiB,
/// `request_id` 128 characters, and `service` (a token's subject) less than the longest
/// token. `fields` is stored as serde_json's own compact JSON of at most 16 KiB and
/// written again from its parsed value: the same text, but allow a float (3 bytes at
/// least) to come back as the longest one (24), 8 times its room. Then 256 bytes for the
/// keys, the punctuation, `id`, `ts`, `level` and the newline.
pub const MAX_ENTRY_NDJSON_BYTES: usize = 6 * MAX_MESSAGE_BYTES
    + 8 * MAX_FIELDS_BYTES
    + 6 * MAX_REQUEST_ID_CHARS
    + 6 * MAX_TOKEN_LEN
    + 256;
const _: () = assert!(MAX_ENTRY_NDJSON_BYTES <= MAX_CHUNK_NDJSON_BYTES);
const _: () = assert!(MAX_CHUNK_NDJSON_BYTES as u64 <= MAX_CHUNK_BYTES / 4);
/// Chunks written per run at most, so that a run stays within its CPU budget; the next
/// run (every 15 minutes) carries on.
pub const MAX_CHUNKS_PER_RUN: usize = 50;
/// Expired chunks deleted per run at most.
const MAX_EXPIRED_PER_RUN: usize = 500;
/// Objects looked at per run by the sweep for unindexed objects.
const SWEEP_LIST_LIMIT: u32 = 200;
/// Largest decompressed chunk read back: a bound on memory, far above what is written.
const MAX_CHUNK_BYTES: u64 = 64 << 20;
const KEY_PREFIX: &str = "logs/";

/// An `archive_chunks` row, as queries need it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChunkRef {
    pub object_key: String,
    pub first_ts: i64,
    pub last_ts: i64,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub chunks: usize,
    pub entries: usize,
    pub bytes: usize,
    pub expired: usize,
    pub swept: usize,
    /// Why archiving stopped: `caught_up`, `chunk_limit` or `contended`.
    pub stopped: &'static str,
}

/// The R2 key of a chunk of `service`'s entries in the hour starting at `hour`.
pub fn chunk_key(service: &str, hour: i64, ids: &[i64]) -> String {
    let (year, month, day, hh) = time::utc_hour(hour).unwrap_or((1970, 1, 1, 0));
    // Service names come from token subjects: encoded, and cut short so the key stays small
    // (the ids and their hash keep it unique).
    let service: String = worker::url::form_urlencoded::byte_serialize(service.as_bytes())
        .collect::<String>()
        .chars()
        .take(120)
        .collect();
    let first = ids.first().copied().unwrap_or(0);
    let last = ids.last().copied().unwrap_or(0);
    let hash = ids.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, id| {
        id.to_le_bytes().iter().fold(hash, |h, byte| {
            (h ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    });
    let hour = format!("{year:04}/{month:02}/{day:02}/{hh:02}");
    format!("{KEY_PREFIX}{hour}/{service}/{first}-{last}-{hash:016x}.ndjson.gz")
}

/// The start of the hour a key was written for, from its `logs/YYYY/MM/DD/HH/` prefix.
pub fn key_hour(key: &str) -> Option<i64> {
    let mut parts = key.strip_prefix(KEY_PREFIX)?.split('/');
    let mut number = || parts.next()?.parse::<u32>().ok();
    let (year, month, day, hour) = (number()?, number()?, number()?, number()?);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(date.and_hms_opt(hour, 0, 0)?.and_utc().timestamp_millis())
}

/// A chunk built by [`encode_chunk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedChunk {
    /// How many of the entries given, from the first, the chunk holds.
    pub entries: usize,
    /// The size of its NDJSON, before gzip.
    pub ndjson_bytes: usize,
    /// The gzip-compressed NDJSON.
    pub bytes: Vec<u8>,
}

/// A chunk of the longest run of `entries`, from the first, whose NDJSON (ts in Unix ms)
/// stays within `max_bytes`, gzip-compressed. The first entry is always taken, whatever its
/// size, so a chunk is never empty; [`MAX_ENTRY_NDJSON_BYTES`] says one fits the real limit.
pub fn encode_chunk(entries: &[Entry], max_bytes: usize) -> Result<EncodedChunk, String> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    let (mut taken, mut size) = (0, 0);
    let mut line = Vec::new();
    for entry in entries {
        line.clear();
        serde_json::to_writer(&mut line, entry).map_err(|err| err.to_string())?;
        line.push(b'\n');
        if taken > 0 && size + line.len() > max_bytes {
            break;
        }
        gzip.write_all(&line).map_err(|err| err.to_string())?;
        size += line.len();
        taken += 1;
    }
    Ok(EncodedChunk {
        entries: taken,
        ndjson_bytes: size,
        bytes: gzip.finish().map_err(|err| err.to_string())?,
    })
}

/// The entries of a chunk, marked as archived.
pub fn decode_chunk(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut text = String::new();
    GzDecoder::new(bytes)
        .take(MAX_CHUNK_BYTES)
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot decompress chunk: {err}"))?;
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut entry: Entry =
                serde_json::from_str(line).map_err(|err| format!("bad chunk line: {err}"))?;
            entry.archived = true;
            Ok(entry)
        })
        .collect()
}

/// The index statement for chunks that may hold entries of a page, in the order
/// [`Merge`](crate::query::Merge) reads them: every chunk spanning the cursor, then at most
/// `limit` lying wholly past it (nearest first). Without a cursor, the newest `limit`.
pub fn chunks_statement(filters: &Filters, position: Option<&Position>, limit: usize) -> Statement {
    let mut statement = Statement::new(CHUNKS_SELECT);
    push_chunk_filters(&mut statement, filters);
    let limit = Param::Int(limit as i64);
    let Some(Position { direction, cursor }) = position else {
        statement.push_bound(" ORDER BY last_ts DESC, object_key LIMIT ?", [limit]);
        return statement;
    };
    let at = || Param::Int(cursor.ts);
    // The spanning chunks are not limited: paging needs them all. Chunks past the cursor are
    // limited in a subquery, and the whole is ordered again.
    match direction {
        Direction::Older => {
            statement.push_bound(" AND first_ts <= ? AND last_ts >= ?", [at(), at()]);
            statement.push(" UNION ALL SELECT * FROM (");
            statement.push(CHUNKS_SELECT);
            push_chunk_filters(&mut statement, filters);
            statement.push_bound(
                " AND last_ts < ? ORDER BY last_ts DESC, object_key LIMIT ?)",
                [at(), limit],
            );
            statement.push(" ORDER BY last_ts DESC, object_key");
        }
        Direction::Newer => {
            statement.push_bound(" AND last_ts >= ? AND first_ts <= ?", [at(), at()]);
            statement.push(" UNION ALL SELECT * FROM (");
            statement.push(CHUNKS_SELECT);
            push_chunk_filters(&mut statement, filters);
            statement.push_bound(
                " AND first_ts > ? ORDER BY first_ts ASC, object_key LIMIT ?)",
                [at(), limit],
            );
            statement.push(" ORDER BY first_ts ASC, object_key");
        }
    }
    statement
}

const CHUNKS_SELECT: &str = "SELECT object_key, first_ts, last_ts FROM archive_chunks WHERE 1 = 1";

/// The conditions a chunk must meet to hold entries matching `filters`.
fn push_chunk_filters(statement: &mut Statement, filters: &Filters) {
    if !filters.services.is_empty() {
        statement.push_bound(
            " AND service IN (SELECT value FROM json_each(?))",
            [json_list(&filters.services)],
        );
    }
    if let Some(level) = filters.min_level {
        statement.push_bound(" AND max_level >= ?", [Param::Int(level.rank())]);
    }
    if let Some(from) = filters.from {
        statement.push_bound(" AND last_ts >= ?", [Param::Int(from)]);
    }
    if let Some(to) = filters.to {
        statement.push_bound(" AND first_ts <= ?", [Param::Int(to)]);
    }
}

pub async fn chunks_for(
    db: &D1Database,
    filters: &Filters,
    position: Option<&Position>,
    limit: usize,
) -> Result<Vec<ChunkRef>, AppError> {
    let result = chunks_statement(filters, position, limit)
        .prepare(db)?
        .all()
        .await?;
    Ok(result.results::<ChunkRef>()?)
}

/// Reads a chunk. A missing object (expired while this query ran) reads as empty.
pub async fn read_chunk(bucket: &Bucket, key: &str) -> Result<Vec<Entry>, AppError> {
    let Some(object) = bucket.get(key).execute().await? else {
        log::error(json!({"event": "archive_read", "result": "missing", "key": key}));
        return Ok(Vec::new());
    };
    let Some(body) = object.body() else {
        return Ok(Vec::new());
    };
    let bytes = body.bytes().await?;
    decode_chunk(&bytes).map_err(|err| AppError::Internal(format!("{key}: {err}")))
}

#[derive(Debug, Deserialize)]
struct Oldest {
    service: String,
    ts: i64,
}

/// Runs the archive as of `now` (the cron's scheduled time, Unix ms).
pub async fn run(
    db: &D1Database,
    bucket: &Bucket,
    config: &Config,
    now: i64,
) -> Result<RunReport, AppError> {
    let mut report = RunReport {
        stopped: "chunk_limit",
        ..RunReport::default()
    };
    let cutoff = now - config.retention_days * DAY_MS;
    for _ in 0..MAX_CHUNKS_PER_RUN {
        match archive_one(db, bucket, cutoff, now).await? {
            Step::CaughtUp => {
                report.stopped = "caught_up";
                break;
            }
            Step::Contended => {
                report.stopped = "contended";
                break;
            }
            Step::Moved { entries, bytes } => {
                report.chunks += 1;
                report.entries += entries;
                report.bytes += bytes;
            }
        }
    }

    let expiry = now - config.archive_retention_days * DAY_MS;
    report.expired = expire(db, bucket, expiry).await?;
    report.swept = sweep(db, bucket, expiry).await?;
    Ok(report)
}

enum Step {
    CaughtUp,
    Contended,
    Moved { entries: usize, bytes: usize },
}

/// Moves the oldest chunk's worth of entries older than `cutoff`.
async fn archive_one(
    db: &D1Database,
    bucket: &Bucket,
    cutoff: i64,
    now: i64,
) -> Result<Step, AppError> {
    let mut oldest = Statement::new("SELECT service, ts FROM log_entries WHERE ts < ?");
    oldest.params.push(Param::Int(cutoff));
    oldest.push(" ORDER BY ts, id LIMIT 1");
    let Some(oldest) = oldest.prepare(db)?.first::<Oldest>(None).await? else {
        return Ok(Step::CaughtUp);
    };

    let hour = time::hour_start(oldest.ts);
    let mut rows = Statement::new("SELECT ");
    rows.push(ROW_COLUMNS);
    rows.push_bound(
        " FROM log_entries WHERE service = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?",
        [
            Param::Text(oldest.service.clone()),
            Param::Int(hour),
            Param::Int((hour + HOUR_MS).min(cutoff)),
            Param::Int(MAX_ENTRIES_PER_CHUNK as i64),
        ],
    );
    let rows = rows.prepare(db)?.all().await?.results::<Row>()?;
    let read = rows.len();
    let mut entries: Vec<Entry> = rows.into_iter().filter_map(Row::into_entry).collect();
    if entries.len() != read || entries.is_empty() {
        return Err(AppError::Internal(format!(
            "archive: {} of {read} rows of {} at {hour} break the schema",
            read - entries.len(),
            oldest.service
        )));
    }

    // The chunk is the oldest rows that fit its size; the rest stay in D1 for the next one.
    let chunk = encode_chunk(&entries, MAX_CHUNK_NDJSON_BYTES).map_err(AppError::Internal)?;
    entries.truncate(chunk.entries);
    let count = entries.len();
    let bytes = chunk.bytes;
    let mut ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    let key = chunk_key(&oldest.service, hour, &ids);
    let size = bytes.len();
    let first_ts = entries.iter().map(|e| e.ts).min().unwrap_or(hour);
    let last_ts = entries.iter().map(|e| e.ts).max().unwrap_or(hour);
    let max_level = entries.iter().map(|e| e.level.rank()).max().unwrap_or(1);

    let metadata = HttpMetadata {
        content_type: Some(String::from("application/gzip")),
        ..HttpMetadata::default()
    };
    bucket
        .put(key.as_str(), bytes)
        .http_metadata(metadata)
        .execute()
        .await?;

    let id_list = json_list(&ids);
    let mut index = Statement::new(
        "INSERT OR IGNORE INTO archive_chunks (object_key, service, hour, first_ts, last_ts, \
         first_id, last_id, entry_count, max_level, size_bytes, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 \
         WHERE (SELECT count(*) FROM log_entries \
                WHERE id IN (SELECT value FROM json_each(?12))) = ?8",
    );
    index.params = vec![
        Param::Text(key.clone()),
        Param::Text(oldest.service.clone()),
        Param::Int(hour),
        Param::Int(first_ts),
        Param::Int(last_ts),
        Param::Int(ids.first().copied().unwrap_or(0)),
        Param::Int(ids.last().copied().unwrap_or(0)),
        Param::Int(count as i64),
        Param::Int(max_level),
        Param::Int(size as i64),
        Param::Int(now),
        id_list.clone(),
    ];
    let mut delete = Statement::new(
        "DELETE FROM log_entries WHERE id IN (SELECT value FROM json_each(?1)) \
         AND EXISTS (SELECT 1 FROM archive_chunks WHERE object_key = ?2)",
    );
    delete.params = vec![id_list, Param::Text(key.clone())];
    let results = db
        .batch(vec![index.prepare(db)?, delete.prepare(db)?])
        .await?;

    let deleted = match results.get(1).map(|result| result.meta()) {
        Some(Ok(Some(meta))) => meta.changes.unwrap_or(0),
        _ => 0,
    };
    if deleted == 0 {
        // Another run took these rows first; its chunk is the indexed one.
        log::event(json!({"event": "archive", "result": "contended", "key": key}));
        return Ok(Step::Contended);
    }
    // `deleted` counts the full-text index rows its triggers delete too: report the chunk's.
    Ok(Step::Moved {
        entries: count,
        bytes: size,
    })
}

#[derive(Debug, Deserialize)]
struct KeyRow {
    object_key: String,
}

/// Deletes chunks whose newest entry is older than `expiry`: index rows first, then objects.
async fn expire(db: &D1Database, bucket: &Bucket, expiry: i64) -> Result<usize, AppError> {
    let mut statement = Statement::new(
        "DELETE FROM archive_chunks WHERE object_key IN \
         (SELECT object_key FROM archive_chunks WHERE last_ts < ?1 ORDER BY last_ts LIMIT ?2) \
         RETURNING object_key",
    );
    statement.params = vec![Param::Int(expiry), Param::Int(MAX_EXPIRED_PER_RUN as i64)];
    let keys: Vec<String> = statement
        .prepare(db)?
        .all()
        .await?
        .results::<KeyRow>()?
        .into_iter()
        .map(|row| row.object_key)
        .collect();
    if !keys.is_empty() {
        bucket.delete_multiple(keys.clone()).await?;
    }
    Ok(keys.len())
}

/// Deletes objects of expired hours that no index row names: strays of interrupted runs.
/// Keys sort by time, so the oldest come first in the listing.
async fn sweep(db: &D1Database, bucket: &Bucket, expiry: i64) -> Result<usize, AppError> {
    let listing = bucket
        .list()
        .prefix(KEY_PREFIX)
        .limit(SWEEP_LIST_LIMIT)
        .execute()
        .await?;
    let expired: Vec<String> = listing
        .objects()
        .into_iter()
        .map(|object| object.key())
        .take_while(|key| key_hour(key).is_some_and(|hour| hour + HOUR_MS <= expiry))
        .collect();
    if expired.is_empty() {
        return Ok(0);
    }
    let mut indexed = Statement::new(
        "SELECT object_key FROM archive_chunks WHERE object_key IN \
         (SELECT value FROM json_each(?))",
    );
    indexed.params.push(json_list(&expired));
    let indexed: Vec<String> = indexed
        .prepare(db)?
        .all()
        .await?
        .results::<KeyRow>()?
        .into_iter()
        .map(|row| row.object_key)
        .collect();
    let strays: Vec<String> = expired
        .into_iter()
        .filter(|key| !indexed.contains(key))
        .collect();
    if !strays.is_empty() {
        bucket.delete_multiple(strays.clone()).await?;
    }
    Ok(strays.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Level;

    const HOUR: i64 = 1_776_679_200_000; // 2026-04-20T10:00:00Z

    fn entry(id: i64, ts: i64) -> Entry {
        Entry {
            id,
            ts,
            service: "api".into(),
            level: Level::Warn,
            message: format!("<b>m{id}</b>"),
            fields: Some(json!({"n": id})),
            request_id: None,
            archived: false,
        }
    }

    #[test]
    fn keys_sort_by_time_and_name_exactly_the_ids() {
        let key = chunk_key("billing api/v2", HOUR, &[3, 4, 9]);
        assert!(
            key.starts_with("logs/2026/04/20/10/billing+api%2Fv2/3-9-"),
            "{key}"
        );
        assert!(key.ends_with(".ndjson.gz"));
        assert_eq!(chunk_key("billing api/v2", HOUR, &[3, 4, 9]), key);
        assert_ne!(chunk_key("billing api/v2", HOUR, &[3, 5, 9]), key);
        assert!(chunk_key("a", HOUR - HOUR_MS, &[1]) < chunk_key("a", HOUR, &[1]));
        assert_eq!(key_hour(&key), Some(HOUR));
        assert_eq!(key_hour("logs/2026/13/01/00/a/x"), None);
        assert_eq!(key_hour("other/2026/01/01/00/a/x"), None);
    }

    #[test]
    fn chunks_round_trip_and_are_deterministic() {
        let entries = vec![entry(1, HOUR), entry(2, HOUR + 5)];
        let bytes = encode_chunk(&entries, MAX_CHUNK_NDJSON_BYTES)
            .unwrap()
            .bytes;
        assert_eq!(
            encode_chunk(&entries, MAX_CHUNK_NDJSON_BYTES)
                .unwrap()
                .bytes,
            bytes
        );
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
        let back = decode_chunk(&bytes).unwrap();
        assert_eq!(back.len(), 2);
        assert!(back.iter().all(|e| e.archived));
        assert_eq!(back[0].message, "<b>m1</b>");
        assert_eq!(back[1].fields, Some(json!({"n": 2})));
        assert!(decode_chunk(b"not gzip").is_err());
    }

    #[test]
    fn the_index_statement_orders_by_the_edge_nearest_the_cursor() {
        let filters = Filters {
            services: vec!["a".into()],
            ..Filters::default()
        };
        let older = chunks_statement(&filters, None, 17);
        assert!(older
            .sql
            .ends_with("ORDER BY last_ts DESC, object_key LIMIT ?"));
        let newer = Position {
            direction: Direction::Newer,
            cursor: crate::cursor::Cursor { ts: 5, id: 1 },
        };
        let newer = chunks_statement(&filters, Some(&newer), 17);
        assert!(newer
            .sql
            .contains("AND last_ts >= ? AND first_ts <= ? UNION ALL"));
        assert!(newer
            .sql
            .contains("first_ts > ? ORDER BY first_ts ASC, object_key LIMIT ?)"));
        assert!(newer.sql.ends_with(" ORDER BY first_ts ASC, object_key"));
        assert_eq!(newer.sql.matches('?').count(), newer.params.len());
        let older = Position {
            direction: Direction::Older,
            cursor: crate::cursor::Cursor { ts: 5, id: 1 },
        };
        let older = chunks_statement(&filters, Some(&older), 17);
        assert!(older
            .sql
            .contains("AND first_ts <= ? AND last_ts >= ? UNION ALL"));
        assert!(older.sql.ends_with(" ORDER BY last_ts DESC, object_key"));
        assert_eq!(older.sql.matches('?').count(), older.params.len());
    }

    /// An entry of `message`, the largest ingest accepts with every other part at its limit.
    fn big(id: i64, message: String) -> Entry {
        Entry {
            message,
            ..entry(id, HOUR + id)
        }
    }

    fn control_characters(n: usize) -> String {
        "\u{1}".repeat(n)
    }

    #[test]
    fn a_chunk_ends_before_its_ndjson_passes_the_limit() {
        let entries: Vec<Entry> = (1..=10)
            .map(|id| big(id, control_characters(1000)))
            .collect();
        let line = serde_json::to_vec(&entries[0]).unwrap().len() + 1;
        assert!(line > 6 * 1000, "each control character takes six bytes");

        let chunk = encode_chunk(&entries, 3 * line + line / 2).unwrap();
        assert_eq!(chunk.entries, 3);
        assert!(chunk.ndjson_bytes <= 3 * line + line / 2);
        let back = decode_chunk(&chunk.bytes).unwrap();
        let ids: Vec<i64> = back.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 3], "the oldest ones, in order");

        let exact = encode_chunk(&entries, 3 * line).unwrap();
        assert_eq!(exact.entries, 3, "a chunk may fill the limit exactly");
        assert_eq!(exact.ndjson_bytes, 3 * line);
        let all = encode_chunk(&entries, MAX_CHUNK_NDJSON_BYTES).unwrap();
        assert_eq!(all.entries, 10);
    }

    #[test]
    fn one_entry_always_makes_a_chunk() {
        let entries = [big(1, control_characters(1000)), entry(2, HOUR)];
        let chunk = encode_chunk(&entries, 10).unwrap();
        assert_eq!(chunk.entries, 1, "over the limit alone, and still taken");
        assert_eq!(decode_chunk(&chunk.bytes).unwrap().len(), 1);
        assert_eq!(encode_chunk(&[], 10).unwrap().entries, 0);
    }

    #[test]
    fn the_largest_entry_ingest_accepts_fits_one_chunk() {
        let key_room = 2 + 6 + 1;
        let fields_text = control_characters((MAX_FIELDS_BYTES - key_room) / 6);
        let fields = json!({ "k": fields_text });
        assert!(
            fields.to_string().len() <= MAX_FIELDS_BYTES,
            "ingest would accept it"
        );
        let worst = Entry {
            id: i64::MAX,
            ts: i64::MAX,
            service: control_characters(MAX_TOKEN_LEN),
            level: Level::Fatal,
            message: control_characters(MAX_MESSAGE_BYTES),
            fields: Some(fields),
            request_id: Some(control_characters(MAX_REQUEST_ID_CHARS)),
            archived: false,
        };
        let chunk = encode_chunk(&[worst.clone(), worst], MAX_CHUNK_NDJSON_BYTES).unwrap();
        assert_eq!(chunk.entries, 2);
        let line = chunk.ndjson_bytes / 2;
        assert!(
            line <= MAX_ENTRY_NDJSON_BYTES,
            "{line} > {MAX_ENTRY_NDJSON_BYTES}"
        );
        assert!(line > 6 * MAX_MESSAGE_BYTES, "every part was at its worst");
        // One such entry fits a chunk, and a chunk fits a read: the `const` asserts above.
    }

    #[test]
    fn a_full_chunk_of_the_largest_entries_reads_back() {
        let message = control_characters(MAX_MESSAGE_BYTES);
        let entries: Vec<Entry> = (1..=1000).map(|id| big(id, message.clone())).collect();
        let chunk = encode_chunk(&entries, MAX_CHUNK_NDJSON_BYTES).unwrap();
        assert!(
            chunk.entries < 1000 && chunk.entries > 50,
            "{}",
            chunk.entries
        );
        assert!(chunk.ndjson_bytes <= MAX_CHUNK_NDJSON_BYTES);
        assert_eq!(decode_chunk(&chunk.bytes).unwrap().len(), chunk.entries);
    }
}
