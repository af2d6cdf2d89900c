// The setup wizard end to end against a second sandbox standing in for Facebook (its own port,
// see playwright.config.ts): a user token is refused in plain words, the page token and app
// are accepted, the webhook light turns green when "Facebook" verifies the callback, the page
// is subscribed, the routing settings checked (Conversation Routing first, a live round trip
// to the Page Inbox and back), the Human Agent permission tested, the profile pushed and a
// test message sent.
// Then a setting is broken on "Facebook's" side and Settings → Page reports it. Finally "Use
// the sandbox page" puts the built-in sandbox back for the other tests.
import { expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { FACEBOOK_APP_SECRET, FACEBOOK_PORT } from "../playwright.config";
import { openHydrated } from "./helpers";

const SHOTS = path.join(__dirname, "..", "screens");
const FB = `http://127.0.0.1:${FACEBOOK_PORT}`;

async function shoot(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The line of check `id` in the open step or on Settings → Page. */
function checkLine(page: Page, id: string) {
  return page.locator(`[data-check="${id}"]`);
}

// Whatever happens above, the next test files need the built-in sandbox page back.
test.afterEach(async ({ page }) => {
  const back = await page.request.post("/api/setup/use_sandbox", { form: {} });
  expect(back.status(), await back.text()).toBe(200);
});

test("an admin connects a page with the wizard, and Settings → Page reports a broken setting", async ({ page }) => {
  test.setTimeout(120_000);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await openHydrated(page, "/setup");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Setup");
  await expect(page.getByTestId("sandbox-on")).toBeVisible();

  // Step 1: a user token is refused with what to do instead; the page token is accepted.
  await page.getByRole("button", { name: /^Step 1: Page token/ }).click();
  const token = page.getByLabel("Page access token");
  await token.fill("sandbox-user-token");
  await page.getByRole("button", { name: "Check token" }).click();
  await expect(checkLine(page, "token")).toContainText("user access token");
  await expect(checkLine(page, "token")).toContainText("Generate token");
  await token.fill("sandbox-page-token");
  await page.getByRole("button", { name: "Check token" }).click();
  // A good token moves the wizard to step 2.
  await expect(page.getByRole("heading", { level: 2 })).toContainText("App");
  await expect(page.getByRole("button", { name: /^Step 1: Page token \(done\)/ })).toBeVisible();

  // Step 2: app id, secret, a generated verify token.
  await page.getByLabel("App ID").fill("111111111111111");
  await page.getByLabel("App secret").fill("not-the-secret");
  await page.getByRole("button", { name: "Generate one" }).click();
  const verify = page.getByLabel("Verify token");
  await expect(verify).not.toHaveValue("");
  const verifyToken = await verify.inputValue();
  await page.getByRole("button", { name: "Save and check" }).click();
  await expect(checkLine(page, "app-secret")).toContainText("does not match app 111111111111111");
  await page.getByLabel("App secret").fill(FACEBOOK_APP_SECRET);
  await verify.fill(verifyToken);
  await page.getByRole("button", { name: "Save and check" }).click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText("Webhook");

  // Step 3: the callback URL to copy; the light waits until "Facebook" verifies.
  await expect(page.getByLabel("Callback URL")).toHaveValue("https://baton.example.com/webhook");
  await expect(page.getByTestId("webhook-light")).toContainText("Waiting");
  await shoot(page, "setup-webhook-waiting");
  const verified = await page.request.post(`${FB}/_sandbox/app/verify_webhook`, {
    data: { verify_token: verifyToken },
  });
  expect((await verified.json()).verified).toBe(true);
  await expect(page.getByTestId("webhook-light")).toContainText("Facebook verified the webhook");
  await page.getByRole("button", { name: "Subscribe the page" }).click();
  await expect(checkLine(page, "subscription")).toContainText("message_echoes");
  await page.getByRole("button", { name: "Next: Routing settings" }).click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText("Routing settings");

  // Step 4: someone writes to the page, so the thread-owner probe has a conversation.
  // Its own PSID range: both sandboxes number their users alike, and Baton keys
  // conversations by page and PSID. "Facebook's" clock is moved a year ahead so that Rita is
  // the newest writer even after the other tests moved the built-in sandbox's clock.
  const ahead = await page.request.post(`${FB}/_sandbox/clock/advance`, { data: { hours: 24 * 365 } });
  expect(ahead.status(), await ahead.text()).toBe(200);
  const user = await (
    await page.request.post(`${FB}/_sandbox/users`, { data: { first_name: "Rita", psid: "24999999999999991" } })
  ).json();
  const said = await page.request.post(`${FB}/_sandbox/users/${user.psid}/say`, { data: { text: "hello" } });
  expect(said.status(), await said.text()).toBe(200);
  // The step's checks run when asked; Rita shows up once her message has arrived.
  await expect(async () => {
    await page.getByRole("button", { name: "Check again" }).click();
    await expect(checkLine(page, "thread-owner")).toContainText("Rita", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  // Conversation Routing first: the default app, not the Primary Receiver; no response
  // method (only the older settings have one).
  await expect(checkLine(page, "routing")).toContainText("Conversation Routing");
  await expect(page.getByLabel(/Response method is/)).toHaveCount(0);
  await expect(page.getByLabel(/Conversation routing, with a default app/)).toBeChecked();
  await page.getByLabel(/default app for Messenger/).check();
  await expect(checkLine(page, "primary-receiver")).toContainText("You confirmed");
  await expect(checkLine(page, "primary-receiver")).not.toContainText("Primary Receiver");
  await page.getByLabel(/automated responses and AI agent/).check();
  await expect(checkLine(page, "automations-off")).toContainText("You confirmed");
  await page.getByLabel(/Live mode/).check();
  await expect(checkLine(page, "app-live")).toContainText("You confirmed");
  await expect(checkLine(page, "page-inbox-secondary")).toContainText("OK");
  await expect(checkLine(page, "handover-fields")).toContainText("OK");
  // The live round trip on Rita's conversation: to the Page Inbox and back, step by step.
  await page.getByLabel("Your test conversation").selectOption(user.psid);
  await page.getByRole("button", { name: "Run the round trip" }).click();
  for (const n of [1, 2, 3, 4]) {
    await expect(checkLine(page, `round-trip-${n}`)).toContainText("OK");
  }
  await expect(checkLine(page, "handover")).toContainText("OK");
  await shoot(page, "setup-routing");
  await page.getByRole("button", { name: "Next: Human Agent permission" }).click();

  // Step 5: a reply with the HUMAN_AGENT tag goes through, which proves the permission.
  await page.getByLabel("Send to").selectOption(user.psid);
  await page.getByRole("button", { name: "Send a tagged test reply" }).click();
  await expect(checkLine(page, "human-agent-test")).toContainText("Meta accepted a HUMAN_AGENT reply to Rita");
  await shoot(page, "setup-human-agent");
  await page.getByRole("button", { name: "Next: Messenger profile" }).click();

  // Step 6: push the published flow's Get Started, menu and greeting.
  await page.getByRole("button", { name: "Push to the page" }).click();
  await expect(checkLine(page, "get-started")).toContainText("The page shows the Get Started button");
  await page.getByRole("button", { name: "Next: Test message" }).click();
  await expect(page.getByRole("heading", { level: 2 })).toContainText("Test message");

  // Step 7: a test message to Rita arrives in "her Messenger".
  await expect(page.getByLabel("Send to")).toContainText("Rita");
  await page.getByLabel("Send to").selectOption(user.psid);
  await page.getByRole("button", { name: "Send test message" }).click();
  await expect(checkLine(page, "test-message")).toContainText("Facebook accepted the test message to Rita");
  const transcript = await (await page.request.get(`${FB}/_sandbox/users/${user.psid}/transcript`)).json();
  expect(JSON.stringify(transcript)).toContain("test message from Baton's setup wizard");
  await expect(page.getByText("7 of 7 steps done")).toBeVisible();
  await expect(page.getByTestId("setup-complete")).toBeVisible();
  await shoot(page, "setup-done");

  // Leaving and coming back resumes at the same step with the same results.
  await openHydrated(page, "/setup");
  await expect(page.getByRole("heading", { level: 2 })).toContainText("Test message");
  await expect(page.getByText("7 of 7 steps done")).toBeVisible();

  // Someone removes Page Inbox from the page's secondary receivers.
  const broke = await page.request.put(`${FB}/_sandbox/pages/1234567890`, { data: { secondary_receivers: [] } });
  expect(broke.status(), await broke.text()).toBe(200);
  await openHydrated(page, "/settings");
  await expect(page.getByTestId("page-connected")).toContainText("Baton Demo");
  await expect(checkLine(page, "page-inbox-secondary")).toContainText("Problem");
  await expect(checkLine(page, "page-inbox-secondary")).toContainText("not among the apps");
  await expect(checkLine(page, "token")).toContainText("OK");
  await shoot(page, "settings-page");

  // No page of the wizard's answers carried a secret into the browser's page.
  expect(await page.content()).not.toContain(FACEBOOK_APP_SECRET);

  // Back to the built-in sandbox page for the other tests: one click.
  // Switching away from a real page asks first.
  await openHydrated(page, "/setup");
  await page.getByRole("button", { name: "Use the sandbox page" }).click();
  await expect(page.getByRole("alert")).toContainText("This disconnects Baton Demo");
  await page.getByRole("button", { name: "Yes, use the sandbox page" }).click();
  await expect(page.getByTestId("sandbox-on")).toBeVisible();
});
