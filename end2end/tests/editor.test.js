// The pipeline editor and the homepage: the demo gallery shows its pictures; a new pipeline
// gets two templates dragged onto the canvas, connected, a form field filled, saved, and the
// same graph comes back after a reload; a cycle-making connection is refused on the spot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, api, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser();

async function centre(locator) {
  const box = await locator.boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function connect(page, from, to) {
  const start = await centre(from.locator('[data-testid="port-out"]'));
  const end = await centre(to);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2, { steps: 4 });
  await page.mouse.move(end.x, end.y, { steps: 4 });
  await page.mouse.up();
}

/** Signs in as admin, creates a pipeline from the homepage card and returns its canvas. */
async function newPipeline(page) {
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  await page.click('[data-testid="new-pipeline"]');
  await page.waitForURL(/\/pipelines\/\d+$/);
  const canvas = page.locator('[data-testid="canvas"]');
  await canvas.waitFor();
  return canvas;
}

test("the homepage shows the demo gallery with its pictures", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  const cards = page.locator('[data-testid="demo-card"]');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 3);
  const pictures = await cards.locator("img").evaluateAll((imgs) =>
    Promise.all(imgs.map((img) => img.decode().then(() => [img.getAttribute("src"), img.naturalWidth]))),
  );
  for (const [src, width] of pictures) {
    assert.match(src, /^\/gallery\/.+\.svg$/);
    assert.ok(width > 0, `${src} did not load`);
  }
  await api(page, live.server.url, "POST", "/api/v1/users", { username: "dana", password: "dana-password-1" });
  const orgs = await api(page, live.server.url, "GET", "/api/v1/projects?kind=org");
  const publicId = orgs.items.find((p) => p.name === "public").id;
  await api(page, live.server.url, "POST", "/api/v1/pipelines", { pipeline: { project_id: publicId, name: "admins-plan" }, tasks: [] });
  const user = await live.chrome.newPage();
  // Pictures that fail to load give way to the fallback picture.
  await user.route(/\/gallery\/(?!default\.svg).*/, (route) => route.fulfill({ status: 404, body: "" }));
  await login(user, live.server.url, "dana", "dana-password-1");
  const userCards = user.locator('[data-testid="demo-card"]');
  await userCards.first().waitFor();
  await user.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('[data-testid="demo-card"] img')];
    return imgs.length === 3 && imgs.every((img) => img.src.endsWith("/gallery/default.svg") && img.complete && img.naturalWidth > 0);
  });

  await userCards.first().locator('[data-testid="copy-demo"]').click();
  await user.waitForFunction(() => /\/pipelines\/\d+$/.test(location.pathname) && document.querySelector('[data-testid="node"]'));
  assert.equal(await user.locator('[data-testid="read-only"]').count(), 0, "the card's copy is the user's to edit");
  const copied = (await api(user, live.server.url, "GET", "/api/v1/pipelines?mine=true")).items.map((p) => p.name);
  assert.equal(copied.length, 1);

  await user.goto(`${live.server.url}/`);
  const mine = user.locator('[data-testid="pipeline-table"] tbody tr');
  await mine.first().waitFor();
  assert.equal(await mine.count(), 1, "the tab 'mine' lists the copy");
  assert.equal(await mine.first().locator("a").textContent(), copied[0]);
  await user.click('[role="tab"]:nth-child(2)');
  await user.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="pipeline-table"] tbody tr a')].map((a) => a.textContent);
    return rows.length === 1 && rows[0] === "admins-plan";
  });

  await user.locator('[data-testid="demo-card"] a').first().click();
  await user.waitForSelector('[data-testid="read-only"]');
  assert.ok((await user.locator('[data-testid="node"]').count()) > 0, "the demo's tasks are drawn");
  await user.click('[data-testid="copy-pipeline"]');
  await user.waitForFunction(() => !document.querySelector('[data-testid="read-only"]') && document.querySelector('[data-testid="node"]'));
  assert.match(user.url(), /\/pipelines\/\d+$/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(user.errors, []);
});

test("drag, connect, fill, save, reload: the same graph; cycles are refused", async () => {
  const page = await live.chrome.newPage();
  const canvas = await newPipeline(page);
  const box = await canvas.boundingBox();

  await page.locator('[data-testid="palette-item"][data-template="shell"]').dragTo(canvas, {
    targetPosition: { x: box.width * 0.25, y: box.height * 0.3 },
  });
  await page.locator('[data-testid="palette-item"][data-template="python"]').dragTo(canvas, {
    targetPosition: { x: box.width * 0.7, y: box.height * 0.6 },
  });
  const nodes = page.locator('[data-testid="node"]');
  assert.equal(await nodes.count(), 2);
  assert.equal(await page.textContent('[data-testid="save-status"]'), "Unsaved changes");

  const shell = page.locator('[data-testid="node"]:has-text("shell")');
  const python = page.locator('[data-testid="node"]:has-text("python")');
  await connect(page, shell, python);
  assert.equal(await page.locator("path.edge:not(.pending)").count(), 1);

  await connect(page, python, shell);
  await page.waitForSelector('[data-testid="notice"]');
  assert.match(await page.textContent('[data-testid="notice"]'), /cycle: python → shell → python/);
  assert.equal(await page.locator("path.edge:not(.pending)").count(), 1, "the cycle edge was not drawn");

  await python.click();
  await page.waitForSelector('[data-testid="task-panel"]');
  await page.fill('[data-arg="code"]', "print('from the browser')");
  await page.fill('[data-field="label"]', "Say hello");
  await page.press('[data-field="label"]', "Enter");
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="save-status"][data-status="saved"]');

  await page.reload();
  await page.waitForSelector('[data-testid="node"]');
  assert.equal(await page.locator('[data-testid="node"]').count(), 2);
  assert.equal(await page.locator("path.edge").count(), 1);
  await page.locator('[data-testid="node"]:has-text("Say hello")').click();
  await page.waitForSelector('[data-testid="task-panel"]');
  assert.equal(await page.inputValue('[data-arg="code"]'), "print('from the browser')");
  assert.deepEqual(page.errors, []);
});

test("a save over a version saved elsewhere is refused, not lost", async () => {
  const first = await live.chrome.newPage();
  const canvas = await newPipeline(first);
  await first.locator('[data-testid="palette-item"][data-template="shell"]').dragTo(canvas);
  await first.click('[data-testid="save"]');
  await first.waitForSelector('[data-testid="save-status"][data-status="saved"]');

  const second = await live.chrome.newPage();
  await login(second, live.server.url, "admin", ADMIN_PASSWORD);
  await second.goto(first.url());
  await second.waitForSelector('[data-testid="node"]');
  await first.locator('[data-testid="palette-item"][data-template="python"]').dragTo(canvas);
  await first.click('[data-testid="save"]');
  await first.waitForSelector('[data-testid="save-status"][data-status="saved"]');

  const other = second.locator('[data-testid="canvas"]');
  await second.locator('[data-testid="palette-item"][data-template="python"]').dragTo(other);
  await second.click('[data-testid="save"]');
  await second.waitForSelector('[data-testid="save-error"]');
  assert.match(await second.textContent('[data-testid="save-error"]'), /saved elsewhere/);
  assert.equal(await second.textContent('[data-testid="save-status"]'), "Unsaved changes");
  assert.deepEqual(first.errors, []);
});

test("palette search and details; add, select all, delete, undo and redo; zoom and fit", async () => {
  const page = await live.chrome.newPage();
  const canvas = await newPipeline(page);
  const items = page.locator('[data-testid="palette-item"]');
  await page.fill('[data-testid="palette"] input[type="search"]', "pyth");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="palette-item"]').length === 1);
  assert.equal(await items.first().getAttribute("data-template"), "python");
  await items.first().locator('button[title="Details"]').click();
  assert.match(await page.textContent('[data-testid="palette"] [role="dialog"]'), /Runs Python code/);
  await page.fill('[data-testid="palette"] input[type="search"]', "");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="palette-item"]').length >= 2);

  const add = page.locator('[data-testid="palette-item"][data-template="shell"] button[title="Add to the canvas"]');
  await add.click();
  await add.click();
  const nodes = page.locator('[data-testid="node"]');
  const count = (n) => page.waitForFunction((n) => document.querySelectorAll('[data-testid="node"]').length === n, n);
  await count(2);
  const box = await canvas.boundingBox();
  await page.mouse.click(box.x + 5, box.y + 5);
  await page.keyboard.press("Control+a");
  assert.equal(await page.locator('[data-testid="node"].selected').count(), 2, "Ctrl+A selects every task");
  // Delete, then undo; redo (both shortcuts) deletes again, and undo brings the tasks back.
  for (const redo of ["Delete", "Control+Shift+Z", "Control+y"]) {
    await page.keyboard.press(redo);
    await count(0);
    await page.keyboard.press("Control+z");
    await count(2);
  }
  assert.equal(await page.inputValue('[data-testid="palette"] input[type="search"]'), "", "the browser's own undo stays out");

  // Added at one place, the second task sits down and to the right of the first.
  const [first, second] = [await nodes.nth(0).boundingBox(), await nodes.nth(1).boundingBox()];
  assert.ok(second.x > first.x && second.y > first.y, "the second task does not hide the first");
  const corner = await nodes.nth(0).locator("rect").first().boundingBox();
  await page.mouse.click(corner.x + 6, corner.y + 6);
  await nodes.nth(1).click({ modifiers: ["Shift"] });
  assert.equal(await page.locator('[data-testid="node"].selected').count(), 2, "Shift-click adds to the selection");
  await nodes.nth(1).click({ modifiers: ["Shift"] });
  assert.equal(await page.locator('[data-testid="node"].selected').count(), 1, "and takes away");

  const view = page.locator('[data-testid="canvas"] g[transform*="scale"]').first();
  const scale = async () => Number((await view.getAttribute("transform")).match(/scale\(([\d.]+)\)/)[1]);
  const before = await scale();
  await page.click('button[aria-label="zoom in"]');
  assert.ok((await scale()) > before, "zoom in enlarges");
  await page.click('button[aria-label="zoom out"]');
  await page.click('button[aria-label="zoom out"]');
  assert.ok((await scale()) < before, "zoom out shrinks");
  await page.click("text=Fit");
  assert.equal(await nodes.count(), 2, "both tasks are drawn");
  for (const node of await nodes.all()) {
    const b = await node.boundingBox();
    assert.ok(b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height, "fit shows every task");
  }
  assert.deepEqual(page.errors, []);
});
