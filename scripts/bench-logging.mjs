#!/usr/bin/env node
// Benchmarks the logging worker in workerd (Miniflare) with its local D1 and R2:
// ingest rate, filtered page latency on a 100,000-entry table with and without
// text search, the cost of token verification, and the archive's rate.
// Needs the built workers (scripts/build.sh). Run: node scripts/bench-logging.mjs
// Figures are wall-clock times seen by the caller of dispatchFetch, so they include
// Miniflare's own overhead; workerd does not report CPU time per request locally.
import { performance } from "node:perf_hooks";
import {
  DAY,
  LOGS,
  postLogs,
  runArchive,
  startLogging,
} from "../tests/support/logging.mjs";

const TOTAL = Number(process.env.BENCH_ENTRIES ?? 100_000);
const BATCH = 1000;
const SAMPLES = 25;
const services = ["billing", "mailer", "search", "identity", "uploads"];
const words = [
  "request", "served", "cache", "miss", "hit", "timeout", "retry", "user", "login",
  "payment", "declined", "accepted", "disk", "queue", "worker", "started", "stopped",
  "upstream", "latency", "slow", "connection", "reset", "invoice", "email", "sent",
];
const levels = ["debug", "info", "info", "info", "info", "warn", "warn", "error"];

let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = (list) => list[Math.floor(random() * list.length)];

function entry(i, now) {
  const message = Array.from({ length: 6 }, () => pick(words)).join(" ");
  return {
    level: pick(levels),
    message: i % 997 === 0 ? `${message} zebracorn` : `${message} #${i}`,
    ts: now - Math.floor(random() * DAY),
    request_id: `req-${i % 5000}`,
    fields: { i, shard: i % 16 },
  };
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const ms = (x) => `${x.toFixed(2)} ms`;

async function timed(fn, n = SAMPLES) {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

async function main() {
  const started = performance.now();
  const system = await startLogging();
  const results = [];
  try {
    const user = await system.userToken("bench");
    const tokens = Object.fromEntries(
      await Promise.all(services.map(async (s) => [s, await system.serviceToken(s)])),
    );

    // Ingest: batches of 1000, one request at a time.
    const now = Date.now();
    const batchTimes = [];
    for (let b = 0; b < TOTAL / BATCH; b += 1) {
      const service = services[b % services.length];
      const batch = Array.from({ length: BATCH }, (_, i) => entry(b * BATCH + i, now));
      const start = performance.now();
      const res = await postLogs(system, tokens[service], batch);
      batchTimes.push(performance.now() - start);
      if (res.status !== 201) throw new Error(`ingest: ${res.status} ${await res.text()}`);
    }
    const ingestSecs = batchTimes.reduce((a, b) => a + b, 0) / 1000;
    results.push(["ingest, batches of 1000", `${Math.round(TOTAL / ingestSecs)} entries/s`,
      `median batch ${ms(median(batchTimes))}, ${TOTAL} entries in ${ingestSecs.toFixed(1)} s`]);

    const get = (query) => async () => {
      const res = await system.fetch(`${LOGS}?${query}`, {
        headers: { Authorization: `Bearer ${user}`, Accept: "application/json" },
      });
      if (res.status !== 200) throw new Error(`${query}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    for (const [name, query] of [
      ["page of 100, no filter", "limit=100"],
      ["page of 100, service + level>=warn", "service=billing&level=warn&limit=100"],
      ["page of 100, q=timeout (common word)", "q=timeout&limit=100"],
      ["page of 100, q=zebracorn (rare word)", "q=zebracorn&limit=100"],
      ["page of 100, service + level + q",
        "service=mailer&level=warn&q=payment%20declined&limit=100"],
      ["page of 100, request_id", "request_id=req-42&limit=100"],
    ]) {
      await get(query)();
      const times = await timed(get(query));
      results.push([name, ms(median(times)), `p90 ${ms(p90(times))}, ${TOTAL} entries in D1`]);
    }

    // Token verification: an authenticated cheap route against the unauthenticated one.
    const health = async () => (await system.fetch("/logging-backend/health")).arrayBuffer();
    const me = async () => {
      const res = await system.fetch("/logging-backend/me", {
        headers: { Authorization: `Bearer ${user}` },
      });
      if (res.status !== 200) throw new Error(`me: ${res.status}`);
      await res.arrayBuffer();
    };
    await health();
    await me();
    const healthTimes = await timed(health, 200);
    const meTimes = await timed(me, 200);
    results.push(["GET /health (no auth)", ms(median(healthTimes)), `p90 ${ms(p90(healthTimes))}`]);
    // The same token every time: after the first request its signature check is cached, and
    // only its claims are checked.
    results.push(["GET /me (token verified, cached)", ms(median(meTimes)),
      `p90 ${ms(p90(meTimes))}`]);
    results.push(["=> verification cost (difference)", ms(median(meTimes) - median(healthTimes)),
      "median of 200 each"]);

    // Archive: make 30% of the table 10 days old, then time cron runs until caught up.
    const toArchive = Math.round(TOTAL * 0.3);
    await system.loggingDb
      .prepare("UPDATE log_entries SET ts = ts - ? WHERE id <= ?")
      .bind(10 * DAY, toArchive)
      .run();
    let runs = 0;
    let archiveMs = 0;
    let left = toArchive;
    while (left > 0 && runs < 20) {
      const start = performance.now();
      await runArchive(system, now);
      archiveMs += performance.now() - start;
      runs += 1;
      const row = await system.loggingDb
        .prepare("SELECT count(*) AS n FROM log_entries WHERE ts < ?")
        .bind(now - 7 * DAY)
        .first();
      left = row.n;
    }
    const chunks = await system.loggingDb
      .prepare("SELECT count(*) AS n, sum(size_bytes) AS bytes FROM archive_chunks")
      .first();
    const archiveRate = Math.round((toArchive - left) / (archiveMs / 1000));
    results.push(["archive (cron runs)", `${archiveRate} entries/s`,
      `${toArchive - left} entries, ${chunks.n} chunks, ${runs} runs, ` +
      `${(chunks.bytes / 1024 / 1024).toFixed(1)} MiB gzip, ${(archiveMs / 1000).toFixed(1)} s`]);

    const archived = async () => get("from=30d&to=8d&q=timeout&limit=100")();
    await archived();
    const archivedTimes = await timed(archived, 10);
    results.push(["page of 100 from the archive, q=timeout", ms(median(archivedTimes)),
      `p90 ${ms(p90(archivedTimes))}, reads spanning chunks + up to 16`]);
  } finally {
    await system.stop();
  }

  const width = [0, 1, 2].map((c) => Math.max(...results.map((r) => r[c].length), 8));
  const line = (r) => r.map((cell, c) => cell.padEnd(width[c])).join("  ");
  console.log(`\nlogging-worker benchmark (workerd via Miniflare, local D1/R2)\n`);
  console.log(line(["measure", "result", "detail"]));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const row of results) console.log(line(row));
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

await main();
