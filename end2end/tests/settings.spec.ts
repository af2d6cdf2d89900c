// A server function round trip: the Settings screen saves the page name to SQLite and shows
// it again after a reload. And the admins' banner while Facebook refuses the page token.
import { expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openHydrated, publishKit } from "./helpers";

const SHOTS = path.join(__dirname, "..", "screens");

/** Opens Settings and waits until its lazy chunk is live (before that, Save posts a plain form). */
async function openSettings(page: Page) {
  await openHydrated(page, "/settings");
  await expect(page.locator('form[data-ready="true"]')).toBeVisible();
}

test("page name is saved and survives a reload", async ({ page }) => {
  const name = `Demo page ${Date.now()}`;
  await openSettings(page);
  await page.getByLabel("New page display name").fill(name);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await expect(page.getByTestId("page-name")).toHaveText(name);

  await page.reload();
  await expect(page.getByTestId("page-name")).toHaveText(name);
});

test("a blank name is refused with a plain reason and changes nothing", async ({ page }) => {
  await openSettings(page);
  const before = await page.getByTestId("page-name").textContent();
  await page.getByLabel("New page display name").fill("   ");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("cannot be empty");
  await page.reload();
  await expect(page.getByTestId("page-name")).toHaveText(before ?? "");
});

test("the bot's disclosure is edited on Settings → Page and kept after a reload", async ({ page }) => {
  await openSettings(page);
  const box = page.getByLabel(/Before the bot's first message/);
  const text = page.getByLabel("What the bot says about itself");
  await expect(box).toBeChecked();
  const before = await text.inputValue();
  expect(before).not.toBe("");
  await text.fill("I'm Baton's assistant, a bot.");
  await page.getByRole("button", { name: "Save what the bot says" }).click();
  await expect(page.locator(".disclosure").getByRole("status")).toHaveText("Saved: the bot says it is a bot.");
  await page.reload();
  await expect(page.locator('form[data-ready="true"]')).toBeVisible();
  await expect(text).toHaveValue("I'm Baton's assistant, a bot.");

  // A blank text is refused in plain words and the saved one stays.
  await text.fill("  ");
  await page.getByRole("button", { name: "Save what the bot says" }).click();
  await expect(page.locator(".disclosure").getByRole("alert")).toContainText("Write what the bot says about itself");
  await page.reload();
  await expect(text).toHaveValue("I'm Baton's assistant, a bot.");

  // Put the original back for the Simulator's tests.
  await text.fill(before);
  await page.getByRole("button", { name: "Save what the bot says" }).click();
  await expect(page.locator(".disclosure").getByRole("status")).toHaveText("Saved: the bot says it is a bot.");
});

test("while Facebook refuses the page token, admins see why on every screen; it clears once the token works", async ({
  page,
}) => {
  test.setTimeout(150_000);
  await openHydrated(page, "/settings");
  await publishKit(page);
  const created = await page.request.post("/sandbox/_sandbox/users", {
    data: { first_name: "Tom", last_name: "Token" },
  });
  expect(created.status(), await created.text()).toBe(200);
  const { psid } = (await created.json()) as { psid: string };
  const user = `/sandbox/_sandbox/users/${psid}`;
  // The bot answers while the token works (the messenger profile arrives asynchronously).
  await expect.poll(async () => (await page.request.post(`${user}/get_started`)).status()).toBe(200);
  const said = async () => {
    const lines = (await (await page.request.get(`${user}/transcript`)).json()) as { text?: string | null }[];
    return lines.filter((l) => (l.text ?? "").includes("How can we help")).length;
  };
  await expect.poll(said).toBe(1);

  // Facebook stops accepting the token; the next reply is refused with error 190.
  const sandboxPage = "/sandbox/_sandbox/pages/1234567890";
  const broke = await page.request.put(sandboxPage, { data: { token_expired: true } });
  expect(broke.status(), await broke.text()).toBe(200);
  try {
    await expect
      .poll(async () => (await page.request.post(`${user}/tap`, { data: { title: "Talk to human" } })).status())
      .toBe(200);
    const banner = page.locator(".page-alert");
    await expect
      .poll(
        async () => {
          await page.goto("/inbox");
          return banner.count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await expect(banner).toContainText("no longer accepts the page access token");
    await expect(banner.getByRole("link", { name: "Open Settings" })).toHaveAttribute("href", "/settings");
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "token-alert-1280.png") });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: path.join(SHOTS, "token-alert-375.png") });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  } finally {
    await page.request.put(sandboxPage, { data: { token_expired: false } });
  }
  // Once a minute one waiting call checks the token; when it goes through the banner goes.
  await expect
    .poll(
      async () => {
        await page.goto("/settings");
        return page.locator(".page-alert").count();
      },
      { timeout: 100_000, intervals: [5_000] },
    )
    .toBe(0);
});
