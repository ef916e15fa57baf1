// Who may do what on the logging worker: tokens minted with jose and verified
// by the Rust worker, redirects for browsers, 401/403 for programs, and a
// worker that refuses to run on a broken configuration.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  AUDIENCE,
  LOGIN_URL,
  LOGS,
  browse,
  makeKey,
  mintToken,
  postLogs,
  startLogging,
} from "./support/logging.mjs";
import { startSystem } from "./support/system.mjs";

let system;
before(async () => {
  system = await startLogging();
});
after(() => system?.stop());

function loginLocation(pathAndQuery) {
  const target = `https://aurorahours.com${pathAndQuery}`;
  return `${LOGIN_URL}?${new URLSearchParams({ redirect_url: target })}`;
}

function tamper(token) {
  const [header, payload, signature] = token.split(".");
  const flipped = (signature[5] === "A" ? "B" : "A");
  return [header, payload, signature.slice(0, 5) + flipped + signature.slice(6)].join(".");
}

/** The bad tokens every route must refuse, by name. */
async function badTokens() {
  const now = Math.floor(Date.now() / 1000);
  const otherKey = await makeKey("test-key-1");
  return {
    expired: await system.token({ kind: "user", iat: now - 600, exp: now - 300 }),
    tampered: tamper(await system.userToken()),
    "wrong audience": await system.token({ kind: "user", aud: "identity-service" }),
    "wrong issuer": await system.token({ kind: "user", iss: "https://evil.example" }),
    "signed by another key with the same kid": await mintToken(otherKey, { kind: "user" }),
    garbage: "not-a-token",
  };
}

test("a jose-signed user token opens the API and the viewer", async () => {
  const user = await system.userToken("ann");
  const api = await system.fetch(LOGS, {
    headers: { Authorization: `Bearer ${user}`, Accept: "application/json" },
  });
  assert.equal(api.status, 200, await api.clone().text());
  assert.deepEqual(Object.keys(await api.json()), [
    "entries", "next_cursor", "prev_cursor", "from_archive",
  ]);

  const page = await browse(system, LOGS, { token: user });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Signed in as <strong>ann<\/strong>/);
});

test("a browser without a token is sent to login with its full URL as redirect_url", async () => {
  const pathAndQuery = `${LOGS}?service=a&service=b%20c&q=x%26y&level=warn`;
  const res = await browse(system, pathAndQuery);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), loginLocation(pathAndQuery));
  const redirect = new URL(res.headers.get("location")).searchParams.get("redirect_url");
  assert.equal(redirect, `https://aurorahours.com${pathAndQuery}`);
});

test("a browser with a bad token is sent to login too, for every kind of bad token", async () => {
  for (const [name, token] of Object.entries(await badTokens())) {
    const res = await browse(system, `${LOGS}?q=disk`, { token });
    assert.equal(res.status, 302, name);
    assert.equal(res.headers.get("location"), loginLocation(`${LOGS}?q=disk`), name);
  }
});

test("an API client without a token gets 401 with a bare Bearer challenge", async () => {
  for (const init of [
    { headers: { Accept: "application/json" } },
    { method: "POST", headers: { "Content-Type": "application/json" }, body: "[]" },
  ]) {
    const res = await system.fetch(LOGS, init);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
    const body = await res.json();
    assert.equal(body.error, "invalid_token");
    assert.equal(typeof body.error_description, "string");
  }
});

test("an API client with any kind of bad token gets 401 invalid_token", async () => {
  for (const [name, token] of Object.entries(await badTokens())) {
    for (const init of [
      { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } },
      {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify([{ level: "info", message: "x" }]),
      },
    ]) {
      const res = await system.fetch(LOGS, init);
      assert.equal(res.status, 401, `${name} ${init.method ?? "GET"}`);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"', name);
      const body = await res.json();
      assert.equal(body.error, "invalid_token", name);
      assert.ok(!JSON.stringify(body).includes(token.slice(0, 20)), "no token echoed");
    }
  }
  assert.equal(await countRows(), 0, "nothing was stored by refused POSTs");
});

async function countRows() {
  const row = await system.loggingDb.prepare("SELECT count(*) AS n FROM log_entries").first();
  return row.n;
}

test("a service token cannot read and a user token cannot write: 403", async () => {
  const service = await system.serviceToken();
  const read = await system.fetch(LOGS, {
    headers: { Authorization: `Bearer ${service}`, Accept: "application/json" },
  });
  assert.equal(read.status, 403);
  assert.equal((await read.json()).error, "insufficient_scope");

  const page = await browse(system, LOGS, { token: service });
  assert.equal(page.status, 403, "a valid service token in a browser is not sent to login");

  const user = await system.userToken();
  const write = await postLogs(system, user, [{ level: "info", message: "x" }]);
  assert.equal(write.status, 403);
  assert.equal((await write.json()).error, "insufficient_scope");
  const cookieWrite = await system.fetch(LOGS, {
    method: "POST",
    headers: { Cookie: `logging_token=${user}`, "Content-Type": "application/json" },
    body: JSON.stringify([{ level: "info", message: "x" }]),
  });
  assert.equal(cookieWrite.status, 403, "a person's cookie cannot post entries either");
  assert.equal(await countRows(), 0);
});

test("every cookie of the name is tried, then the Authorization header", async () => {
  const user = await system.userToken("bea");
  const expired = (await badTokens()).expired;
  const twoCookies = await system.fetch("/logging-backend/me", {
    headers: { Cookie: `logging_token=${expired}; other=1; logging_token=${user}` },
  });
  assert.equal(twoCookies.status, 200);
  assert.deepEqual(await twoCookies.json(), { sub: "bea", kind: "user" });

  const headerAfterBadCookie = await system.fetch("/logging-backend/me", {
    headers: { Cookie: `logging_token=${expired}`, Authorization: `Bearer ${user}` },
  });
  assert.equal(headerAfterBadCookie.status, 200);
});

test("other routes: 404 and 405 as JSON, health needs no token", async () => {
  const missing = await system.fetch("/logging-backend/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error, "not_found");
  const wrongMethod = await system.fetch(LOGS, { method: "DELETE" });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "GET, POST");
  const health = await system.fetch("/logging-backend/health");
  assert.equal(health.status, 200);
});

test("a broken key set or setting answers 500 with a fixed body; health still works", async () => {
  const fixedBody = { error: "server_error", error_description: "internal error" };
  for (const logging of [
    { VERIFICATION_KEYS: "not json at all" },
    { VERIFICATION_KEYS: JSON.stringify({ keys: [] }) },
    { VERIFICATION_KEYS: JSON.stringify({ keys: [(await makeKey()).jwk] }), RETENTION_DAYS: "x" },
    { VERIFICATION_KEYS: JSON.stringify({ keys: [(await makeKey()).jwk] }), AUDIENCE: "" },
  ]) {
    const broken = await startSystem({ logging });
    try {
      const res = await broken.fetch(LOGS, { headers: { Accept: "application/json" } });
      assert.equal(res.status, 500, JSON.stringify(logging));
      assert.deepEqual(await res.json(), fixedBody);
      const page = await broken.fetch(LOGS, { headers: { Accept: "text/html" } });
      assert.equal(page.status, 500);
      assert.equal((await broken.fetch("/logging-backend/health")).status, 200);
    } finally {
      await broken.stop();
    }
  }
  assert.equal(AUDIENCE, "logging-service");
});
