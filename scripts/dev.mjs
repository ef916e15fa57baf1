#!/usr/bin/env node
// Local development: both workers under `wrangler dev`, behind one origin
// that routes by path as the edge does, with local D1 migrated, the logging
// service registered for the local URLs, a development user, and sample logs.
//
//   node scripts/dev.mjs [--port 8787] [--state DIR]
//
// scripts/dev.sh runs the build first and then this. Ctrl-C stops everything.
// Also imported by the browser test, which starts its own copy on a fresh state.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const adminBin = path.join(root, "target", "release", "identity-admin");

const SAMPLE_SERVICES = ["checkout", "billing", "search"];
const LEVELS = ["trace", "debug", "info", "info", "info", "warn", "error", "fatal"];

function admin(args, { input = "", state } = {}) {
  return execFileSync(adminBin, [...args, "--persist-to", state], {
    cwd: root,
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  }).trim();
}

function readEnvFile(file) {
  const out = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) out[m[1]] = m[2].replace(/^'(.*)'$/, "$1");
  }
  return out;
}

function writeEnvFile(file, values) {
  const body = Object.entries(values)
    .map(([k, v]) => `${k}='${v}'`)
    .join("\n");
  writeFileSync(file, `# Written by scripts/dev.mjs for wrangler dev; never commit.\n${body}\n`, {
    mode: 0o600,
  });
}

/**
 * Makes the git-ignored secret files once: signing keys for identity and the
 * matching verification keys for logging. Existing keys are kept.
 */
function localSecrets(dir, state) {
  const identityFile = path.join(dir, ".dev.vars.identity");
  const loggingFile = path.join(dir, ".dev.vars.logging");
  const identity = readEnvFile(identityFile);
  if (!identity.SIGNING_KEYS) {
    identity.SIGNING_KEYS = admin(["keys", "generate", "--kid", "local-dev"], { state });
    writeEnvFile(identityFile, identity);
  }
  const verification = admin(["keys", "public"], { input: identity.SIGNING_KEYS, state });
  writeEnvFile(loggingFile, { VERIFICATION_KEYS: verification });
  return { identityFile, loggingFile };
}

/** The vars that differ on localhost; passed to wrangler dev, never written to its config. */
function localVars(env, origin) {
  const common = { PUBLIC_ORIGIN: origin, ISSUER: `${origin}/identity-backend` };
  const vars =
    env === "identity"
      ? { ...common, COOKIE_DOMAIN: "" }
      : {
          ...common,
          LOGIN_URL: `${origin}/identity-backend/login`,
          LOGOUT_URL: `${origin}/identity-backend/logout`,
        };
  return Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
}

/** Starts one worker under wrangler dev on a private port. */
function startWorker(env, port, inspectorPort, envFile, state, origin, log) {
  const child = spawn(
    wrangler,
    [
      "dev",
      "--env", env,
      "--port", String(port),
      "--ip", "127.0.0.1",
      "--inspector-port", String(inspectorPort),
      "--persist-to", state,
      "--env-file", envFile,
      ...localVars(env, origin),
      "--show-interactive-dev-session=false",
      "--test-scheduled",
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, CI: "1" } },
  );
  child.stdout.on("data", (d) => log(env, d));
  child.stderr.on("data", (d) => log(env, d));
  return child;
}

/** The edge's path routing, for localhost: one origin in front of both workers. */
function startRouter(port, routes) {
  const server = http.createServer((req, res) => {
    const target = routes.find((r) => req.url.startsWith(r.prefix));
    if (!target) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("No worker is routed here. Try /logging-backend/logs\n");
      return;
    }
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        // wrangler dev rewrites every header that names the host it was
        // reached at; addressing it by its own host keeps Origin, Referer and
        // Location as the browser and the workers wrote them.
        headers: { ...req.headers, host: `127.0.0.1:${target.port}` },
      },
      (up) => {
        res.writeHead(up.statusCode, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("worker not ready\n");
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function mustBeFree(port) {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once("error", () => reject(new Error(`port ${port} is in use (is another dev run going?)`)));
    probe.listen(port, "127.0.0.1", () => probe.close(resolve));
  });
}

async function waitFor(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up`);
}

/** Makes (once) a client per sample service and stores its secret locally. */
function sampleClients(dir, state) {
  const file = path.join(dir, ".dev.clients.json");
  const known = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  for (const service of SAMPLE_SERVICES) {
    if (known[service]) continue;
    const id = `dev-${service}-${randomBytes(3).toString("hex")}`;
    known[service] = {
      id,
      secret: admin(["client", "create", id, "--subject", service, "--audience", "logging-service"], {
        state,
      }),
    };
  }
  writeFileSync(file, JSON.stringify(known, null, 2), { mode: 0o600 });
  return known;
}

async function serviceToken(origin, client) {
  const res = await fetch(`${origin}/identity-backend/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.id,
      client_secret: client.secret,
      audience: "logging-service",
    }),
  });
  if (!res.ok) throw new Error(`token for ${client.id}: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

/** A few hundred entries over the last two days, through the real ingest API. */
async function loadSamples(origin, clients, perService = 120) {
  const messages = [
    "request served",
    "cache miss for product page",
    "payment authorised",
    "slow query: 812 ms on orders_by_customer",
    "retrying upstream call (attempt 2 of 3)",
    "user signed up",
    "disk usage at 91% on /var/lib/data",
    "connection reset by peer",
    "invoice generated",
    "search index refreshed",
  ];
  let stored = 0;
  for (const service of SAMPLE_SERVICES) {
    const token = await serviceToken(origin, clients[service]);
    const now = Date.now();
    const entries = Array.from({ length: perService }, (_, i) => ({
      level: LEVELS[(i * 7 + service.length) % LEVELS.length],
      message: `${messages[(i * 3 + service.length) % messages.length]}`,
      ts: now - Math.floor((i / perService) * 2 * 86_400_000) - i * 1000,
      request_id: `req-${service}-${String(i).padStart(4, "0")}`,
      fields: { service_version: "1.4.2", attempt: (i % 3) + 1, path: `/api/${service}/${i % 10}` },
    }));
    const res = await fetch(`${origin}/logging-backend/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(entries),
    });
    if (!res.ok) throw new Error(`sample logs for ${service}: ${res.status} ${await res.text()}`);
    stored += (await res.json()).stored;
  }
  return stored;
}

/**
 * Brings the whole system up. Returns the URL to open, the development
 * user's credentials and `stop()`.
 */
export async function startDev({
  port = 8787,
  state = path.join(root, ".wrangler", "state"),
  settingsDir = root,
  quiet = false,
} = {}) {
  const origin = `http://localhost:${port}`;
  mkdirSync(state, { recursive: true });
  const log = (name, data) => {
    if (!quiet) for (const line of String(data).split("\n")) if (line.trim()) console.log(`[${name}] ${line}`);
  };

  for (const p of [port, port + 1, port + 2]) await mustBeFree(p);
  const { identityFile, loggingFile } = localSecrets(settingsDir, state);
  for (const env of ["identity", "logging"]) {
    run(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--env", env, "--persist-to", state], {
      env: { ...process.env, CI: "1" },
    });
  }

  admin(
    [
      "service", "add", "logging-service",
      "--name", "Logs",
      "--cookie", "logging_token",
      "--path", "/logging-backend",
      "--prefix", `${origin}/logging-backend/`,
    ],
    { state },
  );
  admin(
    [
      "service", "add", "status-service",
      "--name", "Status",
      "--cookie", "status_token",
      "--path", "/status-backend",
      "--prefix", `${origin}/status-backend/`,
    ],
    { state },
  );

  const credentialsFile = path.join(settingsDir, ".dev.user.json");
  let user = existsSync(credentialsFile) ? JSON.parse(readFileSync(credentialsFile, "utf8")) : null;
  if (!user) {
    user = { username: "developer", password: randomBytes(12).toString("base64url") };
    try {
      admin(["user", "add", user.username], { input: `${user.password}\n`, state });
    } catch {
      admin(["user", "set-password", user.username], { input: `${user.password}\n`, state });
    }
    writeFileSync(credentialsFile, JSON.stringify(user, null, 2), { mode: 0o600 });
  }
  const clients = sampleClients(settingsDir, state);

  const children = [
    startWorker("identity", port + 1, port + 1001, identityFile, state, origin, log),
    startWorker("logging", port + 2, port + 1002, loggingFile, state, origin, log),
  ];
  const router = await startRouter(port, [
    { prefix: "/identity-backend", port: port + 1 },
    { prefix: "/logging-backend", port: port + 2 },
  ]);
  // wrangler dev stops its workerd on SIGINT; anything still there after
  // five seconds is killed, and nothing outlives this process.
  const kill = (signal) => {
    for (const child of children) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", () => kill("SIGKILL"));
  const stop = async () => {
    router.close();
    kill("SIGINT");
    const exited = (c) => new Promise((r) => (c.exitCode !== null ? r() : c.on("exit", r)));
    const timeout = new Promise((r) => setTimeout(r, 5000, "timeout"));
    if ((await Promise.race([Promise.all(children.map(exited)), timeout])) === "timeout") {
      kill("SIGKILL");
    }
  };

  try {
    await waitFor(`${origin}/identity-backend/health`, 60_000);
    await waitFor(`${origin}/logging-backend/health`, 60_000);
    const marker = path.join(state, "samples-loaded");
    let samples = 0;
    if (!existsSync(marker)) {
      samples = await loadSamples(origin, clients);
      writeFileSync(marker, `${samples}\n`);
    }
    return { url: `${origin}/logging-backend/logs`, origin, user, samples, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const dev = await startDev({
    port: Number(arg("--port") ?? 8787),
    ...(arg("--state") ? { state: path.resolve(arg("--state")) } : {}),
  });
  const shutdown = async () => {
    console.log("\nstopping...");
    await dev.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  console.log(`
  aurorahours.com sign-in and logs, running locally
  ${dev.samples ? `loaded ${dev.samples} sample log entries\n  ` : ""}
  open:      ${dev.url}
  username:  ${dev.user.username}
  password:  ${dev.user.password}

  Ctrl-C stops both workers.
`);
}
