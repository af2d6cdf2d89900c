// Signing in and out, and roles: an agent created on the Users screen cannot open Setup.
import { expect, test } from "@playwright/test";
import { ADMIN, AGENT, openHydrated, signIn } from "./helpers";

// These tests sign in themselves (signing out ends the session they use).
test.use({ storageState: { cookies: [], origins: [] } });

test("a wrong password is refused, the right one signs in, sign out signs out", async ({ page }) => {
  await openHydrated(page, "/");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Email or password is wrong");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toContainText(ADMIN.email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
});

test("an admin adds an agent, who cannot open Setup", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await openHydrated(admin, "/settings/users");
  await expect(admin.locator('form[data-ready="true"]')).toBeVisible();
  await admin.getByLabel("Email").fill(AGENT.email);
  await admin.getByLabel("Role", { exact: true }).selectOption("agent");
  await admin.getByLabel(/Initial password/).fill(AGENT.password);
  await admin.getByRole("button", { name: "Add user" }).click();
  await expect(admin.getByRole("status")).toHaveText(`Added ${AGENT.email} as agent.`);
  await expect(admin.locator(`li[data-email="${AGENT.email}"]`)).toBeVisible();

  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signIn(agent, AGENT);
  const nav = agent.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Inbox" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Setup" })).toHaveCount(0);
  await openHydrated(agent, "/setup");
  await expect(agent.getByRole("alert")).toHaveText("Your role does not allow this.");

  // The audit log shows who did it.
  await openHydrated(admin, "/settings/audit");
  await expect(admin.getByRole("row", { name: /user\.created.*agent@example\.com/ })).toBeVisible();
  await adminContext.close();
  await agentContext.close();
});
