-- Logging: recent entries, a full-text index over their messages, and the
-- index of chunks archived to R2. Timestamps are Unix milliseconds.

-- AUTOINCREMENT: ids are never reused, even after every row has been archived.
-- Paging cursors, the merge of D1 with the archive, and archive chunk keys all
-- rely on an id naming one entry forever.
CREATE TABLE log_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  service TEXT NOT NULL,
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 6),
  message TEXT NOT NULL,
  fields TEXT,
  request_id TEXT,
  received_at INTEGER NOT NULL
);
-- Newest-first keyset paging walks (ts, id); the others serve the filters.
CREATE INDEX log_entries_by_time ON log_entries (ts, id);
CREATE INDEX log_entries_by_service ON log_entries (service, ts, id);
CREATE INDEX log_entries_by_request ON log_entries (request_id) WHERE request_id IS NOT NULL;

-- Tokens are runs of letters and digits, case-folded, diacritics kept: the
-- worker applies the same rule to archived entries (src/search.rs).
CREATE VIRTUAL TABLE log_entries_fts USING fts5 (
  message,
  content = 'log_entries',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER log_entries_fts_insert AFTER INSERT ON log_entries BEGIN
  INSERT INTO log_entries_fts (rowid, message) VALUES (new.id, new.message);
END;

CREATE TRIGGER log_entries_fts_delete AFTER DELETE ON log_entries BEGIN
  INSERT INTO log_entries_fts (log_entries_fts, rowid, message)
  VALUES ('delete', old.id, old.message);
END;

-- Chunks written to R2, each written once under a key derived from its ids.
-- A row here means the object is stored and its entries are gone from
-- log_entries (both happen in one transaction, see src/archive.rs).
CREATE TABLE archive_chunks (
  object_key TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  hour INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  entry_count INTEGER NOT NULL,
  -- The most severe level in the chunk: a level filter skips chunks below it.
  max_level INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX archive_chunks_by_last ON archive_chunks (last_ts);
CREATE INDEX archive_chunks_by_first ON archive_chunks (first_ts);
CREATE INDEX archive_chunks_by_service ON archive_chunks (service, last_ts);
