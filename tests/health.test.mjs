import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSystem } from "./support/system.mjs";

let system;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("each worker answers its health route under its own path prefix", async () => {
  for (const [prefix, service] of [["identity-backend", "identity"], ["logging-backend", "logging"]]) {
    const res = await system.fetch(`/${prefix}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", service });
  }
});

test("a path outside both prefixes reaches neither worker", async () => {
  const res = await system.fetch("/some-other-service/health");
  const body = await res.text();
  assert.notEqual(res.status, 200, body);
});

test("the D1 databases are migrated and separate", async () => {
  const tables = async (db) =>
    (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).results.map(
      (r) => r.name,
    );
  const identityTables = await tables(system.identityDb);
  const loggingTables = await tables(system.loggingDb);
  assert.ok(identityTables.includes("users"), identityTables.join(","));
  assert.ok(!loggingTables.includes("users"), loggingTables.join(","));
  assert.ok(loggingTables.includes("log_entries"), loggingTables.join(","));
});
