-- Logging: recent entries, a full-text index over their messages, and the
-- index of chunks archived to R2. Timestamps are Unix milliseconds.

CREATE TABLE log_entries (
  id INTEGER PRIMARY KEY,
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

CREATE VIRTUAL TABLE log_entries_fts USING fts5 (
  message,
  content = 'log_entries',
  content_rowid = 'id'
);

CREATE TRIGGER log_entries_fts_insert AFTER INSERT ON log_entries BEGIN
  INSERT INTO log_entries_fts (rowid, message) VALUES (new.id, new.message);
END;

CREATE TRIGGER log_entries_fts_delete AFTER DELETE ON log_entries BEGIN
  INSERT INTO log_entries_fts (log_entries_fts, rowid, message)
  VALUES ('delete', old.id, old.message);
END;

-- Chunks written to R2: one per service and hour, written once, never changed.
CREATE TABLE archive_chunks (
  object_key TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  hour INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  entry_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX archive_chunks_by_time ON archive_chunks (first_ts, last_ts);
