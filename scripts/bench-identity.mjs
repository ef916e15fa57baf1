#!/usr/bin/env node
// Measures, in workerd (Miniflare), what a sign-in costs beside the PBKDF2 it
// contains. Builds a variant of the identity worker with a route that runs
// exactly the hashing of one sign-in, then times, interleaved round by round:
//   - that hashing alone,
//   - a successful sign-in (POST /login: CSRF, throttle, D1, hash, session, token),
//   - a failed sign-in for an unknown user (the same hashing work),
//   - the login page (no hashing), for scale.
// Figures are wall-clock medians seen from Node, so they include local D1;
// compare the ratios, which hold on a noisy machine, rather than the numbers.
//
// Usage: node scripts/bench-identity.mjs [rounds]
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { root, startSystem } from "../tests/support/system.mjs";
import { LOGGING, addService, addUser, hashPassword, identityBindings } from "../tests/support/identity.mjs";

const rounds = Number(process.argv[2] ?? 15);
const outDir = "build-bench";

console.error("building the identity worker with the bench feature...");
execFileSync(
  "bash",
  ["-c", `. scripts/bootstrap.sh && cd identity-worker && worker-build --release --out-dir ${outDir} -- --features bench`],
  { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
);

const system = await startSystem({
  identity: identityBindings(),
  scripts: { identity: `identity-worker/${outDir}/index.js` },
});
const PASSWORD = "benchmark password, long enough";
await addService(system.identityDb, LOGGING);
await addUser(system.identityDb, "bench", hashPassword(PASSWORD));

const CSRF = "C".repeat(43);
let address = 0;
const login = (username, password) =>
  system.fetch("/identity-backend/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "https://aurorahours.com",
      cookie: `identity_csrf=${CSRF}`,
      // A new address each time, so the address throttle never steps in.
      "cf-connecting-ip": `203.0.113.${address++ % 250}`,
    },
    body: new URLSearchParams({
      csrf_token: CSRF,
      username,
      password,
      redirect_url: "https://aurorahours.com/logging-backend/logs",
    }).toString(),
  });

const cases = {
  "pbkdf2 alone": () => system.fetch("/identity-backend/__bench/pbkdf2"),
  "sign-in, success": () => login("bench", PASSWORD),
  "sign-in, unknown user": () => login(`nobody-${address}`, PASSWORD),
  "login page": () => system.fetch("/identity-backend/login"),
};
const expected = { "pbkdf2 alone": 204, "sign-in, success": 303, "sign-in, unknown user": 401, "login page": 200 };

const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = -2; r < rounds; r++) {
  for (const [name, run] of Object.entries(cases)) {
    const t0 = performance.now();
    const res = await run();
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== expected[name]) throw new Error(`${name}: status ${res.status}`);
    if (r >= 0) times[name].push(ms); // the first two rounds warm up
  }
}
await system.stop();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times["pbkdf2 alone"]);
console.log(`identity worker, ${rounds} rounds, median wall time per request in workerd`);
console.log("case                      median ms   vs pbkdf2 alone");
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  const ratio = `${((m / base - 1) * 100).toFixed(1)}%`;
  console.log(`${name.padEnd(24)} ${m.toFixed(1).padStart(10)}   ${name === "pbkdf2 alone" ? "" : ratio.padStart(8)}`);
}
const overhead = (median(times["sign-in, success"]) - base) / base;
console.log(`rest of a successful sign-in: ${(overhead * 100).toFixed(1)}% of its PBKDF2 (target < 15%)`);
