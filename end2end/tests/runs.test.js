// Running: a demo pipeline is run from the editor on the local engine, its graph turns
// green, and a task's log shows the task's output; one task runs alone from its panel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser();

test("run a demo pipeline and watch it turn green; open a task's log", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  await page.locator('[data-testid="demo-card"]:has-text("Data preparation") a').click();
  await page.waitForSelector('[data-testid="node"]');
  const editor = page.url();
  await page.click('[data-testid="run-pipeline"]');
  await page.waitForURL(/\/runs\/[0-9a-f]{32}$/);
  await page.waitForSelector('[data-testid="run-status"] [data-status="succeeded"]', { timeout: 30000 });
  const states = await page.locator('[data-testid="run-node"]').evaluateAll((nodes) =>
    nodes.map((n) => n.getAttribute("data-status")),
  );
  assert.deepEqual(states, ["succeeded", "succeeded", "succeeded"]);
  await page.locator('[data-testid="run-node"][data-task="clean"]').click();
  await page.waitForSelector('[data-testid="task-drawer"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent.includes("rows kept"));
  assert.match(await page.textContent('[data-testid="task-log"]'), /\d+ rows kept/);
  await page.click("nav.sidenav >> text=Runs");
  await page.waitForSelector('[data-testid="runs-table"] >> text=demo-data-preparation');

  await page.goto(editor);
  await page.locator('[data-testid="node"]:has-text("Summarise")').click();
  await page.click('[data-testid="task-run"]');
  await page.waitForURL(/\/runs\/run-\d+-\d+$/);
  await page.waitForSelector('[data-testid="run-status"] [data-status="succeeded"]', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent.includes("clean rows"));
  assert.deepEqual(page.errors, []);
});
