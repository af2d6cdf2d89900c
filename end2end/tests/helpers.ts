// Shared steps for the end-to-end tests.
import { expect, Page } from "@playwright/test";

/** Opens `path` and waits until the wasm app has hydrated (clicks before that are lost). */
export async function openHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}
