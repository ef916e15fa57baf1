// The HTML log viewer: inert rendering of hostile data, security headers,
// empty states, paging links, live mode and filter errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LOGOUT_URL, LOGS, browse, entries, postLogs, startLogging } from "./support/logging.mjs";

let system;
let user;
before(async () => {
  system = await startLogging();
  user = await system.userToken("<i>ann</i>");
});
after(() => system?.stop());

const unescape = (s) => s.replaceAll("&amp;", "&").replaceAll("&quot;", '"');
const link = (html, rel) => {
  const match = html.match(new RegExp(`<a rel="${rel}" href="([^"]+)"`));
  return match && unescape(match[1]);
};
const page = async (path) => (await browse(system, path, { token: user })).text();
const messagesOf = (html) => [...html.matchAll(/<p class="msg">([^<]*)<\/p>/g)].map((m) => m[1]);

function assertHtmlHeaders(res) {
  assert.match(res.headers.get("content-type"), /^text\/html; charset=utf-8/);
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /base-uri 'none'/);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("script-src"), csp);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

test("before anything is stored the page says so", async () => {
  const res = await browse(system, LOGS, { token: user });
  assert.equal(res.status, 200);
  assertHtmlHeaders(res);
  assert.match(await res.text(), /No log entries have been stored yet\./);
});

test("HTML and script in entries, tokens and filters are rendered inert", async () => {
  const service = await system.serviceToken('<script>alert("svc")</script>');
  const res = await postLogs(system, service, [
    {
      level: "error",
      message: '<script>alert("msg")</script><img src=x onerror=alert(1)>',
      fields: { html: "</pre><script>alert('fields')</script>", "<key>": "&amp;" },
      request_id: '"><script>alert("rid")</script>',
    },
  ]);
  assert.equal(res.status, 201);

  const q = '"><script>alert("q")</script>';
  const pages = [
    await browse(system, LOGS, { token: user }),
    await browse(system, `${LOGS}?q=${encodeURIComponent(q)}&level=error`, { token: user }),
  ];
  for (const res of pages) {
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.ok(!/<script/i.test(html), "no raw <script from data");
    assert.ok(!/<img/i.test(html), "no raw <img from data");
    assert.ok(!/ on\w+=/i.test(html.replace(/&lt;img src=x onerror=alert\(1\)&gt;/g, "")));
    assert.match(html, /Signed in as <strong>&lt;i&gt;ann&lt;\/i&gt;<\/strong>/);
  }
  const html = await (await browse(system, LOGS, { token: user })).text();
  assert.ok(html.includes("&lt;script&gt;alert(&quot;msg&quot;)&lt;/script&gt;"));
  assert.ok(html.includes("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
  assert.ok(html.includes("&lt;/pre&gt;&lt;script&gt;alert('fields')&lt;/script&gt;"));
  assert.ok(html.includes("&quot;&lt;key&gt;&quot;: &quot;&amp;amp;&quot;"));
  assert.ok(html.includes("&lt;script&gt;alert(&quot;svc&quot;)&lt;/script&gt;"));
  assert.ok(html.includes("request &quot;&gt;&lt;script&gt;alert(&quot;rid&quot;)&lt;/script&gt;"));

  const withQ = await page(`${LOGS}?q=${encodeURIComponent(q)}`);
  assert.ok(withQ.includes('value="&quot;&gt;&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;"'));
});

test("the page is self-contained: no script, no inline style, CSS from our route", async () => {
  const html = await (await browse(system, LOGS, { token: user })).text();
  assert.ok(!/<style|style=|<script/i.test(html));
  const href = html.match(/<link rel="stylesheet" href="([^"]+)"/)[1];
  assert.match(href, /^\/logging-backend\/static\/viewer\.css/);
  const css = await system.fetch(unescape(href));
  assert.equal(css.status, 200);
  assert.match(css.headers.get("content-type"), /^text\/css/);
  assert.match(await css.text(), /\.lvl-error/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
});

test("levels show as colour class and word, with UTC time and relative age", async () => {
  const token = await system.serviceToken("colours");
  const ts = Date.now() - 7 * 60_000;
  const batch = ["trace", "debug", "info", "warn", "error", "fatal"].map((level) => ({
    level,
    message: `a ${level} entry`,
    ts,
  }));
  await postLogs(system, token, batch);
  const html = await (await browse(system, `${LOGS}?service=colours`, { token: user })).text();
  for (const level of ["trace", "debug", "info", "warn", "error", "fatal"]) {
    assert.ok(html.includes(`<li class="entry lvl-${level}">`), level);
    const word = `<span class="level lvl-${level}">${level.toUpperCase()}</span>`;
    assert.ok(html.includes(word), level);
  }
  const iso = new Date(ts).toISOString();
  const human = iso.replace("T", " ").replace("Z", " UTC");
  assert.ok(html.includes(`<time datetime="${iso}">${human}</time>`));
  assert.match(html, /<span class="age">7 min ago<\/span>/);
});

test("sign-out goes to identity with a way back", async () => {
  const html = await (await browse(system, LOGS, { token: user })).text();
  const href = unescape(html.match(/<a href="([^"]+)">Sign out<\/a>/)[1]);
  const url = new URL(href);
  assert.equal(`${url.origin}${url.pathname}`, LOGOUT_URL);
  const back = "https://aurorahours.com/logging-backend/logs";
  assert.equal(url.searchParams.get("redirect_url"), back);
});

test("long messages and fields fold into details, no script needed", async () => {
  const token = await system.serviceToken("folding");
  await postLogs(system, token, [
    {
      level: "info",
      message: `stack trace:\n${"at frame\n".repeat(40)}`,
      fields: { a: 1, b: [2] },
    },
  ]);
  const html = await (await browse(system, `${LOGS}?service=folding`, { token: user })).text();
  assert.match(html, /<details class="message"><summary>stack trace: …<\/summary>/);
  assert.match(html, /<pre>stack trace:\nat frame/);
  assert.match(html, /<details class="fields"><summary>fields \(2\)<\/summary>/);
  assert.match(html, /<pre>\{\n  &quot;a&quot;: 1,/);
});

test("older and newer links page through, keeping the filters", async () => {
  const token = await system.serviceToken("paging");
  const base = Date.now() - 10 * 60_000;
  const batch = entries(25, (i) => ({ level: "info", message: `p${i}`, ts: base + i }));
  await postLogs(system, token, batch);
  const first = await page(`${LOGS}?service=paging&limit=10`);
  assert.deepEqual(messagesOf(first), Array.from({ length: 10 }, (_, i) => `p${24 - i}`));
  assert.equal(link(first, "prev"), null, "no newer link on the newest page");

  const older = link(first, "next");
  assert.match(older, /^\/logging-backend\/logs\?service=paging&limit=10&cursor=/);
  const second = await (await browse(system, older, { token: user })).text();
  assert.deepEqual(messagesOf(second), Array.from({ length: 10 }, (_, i) => `p${14 - i}`));
  const newest = '<a href="/logging-backend/logs?service=paging&amp;limit=10">Newest</a>';
  assert.ok(second.includes(newest));

  const third = await (await browse(system, link(second, "next"), { token: user })).text();
  assert.deepEqual(messagesOf(third), ["p4", "p3", "p2", "p1", "p0"]);
  assert.equal(link(third, "next"), null, "no older link at the end");

  const back = await (await browse(system, link(third, "prev"), { token: user })).text();
  assert.deepEqual(messagesOf(back), messagesOf(second));
  const backAgain = await (await browse(system, link(back, "prev"), { token: user })).text();
  assert.deepEqual(messagesOf(backAgain), messagesOf(first));
});

test("no match says so, distinct from an empty store", async () => {
  const html = await (await browse(system, `${LOGS}?q=nothing-like-this`, { token: user })).text();
  assert.match(html, /No entries match these filters\./);
  assert.ok(!html.includes("No log entries have been stored yet"));
});

test("live mode reloads the newest page, and pauses on older pages", async () => {
  const live = await page(`${LOGS}?live=1&service=paging&limit=10`);
  assert.match(live, /<meta http-equiv="refresh" content="5">/);
  assert.match(live, /<input type="checkbox" name="live" value="1" checked>/);
  const older = link(live, "next");
  assert.match(older, /live=1/);
  const paused = await (await browse(system, older, { token: user })).text();
  assert.ok(!paused.includes('http-equiv="refresh"'));
  assert.match(paused, /Live reload is paused/);
});

test("bad filters give the page with the problems, status 400, values kept", async () => {
  const path = `${LOGS}?limit=5000&from=%3Cb%3Esoon&level=loud`;
  const res = await browse(system, path, { token: user });
  assert.equal(res.status, 400);
  assertHtmlHeaders(res);
  const html = await res.text();
  assert.match(html, /These filters cannot be used/);
  assert.match(html, /<li>limit must be a whole number from 1 to 1000<\/li>/);
  assert.match(html, /<li>level must be one of/);
  assert.match(html, /<li>from is not RFC 3339/);
  assert.match(html, /<input name="from" value="&lt;b&gt;soon"/);
});
