// POST /logging-backend/logs: what a service may send, every way a batch is
// refused, and that a refused batch leaves nothing behind.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { count, entries, postLogs, startLogging } from "./support/logging.mjs";

let system;
before(async () => {
  system = await startLogging();
});
after(() => system?.stop());
beforeEach(async () => {
  await system.loggingDb.prepare("DELETE FROM log_entries").run();
});

const rows = () => count(system.loggingDb, "SELECT count(*) FROM log_entries");

async function refused(res, status, error) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const body = JSON.parse(text);
  assert.equal(body.error, error, text);
  assert.equal(typeof body.error_description, "string");
  return body;
}

test("a JSON batch is stored as the token's service, with 201 and the count", async () => {
  const token = await system.serviceToken("billing");
  const res = await postLogs(system, token, [
    { level: "info", message: "paid", fields: { amount: 12, currency: "EUR" }, request_id: "r-1" },
    { level: "WARN", message: "slow", ts: "2026-01-02T03:04:05.678+01:00" },
    { level: "error", message: "old", ts: 1_700_000_000_123 },
  ]);
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { stored: 3 });
  const stored = (
    await system.loggingDb
      .prepare(
        "SELECT ts, service, level, message, fields, request_id FROM log_entries ORDER BY id",
      )
      .all()
  ).results;
  assert.deepEqual(
    stored.map((r) => [r.service, r.level, r.message]),
    [["billing", 3, "paid"], ["billing", 4, "slow"], ["billing", 5, "old"]],
  );
  assert.deepEqual(JSON.parse(stored[0].fields), { amount: 12, currency: "EUR" });
  assert.equal(stored[0].request_id, "r-1");
  assert.ok(Math.abs(stored[0].ts - Date.now()) < 60_000, "a missing ts means now");
  assert.equal(stored[1].ts, Date.parse("2026-01-02T02:04:05.678Z"));
  assert.equal(stored[2].ts, 1_700_000_000_123);
});

test("NDJSON is accepted with its content type, blank lines skipped", async () => {
  const token = await system.serviceToken("mailer");
  const body = '{"level":"info","message":"a"}\n\n{"level":"debug","message":"b"}\r\n';
  const res = await postLogs(system, token, body, { contentType: "application/x-ndjson" });
  assert.equal(res.status, 201, await res.clone().text());
  assert.deepEqual(await res.json(), { stored: 2 });
  assert.equal(await rows(), 2);
});

test("a service cannot write as another: a service field is refused", async () => {
  const token = await system.serviceToken("billing");
  const res = await postLogs(system, token, [
    { level: "info", message: "fine" },
    { level: "info", message: "spoof", service: "identity" },
  ]);
  const body = await refused(res, 400, "invalid_entries");
  assert.equal(body.details.length, 1);
  assert.equal(body.details[0].index, 1);
  assert.match(body.details[0].reason, /service may not be given/);
  assert.equal(await rows(), 0);

  const other = await system.serviceToken("identity");
  assert.equal((await postLogs(system, other, [{ level: "info", message: "mine" }])).status, 201);
  const services = await system.loggingDb.prepare("SELECT DISTINCT service FROM log_entries").all();
  assert.deepEqual(services.results, [{ service: "identity" }]);
});

test("every bad entry is reported with its index and reason; nothing is stored", async () => {
  const token = await system.serviceToken();
  const future = new Date(Date.now() + 10 * 60_000).toISOString();
  const batch = [
    { level: "info", message: "good" },
    { level: "loud", message: "x" },
    { message: "no level" },
    { level: "info" },
    { level: "info", message: "x".repeat(16 * 1024 + 1) },
    { level: "info", message: "x", fields: { big: "y".repeat(16 * 1024) } },
    { level: "info", message: "x", ts: future },
    { level: "info", message: "x", ts: "last tuesday" },
    { level: "info", message: "x", ts: 12.5 },
    { level: "info", message: "x", fields: ["not", "an", "object"] },
    { level: "info", message: "x", request_id: "r".repeat(129) },
    { level: "info", message: "x", colour: "red" },
    "just a string",
    { level: "info", message: 42 },
    { level: "info", message: "good again", request_id: "r".repeat(128) },
  ];
  const body = await refused(await postLogs(system, token, batch), 400, "invalid_entries");
  const expected = [
    [1, /level must be one of/],
    [2, /level is required/],
    [3, /message is required/],
    [4, /message is longer than 16384 bytes/],
    [5, /fields is longer than 16384 bytes/],
    [6, /more than 5 minutes in the future/],
    [7, /not an RFC 3339/],
    [8, /whole Unix milliseconds/],
    [9, /fields must be a JSON object/],
    [10, /request_id is longer than 128/],
    [11, /unknown field "colour"/],
    [12, /must be a JSON object/],
    [13, /message must be a string/],
  ];
  assert.deepEqual(body.details.map((d) => d.index), expected.map(([i]) => i));
  for (const [[, pattern], detail] of expected.map((e, i) => [e, body.details[i]])) {
    assert.match(detail.reason, pattern);
  }
  assert.match(body.error_description, /13 of 15 entries are invalid; nothing was stored/);
  assert.equal(await rows(), 0);
});

test("999 good entries and one bad one store nothing", async () => {
  const token = await system.serviceToken();
  const batch = entries(1000);
  batch[640] = { level: "info", message: "bad", extra: true };
  const body = await refused(await postLogs(system, token, batch), 400, "invalid_entries");
  assert.deepEqual(body.details.map((d) => d.index), [640]);
  assert.equal(await rows(), 0);
});

test("a batch failing inside D1 is rolled back whole: one transaction", async () => {
  // A real failure in the middle of the batch: the 900th insert is aborted by the
  // database itself, after 64 multi-row statements have already run.
  await system.loggingDb.exec(
    "CREATE TRIGGER fail_on_boom BEFORE INSERT ON log_entries " +
      "WHEN NEW.message = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END",
  );
  try {
    const token = await system.serviceToken();
    const batch = entries(1000);
    batch[900] = { level: "info", message: "boom" };
    const res = await postLogs(system, token, batch);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), {
      error: "server_error",
      error_description: "internal error",
    });
    assert.equal(await rows(), 0);
  } finally {
    await system.loggingDb.exec("DROP TRIGGER fail_on_boom");
  }
});

test("exactly 1000 entries are stored in one request, in order", async () => {
  const token = await system.serviceToken();
  const res = await postLogs(system, token, entries(1000));
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { stored: 1000 });
  const sql = "SELECT message FROM log_entries ORDER BY id";
  const stored = await system.loggingDb.prepare(sql).all();
  const messages = stored.results.map((r) => r.message);
  assert.deepEqual(messages, entries(1000).map((e) => e.message));
});

test("more than 1000 entries: 413 too_many_entries", async () => {
  const token = await system.serviceToken();
  await refused(await postLogs(system, token, entries(1001)), 413, "too_many_entries");
  const ndjson = entries(1001).map((e) => JSON.stringify(e)).join("\n");
  const res = await postLogs(system, token, ndjson, { contentType: "application/x-ndjson" });
  await refused(res, 413, "too_many_entries");
  assert.equal(await rows(), 0);
});

test("a body over 1 MiB: 413, by Content-Length and by the bytes actually sent", async () => {
  const token = await system.serviceToken();
  const big = JSON.stringify([{ level: "info", message: "x".repeat(1024 * 1024) }]);
  await refused(await postLogs(system, token, big), 413, "body_too_large");

  // Streamed without a Content-Length: the limit applies to the bytes read.
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  const stream = new ReadableStream({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('[{"level":"info","message":"'));
      if (sent > 20) return controller.close();
      sent += 1;
      controller.enqueue(chunk);
    },
  });
  const res = await system.fetch("/logging-backend/logs", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: stream,
    duplex: "half",
  });
  await refused(res, 413, "body_too_large");
  assert.equal(await rows(), 0);
});

test("wrong or missing content type: 415", async () => {
  const token = await system.serviceToken();
  const body = JSON.stringify([{ level: "info", message: "x" }]);
  for (const contentType of ["text/plain", "application/x-www-form-urlencoded", ""]) {
    const res = await postLogs(system, token, body, { contentType });
    await refused(res, 415, "unsupported_media_type");
  }
  assert.equal(await rows(), 0);
});

test("malformed JSON, a non-array and an empty batch: 400", async () => {
  const token = await system.serviceToken();
  await refused(await postLogs(system, token, '[{"level":'), 400, "malformed_json");
  const object = await postLogs(system, token, '{"level":"info","message":"x"}');
  await refused(object, 400, "malformed_json");
  await refused(await postLogs(system, token, []), 400, "empty_batch");
  const blank = await postLogs(system, token, "\n\n", { contentType: "application/x-ndjson" });
  await refused(blank, 400, "empty_batch");
  const badLine = await postLogs(system, token, '{"level":"info","message":"a"}\n{nope}\n', {
    contentType: "application/x-ndjson",
  });
  const body = await refused(badLine, 400, "invalid_entries");
  assert.deepEqual(body.details.map((d) => d.index), [1]);
  assert.match(body.details[0].reason, /malformed JSON/);
  assert.equal(await rows(), 0);
});
