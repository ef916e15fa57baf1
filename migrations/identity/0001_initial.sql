-- Identity: people, the services they sign in to, sessions, machine clients
-- and the failed attempts that throttle guessing. Times are Unix seconds.

-- Usernames are ASCII (the admin tool enforces it), so NOCASE compares them
-- case-insensitively while the name is kept as entered.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);

-- A service people sign in to. Its audience becomes the token's `aud`; the
-- token cookie is named and scoped so that only this service receives it.
CREATE TABLE services (
  audience TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  cookie_name TEXT NOT NULL UNIQUE,
  cookie_path TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- URL prefixes a browser may be sent back to after signing in to a service.
CREATE TABLE service_return_prefixes (
  audience TEXT NOT NULL REFERENCES services (audience) ON DELETE CASCADE,
  prefix TEXT NOT NULL UNIQUE,
  PRIMARY KEY (audience, prefix)
);

-- Browser sessions. Only a SHA-256 hash of the random session id is kept.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Machines that get tokens with client credentials.
CREATE TABLE service_clients (
  client_id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  subject TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE service_client_audiences (
  client_id TEXT NOT NULL REFERENCES service_clients (client_id) ON DELETE CASCADE,
  audience TEXT NOT NULL,
  PRIMARY KEY (client_id, audience)
);

-- One row per failed sign-in, keyed by `user:<lowercased name>` or
-- `addr:<client address>`; old rows are pruned as new ones arrive.
CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  throttle_key TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (throttle_key, failed_at);
