// The archive cron: entries older than RETENTION_DAYS move from D1 to gzip
// NDJSON chunks in R2, indexed in D1; queries read both as one; reruns, runs
// that fail half-way and stray objects lose and duplicate nothing; old chunks
// expire. Runs are fired through Miniflare's scheduled event, with a chosen
// scheduledTime to stand for "later".
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  DAY,
  HOUR,
  LOGS,
  archiveKeys,
  count,
  insertRows,
  postLogs,
  queryAll,
  queryLogs,
  runArchive,
  startLogging,
} from "./support/logging.mjs";

let system;
let user;
let db;
before(async () => {
  system = await startLogging();
  user = await system.userToken();
  db = system.loggingDb;
});
after(() => system?.stop());

beforeEach(async () => {
  await db.prepare("DELETE FROM log_entries").run();
  await db.prepare("DELETE FROM archive_chunks").run();
  const bucket = await system.archive();
  const keys = await archiveKeys(system);
  if (keys.length) await bucket.delete(keys);
});

const rows = () => count(db, "SELECT count(*) FROM log_entries");
const indexRows = async () =>
  (await db.prepare("SELECT * FROM archive_chunks ORDER BY object_key").all()).results;

/** The hour-aligned start, so that test data falls in known hours. */
const hourOf = (ts) => ts - (ts % HOUR);

async function everything(params = {}) {
  const { entries } = await queryAll(system, user, { limit: "1000", ...params });
  return entries;
}

test("a run moves old entries into indexed gzip chunks and deletes them from D1", async () => {
  const now = Date.now();
  const h1 = hourOf(now - 10 * DAY);
  const old = [
    ...Array.from({ length: 5 }, (_, i) => ({ ts: h1 + i * 60_000, message: `b1-${i}` })),
    ...Array.from({ length: 5 }, (_, i) => ({ ts: h1 + HOUR + i * 60_000, message: `b2-${i}` })),
    ...Array.from({ length: 3 }, (_, i) => ({
      ts: h1 + 1000 * i,
      service: "mailer",
      message: `m-${i}`,
    })),
  ];
  await insertRows(db, old);
  const res = await postLogs(system, await system.serviceToken(), [
    { level: "info", message: "recent 1" },
    { level: "info", message: "recent 2", ts: now - 6 * DAY },
  ]);
  assert.equal(res.status, 201);
  const idsBefore = (await db.prepare("SELECT id, message FROM log_entries").all()).results;

  await runArchive(system, now);

  assert.equal(await rows(), 2, "only entries younger than 7 days stay in D1");
  const index = await indexRows();
  assert.equal(index.length, 3, "one chunk per service and hour");
  const keys = await archiveKeys(system);
  assert.deepEqual(keys.sort(), index.map((r) => r.object_key).sort());

  const date = new Date(h1).toISOString();
  const [y, mo, d, h] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10), date.slice(11, 13)];
  const bucket = await system.archive();
  for (const chunk of index) {
    const keyShape =
      /^logs\/\d{4}\/\d\d\/\d\d\/\d\d\/(billing|mailer)\/\d+-\d+-[0-9a-f]{16}\.ndjson\.gz$/;
    assert.match(chunk.object_key, keyShape);
    const object = await bucket.get(chunk.object_key);
    const bytes = new Uint8Array(await object.arrayBuffer());
    assert.equal(chunk.size_bytes, bytes.length);
    const lines = gunzipSync(bytes).toString("utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, chunk.entry_count);
    assert.ok(lines.every((l) => l.service === chunk.service));
    assert.equal(chunk.first_ts, Math.min(...lines.map((l) => l.ts)));
    assert.equal(chunk.last_ts, Math.max(...lines.map((l) => l.ts)));
    assert.equal(chunk.first_id, Math.min(...lines.map((l) => l.id)));
    for (const line of lines) {
      assert.equal(idsBefore.find((r) => r.id === line.id)?.message, line.message);
    }
  }
  const billingFirst = index.find((r) => r.service === "billing" && r.hour === h1);
  assert.ok(billingFirst.object_key.startsWith(`logs/${y}/${mo}/${d}/${h}/billing/`));
  assert.equal(billingFirst.entry_count, 5);
});

test("queries read D1 and the archive as one seamless, newest-first result", async () => {
  const now = Date.now();
  const service = await system.serviceToken("billing");
  const other = await system.serviceToken("mailer");
  const levels = ["debug", "info", "warn", "error"];
  const make = (i, age) => ({
    level: levels[i % 4],
    message: i % 3 === 0 ? `disk almost full ${i}` : `request served ${i}`,
    ts: now - age,
    ...(i % 5 === 0 ? { request_id: `req-${i % 2}` } : {}),
    ...(i % 4 === 0 ? { fields: { i } } : {}),
  });
  // Old entries spread over ten days, some sharing a timestamp, plus recent ones.
  const oldBatch = Array.from({ length: 60 }, (_, i) => make(i, 8 * DAY + (i % 20) * 7 * HOUR));
  const recentBatch = Array.from({ length: 15 }, (_, i) => make(100 + i, (i % 4) * HOUR));
  assert.equal((await postLogs(system, service, oldBatch.slice(0, 40))).status, 201);
  assert.equal((await postLogs(system, other, oldBatch.slice(40))).status, 201);
  assert.equal((await postLogs(system, service, recentBatch)).status, 201);

  const filters = [
    {},
    { level: "warn" },
    { q: "disk" },
    { q: "full served" },
    { request_id: "req-0" },
    { service: "mailer" },
    { from: "9d", to: "4h" },
    { service: "billing", level: "error", q: "disk" },
  ];
  const before = [];
  for (const params of filters) before.push(await everything(params));
  assert.equal(before[0].length, 75);

  await runArchive(system, now);
  assert.equal(await rows(), 15, "the old entries left D1");
  assert.ok((await indexRows()).length > 5);

  for (const [i, params] of filters.entries()) {
    const afterArchive = await everything(params);
    assert.deepEqual(afterArchive, before[i], `same result for ${JSON.stringify(params)}`);
    const small = await queryAll(system, user, { limit: "7", ...params });
    assert.deepEqual(small.entries, before[i], `paged by 7 for ${JSON.stringify(params)}`);
  }
  const page = await queryLogs(system, user, { limit: "1000" });
  assert.equal(page.from_archive, true);
  assert.equal((await queryLogs(system, user, { limit: "5" })).from_archive, false);

  // Back towards the newest with prev_cursor, across the D1/archive boundary.
  const p1 = await queryLogs(system, user, { limit: "10" });
  const p2 = await queryLogs(system, user, { limit: "10", cursor: p1.next_cursor });
  const p3 = await queryLogs(system, user, { limit: "10", cursor: p2.next_cursor });
  const back = await queryLogs(system, user, { limit: "10", after: p3.prev_cursor });
  assert.deepEqual(back.entries, p2.entries);

  // The export includes the archive.
  const res = await system.fetch(`${LOGS}?format=ndjson`, {
    headers: { Authorization: `Bearer ${user}` },
  });
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, before[0]);

  // The viewer says where results come from.
  const html = await (
    await system.fetch(`${LOGS}?from=30d`, {
      headers: { Accept: "text/html", Cookie: `logging_token=${user}` },
    })
  ).text();
  assert.match(html, /Some of these entries come from the archive/);
  assert.match(html, /<span class="badge">archived<\/span>/);
});

test("a second run changes nothing", async () => {
  const now = Date.now();
  const old = Array.from({ length: 30 }, (_, i) => ({
    ts: now - 9 * DAY - i * HOUR,
    message: `x${i}`,
  }));
  await insertRows(db, old);
  await runArchive(system, now);
  const index = await indexRows();
  const keys = await archiveKeys(system);
  const result = await everything();
  assert.equal(index.length, 30);
  assert.equal(result.length, 30);

  await runArchive(system, now + 60_000);
  assert.deepEqual(await indexRows(), index);
  assert.deepEqual(await archiveKeys(system), keys);
  assert.deepEqual(await everything(), result);
});

test("a run failing half-way loses and duplicates nothing; the next one finishes", async () => {
  const now = Date.now();
  const base = hourOf(now - 10 * DAY);
  await insertRows(
    db,
    Array.from({ length: 40 }, (_, i) => ({ ts: base + (i % 4) * HOUR + i, message: `row ${i}` })),
  );
  const expected = await everything();
  assert.equal(expected.length, 40);

  // A real failure after the first chunk: its object is put to R2, then D1 refuses the
  // index row, so the transaction that would delete the rows is rolled back.
  await db.exec(
    "CREATE TRIGGER fail_after_first BEFORE INSERT ON archive_chunks " +
      "WHEN (SELECT count(*) FROM archive_chunks) >= 1 BEGIN SELECT RAISE(ABORT, 'injected'); END",
  );
  try {
    await runArchive(system, now);
  } finally {
    await db.exec("DROP TRIGGER fail_after_first");
  }
  assert.equal((await indexRows()).length, 1, "the first chunk was moved");
  assert.equal(await rows(), 30, "the rest is still in D1");
  const keys = await archiveKeys(system);
  assert.equal(keys.length, 2, "the failed chunk's object is there, unindexed");
  assert.deepEqual(await everything(), expected, "every entry exactly once meanwhile");

  await runArchive(system, now);
  const index = await indexRows();
  assert.equal(index.length, 4);
  assert.equal(await rows(), 0);
  assert.deepEqual(
    (await archiveKeys(system)).sort(),
    index.map((r) => r.object_key).sort(),
    "the rerun overwrote the same object: no stray left",
  );
  assert.deepEqual(await everything(), expected);
});

test("a stray object of an interrupted run is never read, and is swept on expiry", async () => {
  const now = Date.now();
  const hour = new Date(hourOf(now - 10 * DAY)).toISOString();
  const prefix = hour.slice(0, 13).replace(/[-T]/g, "/");
  const key = `logs/${prefix}/billing/1-2-00000000000000ff.ndjson.gz`;
  const line = {
    id: 1,
    ts: now - 10 * DAY,
    service: "billing",
    level: "info",
    message: "stray",
    fields: null,
    request_id: null,
  };
  const bucket = await system.archive();
  await bucket.put(key, new Uint8Array(gzipSync(JSON.stringify(line) + "\n")));
  await insertRows(db, [{ ts: now - 1000, message: "live one" }]);

  assert.deepEqual((await everything()).map((e) => e.message), ["live one"]);
  await runArchive(system, now);
  assert.ok((await archiveKeys(system)).includes(key), "kept until its hour expires");

  await runArchive(system, now + 85 * DAY);
  assert.ok(!(await archiveKeys(system)).includes(key), "swept after ARCHIVE_RETENTION_DAYS");
});

test("chunks older than ARCHIVE_RETENTION_DAYS are deleted with their index rows", async () => {
  const now = Date.now();
  await insertRows(db, [
    { ts: now - 10 * DAY, message: "ten days" },
    { ts: now - 8 * DAY, message: "eight days" },
    { ts: now - 3 * DAY, message: "three days" },
  ]);
  await runArchive(system, now);
  const firstIndex = await indexRows();
  assert.equal(firstIndex.length, 2);
  assert.equal(await rows(), 1);

  // 85 days later: the 10- and 8-day-old chunks are 95 and 93 days old, past 90.
  await runArchive(system, now + 85 * DAY);
  const index = await indexRows();
  assert.equal(index.length, 1, "only the newer chunk is left");
  assert.ok(!index.some((r) => firstIndex.some((f) => f.object_key === r.object_key)));
  assert.deepEqual(await archiveKeys(system), index.map((r) => r.object_key));
  assert.equal(await rows(), 0);
  assert.deepEqual((await everything()).map((e) => e.message), ["three days"]);
});

test("a run does a bounded amount of work and the next one continues", async () => {
  const now = Date.now();
  const base = hourOf(now - 10 * DAY);
  const old = Array.from({ length: 60 }, (_, i) => ({ ts: base - i * HOUR, message: `h${i}` }));
  await insertRows(db, old);
  const expected = await everything();

  await runArchive(system, now);
  assert.equal((await indexRows()).length, 50, "at most 50 chunks per run");
  assert.equal(await rows(), 10);
  assert.deepEqual(await everything(), expected);

  await runArchive(system, now);
  assert.equal((await indexRows()).length, 60);
  assert.equal(await rows(), 0);
  assert.deepEqual(await everything(), expected);
});

/** Pages through JSON older (cursor=) and then back newer (after=), failing on a stall. */
async function pageBothWays(params) {
  const older = [];
  let page = await queryLogs(system, user, params);
  older.push(page);
  while (page.next_cursor) {
    const cursor = page.next_cursor;
    page = await queryLogs(system, user, { ...params, cursor });
    assert.notEqual(page.next_cursor, cursor, "each older page moves the cursor on");
    assert.ok(older.length < 500, "older paging ends");
    older.push(page);
  }
  const newer = [];
  let after = page.prev_cursor;
  while (after) {
    const next = await queryLogs(system, user, { ...params, after });
    assert.notEqual(next.prev_cursor, after, "each newer page moves the cursor on");
    assert.ok(newer.length < 500, "newer paging ends");
    newer.push(next);
    after = next.prev_cursor;
  }
  return {
    older: older.flatMap((p) => p.entries),
    // Newer pages come oldest first, each newest first; the last older page is the oldest.
    newer: [...newer.reverse().flatMap((p) => p.entries), ...page.entries],
    pages: older.length + newer.length,
  };
}

/** The NDJSON export's lines, failing if it runs past `maxLines` or `ms` instead of ending. */
async function exportLines(params, { maxLines, ms = 30_000 }) {
  const search = new URLSearchParams({ ...params, format: "ndjson" });
  const res = await system.fetch(`${LOGS}?${search}`, {
    headers: { Authorization: `Bearer ${user}` },
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + ms;
  let text = "";
  for (;;) {
    const timeout = new Promise((resolve) =>
      setTimeout(() => resolve({ timedOut: true }), Math.max(0, deadline - Date.now())),
    );
    const chunk = await Promise.race([reader.read(), timeout]);
    if (chunk.timedOut || text.split("\n").length > maxLines + 1) {
      await reader.cancel();
      assert.fail(`the export did not end (${text.split("\n").length - 1} lines so far)`);
    }
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

const ids = (entries) => entries.map((e) => e.id);

test("paging and the export get through more overlapping chunks than a page reads", async () => {
  const now = Date.now();
  const base = hourOf(now - 10 * DAY);
  // 20 services logging through the same hour: 20 chunks that all overlap one another,
  // more than a page (16) or an export step (8) reads past its cursor. Half the services
  // share timestamps, so entries tie on ts across chunks.
  const services = Array.from({ length: 20 }, (_, s) => `svc-${String(s).padStart(2, "0")}`);
  const old = services.flatMap((service, s) =>
    Array.from({ length: 30 }, (_, i) => ({
      ts: base + i * 60_000 + (s % 2 ? s : 0),
      service,
      message: `${service} entry ${i}`,
      level: 2 + (i % 4),
    })),
  );
  await insertRows(db, old);
  await insertRows(db, [
    { ts: now - 1000, message: "recent a" },
    { ts: now - 2000, message: "recent b" },
  ]);
  const expected = await everything();
  assert.equal(expected.length, 602);

  await runArchive(system, now);
  assert.equal((await indexRows()).length, 20, "one chunk per service");
  assert.equal(await rows(), 2);

  for (const [params, want] of [
    [{ limit: "25" }, expected],
    [{ limit: "7", level: "warn" }, expected.filter((e) => ["warn", "error"].includes(e.level))],
    [{ limit: "1000" }, expected],
  ]) {
    const { older, newer, pages } = await pageBothWays(params);
    const what = JSON.stringify(params);
    assert.equal(new Set(ids(older)).size, older.length, `no entry twice, ${what}`);
    assert.deepEqual(older, want, `every entry once, newest first, ${what}`);
    assert.deepEqual(newer, want, `the same back towards the newest, ${what}`);
    assert.ok(pages >= 2, what);
  }

  const lines = await exportLines({}, { maxLines: expected.length });
  assert.equal(new Set(ids(lines)).size, lines.length, "the export has no entry twice");
  assert.deepEqual(lines, expected, "the export has every entry");
  const from = new Date(base + 10 * 60_000).toISOString();
  const to = new Date(base + 20 * 60_000).toISOString();
  const window = await exportLines({ from, to }, { maxLines: expected.length });
  assert.deepEqual(
    window,
    expected.filter((e) => e.ts >= from && e.ts <= to),
    "and within a time range",
  );
});

test("chunks are cut by size, so entries escaping to long JSON stay readable", async () => {
  const now = Date.now();
  const base = hourOf(now - 10 * DAY);
  // 16 KiB of control characters is 96 KiB of JSON (\u0001): 720 of them are ~70 MB of
  // NDJSON, over what a chunk read takes (64 MiB), if they all went into one chunk.
  const filler = "\u0001".repeat(16 * 1024 - 16);
  const old = Array.from({ length: 720 }, (_, i) => ({
    ts: base + i * 1000,
    message: `big ${i} ${filler}`,
  }));
  await insertRows(db, old);
  const before = (
    await db.prepare("SELECT id FROM log_entries ORDER BY ts DESC, id DESC").all()
  ).results.map((r) => r.id);

  await runArchive(system, now);
  assert.equal(await rows(), 0, "every entry was archived");
  const index = await indexRows();
  assert.ok(index.length >= 9, `${index.length} chunks`);
  assert.equal(
    index.reduce((n, r) => n + r.entry_count, 0),
    720,
  );
  const bucket = await system.archive();
  for (const chunk of index) {
    const object = await bucket.get(chunk.object_key);
    const ndjson = gunzipSync(new Uint8Array(await object.arrayBuffer()));
    assert.ok(ndjson.length <= 8 * 1024 * 1024, `${chunk.object_key}: ${ndjson.length} bytes`);
  }

  const { entries } = await queryAll(system, user, { limit: "100" });
  assert.deepEqual(ids(entries), before);
  for (const entry of entries) {
    const i = (Date.parse(entry.ts) - base) / 1000;
    assert.ok(entry.message === `big ${i} ${filler}`, `entry ${entry.id} is whole`);
  }
});
