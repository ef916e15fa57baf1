// Helpers for the logging worker's Miniflare specs: a key pair and tokens minted
// with jose (an implementation independent of the Rust verifier), requests as
// services and people make them, and direct access to D1 and R2.
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { startSystem } from "./system.mjs";

export const ISSUER = "https://aurorahours.com/identity-backend";
export const AUDIENCE = "logging-service";
export const LOGIN_URL = "https://aurorahours.com/identity-backend/login";
export const LOGOUT_URL = "https://aurorahours.com/identity-backend/logout";
export const LOGS = "/logging-backend/logs";
export const DAY = 24 * 60 * 60 * 1000;
export const HOUR = 60 * 60 * 1000;

/** A fresh Ed25519 key pair with its public JWK, as the identity worker publishes it. */
export async function makeKey(kid = "test-key-1") {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { kid, privateKey, jwk };
}

/**
 * Starts the system with the logging worker trusting `key` (and any extra
 * bindings). Returns the system plus token helpers bound to that key.
 * `LOGGING_SCRIPT` in the environment runs another build of the worker (to
 * see a spec fail against the code before a fix, say).
 */
export async function startLogging({ logging = {}, key } = {}) {
  key ??= await makeKey();
  const script = process.env.LOGGING_SCRIPT;
  const system = await startSystem({
    logging: { VERIFICATION_KEYS: JSON.stringify({ keys: [key.jwk] }), ...logging },
    scripts: script ? { logging: script } : {},
  });
  const token = (options) => mintToken(key, options);
  return {
    ...system,
    key,
    token,
    serviceToken: (sub = "billing") => token({ kind: "service", sub }),
    userToken: (sub = "ann") => token({ kind: "user", sub }),
  };
}

/** Signs a token with jose. Any claim can be overridden to make a bad one. */
export async function mintToken(
  key,
  { kind = "service", sub = "billing", aud = AUDIENCE, iss = ISSUER, exp = "5m", iat } = {},
) {
  const jwt = new SignJWT({ kind })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid })
    .setIssuer(iss)
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
  return jwt.sign(key.privateKey);
}

/** POSTs entries (an array is sent as JSON, a string as is). */
export function postLogs(
  system,
  token,
  body,
  { contentType = "application/json", headers = {} } = {},
) {
  return system.fetch(LOGS, {
    method: "POST",
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      "Content-Type": contentType,
      ...headers,
    },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

/** GET /logs as a program with a user token; `params` is an object or URLSearchParams. */
export async function queryLogs(system, token, params = {}) {
  const search = new URLSearchParams(params);
  const res = await system.fetch(`${LOGS}?${search}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`query ${search} -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** Every page of a query, following next_cursor. */
export async function queryAll(system, token, params = {}) {
  const entries = [];
  let cursor;
  let pages = 0;
  do {
    const page = await queryLogs(system, token, { ...params, ...(cursor ? { cursor } : {}) });
    entries.push(...page.entries);
    cursor = page.next_cursor;
    pages += 1;
    if (pages > 1000) throw new Error("paging does not end");
  } while (cursor);
  return { entries, pages };
}

/** GET /logs as a browser: cookie token, Accept text/html. */
export function browse(system, path, { token, headers = {} } = {}) {
  return system.fetch(path, {
    headers: {
      Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      ...(token ? { Cookie: `logging_token=${token}` } : {}),
      ...headers,
    },
  });
}

/** Writes rows straight into D1 (for entries older than any sender would send). */
export async function insertRows(db, rows) {
  const statements = rows.map((row) =>
    db
      .prepare(
        "INSERT INTO log_entries (ts, service, level, message, fields, request_id, received_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .bind(
        row.ts,
        row.service ?? "billing",
        row.level ?? 3,
        row.message ?? "m",
        row.fields === undefined ? null : JSON.stringify(row.fields),
        row.request_id ?? null,
        row.ts,
      ),
  );
  for (let i = 0; i < statements.length; i += 500) {
    await db.batch(statements.slice(i, i + 500));
  }
}

/** Fires the archive cron as of `scheduledTime` (a Date or ms; default now). */
export async function runArchive(system, scheduledTime = Date.now()) {
  const worker = await system.mf.getWorker("logging-worker");
  return worker.scheduled({ cron: "*/15 * * * *", scheduledTime: new Date(scheduledTime) });
}

/** Every object key in the archive bucket. */
export async function archiveKeys(system) {
  const bucket = await system.archive();
  const keys = [];
  let cursor;
  do {
    const listing = await bucket.list({ prefix: "logs/", cursor });
    keys.push(...listing.objects.map((o) => o.key));
    cursor = listing.truncated ? listing.cursor : undefined;
  } while (cursor);
  return keys;
}

export async function count(db, sql, ...params) {
  const row = await db.prepare(sql).bind(...params).first();
  return Object.values(row)[0];
}

/** Entries for a POST: `n` entries with messages `${prefix}-${i}`. */
export function entries(n, make = (i) => ({ level: "info", message: `entry-${i}` })) {
  return Array.from({ length: n }, (_, i) => make(i));
}
