// The inbox: a failed run of a pipeline alerts its creator; the top bar shows the unread
// count, the inbox lists the message, opening it leads to the run and marks it read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, api, shellPipeline, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser({ CUBIST_SCHEDULER_TICK_MS: "200" });

test("a failed run reaches its creator's inbox", async () => {
  const page = await live.chrome.newPage();
  const base = live.server.url;
  await login(page, base, "admin", ADMIN_PASSWORD);
  const created = await shellPipeline(page, base, "breaks", "exit 2");
  const run = await api(page, base, "POST", `/api/v1/pipelines/${created.pipeline.id}/runs`, {});
  const deadline = Date.now() + 30000;
  while ((await api(page, base, "GET", "/api/v1/me/notifications/unread")).unread < 1) {
    assert.ok(Date.now() < deadline, "no alert came");
    await new Promise((r) => setTimeout(r, 200));
  }

  await page.goto(base);
  await page.waitForSelector('[data-testid="inbox-link"] [data-testid="unread"] >> text=1');
  await page.click('[data-testid="inbox-link"]');
  await page.waitForSelector('[data-testid="message"][data-read="false"] >> text=breaks: run failed');
  await page.click('[data-testid="message"] a');
  await page.waitForURL(new RegExp(`/runs/${run.run_id}$`));
  await page.waitForFunction(() => !document.querySelector('[data-testid="inbox-link"] [data-testid="unread"]'));
  const inbox = await api(page, base, "GET", "/api/v1/me/notifications");
  assert.equal(inbox.items[0].read, true);

  await page.selectOption("select.language", "zh");
  await page.waitForSelector('[data-testid="inbox-link"] >> text=消息');
  await page.selectOption("select.language", "en");
  assert.deepEqual(page.errors, []);
});
