// Shared steps and accounts for the end-to-end tests.
import { expect, Page } from "@playwright/test";
import * as fs from "node:fs";
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

/** The handover kit flow file (the seed story's messages). */
export const KIT = path.join(__dirname, "..", "..", "crates", "flows", "tests", "fixtures", "handover_kit.json");

/** Publishes the handover kit through the editor's server functions (the page's session). */
export async function publishKit(page: Page) {
  const flow = fs.readFileSync(KIT, "utf8");
  const saved = await page.request.post("/api/flows/save_draft", { form: { flow } });
  expect(saved.status(), await saved.text()).toBe(200);
  const published = await page.request.post("/api/flows/publish", { form: {} });
  expect(published.status(), await published.text()).toBe(200);
}
