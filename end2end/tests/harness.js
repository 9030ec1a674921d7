// Starts the real `cubist` server on a fresh SQLite data dir and a headless Debian Chromium.
// Page errors (e.g. a wasm start-up failure) are collected so tests fail instead of seeing
// a blank page.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "..", "..");
export const ADMIN_PASSWORD = "e2e-admin-password";

export async function startServer(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "cubist-e2e-"));
  const bin = process.env.CUBIST_BIN ?? join(root, "target", "debug", "cubist");
  const child = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      CUBIST_ADDR: "127.0.0.1:0",
      CUBIST_DATA_DIR: dataDir,
      CUBIST_STATIC_DIR: join(root, "dist"),
      CUBIST_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DATABASE_URL: "",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolveUrl, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}${stderr}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+?)\/?\s/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  // Playwright gives every launch a fresh, empty profile directory of its own.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ locale: "en-US" });
      const page = await context.newPage();
      page.errors = [];
      page.on("pageerror", (e) => page.errors.push(e));
      return page;
    },
    async close() {
      await browser.close();
    },
  };
}

/** A server and a browser started before the file's tests and stopped after them. */
export function serverAndBrowser(extraEnv = {}) {
  const live = {};
  before(async () => {
    live.server = await startServer(extraEnv);
    live.chrome = await startBrowser();
  });
  after(async () => {
    await live.chrome?.close();
    await live.server?.stop();
  });
  return live;
}

export async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-testid="current-user"]');
}

/// Calls the API as the user signed in on `page` (cookies plus the CSRF header).
export async function api(page, base, method, path, data) {
  const csrf = (await page.context().cookies()).find((c) => c.name === "cubist_csrf")?.value ?? "";
  const resp = await page.request.fetch(`${base}${path}`, { method, data, headers: { "X-CSRF-Token": csrf } });
  if (!resp.ok()) throw new Error(`${method} ${path}: ${resp.status()} ${await resp.text()}`);
  return resp.status() === 204 ? null : resp.json();
}

/// Creates, as the user signed in on `page`, a pipeline in project `public` of one task of
/// the seeded `shell` template running `script`; returns the created graph.
export async function shellPipeline(page, base, name, script) {
  const templates = await api(page, base, "GET", "/api/v1/job-templates?page_size=200");
  const shell = templates.items.find((t) => t.name === "shell").id;
  const orgs = await api(page, base, "GET", "/api/v1/projects?kind=org");
  const project = orgs.items.find((p) => p.name === "public").id;
  return api(page, base, "POST", "/api/v1/pipelines", {
    pipeline: { project_id: project, name },
    tasks: [{ name: "task", template_id: shell, args: { script } }],
  });
}
