// The agent inbox, end to end: a sandbox Messenger user asks for a human, the conversation
// shows in Inbox, two admins click Mark as done at the same time (the user gets exactly one
// "back in the bot" message), and Move to inbox hands the user over again.
import { APIRequestContext, expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN_STATE, openHydrated, publishKit } from "./helpers";

/** Screenshots for people reviewing the screen (end2end/screens/, not committed). */
const SHOTS = path.join(__dirname, "..", "screens");

const BACK = "You're now back in the bot";
const WITH_PERSON = "You're now chatting to a real person";

type Line = { text?: string | null };

/** The sandbox user's side of the chat (what Messenger shows them). */
async function userTranscript(request: APIRequestContext, psid: string): Promise<Line[]> {
  const res = await request.get(`/sandbox/_sandbox/users/${psid}/transcript`);
  expect(res.status()).toBe(200);
  return (await res.json()) as Line[];
}

async function count(request: APIRequestContext, psid: string, text: string): Promise<number> {
  return (await userTranscript(request, psid)).filter((l) => (l.text ?? "").includes(text)).length;
}

/** A sandbox user who pressed Get Started and then asked for a human. Returns the psid. */
async function userAsksForAHuman(request: APIRequestContext, lastName = "Silva"): Promise<string> {
  const created = await request.post("/sandbox/_sandbox/users", {
    data: { first_name: "Ana", last_name: lastName },
  });
  expect(created.status(), await created.text()).toBe(200);
  const { psid } = (await created.json()) as { psid: string };
  // The messenger profile (Get Started) reaches the sandbox asynchronously after publishing.
  await expect
    .poll(async () => (await request.post(`/sandbox/_sandbox/users/${psid}/get_started`)).status())
    .toBe(200);
  // The main menu's "Talk to human" opens the talk-to-human message...
  await expect
    .poll(async () =>
      (await request.post(`/sandbox/_sandbox/users/${psid}/tap`, { data: { title: "Talk to human" } })).status(),
    )
    .toBe(200);
  await expect.poll(() => count(request, psid, "speak to a real person")).toBe(1);
  // ...whose "Talk to human" button hands the user over to the Page Inbox.
  const tap = await request.post(`/sandbox/_sandbox/users/${psid}/tap`, { data: { title: "Talk to human" } });
  expect(tap.status(), await tap.text()).toBe(200);
  await expect.poll(() => count(request, psid, WITH_PERSON)).toBe(1);
  return psid;
}

test("a handed-over user shows in Inbox; Mark as done once for two agents; Move to inbox", async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000);
  await openHydrated(page, "/inbox");
  await publishKit(page);
  // The Inbox screen stays open while the user asks for a human: the conversation appears
  // in it live, with the user's name, without a reload.
  const psid = await userAsksForAHuman(page.request);
  const row = page.locator(`.inbox-item[data-psid="${psid}"]`);
  await expect(row).toContainText("Ana Silva", { timeout: 15_000 });
  await expect(page.getByRole("button", { name: /^Inbox/ })).toHaveAttribute("aria-pressed", "true");

  // Open it: transcript, owner and window.
  await row.getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/inbox\\?c=${psid}$`));
  const detail = page.getByRole("region", { name: "Conversation" });
  await expect(detail.getByRole("heading", { name: "Ana Silva" })).toBeVisible();
  await expect(detail.locator(".transcript .who-bot").last()).toContainText(WITH_PERSON);
  await expect(detail.locator(".transcript .who-user").last()).toContainText("Talk to human");
  await expect(detail).toContainText("a person in the Page Inbox");
  await expect(detail).toContainText(/Window closes in \d+ h/);
  await expect(detail.locator(".ledger li").first()).toContainText("Inbox");

  // Two admins click Mark as done at the same moment. The second one's screen gets no live
  // updates, so it still shows the button when the first click has already landed: the
  // moment where both clicks reach the server for the same handover.
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  await other.route("**/api/inbox/events", (route) => route.abort());
  const second = await other.newPage();
  await openHydrated(second, `/inbox?c=${psid}`);
  const done = page.getByRole("button", { name: "Mark as done" });
  const done2 = second.getByRole("button", { name: "Mark as done" });
  await expect(done).toBeEnabled();
  await expect(done2).toBeEnabled();
  await Promise.all([done.click(), done2.click()]);
  for (const p of [page, second]) {
    await expect(p.getByRole("status")).toHaveText(/Marked as done|already done/);
    await expect(p.getByRole("alert")).toHaveCount(0);
    await expect(p.getByTestId("conversation-state")).toHaveText("Done");
  }
  // One click did the handover; the other was told it was already done.
  const said = [await page.getByRole("status").textContent(), await second.getByRole("status").textContent()];
  expect(said.filter((t) => t?.startsWith("Marked as done")).length).toBe(1);
  await other.close();

  // The history says what happened, in words.
  await expect(detail.locator(".ledger li").last()).toContainText("Inbox → Done (by ");
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, "inbox-1280.png"), fullPage: true });

  // It is listed under Done, no longer under Inbox.
  await page.getByRole("button", { name: /^Done/ }).click();
  await expect(row).toBeVisible();
  await page.getByRole("button", { name: /^Inbox/ }).click();
  await expect(row).toHaveCount(0);

  // The user got exactly one "back in the bot" message.
  await expect.poll(() => count(page.request, psid, BACK)).toBe(1);
  await page.waitForTimeout(1_500);
  expect(await count(page.request, psid, BACK)).toBe(1);

  // Move to inbox: the user is handed over again and the conversation is back in Inbox.
  await page.getByRole("button", { name: "Move to inbox" }).click();
  await expect(page.getByRole("status")).toHaveText(/Moved to the inbox/);
  await expect(page.getByTestId("conversation-state")).toHaveText("Inbox");
  await expect(row).toBeVisible();
  await expect.poll(() => count(page.request, psid, WITH_PERSON)).toBe(2);

  // On a 375 px phone the open conversation replaces the list, without sideways scrolling.
  await page.setViewportSize({ width: 375, height: 800 });
  await expect(detail.getByRole("heading", { name: "Ana Silva" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Inbox", level: 1 })).toBeHidden();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.screenshot({ path: path.join(SHOTS, "inbox-375.png"), fullPage: true });
  await page.getByRole("link", { name: "← All conversations" }).click();
  await expect(row).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});

test("an unknown conversation says it was not found", async ({ page }) => {
  await openHydrated(page, "/inbox?c=no-such-user");
  await expect(page.getByRole("region", { name: "Conversation" }).getByRole("alert")).toHaveText("Not found.");
});

test("the inbox updates live: new handovers and new messages appear without a reload", async ({ page }) => {
  test.setTimeout(60_000);
  await openHydrated(page, "/inbox");
  await publishKit(page);
  // The screen stays open; nothing below clicks Refresh or reloads.
  const psid = await userAsksForAHuman(page.request);
  const row = page.locator(`.inbox-item[data-psid="${psid}"]`);
  await expect(row).toContainText("Ana Silva", { timeout: 15_000 });

  await row.getByRole("link").click();
  const detail = page.getByRole("region", { name: "Conversation" });
  await expect(detail.getByRole("heading", { name: "Ana Silva" })).toBeVisible();
  const said = await page.request.post(`/sandbox/_sandbox/users/${psid}/say`, {
    data: { text: "Are you still there?" },
  });
  expect(said.status(), await said.text()).toBe(200);
  await expect(detail.locator(".transcript .who-user").last()).toContainText("Are you still there?", {
    timeout: 15_000,
  });
  await expect(row).toContainText("Are you still there?");

  // Keyboard: e marks the open conversation done, / jumps to search, j / k move through the list.
  await detail.getByRole("heading", { name: "Ana Silva" }).click();
  await page.keyboard.press("e");
  await expect(page.getByRole("status")).toHaveText(/Marked as done/);
  await expect(page.getByTestId("conversation-state")).toHaveText("Done");
  await page.keyboard.press("/");
  await expect(page.getByRole("searchbox", { name: "Search by name or text" })).toBeFocused();
  await page.getByRole("heading", { name: "Inbox", level: 1 }).click();
  await page.getByRole("button", { name: /^All/ }).click();
  await expect(page.locator(".inbox-item").nth(1)).toBeVisible();
  const order = await page.locator(".inbox-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-psid")));
  const at = order.indexOf(psid);
  expect(at).toBeGreaterThanOrEqual(0);
  // Away from the open conversation and back again, in whichever direction has a neighbour.
  const [away, back] = at + 1 < order.length ? ["j", "k"] : ["k", "j"];
  const neighbour = order[at + 1 < order.length ? at + 1 : at - 1];
  await page.keyboard.press(away);
  await expect(page).toHaveURL(new RegExp(`c=${neighbour}$`));
  await page.keyboard.press(back);
  await expect(page).toHaveURL(new RegExp(`c=${psid}$`));
});

test("an agent replies from Baton once it owns the thread, and search finds the conversation", async ({ page }) => {
  test.setTimeout(60_000);
  await openHydrated(page, "/inbox");
  await publishKit(page);
  // A last name no other test uses, so searching for it finds this conversation only.
  const lastName = `Reply${Date.now()}`;
  const psid = await userAsksForAHuman(page.request, lastName);
  await openHydrated(page, `/inbox?c=${psid}`);
  const detail = page.getByRole("region", { name: "Conversation" });
  await expect(detail.getByRole("heading", { name: `Ana ${lastName}` })).toBeVisible();
  // The sandbox's picture URL cannot load offline: it is left out, not shown broken.
  await expect(detail.locator(".inbox-profile img")).toHaveCount(0);

  // The Page Inbox owns the thread: no reply box, the view says where to answer.
  await expect(page.getByTestId("reply-note")).toContainText("reply in the Page Inbox");
  await expect(page.getByLabel("Reply to the user")).toHaveCount(0);

  // Marked done, Baton owns the thread again and the reply box appears.
  await page.getByRole("button", { name: "Mark as done" }).click();
  await expect(page.getByTestId("conversation-state")).toHaveText("Done");
  const box = page.getByLabel("Reply to the user");
  await expect(box).toBeVisible();
  await expect(page.locator(".form.reply .hint")).toContainText("normal reply");
  const send = page.getByRole("button", { name: "Send", exact: true });
  await expect(send).toBeDisabled();

  // Ctrl+Enter sends; the box empties, the user gets the text, the transcript shows it live.
  const text = `Hi Ana, your ticket is T-${lastName}`;
  await box.fill(text);
  await expect(send).toBeEnabled();
  await box.press("Control+Enter");
  await expect(page.getByRole("status")).toHaveText(/^Sending\./);
  await expect(box).toHaveValue("");
  await expect.poll(() => count(page.request, psid, text)).toBe(1);
  await expect(detail.locator(".transcript .who-agent").last()).toContainText(text, { timeout: 15_000 });
  // The line says which agent wrote it.
  await expect(detail.locator(".transcript .who-agent").last().locator(".who")).toHaveText(
    "Agent · admin@example.com",
  );

  // Over Messenger's 2,000 characters: the counter says so and Send stays disabled.
  await box.fill("x".repeat(2001));
  await expect(page.locator(".form.reply .hint")).toContainText("2001/2000");
  await expect(send).toBeDisabled();
  await box.fill("");

  // Search by what the agent wrote and by name: only this conversation, in every list.
  await page.getByRole("button", { name: /^All/ }).click();
  const search = page.getByRole("searchbox", { name: "Search by name or text" });
  for (const term of [`T-${lastName}`, lastName.toLowerCase()]) {
    await search.fill(term);
    await search.press("Enter");
    await expect(page.locator(".search-note")).toContainText(term);
    await expect(page.locator(".inbox-item")).toHaveCount(1);
    await expect(page.locator(`.inbox-item[data-psid="${psid}"]`)).toBeVisible();
  }
  await page.getByRole("button", { name: "Clear search" }).click();
  await expect(search).toHaveValue("");
  await expect(page.locator(".search-note")).toHaveCount(0);
});

test("the 24-hour countdown and the reply rule keep running while the screen stays open", async ({ page }) => {
  // The browser's clock is faked so a day can pass in a second; the server's is not.
  await page.clock.install();
  await openHydrated(page, "/inbox");
  await publishKit(page);
  const created = await page.request.post("/sandbox/_sandbox/users", {
    data: { first_name: "Tia", last_name: "Clock", profile_pic: "/favicon.ico" },
  });
  const { psid } = (await created.json()) as { psid: string };
  await expect
    .poll(async () => (await page.request.post(`/sandbox/_sandbox/users/${psid}/get_started`)).status())
    .toBe(200);
  // The main menu arrived, so the profile (fetched first for a new user) is known too.
  await expect.poll(() => count(page.request, psid, "How can we help?")).toBe(1);
  await openHydrated(page, `/inbox?c=${psid}`);
  const detail = page.getByRole("region", { name: "Conversation" });
  await expect(detail.getByRole("heading", { name: "Tia Clock" })).toBeVisible();
  // A picture that loads is shown.
  await expect(detail.locator(".inbox-profile img")).toBeVisible();
  const hint = page.locator(".form.reply .hint");
  await expect(detail).toContainText("Window closes in 24 h");
  await expect(hint).toContainText("normal reply");

  await page.clock.fastForward("23:30:00");
  await expect(detail).toContainText("Window closes in 30 min");
  await page.clock.fastForward("01:00:00");
  await expect(detail).toContainText("Window closed");
  await expect(hint).toContainText("HUMAN_AGENT tag, allowed for 5 d more");
});
