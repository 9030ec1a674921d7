// An administrator creates a template category with an index, an image, and a job template
// with mounts, environment and an argument schema, and sees the task form it generates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser();

const schema = JSON.stringify([
  {
    label: "Training",
    args: [
      { name: "--epochs", type: "int", label: "Epochs", default: 10, min: 1, max: 100 },
      { name: "--optimizer", type: "enum", choices: [{ value: "adam" }, { value: "sgd" }], default: "adam" },
      { name: "--notes", type: "text", required: false },
    ],
  },
]);

async function choose(page, select, label) {
  await page.waitForSelector(`select[name="${select}"] option:has-text("${label}")`, { state: "attached" });
  await page.selectOption(`select[name="${select}"]`, { label });
}

test("category, image and template with a live form preview", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);

  await page.click("nav.sidenav >> text=Template categories");
  await page.waitForSelector("table >> text=basic-commands");
  await page.click("text=New template category");
  await page.fill('input[name="name"]', "vision-tools");
  await page.fill('input[name="index"]', "7");
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/projects\/\d+$/);
  await page.click("summary");
  assert.match(await page.textContent('[data-testid="expand-json"]'), /"index": 7/);

  await page.goto(`${live.server.url}/images/new`);
  await page.fill('input[name="name"]', "registry.example.com/ml/train:1");
  await page.click('button[type="submit"]');
  await page.waitForSelector("table >> text=registry.example.com/ml/train:1");

  await page.click("nav.sidenav >> text=Job templates");
  await page.click("text=New job template");
  await choose(page, "category", "vision-tools");
  await page.fill('input[name="name"]', "train-cnn");
  await page.selectOption('select[name="version"]', "Release");
  await choose(page, "image", "registry.example.com/ml/train:1");
  await page.fill('input[name="volume_mount"]', "workspace(pvc):/mnt;4G(memory):/dev/shm");
  await page.fill('textarea[name="env"]', "TASK_RESOURCE_CPU=2\nURL=http://x/?a=b");
  await page.fill('textarea[name="args"]', schema);

  const preview = page.locator('[data-testid="form-preview"]');
  await preview.locator('input[data-arg="--epochs"]').waitFor();
  assert.equal(await preview.locator('input[data-arg="--epochs"]').inputValue(), "10", "defaults fill the form");
  assert.equal(await preview.locator('select[data-arg="--optimizer"] option').count(), 3);
  assert.equal(await preview.locator('textarea[data-arg="--notes"]').count(), 1);
  await preview.locator('input[data-arg="--epochs"]').fill("500");
  await preview.locator("text=must be between 1 and 100").waitFor();
  await preview.locator('input[data-arg="--epochs"]').fill("5");
  assert.equal(await preview.locator(".field-error").count(), 0);

  await page.fill('textarea[name="args"]', '[{"label": "g", "args": [{"name": "x", "type": "enum"}]}]');
  await page.locator('[data-testid="schema-problems"] >> text=need choices').waitFor();
  await page.fill('textarea[name="args"]', schema);

  await page.click('button[type="submit"]');
  await page.waitForURL(/\/job-templates$/);
  await page.waitForSelector("table >> text=train-cnn");
  assert.deepEqual(page.errors, []);
});
