//! `GET /logs`: filters, keyset paging across D1 and the archive, JSON and NDJSON answers.

use serde::Serialize;
use worker::{Bucket, D1Database, Env, Headers, Request, Response};

use crate::archive::{self, ChunkRef};
use crate::auth::Caller;
use crate::config::Config;
use crate::cursor::{Cursor, MAX_ID};
use crate::entry::{ApiEntry, Entry, Level, Row, ROW_COLUMNS};
use crate::error::AppError;
use crate::ingest::MAX_REQUEST_ID_CHARS;
use crate::search::Search;
use crate::sql::{json_list, Param, Statement};
use crate::time;
use crate::viewer;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
const MAX_SERVICES: usize = 20;
const MAX_SERVICE_CHARS: usize = 256;
/// Archive chunks read at most for one page; past it the page ends early, with a cursor.
const PAGE_CHUNK_BUDGET: usize = 16;
/// Page size and chunk budget of each step of an NDJSON export.
const EXPORT_PAGE: usize = 500;
const EXPORT_CHUNK_BUDGET: usize = 8;

/// What to match. Every filter must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Any of these services; empty means all.
    pub services: Vec<String>,
    pub min_level: Option<Level>,
    /// Inclusive bounds, Unix ms.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub search: Search,
    pub request_id: Option<String>,
}

impl Filters {
    /// The same test the D1 query makes, for entries read from the archive.
    pub fn matches(&self, entry: &Entry) -> bool {
        (self.services.is_empty() || self.services.contains(&entry.service))
            && self.min_level.is_none_or(|level| entry.level >= level)
            && self.from.is_none_or(|from| entry.ts >= from)
            && self.to.is_none_or(|to| entry.ts <= to)
            && self
                .request_id
                .as_ref()
                .is_none_or(|id| entry.request_id.as_ref() == Some(id))
            && self.search.matches(&entry.message)
    }
}

/// Which way a page goes from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Entries before the cursor, newest first (`cursor=`).
    Older,
    /// Entries after the cursor, oldest first, shown newest first (`after=`).
    Newer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub direction: Direction,
    pub cursor: Cursor,
}

impl Position {
    fn admits(&self, entry: &Entry) -> bool {
        let at = Cursor {
            ts: entry.ts,
            id: entry.id,
        };
        match self.direction {
            Direction::Older => at < self.cursor,
            Direction::Newer => at > self.cursor,
        }
    }
}

/// How the answer is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Ndjson,
    Html,
}

/// The query parameters as given, kept to fill the viewer's form and build its links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawParams {
    pub services: Vec<String>,
    pub level: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub request_id: String,
    pub limit: String,
    pub live: bool,
}

impl RawParams {
    /// The filter parameters (no paging), for links that keep the filters.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = self
            .services
            .iter()
            .map(|s| ("service", s.clone()))
            .collect();
        for (name, value) in [
            ("level", &self.level),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("request_id", &self.request_id),
            ("limit", &self.limit),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if self.live {
            pairs.push(("live", String::from("1")));
        }
        pairs
    }

    pub fn has_filters(&self) -> bool {
        !self.services.is_empty()
            || [&self.level, &self.from, &self.to, &self.q, &self.request_id]
                .iter()
                .any(|value| !value.is_empty())
    }
}

/// A checked query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub filters: Filters,
    pub limit: usize,
    pub position: Option<Position>,
    pub format: Option<Format>,
}

/// Parses the query string at `now`. Every problem is reported, each as a sentence.
pub fn parse_query(
    pairs: &[(String, String)],
    now: i64,
) -> (RawParams, Result<Query, Vec<String>>) {
    let mut raw = RawParams::default();
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut cursor = String::new();
    let mut after = String::new();
    let mut format = String::new();

    for (name, value) in pairs {
        let slot = match name.as_str() {
            "service" => {
                raw.services.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
                continue;
            }
            "level" => &mut raw.level,
            "from" => &mut raw.from,
            "to" => &mut raw.to,
            "q" => &mut raw.q,
            "request_id" => &mut raw.request_id,
            "limit" => &mut raw.limit,
            "cursor" => &mut cursor,
            "after" => &mut after,
            "format" => &mut format,
            "live" => {
                raw.live = matches!(value.as_str(), "1" | "on" | "true");
                continue;
            }
            // Unknown parameters are ignored, as a page's own links may grow new ones.
            _ => continue,
        };
        if seen.contains(&name.as_str()) {
            problems.push(format!("{name} is given more than once"));
        }
        seen.push(name.as_str());
        *slot = value.trim().to_owned();
    }

    let mut filters = Filters::default();
    if raw.services.len() > MAX_SERVICES {
        problems.push(format!("at most {MAX_SERVICES} services can be given"));
    }
    if raw
        .services
        .iter()
        .any(|s| s.chars().count() > MAX_SERVICE_CHARS)
    {
        problems.push(format!(
            "a service name is longer than {MAX_SERVICE_CHARS} characters"
        ));
    }
    filters.services = raw.services.clone();
    filters.services.dedup();

    if !raw.level.is_empty() {
        match Level::parse(&raw.level) {
            Some(level) => filters.min_level = Some(level),
            None => problems.push(String::from(
                "level must be one of trace, debug, info, warn, error, fatal",
            )),
        }
    }
    for (name, text, bound) in [
        ("from", &raw.from, &mut filters.from),
        ("to", &raw.to, &mut filters.to),
    ] {
        if !text.is_empty() {
            match time::parse_instant(text, now) {
                Ok(at) => *bound = Some(at),
                Err(why) => problems.push(format!("{name} {why}")),
            }
        }
    }
    if let (Some(from), Some(to)) = (filters.from, filters.to) {
        if from > to {
            problems.push(String::from("from is after to"));
        }
    }
    match Search::parse(&raw.q) {
        Ok(search) => filters.search = search,
        Err(why) => problems.push(format!("q {why}")),
    }
    if !raw.request_id.is_empty() {
        if raw.request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            problems.push(format!(
                "request_id is longer than {MAX_REQUEST_ID_CHARS} characters"
            ));
        }
        filters.request_id = Some(raw.request_id.clone());
    }

    let limit = if raw.limit.is_empty() {
        DEFAULT_LIMIT
    } else {
        match raw.limit.parse::<usize>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                problems.push(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ));
                DEFAULT_LIMIT
            }
        }
    };

    let mut position = None;
    for (name, text, direction) in [
        ("cursor", &cursor, Direction::Older),
        ("after", &after, Direction::Newer),
    ] {
        if text.is_empty() {
            continue;
        }
        match Cursor::decode(text) {
            Some(cursor) if position.is_none() => position = Some(Position { direction, cursor }),
            Some(_) => problems.push(String::from("give cursor or after, not both")),
            None => problems.push(format!("{name} is not a cursor this service made")),
        }
    }

    let format = match format.as_str() {
        "" => None,
        "json" => Some(Format::Json),
        "ndjson" => Some(Format::Ndjson),
        "html" => Some(Format::Html),
        _ => {
            problems.push(String::from("format must be json, ndjson or html"));
            None
        }
    };

    let query = Query {
        filters,
        limit,
        position,
        format,
    };
    (
        raw,
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(problems)
        },
    )
}

/// The D1 part of a page: up to `limit` rows past the position, in the page's order.
pub fn d1_statement(filters: &Filters, position: Option<&Position>, limit: usize) -> Statement {
    let mut statement = Statement::new("SELECT ");
    statement
        .push(ROW_COLUMNS)
        .push(" FROM log_entries WHERE 1 = 1");
    match filters.services.as_slice() {
        [] => {}
        // One service: a plain equality lets SQLite walk the (service, ts, id) index in order.
        [service] => statement.push_bound(" AND service = ?", [Param::Text(service.clone())]),
        services => statement.push_bound(
            " AND service IN (SELECT value FROM json_each(?))",
            [json_list(services)],
        ),
    }
    if let Some(level) = filters.min_level {
        statement.push_bound(" AND level >= ?", [Param::Int(level.rank())]);
    }
    if let Some(from) = filters.from {
        statement.push_bound(" AND ts >= ?", [Param::Int(from)]);
    }
    if let Some(to) = filters.to {
        statement.push_bound(" AND ts <= ?", [Param::Int(to)]);
    }
    if let Some(request_id) = &filters.request_id {
        statement.push_bound(" AND request_id = ?", [Param::Text(request_id.clone())]);
    }
    if let Some(fts) = filters.search.fts_query() {
        statement.push_bound(
            " AND id IN (SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ?)",
            [Param::Text(fts)],
        );
    }
    for substring in filters.search.substrings() {
        statement.push_bound(
            " AND instr(message, ?) > 0",
            [Param::Text(substring.clone())],
        );
    }
    let descending = match position {
        Some(Position {
            direction: Direction::Newer,
            cursor,
        }) => {
            let bound = [Param::Int(cursor.ts), Param::Int(cursor.id)];
            statement.push_bound(" AND (ts, id) > (?, ?)", bound);
            false
        }
        Some(Position {
            direction: Direction::Older,
            cursor,
        }) => {
            let bound = [Param::Int(cursor.ts), Param::Int(cursor.id)];
            statement.push_bound(" AND (ts, id) < (?, ?)", bound);
            true
        }
        None => true,
    };
    statement.push(if descending {
        " ORDER BY ts DESC, id DESC"
    } else {
        " ORDER BY ts ASC, id ASC"
    });
    statement.push_bound(" LIMIT ?", [Param::Int(limit as i64)]);
    statement
}

/// Merges D1 rows with archived entries into one page.
///
/// Chunks come ordered by their nearest edge to the cursor (`last_ts` descending going
/// older, `first_ts` ascending going newer). A chunk is read only while it could still hold
/// an entry of the page: once `limit + 1` candidates all lie strictly beyond a chunk's edge,
/// no later chunk can contribute.
///
/// # Why paging always moves on and returns every entry once
///
/// A chunk *spans* the cursor when it may hold entries on both sides of it: going older
/// `last_ts >= cursor.ts`, going newer `first_ts <= cursor.ts`. Every spanning chunk is read,
/// whatever the budget; the budget counts only chunks lying wholly past the cursor. A page
/// then ends in one of three ways:
///
/// - More than `limit` candidates: the page is the first `limit` of them and the next cursor
///   is the last one kept, strictly past this cursor like every candidate.
/// - The budget runs out at an unread chunk with edge `e`: the page is every entry strictly
///   nearer than `e` (complete, as every unread chunk's edge is at `e` or beyond and D1 gave
///   its rows in order), and the next cursor is `(e, MAX_ID)` going older, `(e, 0)` going
///   newer: exactly the rest. That chunk lies wholly past the cursor, so `e` is strictly past
///   `cursor.ts` and the cursor moves on by at least a millisecond, even if the page is empty.
/// - Neither: everything past the cursor was read, and this is the last page.
///
/// So each page holds exactly the entries between its cursor and the next, pages tile the
/// order, and paging ends. Spanning chunks must not count against the budget: with more of
/// them than the budget (one per service logging in the same hour), each page would read the
/// same ones again and stop at the same edge, with the same cursor, forever.
#[derive(Debug)]
pub struct Merge {
    direction: Direction,
    cursor: Option<Cursor>,
    limit: usize,
    budget: usize,
    read: usize,
    candidates: Vec<Entry>,
    chunks: std::vec::IntoIter<ChunkRef>,
    boundary: Option<i64>,
    done: bool,
}

impl Merge {
    /// A merge of the page past `position` (the newest entries when `None`): `rows` from D1,
    /// `chunks` from [`archive::chunks_statement`], at most `budget` of them past the cursor.
    pub fn new(
        position: Option<Position>,
        limit: usize,
        rows: Vec<Entry>,
        chunks: Vec<ChunkRef>,
        budget: usize,
    ) -> Self {
        Self {
            direction: position.map_or(Direction::Older, |p| p.direction),
            cursor: position.map(|p| p.cursor),
            limit,
            budget,
            read: 0,
            candidates: rows,
            chunks: chunks.into_iter(),
            boundary: None,
            done: false,
        }
    }

    /// The chunk's edge nearest to the cursor: no entry in it is nearer.
    fn edge(&self, chunk: &ChunkRef) -> i64 {
        match self.direction {
            Direction::Older => chunk.last_ts,
            Direction::Newer => chunk.first_ts,
        }
    }

    /// Whether the chunk may hold entries on both sides of the cursor: then it is read
    /// whatever the budget (see the type's documentation).
    fn spans_cursor(&self, chunk: &ChunkRef) -> bool {
        match (self.direction, self.cursor) {
            (_, None) => false,
            (Direction::Older, Some(cursor)) => chunk.last_ts >= cursor.ts,
            (Direction::Newer, Some(cursor)) => chunk.first_ts <= cursor.ts,
        }
    }

    /// Whether `ts` comes strictly before `edge` in the page's order.
    fn before_edge(&self, ts: i64, edge: i64) -> bool {
        match self.direction {
            Direction::Older => ts > edge,
            Direction::Newer => ts < edge,
        }
    }

    fn sort(&mut self) {
        let direction = self.direction;
        self.candidates.sort_unstable_by(|a, b| {
            let order = (a.ts, a.id).cmp(&(b.ts, b.id));
            match direction {
                Direction::Older => order.reverse(),
                Direction::Newer => order,
            }
        });
        // The same id can come from D1 and from a chunk if an archive run moved it between
        // the two reads; it is one entry.
        self.candidates.dedup_by_key(|entry| entry.id);
        self.candidates.truncate(self.limit + 1);
    }

    /// The next chunk to read, or `None` when the page is settled.
    pub fn next_chunk(&mut self) -> Option<ChunkRef> {
        if self.done {
            return None;
        }
        let Some(chunk) = self.chunks.next() else {
            self.done = true;
            return None;
        };
        // Keeps the candidates to `limit + 1` however many chunks are read.
        self.sort();
        if self.spans_cursor(&chunk) {
            return Some(chunk);
        }
        let edge = self.edge(&chunk);
        if self.read == self.budget {
            self.boundary = Some(edge);
            self.done = true;
            return None;
        }
        if let Some(last) = self.candidates.get(self.limit) {
            if self.before_edge(last.ts, edge) {
                self.done = true;
                return None;
            }
        }
        self.read += 1;
        Some(chunk)
    }

    pub fn add(&mut self, entries: impl IntoIterator<Item = Entry>) {
        self.candidates.extend(entries);
    }

    /// The page's entries in its own order, and the cursor to continue in that direction.
    pub fn finish(mut self) -> (Vec<Entry>, Option<Cursor>) {
        self.sort();
        if let Some(edge) = self.boundary {
            let direction = self.direction;
            self.candidates.retain(|entry| match direction {
                Direction::Older => entry.ts > edge,
                Direction::Newer => entry.ts < edge,
            });
        }
        if self.candidates.len() > self.limit {
            self.candidates.truncate(self.limit);
            let next = self
                .candidates
                .last()
                .map(|e| Cursor { ts: e.ts, id: e.id });
            return (self.candidates, next);
        }
        let next = self.boundary.map(|ts| match self.direction {
            Direction::Older => Cursor { ts, id: MAX_ID },
            Direction::Newer => Cursor { ts, id: 0 },
        });
        (self.candidates, next)
    }
}

/// One page, newest first.
#[derive(Debug)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Continues in the page's direction; `None` at the end.
    pub next: Option<Cursor>,
    /// For links: `cursor=` of the older page and `after=` of the newer one.
    pub older: Option<Cursor>,
    pub newer: Option<Cursor>,
    pub from_archive: bool,
}

/// Reads one page from D1 and the archive.
pub async fn fetch_page(
    db: &D1Database,
    bucket: &Bucket,
    filters: &Filters,
    position: Option<Position>,
    limit: usize,
    chunk_budget: usize,
) -> Result<Page, AppError> {
    // D1 first, then the archive index: an archive run moves rows by inserting the index row
    // and deleting the rows in one transaction, so a row missed by the first read is found
    // by the second; one seen by both is merged by id.
    let rows = d1_statement(filters, position.as_ref(), limit + 1)
        .prepare(db)?
        .all()
        .await?
        .results::<Row>()?;
    let rows: Vec<Entry> = rows.into_iter().filter_map(Row::into_entry).collect();
    // Every chunk spanning the cursor, and one past the budget to know where reading stopped.
    let chunks = archive::chunks_for(db, filters, position.as_ref(), chunk_budget + 1).await?;

    let direction = position.map_or(Direction::Older, |p| p.direction);
    let mut merge = Merge::new(position, limit, rows, chunks, chunk_budget);
    while let Some(chunk) = merge.next_chunk() {
        let entries = archive::read_chunk(bucket, &chunk.object_key).await?;
        merge.add(
            entries
                .into_iter()
                .filter(|entry| filters.matches(entry) && position.is_none_or(|p| p.admits(entry))),
        );
    }
    let (mut entries, next) = merge.finish();
    // What the merge guarantees (see `Merge`), checked: a cursor that does not move on would
    // have a client, or the export, fetch the same page forever.
    let advances = |next: &Cursor| match position {
        None => true,
        Some(Position {
            direction: Direction::Older,
            cursor,
        }) => *next < cursor,
        Some(Position {
            direction: Direction::Newer,
            cursor,
        }) => *next > cursor,
    };
    if next.as_ref().is_some_and(|next| !advances(next)) {
        return Err(AppError::Internal(format!(
            "paging did not advance past {position:?}"
        )));
    }

    let edge = |entry: Option<&Entry>| entry.map(|e| Cursor { ts: e.ts, id: e.id });
    let (older, newer) = match direction {
        Direction::Older => (
            next,
            position.map(|p| edge(entries.first()).unwrap_or(p.cursor)),
        ),
        Direction::Newer => {
            entries.reverse();
            (edge(entries.last()), next)
        }
    };
    let from_archive = entries.iter().any(|entry| entry.archived);
    Ok(Page {
        entries,
        next,
        older,
        newer,
        from_archive,
    })
}

/// The JSON answer. Pass `next_cursor` as `cursor` for the older entries and
/// `prev_cursor` as `after` for the newer ones; each is `null` when there are none.
#[derive(Debug, Serialize)]
struct PageBody<'a> {
    entries: Vec<ApiEntry<'a>>,
    next_cursor: Option<String>,
    prev_cursor: Option<String>,
    from_archive: bool,
}

/// Whether any entry exists at all, in D1 or the archive (for the viewer's empty state).
pub async fn any_entries(db: &D1Database) -> Result<bool, AppError> {
    let sql = "SELECT (EXISTS (SELECT 1 FROM log_entries) \
               OR EXISTS (SELECT 1 FROM archive_chunks)) AS any_entries";
    let found: Option<i64> = db.prepare(sql).first(Some("any_entries")).await?;
    Ok(found.unwrap_or(0) != 0)
}

fn json_headers(content_type: &str) -> worker::Result<Headers> {
    let headers = Headers::new();
    headers.set("Content-Type", content_type)?;
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(headers)
}

/// Handles `GET /logs` for a verified person.
pub async fn handle(
    req: &Request,
    env: &Env,
    config: &Config,
    caller: &Caller,
    now: i64,
) -> Result<Response, AppError> {
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let (raw, parsed) = parse_query(&pairs, now);
    let accept = req.headers().get("Accept")?.unwrap_or_default();
    let requested = parsed.as_ref().ok().and_then(|query| query.format);
    let format = requested.unwrap_or(if accept.contains("text/html") {
        Format::Html
    } else {
        Format::Json
    });

    let query = match parsed {
        Ok(query) => query,
        Err(problems) if format == Format::Html => {
            let page = viewer::ViewerPage::error(config, caller, &raw, problems, now);
            return viewer::html_response(400, &viewer::render(&page));
        }
        Err(problems) => {
            return Err(AppError::bad_request("invalid_filter", problems.join("; ")));
        }
    };

    if format == Format::Ndjson {
        return export(env, query);
    }
    let db = env.d1("DB")?;
    let bucket = env.bucket("ARCHIVE")?;
    let (filters, position, limit) = (&query.filters, query.position, query.limit);
    let page = fetch_page(&db, &bucket, filters, position, limit, PAGE_CHUNK_BUDGET).await?;

    if format == Format::Json {
        let body = PageBody {
            entries: page.entries.iter().map(ApiEntry::from).collect(),
            next_cursor: page.older.map(Cursor::encode),
            prev_cursor: page.newer.map(Cursor::encode),
            from_archive: page.from_archive,
        };
        let body =
            serde_json::to_string(&body).map_err(|err| AppError::Internal(err.to_string()))?;
        return Ok(Response::ok(body)?.with_headers(json_headers("application/json")?));
    }

    let anything_stored = !page.entries.is_empty() || any_entries(&db).await?;
    let view =
        viewer::ViewerPage::results(config, caller, &raw, &query, page, anything_stored, now);
    viewer::html_response(200, &viewer::render(&view))
}

/// The whole filtered range as NDJSON, streamed page by page, archive included. It starts
/// at `cursor` when one is given (an `after` position is ignored: exports run newest first).
fn export(env: &Env, query: Query) -> Result<Response, AppError> {
    struct State {
        env: Env,
        filters: Filters,
        position: Option<Position>,
        finished: bool,
    }
    let start = State {
        env: env.clone(),
        filters: query.filters,
        position: query.position.filter(|p| p.direction == Direction::Older),
        finished: false,
    };
    let stream = futures_util::stream::try_unfold(start, |mut state| async move {
        if state.finished {
            return Ok(None);
        }
        let db = state.env.d1("DB")?;
        let bucket = state.env.bucket("ARCHIVE")?;
        let page = fetch_page(
            &db,
            &bucket,
            &state.filters,
            state.position,
            EXPORT_PAGE,
            EXPORT_CHUNK_BUDGET,
        )
        .await
        .map_err(|err| {
            // The 200 and the first lines are already sent: the stream ends early.
            crate::log::error(serde_json::json!({
                "event": "export", "result": "error", "cause": format!("{err:?}"),
            }));
            worker::Error::RustError(String::from("export failed"))
        })?;
        // `fetch_page` refuses a page whose cursor does not move on, so the loop ends.
        let mut out = Vec::new();
        for entry in &page.entries {
            serde_json::to_writer(&mut out, &ApiEntry::from(entry))?;
            out.push(b'\n');
        }
        match page.next {
            Some(cursor) => {
                state.position = Some(Position {
                    direction: Direction::Older,
                    cursor,
                })
            }
            None => state.finished = true,
        }
        Ok::<_, worker::Error>(Some((out, state)))
    });
    let headers = json_headers("application/x-ndjson")?;
    headers.set(
        "Content-Disposition",
        "attachment; filename=\"logs.ndjson\"",
    )?;
    Ok(Response::from_stream(stream)?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_776_679_200_000;

    fn pairs(query: &str) -> Vec<(String, String)> {
        worker::Url::parse(&format!("https://x/?{query}"))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    fn parse(query: &str) -> Result<Query, Vec<String>> {
        parse_query(&pairs(query), NOW).1
    }

    fn entry(id: i64, ts: i64) -> Entry {
        Entry {
            id,
            ts,
            service: "api".into(),
            level: Level::Info,
            message: format!("m{id}"),
            fields: None,
            request_id: None,
            archived: false,
        }
    }

    #[test]
    fn filters_parse() {
        let query = parse(concat!(
            "service=a&service=b,c&level=warn&from=1h&to=2026-04-20T10:00:00Z",
            "&q=disk&request_id=r1&limit=50",
        ))
        .unwrap();
        assert_eq!(query.filters.services, ["a", "b", "c"]);
        assert_eq!(query.filters.min_level, Some(Level::Warn));
        assert_eq!(query.filters.from, Some(NOW - time::HOUR_MS));
        assert_eq!(query.filters.to, Some(NOW));
        assert_eq!(query.filters.request_id.as_deref(), Some("r1"));
        assert_eq!(query.limit, 50);
        assert_eq!(query.position, None);
        let empty = parse("service=&level=&q=&limit=&live=1").unwrap();
        assert_eq!(empty.filters, Filters::default());
        assert_eq!(empty.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn every_bad_filter_is_reported() {
        let problems =
            parse("level=loud&from=soon&to=x&limit=0&cursor=abc&format=xml").unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:?}");
        assert!(parse("limit=1001").is_err());
        assert!(parse("limit=-1").is_err());
        assert!(parse("limit=1000").is_ok());
        assert!(parse("level=warn&level=info").is_err());
        assert!(parse("from=1h&to=2h").unwrap_err()[0].contains("from is after to"));
        let cursor = Cursor { ts: 1, id: 1 }.encode();
        assert!(parse(&format!("cursor={cursor}&after={cursor}")).is_err());
        assert_eq!(
            parse(&format!("after={cursor}")).unwrap().position,
            Some(Position {
                direction: Direction::Newer,
                cursor: Cursor { ts: 1, id: 1 }
            })
        );
    }

    #[test]
    fn the_d1_statement_binds_every_value() {
        let query =
            parse("service=o'neil&level=error&from=0&to=5&q=a%20--&request_id=%22%3B").unwrap();
        let position = Position {
            direction: Direction::Older,
            cursor: Cursor { ts: 9, id: 3 },
        };
        let statement = d1_statement(&query.filters, Some(&position), 101);
        assert!(!statement.sql.contains("o'neil") && !statement.sql.contains("--"));
        assert_eq!(statement.sql.matches('?').count(), statement.params.len());
        assert!(statement.sql.contains("service = ?"));
        assert!(statement
            .sql
            .contains("(ts, id) < (?, ?) ORDER BY ts DESC, id DESC LIMIT ?"));
        let two = parse("service=a&service=b").unwrap();
        let statement = d1_statement(&two.filters, None, 10);
        assert!(statement.sql.contains("json_each"));
        assert_eq!(statement.params[0], Param::Text(r#"["a","b"]"#.into()));
    }

    #[test]
    fn archived_entries_are_filtered_like_rows() {
        let filters = parse("service=api&level=warn&q=disk&from=100&to=200&request_id=r")
            .unwrap()
            .filters;
        let mut e = Entry {
            level: Level::Error,
            message: "Disk full".into(),
            request_id: Some("r".into()),
            ..entry(1, 150)
        };
        assert!(filters.matches(&e));
        e.ts = 201;
        assert!(!filters.matches(&e));
        e.ts = 150;
        e.level = Level::Info;
        assert!(!filters.matches(&e));
    }

    fn chunk(first_ts: i64, last_ts: i64) -> ChunkRef {
        ChunkRef {
            object_key: format!("k{first_ts}"),
            first_ts,
            last_ts,
        }
    }

    #[test]
    fn a_merge_reads_only_chunks_that_can_reach_the_page() {
        let rows: Vec<Entry> = (0..5).map(|i| entry(100 + i, 1_000 + i)).collect();
        let mut merge = Merge::new(None, 3, rows, vec![chunk(10, 20), chunk(1, 5)], 16);
        assert_eq!(
            merge.next_chunk(),
            None,
            "four rows newer than any chunk settle the page"
        );
        let (page, next) = merge.finish();
        assert_eq!(
            page.iter().map(|e| e.id).collect::<Vec<_>>(),
            [104, 103, 102]
        );
        assert_eq!(next, Some(Cursor { ts: 1_002, id: 102 }));
    }

    #[test]
    fn a_merge_interleaves_and_deduplicates() {
        let rows = vec![entry(10, 50), entry(7, 30)];
        let mut merge = Merge::new(None, 10, rows, vec![chunk(20, 40), chunk(1, 10)], 16);
        let first = merge.next_chunk().unwrap();
        assert_eq!(first.last_ts, 40);
        merge.add([entry(8, 40), entry(7, 30)]);
        assert_eq!(merge.next_chunk().unwrap().last_ts, 10);
        merge.add([entry(1, 5)]);
        assert_eq!(merge.next_chunk(), None);
        let (page, next) = merge.finish();
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [10, 8, 7, 1]);
        assert_eq!(next, None);
    }

    #[test]
    fn equal_timestamps_do_not_stop_a_merge_early() {
        let rows = vec![entry(5, 100), entry(4, 100)];
        let mut merge = Merge::new(None, 1, rows, vec![chunk(100, 100)], 16);
        assert!(
            merge.next_chunk().is_some(),
            "the chunk may hold ts 100 with a larger id"
        );
    }

    #[test]
    fn a_spent_budget_ends_the_page_at_the_unread_chunk() {
        let rows = vec![entry(50, 500), entry(49, 100)];
        let chunks = vec![chunk(300, 400), chunk(150, 200)];
        let mut merge = Merge::new(None, 10, rows, chunks, 1);
        assert!(merge.next_chunk().is_some());
        merge.add([entry(20, 350)]);
        assert_eq!(merge.next_chunk(), None);
        let (page, next) = merge.finish();
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [50, 20]);
        assert_eq!(
            next,
            Some(Cursor {
                ts: 200,
                id: MAX_ID
            })
        );
    }

    #[test]
    fn newer_pages_merge_in_ascending_order() {
        let rows = vec![entry(3, 30), entry(4, 40)];
        let position = Position {
            direction: Direction::Newer,
            cursor: Cursor { ts: 20, id: 0 },
        };
        let mut merge = Merge::new(Some(position), 2, rows, vec![chunk(25, 35)], 16);
        assert!(merge.next_chunk().is_some());
        merge.add([entry(2, 26)]);
        let (page, next) = merge.finish();
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(next, Some(Cursor { ts: 30, id: 3 }));
    }

    #[test]
    fn chunks_spanning_the_cursor_are_read_beyond_the_budget() {
        let position = Position {
            direction: Direction::Older,
            cursor: Cursor {
                ts: 100,
                id: MAX_ID,
            },
        };
        let mut chunks: Vec<ChunkRef> = (0..20).map(|_| chunk(50, 150)).collect();
        chunks.extend([chunk(60, 90), chunk(10, 20)]);
        let mut merge = Merge::new(Some(position), 1_000, Vec::new(), chunks, 1);
        let mut read = 0;
        while merge.next_chunk().is_some() {
            read += 1;
        }
        assert_eq!(read, 21, "the 20 spanning chunks and one past the cursor");
        let (_, next) = merge.finish();
        assert_eq!(next, Some(Cursor { ts: 20, id: MAX_ID }));
    }

    /// An archive for the paging model: entries in D1 and in chunks, each entry in one place.
    struct Model {
        rows: Vec<Entry>,
        chunks: Vec<(ChunkRef, Vec<Entry>)>,
    }

    impl Model {
        /// `count` entries with timestamps in `1..=spread` (so many share one), a third in
        /// D1 and the rest spread over `chunk_count` chunks that overlap one another.
        fn new(seed: u64, count: i64, spread: i64, chunk_count: u64) -> Self {
            let mut state = seed;
            let mut next = move |below: u64| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 33) % below
            };
            let mut rows = Vec::new();
            let mut groups: Vec<Vec<Entry>> = (0..chunk_count).map(|_| Vec::new()).collect();
            for id in 1..=count {
                let e = entry(id, 1 + next(spread as u64) as i64);
                match next(3) {
                    0 => rows.push(e),
                    _ => groups[next(chunk_count) as usize].push(e),
                }
            }
            let chunks = groups
                .into_iter()
                .enumerate()
                .filter(|(_, entries)| !entries.is_empty())
                .map(|(i, entries)| {
                    let first_ts = entries.iter().map(|e| e.ts).min().unwrap();
                    let last_ts = entries.iter().map(|e| e.ts).max().unwrap();
                    let object_key = format!("k{i:03}");
                    let chunk = ChunkRef {
                        object_key,
                        first_ts,
                        last_ts,
                    };
                    (chunk, entries)
                })
                .collect();
            Self { rows, chunks }
        }

        /// What the index statement selects: the chunks spanning the cursor, then at most
        /// `limit` wholly past it, nearest first.
        fn select(&self, position: Option<Position>, limit: usize) -> Vec<ChunkRef> {
            let direction = position.map_or(Direction::Older, |p| p.direction);
            let edge = |c: &ChunkRef| match direction {
                Direction::Older => -c.last_ts,
                Direction::Newer => c.first_ts,
            };
            let mut all: Vec<ChunkRef> = self.chunks.iter().map(|(c, _)| c.clone()).collect();
            all.sort_by(|a, b| (edge(a), &a.object_key).cmp(&(edge(b), &b.object_key)));
            let Some(Position { direction, cursor }) = position else {
                all.truncate(limit);
                return all;
            };
            let (spanning, past): (Vec<ChunkRef>, Vec<ChunkRef>) = all
                .into_iter()
                .filter(|c| match direction {
                    Direction::Older => c.first_ts <= cursor.ts,
                    Direction::Newer => c.last_ts >= cursor.ts,
                })
                .partition(|c| match direction {
                    Direction::Older => c.last_ts >= cursor.ts,
                    Direction::Newer => c.first_ts <= cursor.ts,
                });
            spanning
                .into_iter()
                .chain(past.into_iter().take(limit))
                .collect()
        }

        /// One page, as `fetch_page` makes it.
        fn page(
            &self,
            position: Option<Position>,
            limit: usize,
            budget: usize,
        ) -> (Vec<Entry>, Option<Cursor>) {
            let admits = |e: &Entry| position.is_none_or(|p| p.admits(e));
            let mut rows: Vec<Entry> = self.rows.iter().filter(|e| admits(e)).cloned().collect();
            rows.sort_by_key(|e| (e.ts, e.id));
            if position.is_none_or(|p| p.direction == Direction::Older) {
                rows.reverse();
            }
            rows.truncate(limit + 1);
            let chunks = self.select(position, budget + 1);
            let mut merge = Merge::new(position, limit, rows, chunks, budget);
            while let Some(chunk) = merge.next_chunk() {
                let (_, entries) = self
                    .chunks
                    .iter()
                    .find(|(c, _)| c.object_key == chunk.object_key)
                    .unwrap();
                merge.add(entries.iter().filter(|e| admits(e)).cloned());
            }
            merge.finish()
        }

        /// Every page from `start` on, each page's ids in its own order.
        fn walk(&self, start: Option<Position>, limit: usize, budget: usize) -> Vec<i64> {
            let direction = start.map_or(Direction::Older, |p| p.direction);
            let (mut position, mut ids, mut pages) = (start, Vec::new(), 0);
            loop {
                let (entries, next) = self.page(position, limit, budget);
                ids.extend(entries.iter().map(|e| e.id));
                pages += 1;
                assert!(pages < 10_000, "paging does not end");
                let Some(cursor) = next else { return ids };
                if let Some(p) = position {
                    match direction {
                        Direction::Older => assert!(cursor < p.cursor, "{cursor:?} {p:?}"),
                        Direction::Newer => assert!(cursor > p.cursor, "{cursor:?} {p:?}"),
                    }
                }
                position = Some(Position { direction, cursor });
            }
        }
    }

    #[test]
    fn paging_through_overlapping_chunks_returns_every_entry_once_both_ways() {
        for seed in 0..12 {
            // Many chunks over one short span: far more overlap any instant than a budget.
            let model = Model::new(seed, 400, 1 + 60 * (seed as i64 % 3), 5 + seed * 4);
            let mut all: Vec<Entry> = model
                .rows
                .iter()
                .chain(model.chunks.iter().flat_map(|(_, entries)| entries))
                .cloned()
                .collect();
            all.sort_by_key(|e| (e.ts, e.id));
            let ascending: Vec<i64> = all.iter().map(|e| e.id).collect();
            let descending: Vec<i64> = ascending.iter().rev().copied().collect();
            let oldest = Position {
                direction: Direction::Newer,
                cursor: Cursor { ts: 0, id: 0 },
            };
            for (limit, budget) in [(1, 1), (3, 2), (7, 1), (50, 3), (1000, 16)] {
                let why = format!("seed {seed}, limit {limit}, budget {budget}");
                assert_eq!(model.walk(None, limit, budget), descending, "older: {why}");
                assert_eq!(
                    model.walk(Some(oldest), limit, budget),
                    ascending,
                    "newer: {why}"
                );
            }
        }
    }
}
