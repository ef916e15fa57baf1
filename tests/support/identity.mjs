// Fixtures for the identity worker's tests: keys and hashes made by the admin
// tool (the worker's own Rust code), seeded users, services and clients, and
// a small browser-like cookie jar.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { root } from "./system.mjs";

const admin = path.join(root, "target", "release", "identity-admin");

/** Runs the admin tool (built by scripts/test.sh) with optional stdin. */
export function adminTool(args, input = "") {
  if (!existsSync(admin)) {
    throw new Error(`${admin} is missing: run cargo build --release --bin identity-admin`);
  }
  return execFileSync(admin, args, { input, encoding: "utf8" }).trim();
}

/** A PBKDF2-SHA512 PHC string, hashed by the worker's own password code. */
export const hashPassword = (password) => adminTool(["hash"], `${password}\n`);

export const ISSUER = "https://aurorahours.com/identity-backend";

/** Bindings for the identity worker: a fresh private key set. */
export function identityBindings(extra = {}) {
  return { SIGNING_KEYS: adminTool(["keys", "generate", "--kid", "test-key-1"]), ...extra };
}

export const LOGGING = {
  audience: "logging-service",
  name: "Logs",
  cookie: "logging_token",
  path: "/logging-backend",
  prefix: "https://aurorahours.com/logging-backend/",
};
export const STATS = {
  audience: "stats-service",
  name: "Stats",
  cookie: "stats_token",
  path: "/stats-backend",
  prefix: "https://aurorahours.com/stats-backend/",
};

export async function addService(db, s) {
  const now = Math.floor(Date.now() / 1000);
  await db.batch([
    db
      .prepare(
        "INSERT INTO services (audience, display_name, cookie_name, cookie_path, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      )
      .bind(s.audience, s.name, s.cookie, s.path, now),
    db
      .prepare("INSERT INTO service_return_prefixes (audience, prefix) VALUES (?1, ?2)")
      .bind(s.audience, s.prefix),
  ]);
}

export async function addUser(db, username, hash, { disabled = false } = {}) {
  const now = Math.floor(Date.now() / 1000);
  await db
    .prepare(
      "INSERT INTO users (username, password_hash, disabled, created_at, updated_at, password_changed_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4)",
    )
    .bind(username, hash, disabled ? 1 : 0, now)
    .run();
}

export async function addClient(db, { id, secretHash, subject, audiences, revoked = false }) {
  const now = Math.floor(Date.now() / 1000);
  await db.batch([
    db
      .prepare(
        "INSERT INTO service_clients (client_id, secret_hash, subject, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      )
      .bind(id, secretHash, subject, now, revoked ? now : null),
    ...audiences.map((a) =>
      db
        .prepare("INSERT INTO service_client_audiences (client_id, audience) VALUES (?1, ?2)")
        .bind(id, a),
    ),
  ]);
}

let addressCounter = 1;
/** A client address of its own, so tests never share an address throttle. */
export const freshAddress = () => `198.51.100.${addressCounter++ % 250}`;

/**
 * Parses one Set-Cookie value into { name, value, attrs } where attrs holds
 * lower-cased attribute names.
 */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attrs = {};
  for (const part of rest) {
    const i = part.indexOf("=");
    if (i < 0) attrs[part.toLowerCase()] = true;
    else attrs[part.slice(0, i).toLowerCase()] = part.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

/** Set-Cookie headers of a response, parsed. */
export const setCookies = (res) => res.headers.getSetCookie().map(parseSetCookie);

/**
 * A cookie jar that keeps one value per (name, path) as a browser would and
 * sends the cookies whose path covers the request.
 */
export class Jar {
  constructor() {
    this.cookies = new Map();
  }
  take(res) {
    for (const c of setCookies(res)) {
      const key = `${c.name} ${c.attrs.path ?? "/"}`;
      if (c.attrs["max-age"] === "0" || c.value === "") this.cookies.delete(key);
      else this.cookies.set(key, c);
    }
    return res;
  }
  header(pathname) {
    const sent = [];
    for (const c of this.cookies.values()) {
      const p = c.attrs.path ?? "/";
      if (pathname === p || pathname.startsWith(p.endsWith("/") ? p : `${p}/`)) {
        sent.push(`${c.name}=${c.value}`);
      }
    }
    return sent.join("; ");
  }
  get(name) {
    for (const c of this.cookies.values()) if (c.name === name) return c;
    return undefined;
  }
}

/** The CSRF token in a rendered form. */
export function csrfFrom(html) {
  const m = html.match(/name="csrf_token" value="([^"]+)"/);
  if (!m) throw new Error("no csrf_token in page");
  return m[1];
}

/**
 * Drives the identity worker as a browser would. `fetch` is system.fetch.
 */
export class Browser {
  constructor(system, { address = freshAddress() } = {}) {
    this.system = system;
    this.jar = new Jar();
    this.address = address;
  }
  async get(url, headers = {}) {
    const u = new URL(url, "https://aurorahours.com");
    const cookie = this.jar.header(u.pathname);
    const res = await this.system.fetch(u, {
      headers: { ...(cookie ? { cookie } : {}), "cf-connecting-ip": this.address, ...headers },
    });
    return this.jar.take(res);
  }
  async post(url, fields, headers = {}) {
    const u = new URL(url, "https://aurorahours.com");
    const cookie = this.jar.header(u.pathname);
    const res = await this.system.fetch(u, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://aurorahours.com",
        "cf-connecting-ip": this.address,
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    return this.jar.take(res);
  }
  /** Opens the login page and submits it; returns the POST's response. */
  async login(username, password, redirectUrl) {
    const page = await this.get(
      `/identity-backend/login${redirectUrl ? `?redirect_url=${encodeURIComponent(redirectUrl)}` : ""}`,
    );
    const html = await page.text();
    if (page.status !== 200) return { page, html };
    const fields = { csrf_token: csrfFrom(html), username, password };
    if (redirectUrl) fields.redirect_url = redirectUrl;
    const res = await this.post("/identity-backend/login", fields);
    return { res, html: await res.text() };
  }
}
