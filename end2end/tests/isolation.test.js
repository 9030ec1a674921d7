// Every page warns when local tasks run unisolated (the administrator turned the sandbox
// off) or cannot run (the sandbox cannot be set up); an isolated server shows no warning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, login, ADMIN_PASSWORD } from "./harness.js";

async function warningOn(env, language) {
  const server = await startServer(env);
  const chrome = await startBrowser();
  try {
    const page = await chrome.newPage();
    await login(page, server.url, "admin", ADMIN_PASSWORD);
    if (language) {
      await page.selectOption("select.language", language);
    }
    const warning = page.locator('[data-testid="isolation-warning"]');
    const count = await warning.count();
    const text = count ? await warning.textContent() : null;
    assert.deepEqual(page.errors, []);
    return text;
  } finally {
    await chrome.close();
    await server.stop();
  }
}

test("an isolated server shows no warning", async () => {
  assert.equal(await warningOn({}), null);
});

test("a server with isolation turned off warns on every page, in English and Chinese", async () => {
  assert.match(await warningOn({ CUBIST_SANDBOX: "off" }), /without isolation.*CUBIST_SANDBOX=off/);
  assert.match(await warningOn({ CUBIST_SANDBOX: "off" }, "zh"), /未隔离运行/);
});

test("a server whose sandbox cannot be set up says tasks cannot run", async () => {
  assert.match(await warningOn({ CUBIST_BWRAP: "/nonexistent/bwrap" }), /cannot run on this server.*bubblewrap/);
});
