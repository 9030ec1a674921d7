// Embedding: a Cubist page renders without its chrome (`?embed=1`) inside an iframe of an
// allowed portal and is refused inside another origin's iframe; an administrator-configured
// external panel opens inside Cubist.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, startBrowser, login, ADMIN_PASSWORD } from "./harness.js";

let allowed;
let other;
let server;
let chrome;

/** A tiny "portal" web server that frames whatever `frameUrl()` returns. */
async function portal(frameUrl) {
  const http = createServer((req, res) => {
    res.setHeader("Content-Type", "text/html");
    if (req.url === "/panel.html") {
      res.end("<!doctype html><h1 id='panel'>Panel content</h1>");
    } else {
      res.end(`<!doctype html><h1>Portal</h1><iframe id="f" width="1000" height="600" src="${frameUrl()}"></iframe>`);
    }
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  return { http, url: `http://127.0.0.1:${http.address().port}` };
}

before(async () => {
  const target = () => `${server.url}/pipelines?embed=1`;
  allowed = await portal(target);
  other = await portal(target);
  server = await startServer({
    CUBIST_FRAME_ANCESTORS: allowed.url,
    CUBIST_PANELS: `docs|Team docs|${allowed.url}/panel.html`,
  });
  chrome = await startBrowser();
});

after(async () => {
  await chrome?.close();
  await server?.stop();
  allowed?.http.close();
  other?.http.close();
});

test("embed mode inside an allowed portal, refused elsewhere", async () => {
  const page = await chrome.newPage();
  await login(page, server.url, "admin", ADMIN_PASSWORD);

  await page.goto(`${allowed.url}/`);
  const frame = page.frameLocator("#f");
  await frame.locator('[data-testid="embed-layout"]').waitFor();
  assert.equal(await frame.locator("nav.sidenav").count(), 0, "no navigation chrome in embed mode");
  assert.equal(await frame.locator("header.topbar").count(), 0);
  await frame.locator("table").waitFor();

  const refusals = [];
  page.on("console", (m) => refusals.push(m.text()));
  await page.goto(`${other.url}/`);
  await page.waitForTimeout(1500);
  assert.ok(refusals.some((t) => t.includes("frame-ancestors")), `no CSP refusal logged: ${refusals}`);
  const framed = page.frames().find((f) => f !== page.mainFrame());
  assert.equal(await framed.locator('[data-testid="embed-layout"]').count(), 0, "the app did not render");
});

test("an administrator-configured panel opens inside Cubist", async () => {
  const page = await chrome.newPage();
  await login(page, server.url, "admin", ADMIN_PASSWORD);
  await page.click("nav.sidenav >> text=Team docs");
  await page.waitForURL(/\/panels\/docs$/);
  const panel = page.frameLocator('[data-testid="panel-frame"]');
  assert.equal(await panel.locator("#panel").textContent(), "Panel content");
  assert.deepEqual(page.errors, []);
});
