// Shared steps and accounts for the end-to-end tests.
import { expect, Page } from "@playwright/test";
import * as path from "node:path";

export const ADMIN = { email: "admin@example.com", password: "correct horse battery" };
export const AGENT = { email: "agent@example.com", password: "agent horse battery" };
/** Browser state (session cookie) of the admin created by first-admin.setup.ts. */
export const ADMIN_STATE = path.join(__dirname, "..", ".auth", "admin.json");

/** Opens `path` and waits until the wasm app has hydrated (clicks before that are lost). */
export async function openHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Signs in through the sign-in screen and waits for the signed-in top bar. */
export async function signIn(page: Page, who: { email: string; password: string }) {
  await openHydrated(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toContainText(who.email);
}
