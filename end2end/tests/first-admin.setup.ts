// First run: a fresh Baton shows "Create the first admin"; creating it signs the admin in.
import { expect, test as setup } from "@playwright/test";
import { ADMIN, ADMIN_STATE, openHydrated } from "./helpers";

setup("the first-run screen creates the first admin", async ({ page }) => {
  await openHydrated(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create the first admin");

  // Plain-language refusal for a short password (the browser's own check is bypassed here).
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.locator("#first-password").evaluate((el) => el.removeAttribute("minlength"));
  await page.getByLabel(/Password/).fill("short");
  await page.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 10 characters");

  await page.getByLabel(/Password/).fill(ADMIN.password);
  await page.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.getByTestId("whoami")).toContainText(`${ADMIN.email} · admin`);
  await page.context().storageState({ path: ADMIN_STATE });

  // The first-run screen is gone for everybody else.
  const browser = page.context().browser()!;
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  await openHydrated(other, "/");
  await expect(other.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await stranger.close();
});
