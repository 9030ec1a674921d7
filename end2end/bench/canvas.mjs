// Benchmark (not a test): opens a pipeline of N tasks (default 1,000) in headless Chromium
// and prints the time to first render, the time the server takes to save the graph, and
// frame times while panning and zooming. Run through scripts/bench-canvas.sh.
import { startServer, startBrowser, login, api, ADMIN_PASSWORD } from "../tests/harness.js";

const TASKS = Number(process.env.BENCH_TASKS ?? 1000);

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { frames: s.length, p50: at(0.5).toFixed(1), p95: at(0.95).toFixed(1), max: s[s.length - 1].toFixed(1) };
}

/** A layered DAG: each task depends on one or two tasks of the previous ten. */
function graph(projectId, shellId) {
  const tasks = [];
  const dag = {};
  for (let i = 0; i < TASKS; i++) {
    const name = `task-${i}`;
    tasks.push({ name, template_id: shellId, args: { script: `echo ${i}` } });
    const ups = i === 0 ? [] : [...new Set([`task-${Math.max(0, i - 1 - (i % 10))}`, `task-${Math.floor(i / 2)}`])];
    dag[name] = ups.filter((u) => u !== name);
  }
  return { pipeline: { project_id: projectId, name: `bench-${TASKS}`, dag }, tasks };
}

async function frameTimes(page, action) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__stop = false;
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (!window.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await action();
  return page.evaluate(() => {
    window.__stop = true;
    return window.__frames.slice(1);
  });
}

const server = await startServer();
const chrome = await startBrowser();
try {
  const page = await chrome.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  await login(page, server.url, "admin", ADMIN_PASSWORD);
  const projects = await api(page, server.url, "GET", "/api/v1/projects?kind=org");
  const templates = await api(page, server.url, "GET", "/api/v1/job-templates");
  const shell = templates.items.find((t) => t.name === "shell").id;
  const started = performance.now();
  const created = await api(page, server.url, "POST", "/api/v1/pipelines", graph(projects.items[0].id, shell));
  const createMs = performance.now() - started;
  const id = created.pipeline.id;
  const saveStart = performance.now();
  await api(page, server.url, "PUT", `/api/v1/pipelines/${id}/graph`, {
    pipeline: { project_id: created.pipeline.project.id, ...created.pipeline },
    tasks: created.tasks,
  });
  const saveMs = performance.now() - saveStart;

  const openStart = performance.now();
  await page.goto(`${server.url}/pipelines/${id}`);
  await page.waitForSelector('[data-testid="node"]');
  const firstRender = performance.now() - openStart;
  const rendered = await page.textContent('[data-testid="rendered-count"]');

  const canvas = await page.locator('[data-testid="canvas"]').boundingBox();
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  await page.click('button:has-text("+")');
  await page.click('button:has-text("+")');
  const pan = await frameTimes(page, async () => {
    for (let round = 0; round < 3; round++) {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx - 600, cy - 300, { steps: 60 });
      await page.mouse.up();
    }
  });
  const zoom = await frameTimes(page, async () => {
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, i < 20 ? 120 : -120);
    await page.waitForTimeout(200);
  });
  await page.click('button:has-text("Fit")');
  const whole = await page.textContent('[data-testid="rendered-count"]');
  const panAll = await frameTimes(page, async () => {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 300, cy + 150, { steps: 60 });
    await page.mouse.up();
  });

  console.log(`pipeline of ${TASKS} tasks`);
  console.log(`  server: create ${createMs.toFixed(0)} ms, save unchanged graph ${saveMs.toFixed(0)} ms`);
  console.log(`  time to first render: ${firstRender.toFixed(0)} ms (nodes rendered/total: ${rendered})`);
  console.log(`  frame times panning zoomed in (ms):`, stats(pan));
  console.log(`  frame times wheel-zooming (ms):`, stats(zoom));
  console.log(`  frame times panning with the whole pipeline in view, ${whole} rendered (ms):`, stats(panAll));
  if (page.errors.length) console.log("page errors:", page.errors);
} finally {
  await chrome.close();
  await server.stop();
}
