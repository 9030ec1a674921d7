// Running: a demo pipeline is run from the editor on the local engine, its graph turns
// green, and a task's log shows the task's output; one task runs alone from its panel;
// a run is cancelled from its page, a task cleared from its panel, runs filtered by kind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, api, ADMIN_PASSWORD } from "./harness.js";

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
  const attempt = await page.locator('[data-testid="task-drawer"] tbody tr td').allTextContents();
  assert.equal(attempt[0], "1", "one attempt");
  assert.equal(attempt[1], "0", "exit code 0");
  assert.match(attempt[2], /^\d+ ms$/, "wall time");
  assert.match(attempt[3], /^\d+ ms$/, "CPU time");
  assert.ok(Number(attempt[4].replace(" MB", "")) > 1, `peak memory measured: ${attempt[4]}`);
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

test("cancel from the run page; a task's log and clear from its panel; runs filtered by kind", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  const base = live.server.url;
  const templates = await api(page, base, "GET", "/api/v1/job-templates?page_size=200");
  const shell = templates.items.find((t) => t.name === "shell").id;
  const orgs = await api(page, base, "GET", "/api/v1/projects?kind=org");
  const project = orgs.items.find((p) => p.name === "public").id;
  const created = await api(page, base, "POST", "/api/v1/pipelines", {
    pipeline: { project_id: project, name: "long-wait" },
    tasks: [{ name: "wait", template_id: shell, args: { script: "echo waiting; sleep 30" } }],
  });
  const editor = `${base}/pipelines/${created.pipeline.id}`;
  const status = (s) => `[data-testid="run-status"] [data-status="${s}"]`;

  await page.goto(editor);
  await page.click('[data-testid="run-pipeline"]');
  await page.waitForURL(/\/runs\/[0-9a-f]{32}$/);
  await page.waitForSelector(status("running"));
  await page.click('[data-testid="run-cancel"]');
  await page.waitForSelector(status("cancelled"));
  assert.equal(await page.getAttribute('[data-testid="run-node"]', "data-status"), "cancelled");
  assert.equal(await page.locator('[data-testid="run-cancel"]').count(), 0, "a finished run offers no cancel");

  await page.goto(editor);
  await page.locator('[data-testid="node"]:has-text("wait")').click();
  await page.click('[data-testid="task-run"]');
  await page.waitForURL(/\/runs\/run-\d+-\d+$/);
  const single = page.url().split("/runs/")[1];
  await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent.includes("waiting"));

  await page.goto(editor);
  await page.locator('[data-testid="node"]:has-text("wait")').click();
  await page.click('[data-testid="task-clear"]');
  await page.waitForSelector('[data-testid="notice"]');
  assert.equal((await api(page, base, "GET", `/api/v1/runs/${single}`)).run.status, "deleted");
  await page.click('[data-testid="task-logs"]');
  await page.waitForURL(new RegExp(`/runs/${single}$`));
  await page.waitForSelector(status("deleted"));
  await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent.includes("waiting"));

  await page.goto(`${base}/runs?pipeline_id=${created.pipeline.id}`);
  const rows = page.locator('[data-testid="runs-table"] tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-table"] tbody tr').length === 2);
  await page.selectOption('[data-testid="runs-kind"]', "task");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-table"] tbody tr').length === 1);
  assert.equal(await rows.first().locator("td").nth(2).textContent(), "task");
  await page.selectOption('[data-testid="runs-kind"]', "manual");
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid="runs-table"] tbody tr td:nth-child(3)')];
    return cells.length === 1 && cells[0].textContent === "manual";
  });
  assert.deepEqual(page.errors, []);
});
