// The whole flow as a person meets it: the local development setup
// (scripts/dev.mjs: both workers under wrangler dev behind one origin) driven
// by Debian's headless Chromium through playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { startDev } from "../scripts/dev.mjs";
import { root } from "./support/system.mjs";

const GENERIC = "Sign-in failed. Check your username and password, or try again in a few minutes.";
const screenshots = path.join(root, "docs", "screenshots");
const port = 18787;

let dev;
let browser;
let context;
let page;
let state;

before(async () => {
  state = mkdtempSync(path.join(tmpdir(), "aurora-dev-"));
  dev = await startDev({ port, state, settingsDir: state, quiet: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  page = await context.newPage();
  mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

const cookie = async (name) => (await context.cookies()).find((c) => c.name === name);
const loginUrl = () => `${dev.origin}/identity-backend/login`;

test("a fresh browser opening the viewer lands on the login page with the return target", async () => {
  await page.goto(dev.url);
  const url = new URL(page.url());
  assert.equal(`${url.origin}${url.pathname}`, loginUrl());
  assert.equal(url.searchParams.get("redirect_url"), dev.url);
  assert.match(await page.textContent("h1"), /Sign in/);
  assert.match(await page.textContent("main"), /to continue to Logs/);
  await page.screenshot({ path: path.join(screenshots, "login.png") });
});

test("a wrong password shows the error and sets no token cookie", async () => {
  await page.fill("#username", dev.user.username);
  await page.fill("#password", "not the password at all");
  await page.click("button[type=submit]");
  assert.match(await page.textContent("#form-error"), new RegExp(GENERIC.replace(/[.,]/g, ".")));
  assert.equal(await page.inputValue("#username"), dev.user.username);
  assert.equal(await page.inputValue("#password"), "");
  assert.equal(await cookie("logging_token"), undefined);
  assert.equal(await cookie("identity_session"), undefined);
});

test("the right password returns to the viewer, which lists the sample entries", async () => {
  await page.fill("#password", dev.user.password);
  await page.click("button[type=submit]");
  await page.waitForURL(dev.url);
  const entries = await page.locator("li.entry").count();
  assert.ok(entries >= 50, `${entries} entries shown`);
  assert.match(await page.textContent("body"), new RegExp(dev.user.username));
  await page.screenshot({ path: path.join(screenshots, "viewer.png"), fullPage: false });
});

test("the cookies have the attributes the design requires", async () => {
  const token = await cookie("logging_token");
  assert.ok(token, "logging_token set");
  assert.equal(token.path, "/logging-backend");
  assert.equal(token.httpOnly, true);
  assert.equal(token.secure, true);
  assert.equal(token.sameSite, "Lax");
  assert.ok(token.expires > Date.now() / 1000 && token.expires <= Date.now() / 1000 + 901);
  const session = await cookie("identity_session");
  assert.equal(session.path, "/identity-backend");
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, "Lax");
  const csrf = await cookie("identity_csrf");
  assert.equal(csrf.sameSite, "Strict");
  assert.equal(csrf.path, "/identity-backend");
});

test("filtering by level and text narrows the list, and the URL holds the filter", async () => {
  const before = await page.locator("li.entry").count();
  await page.selectOption("select[name=level]", "error");
  await page.fill("input[name=q]", "connection");
  await Promise.all([page.waitForNavigation(), page.press("input[name=q]", "Enter")]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("level"), "error");
  assert.equal(url.searchParams.get("q"), "connection");
  const rows = page.locator("li.entry");
  const after = await rows.count();
  assert.ok(after > 0 && after < before, `${before} -> ${after}`);
  for (const text of await rows.allTextContents()) {
    assert.match(text, /ERROR|FATAL/);
    assert.match(text.toLowerCase(), /connection/);
  }
  // A permalink: the same URL in a new tab shows the same list.
  const again = await context.newPage();
  await again.goto(page.url());
  assert.equal(await again.locator("li.entry").count(), after);
  await again.close();
});

test("a second registered service signs in from the session, without the form", async () => {
  const target = `${dev.origin}/status-backend/`;
  const seen = [];
  page.on("response", (r) => seen.push([r.status(), new URL(r.url()).pathname]));
  await page.goto(`${loginUrl()}?redirect_url=${encodeURIComponent(target)}`);
  assert.equal(page.url(), target);
  assert.deepEqual(seen[0], [303, "/identity-backend/login"], JSON.stringify(seen));
  const status = await cookie("status_token");
  assert.ok(status, "status_token set");
  assert.equal(status.path, "/status-backend");
  assert.ok(await cookie("logging_token"), "the logging token is still there");
  page.removeAllListeners("response");
});

test("sign-out signs out, after which the viewer redirects to the login page again", async () => {
  await page.goto(dev.url);
  await Promise.all([page.waitForNavigation(), page.click("text=Sign out")]);
  assert.match(page.url(), /\/identity-backend\/logout/);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  const url = new URL(page.url());
  assert.equal(`${url.origin}${url.pathname}`, loginUrl());
  assert.equal(url.searchParams.get("redirect_url"), dev.url);
  assert.equal(await cookie("identity_session"), undefined);
  assert.equal(await cookie("logging_token"), undefined);
  assert.equal(await cookie("status_token"), undefined);
});
