// Debug shells: from a task's panel, a terminal opens in the browser with the task's
// environment; typed commands run, and the page says how the shell ended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser();

const screenHas = (page, text) =>
  page.waitForFunction((t) => document.querySelector(".xterm-rows")?.textContent.includes(t), text);

test("a task's debug shell runs typed commands in the task's environment", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  await page.locator('[data-testid="demo-card"]:has-text("Data preparation") a').click();
  await page.waitForSelector('[data-testid="node"]');
  await page.locator('[data-testid="node"]:has-text("Summarise")').click();
  const href = await page.getAttribute('[data-testid="task-debug"]', "href");
  assert.match(href, /^\/tasks\/\d+\/debug$/);

  await page.goto(live.server.url + href);
  await page.waitForSelector('[data-testid="debug-status"]:has-text("Connected")');
  assert.match(await page.textContent('[data-testid="debug-where"]'), /summarise/);
  await page.click('[data-testid="terminal"]');
  // The quotes keep the expected text out of the echoed command line.
  await page.keyboard.type('echo "task=""$KFJ_TASK_NAME run=""$KFJ_RUN_ID"\n');
  await screenHas(page, "task=summarise run=run-");
  await page.keyboard.type("exit 3\n");
  await page.waitForSelector('[data-testid="debug-status"]:has-text("exit 3")');

  await page.click('[data-testid="debug-reopen"]');
  await page.waitForSelector('[data-testid="debug-status"]:has-text("Connected")');
  await page.click('[data-testid="terminal"]');
  await page.keyboard.type('echo "again=""$((6*7))"\n');
  await screenHas(page, "again=42");
  assert.deepEqual(page.errors, []);
});
