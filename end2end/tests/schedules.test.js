// Schedules in the browser: the editor's schedule settings (cron, time zone, catch-up start,
// pause) with the server's preview of what saving creates; the scheduled-records page lists
// each execution date with its run, pages forward and back, skips and reruns a date, and
// speaks Chinese.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, api, shellPipeline, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser({ CUBIST_SCHEDULER_TICK_MS: "200" });

/// `t` as the value of a datetime-local input (UTC, minutes).
const local = (t) => t.toISOString().slice(0, 16);

test("a schedule set in the editor runs each date, listed on the scheduled-records page", async () => {
  const page = await live.chrome.newPage();
  const base = live.server.url;
  await login(page, base, "admin", ADMIN_PASSWORD);
  const created = await shellPipeline(page, base, "every-minute", "true");
  const id = created.pipeline.id;

  await page.goto(`${base}/pipelines/${id}`);
  await page.waitForSelector('[data-testid="settings-panel"]');
  await page.selectOption('[data-field="schedule.kind"]', "cron");
  // Every minute of one hour of India's clock two hours ago: 60 dates, then none till tomorrow.
  const hour = new Date(Date.now() + (5.5 - 2) * 3600 * 1000).getUTCHours();
  await page.fill('[data-field="schedule.cron"]', `* ${hour} * * *`);
  await page.press('[data-field="schedule.cron"]', "Tab");
  await page.fill('[data-field="schedule.timezone"]', "Asia/Kolkata");
  await page.press('[data-field="schedule.timezone"]', "Tab");
  const start = new Date(Date.now() - 3 * 3600 * 1000);
  await page.fill('[data-field="schedule.catchup_start"]', local(start));
  await page.press('[data-field="schedule.catchup_start"]', "Tab");
  await page.waitForFunction(() =>
    /this creates 60 runs from .* IST to .* IST/.test(document.querySelector('[data-testid="schedule-preview"]')?.textContent ?? ""),
  );
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="save-status"][data-status="saved"]');

  await page.click('[data-testid="scheduled-records"]');
  await page.waitForURL(new RegExp(`/pipelines/${id}/schedule$`));
  await page.waitForSelector('[data-testid="schedule-record"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="pager-position"]')?.textContent.includes("60"));
  assert.equal(await page.locator('[data-testid="schedule-record"]').count(), 50, "a page of 50");
  const firstPage = await page.locator('[data-testid="schedule-record"] td:first-child').allTextContents();
  await page.click('[data-testid="pager-next"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="schedule-record"]').length === 10);
  const secondPage = await page.locator('[data-testid="schedule-record"] td:first-child').allTextContents();
  assert.equal(new Set([...firstPage, ...secondPage]).size, 60, "no date twice across the pages");
  assert.ok(await page.locator('[data-testid="pager-next"]').isDisabled(), "the last page has no next");
  await page.click('[data-testid="pager-previous"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="schedule-record"]').length === 50);

  // The oldest date ran (one run at a time, oldest first); skip it, then run it again.
  await page.click('[data-testid="pager-next"]');
  const oldest = page.locator('[data-testid="schedule-record"]').last();
  await oldest.locator('[data-status="succeeded"]').waitFor({ timeout: 30000 });
  assert.match(await oldest.locator("a").getAttribute("href"), /^\/runs\/[0-9a-f]{32}$/);
  const firstRun = await oldest.locator("a").getAttribute("href");
  await oldest.locator('[data-testid="record-skip"]').click();
  await page.waitForSelector('[data-testid="schedule-record"]:last-child[data-state="skipped"]');
  await page.locator('[data-testid="schedule-record"]').last().locator('[data-testid="record-rerun"]').click();
  // Waiting again, or already started anew by the scheduler: never its first run.
  await page.waitForFunction((first) => {
    const row = document.querySelector('[data-testid="schedule-record"]:last-child');
    const run = row?.querySelector("a")?.getAttribute("href");
    return row?.dataset.state === "waiting" || (row?.dataset.state === "started" && run !== first);
  }, firstRun);

  await page.selectOption("select.language", "zh");
  await page.waitForSelector("h1 >> text=调度记录");
  assert.ok(await page.locator('[data-testid="record-skip"] >> text=跳过').count() > 0);
  await page.selectOption("select.language", "en");
  assert.deepEqual(page.errors, []);
});
