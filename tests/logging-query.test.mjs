// GET /logging-backend/logs: filters (with SQL and FTS syntax in every one),
// keyset paging both ways, NDJSON export, and the HTML viewer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  LOGS,
  browse,
  entries,
  postLogs,
  queryAll,
  queryLogs,
  startLogging,
} from "./support/logging.mjs";

let system;
let user;
const nasty = `o'brien";--%_`;

// Messages chosen so that each meta-character query has one obvious answer.
const messages = {
  quote: "user o'brien logged in",
  dquote: 'said "hello" to server',
  semicolon: "drop table; -- comment",
  percent: "100% done",
  underscore: "snake_case_name here",
  operators: "cats AND dogs OR birds NEAR trees",
  symbols: "wildcard * and caret ^ and (parens)",
  plain: "plain entry",
};

before(async () => {
  system = await startLogging();
  user = await system.userToken("ann");
  const t0 = Date.now() - 60 * 60_000;
  const batch = Object.entries(messages).map(([name, message], i) => ({
    level: ["trace", "debug", "info", "warn", "error", "fatal", "info", "warn"][i],
    message,
    ts: t0 + i * 1000,
    request_id: name === "quote" ? "'; DROP TABLE log_entries; --" : `req-${name}`,
    fields: { name },
  }));
  const res = await postLogs(system, await system.serviceToken("search"), batch);
  assert.equal(res.status, 201, await res.text());
  const odd = await postLogs(system, await system.serviceToken(nasty), [
    { level: "error", message: "from the oddly named service", ts: t0 + 20_000 },
  ]);
  assert.equal(odd.status, 201);
});
after(() => system?.stop());

const names = (page) => page.entries.map((e) => e.fields?.name ?? e.message);

test("entries come back newest first in the documented shape", async () => {
  const page = await queryLogs(system, user, { service: "search", limit: "2" });
  assert.deepEqual(Object.keys(page), ["entries", "next_cursor", "prev_cursor", "from_archive"]);
  const [entry] = page.entries;
  assert.deepEqual(Object.keys(entry), [
    "id", "ts", "service", "level", "message", "fields", "request_id",
  ]);
  assert.match(entry.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(entry.fields.name, "plain");
  assert.equal(typeof page.next_cursor, "string");
  assert.equal(page.from_archive, false);
});

test("q: SQL and FTS5 syntax is searched as text, never an error", async () => {
  const cases = [
    ["o'brien", ["quote"]],
    ['"hello"', ["dquote"]],
    [";", ["semicolon"]],
    ["--", ["semicolon"]],
    ["%", ["percent"]],
    ["100%", ["percent"]],
    ["_", ["underscore"]],
    ["snake_case_name", ["underscore"]],
    ["AND", ["symbols", "operators"]],
    ["OR", ["operators"]],
    ["NEAR", ["operators"]],
    ["NEAR(", ["operators"]],
    ["cats AND", ["operators"]],
    ["*", ["symbols"]],
    ["^", ["symbols"]],
    ["(", ["symbols"]],
    [")", ["symbols"]],
    ["(parens)", ["symbols"]],
    ["caret ^ (", ["symbols"]],
    ["x' OR '1'='1", []],
    ['" OR "', []],
    ["'; DROP TABLE log_entries; --", []],
    ["PLAIN", ["plain"]],
  ];
  for (const [q, expected] of cases) {
    const page = await queryLogs(system, user, { q, service: "search" });
    assert.deepEqual(names(page), expected, `q=${q}`);
  }
  const all = await queryLogs(system, user, {});
  assert.equal(all.entries.length, 9, "the table is intact");
});

test("service and request_id with SQL meta characters match exactly", async () => {
  const odd = await queryLogs(system, user, { service: nasty });
  assert.deepEqual(odd.entries.map((e) => e.service), [nasty]);
  assert.deepEqual((await queryLogs(system, user, { service: "o'brien" })).entries, []);
  assert.deepEqual((await queryLogs(system, user, { service: "%" })).entries, []);

  const both = new URLSearchParams([["service", nasty], ["service", "search"], ["limit", "100"]]);
  assert.equal((await queryLogs(system, user, both)).entries.length, 9);

  const byRequest = await queryLogs(system, user, { request_id: "'; DROP TABLE log_entries; --" });
  assert.deepEqual(names(byRequest), ["quote"]);
  assert.deepEqual((await queryLogs(system, user, { request_id: "%" })).entries, []);
  assert.deepEqual((await queryLogs(system, user, { request_id: "req-%" })).entries, []);
});

test("level means at least this severe; from and to bound the time", async () => {
  const warn = await queryLogs(system, user, { service: "search", level: "warn" });
  assert.deepEqual(names(warn), ["plain", "operators", "underscore", "percent"]);
  const fatal = await queryLogs(system, user, { level: "FATAL" });
  assert.deepEqual(names(fatal), ["operators"]);

  const all = (await queryLogs(system, user, { service: "search" })).entries;
  const [newest, second] = all;
  const oldest = all.at(-1);
  const range = await queryLogs(system, user, {
    from: second.ts,
    to: newest.ts,
    service: "search",
  });
  assert.deepEqual(names(range), ["plain", "symbols"]);
  const asMs = await queryLogs(system, user, { to: String(Date.parse(oldest.ts)) });
  assert.deepEqual(names(asMs), ["quote"]);
  assert.equal((await queryLogs(system, user, { from: "2h" })).entries.length, 9);
  assert.equal((await queryLogs(system, user, { from: "5m" })).entries.length, 0);
  assert.equal((await queryLogs(system, user, { to: "2h" })).entries.length, 0);
});

test("bad filter values: 400 invalid_filter naming each problem", async () => {
  for (const params of [
    { limit: "0" },
    { limit: "1001" },
    { limit: "ten" },
    { level: "loud" },
    { from: "yesterday" },
    { to: "'; --" },
    { from: "1h", to: "2h" },
    { cursor: "not-a-cursor" },
    { format: "xml" },
  ]) {
    const res = await system.fetch(`${LOGS}?${new URLSearchParams(params)}`, {
      headers: { Authorization: `Bearer ${user}`, Accept: "application/json" },
    });
    assert.equal(res.status, 400, JSON.stringify(params));
    const body = await res.json();
    assert.equal(body.error, "invalid_filter");
    assert.ok(body.error_description.length > 5);
  }
});

test("a tampered cursor is refused", async () => {
  const { next_cursor: cursor } = await queryLogs(system, user, { limit: "1" });
  const last = cursor.at(-1) === "A" ? "B" : "A";
  for (const bad of [cursor.slice(0, -1) + last, cursor.slice(1), cursor + "AAAA"]) {
    const res = await system.fetch(`${LOGS}?cursor=${bad}`, {
      headers: { Authorization: `Bearer ${user}` },
    });
    assert.equal(res.status, 400, bad);
    assert.match((await res.json()).error_description, /cursor is not a cursor this service made/);
  }
});

test("250 entries with one timestamp page by 100 with none missing or repeated", async () => {
  const token = await system.serviceToken("pager");
  const ts = Date.now() - 30 * 60_000;
  const batch = entries(250, (i) => ({ level: "info", message: `same-time ${i}`, ts }));
  assert.equal((await postLogs(system, token, batch)).status, 201);

  const { entries: seen, pages } = await queryAll(system, user, { service: "pager", limit: "100" });
  assert.equal(pages, 3);
  assert.equal(seen.length, 250);
  assert.equal(new Set(seen.map((e) => e.id)).size, 250);
  const ids = seen.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest (highest id) first");
});

test("mixed timestamps page consistently, and prev_cursor walks back to the newest", async () => {
  const token = await system.serviceToken("mixed");
  const base = Date.now() - 20 * 60_000;
  const batch = entries(57, (i) => ({
    level: "info",
    message: `m${i}`,
    ts: base + (i % 5) * 1000,
  }));
  assert.equal((await postLogs(system, token, batch)).status, 201);
  const expected = (await queryLogs(system, user, { service: "mixed", limit: "1000" })).entries;
  assert.equal(expected.length, 57);
  const { entries: paged } = await queryAll(system, user, { service: "mixed", limit: "10" });
  assert.deepEqual(paged.map((e) => e.id), expected.map((e) => e.id));

  const first = await queryLogs(system, user, { service: "mixed", limit: "10" });
  assert.equal(first.prev_cursor, null, "nothing is newer than the first page");
  const second = await queryLogs(system, user, {
    service: "mixed", limit: "10", cursor: first.next_cursor,
  });
  const third = await queryLogs(system, user, {
    service: "mixed", limit: "10", cursor: second.next_cursor,
  });
  const backToSecond = await queryLogs(system, user, {
    service: "mixed", limit: "10", after: third.prev_cursor,
  });
  assert.deepEqual(backToSecond.entries.map((e) => e.id), second.entries.map((e) => e.id));
  const backToFirst = await queryLogs(system, user, {
    service: "mixed", limit: "10", after: backToSecond.prev_cursor,
  });
  assert.deepEqual(backToFirst.entries.map((e) => e.id), first.entries.map((e) => e.id));
  assert.equal(backToFirst.prev_cursor, null, "the newest page says so");
  assert.equal(backToFirst.next_cursor, first.next_cursor);
});

test("NDJSON export returns the whole filtered range", async () => {
  const res = await system.fetch(`${LOGS}?service=pager&format=ndjson&limit=7`, {
    headers: { Authorization: `Bearer ${user}` },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const lines = (await res.text()).trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 250);
  assert.equal(new Set(lines.map((e) => e.id)).size, 250);
  assert.deepEqual(Object.keys(lines[0]), [
    "id", "ts", "service", "level", "message", "fields", "request_id",
  ]);
});
