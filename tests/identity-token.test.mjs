// Machine tokens from POST /identity-backend/token (client credentials), the
// published key set, and a worker that refuses to start without its keys.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from "jose";
import { startSystem } from "./support/system.mjs";
import { ISSUER, LOGGING, addClient, addService, adminTool, identityBindings } from "./support/identity.mjs";

const SECRET = "s3cret-for-the-log-shipper-0123456789abcdef";
const sha256 = (s) => createHash("sha256").update(s).digest("hex");

let system;
let privateKeys;

before(async () => {
  // A rotated key set: the worker signs with the new key and publishes both.
  const first = adminTool(["keys", "generate", "--kid", "old-key"]);
  privateKeys = adminTool(["keys", "rotate", "--kid", "new-key"], first);
  system = await startSystem({ identity: identityBindings({ SIGNING_KEYS: privateKeys }) });
  await addService(system.identityDb, LOGGING);
  await addClient(system.identityDb, {
    id: "log-shipper",
    secretHash: sha256(SECRET),
    subject: "billing-service",
    audiences: ["logging-service"],
  });
  await addClient(system.identityDb, {
    id: "retired",
    secretHash: sha256(SECRET),
    subject: "old-service",
    audiences: ["logging-service"],
    revoked: true,
  });
});
after(() => system?.stop());

const post = (fields, headers = {}) =>
  system.fetch("/identity-backend/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: typeof fields === "string" ? fields : new URLSearchParams(fields).toString(),
  });
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
const GOOD = { grant_type: "client_credentials", audience: "logging-service" };

async function publishedKeys() {
  const res = await system.fetch("/identity-backend/.well-known/jwks.json");
  assert.equal(res.status, 200);
  return { res, body: await res.json() };
}

describe("the key set", () => {
  test("publishes the current and previous public keys, cacheable, with no private part", async () => {
    const { res, body } = await publishedKeys();
    assert.match(res.headers.get("cache-control"), /public, max-age=\d+/);
    assert.deepEqual(body.keys.map((k) => k.kid), ["new-key", "old-key"]);
    for (const key of body.keys) {
      assert.equal(key.kty, "OKP");
      assert.equal(key.crv, "Ed25519");
      assert.equal(key.alg, "EdDSA");
      assert.equal(key.d, undefined);
    }
    assert.ok(!JSON.stringify(body).includes(JSON.parse(privateKeys).keys[0].d));
  });
});

describe("client credentials", () => {
  for (const [how, request] of [
    ["form fields", () => post({ ...GOOD, client_id: "log-shipper", client_secret: SECRET })],
    ["HTTP Basic", () => post(GOOD, { authorization: basic("log-shipper", SECRET) })],
  ]) {
    test(`with ${how}: a token that jose verifies against the published keys`, async () => {
      const res = await request();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      const body = await res.json();
      assert.equal(body.token_type, "Bearer");
      assert.equal(body.expires_in, 900);
      assert.deepEqual(Object.keys(body).sort(), ["access_token", "expires_in", "token_type"]);

      const jwks = createLocalJWKSet((await publishedKeys()).body);
      const { payload } = await jwtVerify(body.access_token, jwks, {
        issuer: ISSUER,
        audience: "logging-service",
        algorithms: ["EdDSA"],
      });
      assert.equal(payload.sub, "billing-service");
      assert.equal(payload.kind, "service");
      assert.equal(payload.exp - payload.iat, 900);
      assert.ok(payload.jti);
      assert.equal(decodeProtectedHeader(body.access_token).kid, "new-key");
    });
  }

  test("records when the client last got a token", async () => {
    const row = await system.identityDb
      .prepare("SELECT last_used_at FROM service_clients WHERE client_id = 'log-shipper'")
      .first();
    assert.ok(row.last_used_at > 0);
  });
});

describe("token errors follow RFC 6749 section 5.2, in JSON", () => {
  const cases = [
    ["no grant_type", () => post({ audience: "logging-service", client_id: "log-shipper", client_secret: SECRET }), 400, "invalid_request"],
    ["another grant", () => post({ ...GOOD, grant_type: "password", client_id: "log-shipper", client_secret: SECRET }), 400, "unsupported_grant_type"],
    ["no credentials", () => post(GOOD), 401, "invalid_client"],
    ["a wrong secret", () => post({ ...GOOD, client_id: "log-shipper", client_secret: "wrong" }), 401, "invalid_client"],
    ["a wrong secret by Basic", () => post(GOOD, { authorization: basic("log-shipper", "wrong") }), 401, "invalid_client"],
    ["an unknown client", () => post({ ...GOOD, client_id: "nobody", client_secret: SECRET }), 401, "invalid_client"],
    ["a revoked client", () => post({ ...GOOD, client_id: "retired", client_secret: SECRET }), 401, "invalid_client"],
    ["a garbled Basic header", () => post(GOOD, { authorization: "Basic ***" }), 401, "invalid_client"],
    ["credentials sent two ways", () => post({ ...GOOD, client_id: "log-shipper", client_secret: SECRET }, { authorization: basic("log-shipper", SECRET) }), 400, "invalid_request"],
    ["no audience", () => post({ grant_type: "client_credentials", client_id: "log-shipper", client_secret: SECRET }), 400, "invalid_request"],
    ["an audience the client may not have", () => post({ ...GOOD, audience: "stats-service", client_id: "log-shipper", client_secret: SECRET }), 400, "invalid_target"],
    ["a repeated parameter", () => post(`grant_type=client_credentials&grant_type=client_credentials&audience=logging-service&client_id=log-shipper&client_secret=${SECRET}`), 400, "invalid_request"],
    ["a JSON body", () => post(JSON.stringify({ ...GOOD, client_id: "log-shipper", client_secret: SECRET }), { "content-type": "application/json" }), 400, "invalid_request"],
    ["a GET", () => system.fetch("/identity-backend/token"), 405, "invalid_request"],
    [
      "a chunked body over the size limit",
      () =>
        system.fetch("/identity-backend/token", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new ReadableStream({
            start(c) {
              const filler = `&padding=${"x".repeat(8192)}`;
              c.enqueue(new TextEncoder().encode(new URLSearchParams({ ...GOOD, client_id: "log-shipper", client_secret: SECRET }).toString()));
              c.enqueue(new TextEncoder().encode(filler));
              c.enqueue(new TextEncoder().encode(filler));
              c.close();
            },
          }),
          duplex: "half",
        }),
      400,
      "invalid_request",
    ],
  ];
  for (const [name, request, status, code] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const res = await request();
      assert.equal(res.status, status);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      assert.equal(res.headers.get("location"), null);
      const body = await res.json();
      assert.equal(body.error, code);
      assert.equal(typeof body.error_description, "string");
      assert.equal(body.access_token, undefined);
      if (status === 401) assert.match(res.headers.get("www-authenticate"), /^Basic /);
      assert.ok(!JSON.stringify(body).includes(SECRET));
    });
  }
});

describe("configuration", () => {
  test("a worker without its signing keys answers 500 with a fixed body, not a panic", async () => {
    const broken = await startSystem({ identity: { SIGNING_KEYS: "" } });
    try {
      const res = await broken.fetch("/identity-backend/login");
      assert.equal(res.status, 500);
      assert.equal(await res.text(), "The sign-in service is not configured correctly.");
      const health = await broken.fetch("/identity-backend/health");
      assert.equal(health.status, 200);
    } finally {
      await broken.stop();
    }
  });

  test("a weak hashing policy stops the worker the same way", async () => {
    const broken = await startSystem({ identity: identityBindings({ PBKDF2_ITERATIONS: "1000" }) });
    try {
      const res = await broken.fetch("/identity-backend/login");
      assert.equal(res.status, 500);
      assert.ok(!(await res.text()).includes("1000"));
    } finally {
      await broken.stop();
    }
  });
});
