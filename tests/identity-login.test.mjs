// The login page, the credential check, the throttle, CSRF, return targets,
// single sign-on and logout, against the built identity worker and real D1.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import { startSystem } from "./support/system.mjs";
import {
  Browser,
  ISSUER,
  LOGGING,
  STATS,
  addService,
  addUser,
  adminTool,
  csrfFrom,
  freshAddress,
  hashPassword,
  identityBindings,
  setCookies,
} from "./support/identity.mjs";

const GENERIC = "Sign-in failed. Check your username and password, or try again in a few minutes.";
const PASSWORD = "correct horse battery staple";
const LOGS_URL = "https://aurorahours.com/logging-backend/logs?level=warn";
const STATS_URL = "https://aurorahours.com/stats-backend/daily";

let system;
let jwks;
let goodHash;

before(async () => {
  system = await startSystem({ identity: identityBindings() });
  const db = system.identityDb;
  await addService(db, LOGGING);
  await addService(db, STATS);
  goodHash = hashPassword(PASSWORD);
  for (const name of ["alice", "Dora", "erin", "frank", "grace", "heidi", "ivan", "judy"]) {
    await addUser(db, name, goodHash);
  }
  await addUser(db, "bob", goodHash, { disabled: true });
  jwks = createLocalJWKSet(await (await system.fetch("/identity-backend/.well-known/jwks.json")).json());
});
after(() => system?.stop());

const verifyFor = (token, audience) => jwtVerify(token, jwks, { issuer: ISSUER, audience });
const count = async (sql, ...args) =>
  (await system.identityDb.prepare(sql).bind(...args).first()).n;

describe("the login page", () => {
  test("names the service being entered and has labelled, autocompleting fields", async () => {
    const b = new Browser(system);
    const res = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(LOGS_URL)}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /to continue to Logs/);
    assert.match(html, /<label for="username">/);
    assert.match(html, /autocomplete="username"/);
    assert.match(html, /autocomplete="current-password"/);
    assert.match(html, /name="viewport"/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /https?:\/\/(?!aurorahours\.com)[a-z]/i, "no external assets");
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.doesNotMatch(csp, /script-src|unsafe-inline/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const csrf = setCookies(res).find((c) => c.name === "identity_csrf");
    assert.ok(csrf.attrs.httponly && csrf.attrs.secure, JSON.stringify(csrf));
    assert.equal(csrf.attrs.samesite, "Strict");
    const css = await system.fetch("/identity-backend/static/identity.css");
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type"), /text\/css/);
  });
});

describe("signing in", () => {
  test("good credentials set the session and the service's token, then 303 back", async () => {
    const b = new Browser(system);
    const { res } = await b.login("alice", PASSWORD, LOGS_URL);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), LOGS_URL);
    assert.equal(res.headers.get("cache-control"), "no-store");

    const cookies = Object.fromEntries(setCookies(res).map((c) => [c.name, c]));
    const session = cookies.identity_session;
    assert.ok(session, "session cookie set");
    assert.equal(session.attrs.path, "/identity-backend");
    assert.equal(session.attrs.domain, undefined);
    assert.ok(session.attrs.httponly && session.attrs.secure);
    assert.equal(session.attrs.samesite, "Lax");

    const token = cookies.logging_token;
    assert.ok(token, "service token cookie set");
    assert.equal(token.attrs.domain, undefined, "host-only unless COOKIE_DOMAIN is set");
    assert.equal(token.attrs.path, "/logging-backend");
    assert.equal(token.attrs["max-age"], "900");
    assert.ok(token.attrs.httponly && token.attrs.secure);
    assert.equal(token.attrs.samesite, "Lax");

    const { payload, protectedHeader } = await verifyFor(token.value, "logging-service");
    assert.equal(payload.sub, "alice");
    assert.equal(payload.kind, "user");
    assert.equal(payload.exp - payload.iat, 900);
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(protectedHeader.kid, "test-key-1");
    await assert.rejects(verifyFor(token.value, "stats-service"), /aud/);
  });

  test("usernames compare case-insensitively and keep their stored spelling", async () => {
    const b = new Browser(system);
    const { res } = await b.login("dora", PASSWORD, LOGS_URL);
    assert.equal(res.status, 303);
    const { payload } = await verifyFor(b.jar.get("logging_token").value, "logging-service");
    assert.equal(payload.sub, "Dora");
  });

  test("without a return address the browser lands on identity's signed-in page", async () => {
    const b = new Browser(system);
    const { res } = await b.login("erin", PASSWORD);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/identity-backend/login");
    assert.equal(b.jar.get("logging_token"), undefined);
    const page = await b.get("/identity-backend/login");
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /signed in as <strong>erin<\/strong>/);
  });

  test("wrong password, unknown user and disabled user get one identical 401 page", async () => {
    const bodies = [];
    for (const [user, password] of [
      ["frank", "not the password"],
      ["nobody-here", PASSWORD],
      ["bob", PASSWORD],
    ]) {
      // One CSRF token for all three, so that the pages can be compared byte for byte.
      const csrf = "A".repeat(43);
      const b = new Browser(system);
      b.jar.cookies.set("identity_csrf /identity-backend", {
        name: "identity_csrf",
        value: csrf,
        attrs: { path: "/identity-backend" },
      });
      const res = await b.post("/identity-backend/login", {
        csrf_token: csrf,
        username: user,
        password,
        redirect_url: LOGS_URL,
      });
      assert.equal(res.status, 401, user);
      const html = await res.text();
      assert.ok(html.includes(GENERIC), user);
      assert.ok(html.includes(`value="${user}"`), "username kept");
      assert.ok(!html.includes(password), "password not echoed");
      const names = setCookies(res).map((c) => c.name);
      assert.deepEqual(names, ["identity_csrf"], `${user}: no session or token cookie`);
      bodies.push(html.replace(`value="${user}"`, 'value="X"'));
    }
    assert.equal(bodies[0], bodies[1]);
    assert.equal(bodies[1], bodies[2]);
  });

  test("a failed login changes nothing but the failure count", async () => {
    const snapshot = async () =>
      JSON.stringify([
        (await system.identityDb.prepare("SELECT * FROM users ORDER BY id").all()).results,
        (await system.identityDb.prepare("SELECT * FROM sessions ORDER BY id_hash").all()).results,
      ]);
    const before = await snapshot();
    const failuresBefore = await count("SELECT COUNT(*) AS n FROM login_failures");
    const b = new Browser(system);
    const { res } = await b.login("grace", "wrong password", LOGS_URL);
    assert.equal(res.status, 401);
    assert.equal(await snapshot(), before);
    assert.equal(await count("SELECT COUNT(*) AS n FROM login_failures"), failuresBefore + 2);
  });

  test("an overlong password is refused like any wrong one", async () => {
    const b = new Browser(system);
    const { res, html } = await b.login("grace", "x".repeat(5000), LOGS_URL);
    assert.equal(res.status, 401);
    assert.ok(html.includes(GENERIC));
  });
});

describe("throttling", () => {
  test("five failures lock the username with 429 and Retry-After until the window passes", async () => {
    const user = "heidi";
    for (let i = 0; i < 5; i++) {
      const { res } = await new Browser(system).login(user, `wrong ${i}`, LOGS_URL);
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    // Now even the right password is refused, from any address.
    const { res, html } = await new Browser(system).login(user, PASSWORD, LOGS_URL);
    assert.equal(res.status, 429);
    const retry = Number(res.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 900, `Retry-After ${retry}`);
    assert.ok(html.includes(GENERIC));
    assert.equal(setCookies(res).filter((c) => c.name !== "identity_csrf").length, 0);

    // The window passes (failures age by 16 minutes): the right password works again.
    await system.identityDb
      .prepare("UPDATE login_failures SET failed_at = failed_at - 960 WHERE throttle_key = ?1")
      .bind(`user:${user}`)
      .run();
    const later = await new Browser(system).login(user, PASSWORD, LOGS_URL);
    assert.equal(later.res.status, 303);
    assert.equal(await count("SELECT COUNT(*) AS n FROM login_failures WHERE throttle_key = ?1", `user:${user}`), 0);
  });

  test("failures for a username that does not exist count the same", async () => {
    for (let i = 0; i < 5; i++) {
      await new Browser(system).login("ghost-user", "guess", LOGS_URL);
    }
    const { res } = await new Browser(system).login("ghost-user", "guess", LOGS_URL);
    assert.equal(res.status, 429);
  });

  test("attempts sent all at once cannot get more than five password checks", async () => {
    const user = "judy";
    const results = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const b = new Browser(system);
        b.jar.cookies.set("identity_csrf /identity-backend", {
          name: "identity_csrf",
          value: "R".repeat(43),
          attrs: { path: "/identity-backend" },
        });
        const res = await b.post("/identity-backend/login", {
          csrf_token: "R".repeat(43),
          username: user,
          password: "a wrong guess",
        });
        return res.status;
      }),
    );
    const checked = results.filter((s) => s === 401).length;
    assert.equal(checked, 5, results.join(","));
    assert.equal(results.filter((s) => s === 429).length, 7, results.join(","));
    // Throttled attempts leave no rows: the window is not stretched by them.
    assert.equal(
      await count("SELECT COUNT(*) AS n FROM login_failures WHERE throttle_key = 'user:judy'"),
      5,
    );
    await system.identityDb.prepare("DELETE FROM login_failures WHERE throttle_key = 'user:judy'").run();
  });

  test("twenty failures from one address throttle that address for every username", async () => {
    const address = freshAddress();
    for (let i = 0; i < 20; i++) {
      const { res } = await new Browser(system, { address }).login(`spray-${i}`, "guess", LOGS_URL);
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    const { res } = await new Browser(system, { address }).login("ivan", PASSWORD, LOGS_URL);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    const elsewhere = await new Browser(system).login("ivan", PASSWORD, LOGS_URL);
    assert.equal(elsewhere.res.status, 303);
  });
});

describe("CSRF", () => {
  const attempt = async (mutate) => {
    const b = new Browser(system);
    const page = await b.get("/identity-backend/login");
    const fields = { csrf_token: csrfFrom(await page.text()), username: "judy", password: PASSWORD };
    const headers = {};
    mutate(b, fields, headers);
    return b.post("/identity-backend/login", fields, headers);
  };

  for (const [name, mutate] of [
    ["a missing form token", (b, f) => delete f.csrf_token],
    ["a wrong form token", (b, f) => (f.csrf_token = "B".repeat(43))],
    ["a missing cookie", (b) => b.jar.cookies.clear()],
    ["another origin", (b, f, h) => (h.origin = "https://evil.example")],
    ["a look-alike origin", (b, f, h) => (h.origin = "https://aurorahours.com.evil.example")],
    ["no origin", (b, f, h) => (h.origin = "")],
  ]) {
    test(`${name} is refused with 403 and signs nobody in`, async () => {
      const sessions = await count("SELECT COUNT(*) AS n FROM sessions");
      const failures = await count("SELECT COUNT(*) AS n FROM login_failures");
      const res = await attempt(mutate);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /expired or was sent from another site/);
      assert.equal(setCookies(res).length, 0);
      assert.equal(await count("SELECT COUNT(*) AS n FROM sessions"), sessions);
      assert.equal(await count("SELECT COUNT(*) AS n FROM login_failures"), failures);
    });
  }

  test("the right token from the right origin signs in", async () => {
    const res = await attempt(() => {});
    assert.equal(res.status, 303);
  });
});

const HOSTILE = [
  "//evil.example/logging-backend/",
  "///evil.example/logging-backend/",
  "////evil.example",
  "/\\evil.example",
  "\\\\evil.example",
  "https:evil.example",
  "https:/evil.example/logging-backend/",
  "https:///evil.example/logging-backend/",
  "https://evil.example/logging-backend/",
  "https://evil.example",
  "http://evil.example/logging-backend/",
  "https://aurorahours.com.evil.example/logging-backend/",
  "https://aurorahours.com.evil.example",
  "https://evilaurorahours.com/logging-backend/",
  "https://aurorahours.co/logging-backend/",
  "https://aurorahours.com./logging-backend/",
  "https://www.aurorahours.com/logging-backend/",
  "https://sub.aurorahours.com/logging-backend/",
  "https://аurorahours.com/logging-backend/",
  "https://xn--urorahours-v7h.com/logging-backend/",
  "https://aurorahours.com@evil.example/logging-backend/",
  "https://aurorahours.com:@evil.example/",
  "https://user:pass@aurorahours.com/logging-backend/",
  "https://aurorahours.com%40evil.example/logging-backend/",
  "https://evil.example#@aurorahours.com/logging-backend/",
  "https://evil.example?@aurorahours.com/logging-backend/",
  "https://evil.example\\@aurorahours.com/logging-backend/",
  "https://aurorahours.com\\@evil.example/logging-backend/",
  "https://aurorahours.com\\evil.example",
  "https://aurorahours.com:8443/logging-backend/",
  "https://aurorahours.com:80/logging-backend/",
  "http://aurorahours.com/logging-backend/",
  "ftp://aurorahours.com/logging-backend/",
  "javascript:alert(1)",
  "JavaScript:alert(document.cookie)",
  "javascript://aurorahours.com/logging-backend/%0aalert(1)",
  "data:text/html,<script>alert(1)</script>",
  "vbscript:msgbox(1)",
  "file:///etc/passwd",
  "blob:https://aurorahours.com/x",
  "https://aurorahours.com/logging-backend-evil/",
  "https://aurorahours.com/logging-backendx",
  "https://aurorahours.com/identity-backend/login",
  "https://aurorahours.com/",
  "https://aurorahours.com",
  "https://aurorahours.com/stats",
  "https://aurorahours.com/logging-backend/../identity-backend/",
  "https://aurorahours.com/logging-backend/%2e%2e/identity-backend/",
  "https://aurorahours.com/logging-backend/.%2e/identity-backend/",
  "https://aurorahours.com/logging-backend/%2fevil",
  "https://aurorahours.com/logging-backend/%5cevil",
  "https://aurorahours.com/logging-backend/\r\nSet-Cookie: a=b",
  "https://aurorahours.com/logging-backend/%0d%0aSet-Cookie:%20a=b",
  "https://aurorahours.com/logging-backend/%0aLocation:%20https://evil.example",
  "https://aurorahours.com/logging-backend/%00",
  "https://aurorahours.com/logging-backend/%09",
  "https://aurorahours.com/logging-backend/%250d%250a",
  "https://aurorahours.com/logging-backend/%",
  "https://aurorahours.com/logging-backend/%zz",
  " https://aurorahours.com/logging-backend/",
  "https://aurorahours.com/logging-backend/ ",
  "\thttps://aurorahours.com/logging-backend/",
  "https://aurorahours.com/logging-backend/\u0000",
  "https://aurorahours.com/logging-backend/\u202e",
  "https://aurorahours.com/logging-backend/\u3002evil",
  "https://aurorahours.com\u3002evil.example/",
  "logging-backend/logs",
  "/logging-backend/logs",
  "./logging-backend/logs",
  "aurorahours.com/logging-backend/",
  `https://aurorahours.com/logging-backend/${"a".repeat(3000)}`,
];

describe("return targets", () => {
  test(`${HOSTILE.length} hostile targets are refused with a 400 page and never followed`, async () => {
    assert.ok(HOSTILE.length >= 60);
    const b = new Browser(system);
    await b.login("alice", PASSWORD); // a live session: the worker would redirect at once
    for (const target of HOSTILE) {
      const res = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(target)}`);
      const html = await res.text();
      assert.equal(res.status, 400, target);
      assert.equal(res.headers.get("location"), null, target);
      assert.match(html, /points somewhere we cannot send you back to/, target);
      assert.match(html, /href="\/identity-backend\/login"/, target);
      assert.equal(setCookies(res).filter((c) => c.name.endsWith("_token")).length, 0, target);
    }
  });

  test("a hostile target in the login form signs nobody in", async () => {
    for (const target of HOSTILE.slice(0, 12)) {
      const b = new Browser(system);
      const page = await b.get("/identity-backend/login");
      const sessions = await count("SELECT COUNT(*) AS n FROM sessions");
      const res = await b.post("/identity-backend/login", {
        csrf_token: csrfFrom(await page.text()),
        username: "alice",
        password: PASSWORD,
        redirect_url: target,
      });
      assert.equal(res.status, 400, target);
      assert.equal(res.headers.get("location"), null);
      assert.equal(await count("SELECT COUNT(*) AS n FROM sessions"), sessions, target);
    }
  });

  test("the logout return target is checked too", async () => {
    const b = new Browser(system);
    const res = await b.get(`/identity-backend/logout?redirect_url=${encodeURIComponent("https://evil.example/")}`);
    assert.equal(res.status, 400);
  });
});

describe("single sign-on", () => {
  test("a second service signs in from the session without the form, tokens kept apart", async () => {
    const b = new Browser(system);
    const first = await b.login("alice", PASSWORD, LOGS_URL);
    assert.equal(first.res.status, 303);
    const logsToken = b.jar.get("logging_token").value;

    const res = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(STATS_URL)}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), STATS_URL);
    const issued = setCookies(res).map((c) => c.name);
    assert.deepEqual(issued, ["stats_token"], "only the new service's cookie is set");
    const stats = b.jar.get("stats_token");
    assert.equal(stats.attrs.path, "/stats-backend");
    const { payload } = await verifyFor(stats.value, "stats-service");
    assert.equal(payload.sub, "alice");
    await assert.rejects(verifyFor(stats.value, "logging-service"));
    assert.equal(b.jar.get("logging_token").value, logsToken, "the first token is untouched");

    // The token cookies are scoped to their own service's path.
    assert.ok(!b.jar.header("/stats-backend/daily").includes("logging_token"));
    assert.ok(!b.jar.header("/logging-backend/logs").includes("stats_token"));
  });

  test("an expired token is renewed silently from the session", async () => {
    const b = new Browser(system);
    await b.login("alice", PASSWORD, LOGS_URL);
    b.jar.cookies.delete("logging_token /logging-backend");
    const res = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(LOGS_URL)}`);
    assert.equal(res.status, 303);
    assert.ok(b.jar.get("logging_token"));
  });

  test("a session idle for more than 24 hours no longer signs in", async () => {
    const b = new Browser(system);
    await b.login("alice", PASSWORD);
    const id = b.jar.get("identity_session").value;
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256").update(id).digest("hex");
    await system.identityDb
      .prepare("UPDATE sessions SET last_seen_at = last_seen_at - 90000 WHERE id_hash = ?1")
      .bind(hash)
      .run();
    const res = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(LOGS_URL)}`);
    assert.equal(res.status, 200, "the form, not a redirect");
  });
});

describe("logout", () => {
  test("revokes the session and clears every cookie with its own attributes", async () => {
    const b = new Browser(system);
    await b.login("alice", PASSWORD, LOGS_URL);
    await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(STATS_URL)}`);
    const oldSession = b.jar.get("identity_session");

    const confirm = await b.get(`/identity-backend/logout?redirect_url=${encodeURIComponent(LOGS_URL)}`);
    assert.equal(confirm.status, 200);
    const html = await confirm.text();
    assert.match(html, /Sign out <strong>alice<\/strong>/);

    const res = await b.post("/identity-backend/logout", {
      csrf_token: csrfFrom(html),
      redirect_url: LOGS_URL,
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), LOGS_URL);
    const cleared = Object.fromEntries(setCookies(res).map((c) => [c.name, c]));
    for (const [name, path, domain] of [
      ["identity_session", "/identity-backend", undefined],
      ["logging_token", "/logging-backend", undefined],
      ["stats_token", "/stats-backend", undefined],
    ]) {
      const c = cleared[name];
      assert.ok(c, `${name} cleared`);
      assert.equal(c.value, "");
      assert.equal(c.attrs["max-age"], "0");
      assert.equal(c.attrs.path, path);
      assert.equal(c.attrs.domain, domain);
      assert.ok(c.attrs.secure && c.attrs.httponly);
    }

    // The revoked session never signs anyone in again, even if the cookie is replayed.
    b.jar.cookies.set("identity_session /identity-backend", oldSession);
    const again = await b.get(`/identity-backend/login?redirect_url=${encodeURIComponent(LOGS_URL)}`);
    assert.equal(again.status, 200);
    assert.equal(await count("SELECT COUNT(*) AS n FROM sessions WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = 'alice') AND id_hash = ?1",
      (await import("node:crypto")).createHash("sha256").update(oldSession.value).digest("hex")), 0);
  });

  test("without a return target it lands on the login page saying so", async () => {
    const b = new Browser(system);
    await b.login("alice", PASSWORD);
    const page = await b.get("/identity-backend/logout");
    const res = await b.post("/identity-backend/logout", { csrf_token: csrfFrom(await page.text()) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/identity-backend/login?signed_out=1");
    const html = await (await b.get(res.headers.get("location"))).text();
    assert.match(html, /You are signed out/);
  });

  test("a logout without the CSRF token is refused and the session survives", async () => {
    const b = new Browser(system);
    await b.login("alice", PASSWORD);
    const res = await b.post("/identity-backend/logout", {});
    assert.equal(res.status, 403);
    const page = await b.get("/identity-backend/login");
    assert.match(await page.text(), /signed in as/);
  });
});

describe("a configured cookie domain", () => {
  test("is set on service token cookies and cleared with them", async () => {
    const other = await startSystem({ identity: identityBindings({ COOKIE_DOMAIN: "aurorahours.com" }) });
    try {
      await addService(other.identityDb, LOGGING);
      await addUser(other.identityDb, "alice", goodHash);
      const b = new Browser(other);
      const { res } = await b.login("alice", PASSWORD, LOGS_URL);
      assert.equal(res.status, 303);
      const token = setCookies(res).find((c) => c.name === "logging_token");
      assert.equal(token.attrs.domain, "aurorahours.com");
      const session = setCookies(res).find((c) => c.name === "identity_session");
      assert.equal(session.attrs.domain, undefined, "the session stays host-only");
      const page = await b.get("/identity-backend/logout");
      const out = await b.post("/identity-backend/logout", { csrf_token: csrfFrom(await page.text()) });
      const cleared = setCookies(out).find((c) => c.name === "logging_token");
      assert.equal(cleared.attrs.domain, "aurorahours.com");
      assert.equal(cleared.attrs["max-age"], "0");
    } finally {
      await other.stop();
    }
  });
});

describe("imported users", () => {
  test("a PBKDF2-SHA256 hash signs in and is upgraded to SHA-512 at that login", async () => {
    const { pbkdf2Sync } = await import("node:crypto");
    const salt = Buffer.from("imported-salt-16");
    const dk = pbkdf2Sync("imported password!", salt, 600000, 32, "sha256");
    const b64 = (buf) => buf.toString("base64").replace(/=+$/, "");
    const phc = `$pbkdf2-sha256$i=600000,l=32$${b64(salt)}$${b64(dk)}`;
    await addUser(system.identityDb, "carol", phc);

    const { res } = await new Browser(system).login("carol", "imported password!", LOGS_URL);
    assert.equal(res.status, 303);
    const row = await system.identityDb
      .prepare("SELECT password_hash FROM users WHERE username = 'carol'")
      .first();
    assert.match(row.password_hash, /^\$pbkdf2-sha512\$i=210000,l=64\$/);
    const again = await new Browser(system).login("carol", "imported password!", LOGS_URL);
    assert.equal(again.res.status, 303);
    const wrong = await new Browser(system).login("carol", "imported password?", LOGS_URL);
    assert.equal(wrong.res.status, 401);
  });
});

test("the admin tool refuses short passwords", () => {
  assert.throws(() => adminTool(["user", "add", "x", "--config", "/nonexistent"], "short\n"), /shorter than 15/);
});
