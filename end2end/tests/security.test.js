// An administrator creates a user; that user sees the reduced menu and is refused the
// admin pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, login, ADMIN_PASSWORD } from "./harness.js";

const live = serverAndBrowser();

const navLinks = (page) => page.locator("nav.sidenav a").allTextContents();

test("admin creates a user who gets the reduced menu and a 403 on admin pages", async () => {
  const page = await live.chrome.newPage();
  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  assert.ok((await navLinks(page)).includes("Users"), "admin sees the security area");

  await page.click("nav.sidenav >> text=Users");
  await page.waitForSelector("table >> text=admin");
  await page.click("text=New user");
  await page.fill('input[name="username"]', "eve");
  await page.fill('input[name="email"]', "eve@example.com");
  await page.fill('input[name="password"]', "eve-password-1");
  await page.click('button[type="submit"]');
  await page.waitForSelector("table >> text=eve@example.com");

  await page.click("text=Sign out");
  await page.waitForURL(/\/login$/);
  await login(page, live.server.url, "eve", "eve-password-1");
  const links = await navLinks(page);
  assert.ok(links.includes("Home") && links.includes("API tokens"), `user menu: ${links}`);
  for (const admin of ["Users", "Roles", "Permissions", "Audit log"]) {
    assert.ok(!links.includes(admin), `user must not see ${admin}: ${links}`);
  }

  await page.goto(`${live.server.url}/security/users`);
  await page.waitForSelector("text=403");
  assert.equal(await page.locator("table").count(), 0, "no user list for a non-admin");
  assert.deepEqual(page.errors, []);
});

test("unknown pages get a 404 and the language can be switched to Chinese", async () => {
  const page = await live.chrome.newPage();
  const resp = await page.goto(`${live.server.url}/no/such/page`);
  assert.equal(resp.status(), 404);
  await page.waitForSelector("text=404");

  await login(page, live.server.url, "admin", ADMIN_PASSWORD);
  await page.selectOption("select.language", "zh");
  await page.waitForSelector("nav.sidenav >> text=用户");
  await page.reload();
  await page.waitForSelector("nav.sidenav >> text=用户");
  assert.deepEqual(page.errors, []);
});
