// The app shell: it loads, hydrates, navigates client-side, shows a 404 and fits a phone.
import { expect, test } from "@playwright/test";
import { openHydrated } from "./helpers";

test("home page loads and hydrates", async ({ page }) => {
  await openHydrated(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Baton");
  await expect(page).toHaveTitle(/Home · Baton/);
});

test("navigation reaches every screen", async ({ page }) => {
  await openHydrated(page, "/");
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const name of ["Messages", "Inbox", "Simulator", "Setup", "Settings"]) {
    await nav.getByRole("link", { name }).click();
    // The Simulator adds the chosen test user to the address (?u=...).
    await expect(page).toHaveURL(new RegExp(`/${name.toLowerCase()}(\\?u=\\d+)?$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await expect(nav.getByRole("link", { name })).toHaveAttribute("aria-current", "page");
  }
});

test("every screen opened by its address hydrates without an error", async ({ page }) => {
  // A full load renders on the server and hydrates in the browser: a mismatch between the
  // two stops the wasm app (clicks then do nothing), which client-side navigation never shows.
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("panicked")) errors.push(m.text());
  });
  for (const path of ["/", "/messages", "/inbox", "/simulator", "/setup", "/settings", "/settings/users", "/settings/audit"]) {
    await openHydrated(page, path);
    // The screens are lazy chunks: give each one time to load and hydrate.
    await page.waitForLoadState("networkidle");
    expect(errors, `opening ${path}`).toEqual([]);
  }
});

test("unknown address shows the 404 screen", async ({ page }) => {
  const response = await page.goto("/no/such/screen");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
});

test("the shell fits a 375 px phone screen", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await openHydrated(page, "/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Settings" })).toBeVisible();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});
