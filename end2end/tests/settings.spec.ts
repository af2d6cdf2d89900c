// A server function round trip: the Settings screen saves the page name to SQLite and shows
// it again after a reload.
import { expect, test } from "@playwright/test";
import { openHydrated } from "./helpers";

test("page name is saved and survives a reload", async ({ page }) => {
  const name = `Demo page ${Date.now()}`;
  await openHydrated(page, "/settings");
  await page.getByLabel("New page display name").fill(name);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await expect(page.getByTestId("page-name")).toHaveText(name);

  await page.reload();
  await expect(page.getByTestId("page-name")).toHaveText(name);
});

test("a blank name is refused with a plain reason and changes nothing", async ({ page }) => {
  await openHydrated(page, "/settings");
  const before = await page.getByTestId("page-name").textContent();
  await page.getByLabel("New page display name").fill("   ");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("cannot be empty");
  await page.reload();
  await expect(page.getByTestId("page-name")).toHaveText(before ?? "");
});
