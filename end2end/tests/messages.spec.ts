// The Messages editor, end to end: an editor builds the seed story's messages by hand (the
// handover button with its confirmation created inline), watches the preview, hits a limit,
// pushes the changes, and a sandbox Messenger user then taps the button and is handed over.
// Then roll back, the flow file round trip, undo, and two editors on one draft.
import { APIRequestContext, expect, Locator, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN_STATE, openHydrated } from "./helpers";

/** Screenshots for people reviewing the screen (end2end/screens/, not committed). */
const SHOTS = path.join(__dirname, "..", "screens");

const EMPTY = JSON.stringify({ version: 1, messages: [] });

/** Starts from an empty draft (the suite shares one database). */
async function emptyDraft(page: Page) {
  const res = await page.request.post("/api/flows/save_draft", { form: { flow: EMPTY } });
  expect(res.status(), await res.text()).toBe(200);
}

async function draft(request: APIRequestContext) {
  const res = await request.post("/api/flows/get_draft", { form: {} });
  expect(res.status()).toBe(200);
  return res.json();
}

/** The open message's form. */
const form = (page: Page) => page.getByRole("region", { name: "Message" });
const preview = (page: Page) => page.getByRole("complementary", { name: "Messenger preview" });

async function openMessage(page: Page, name: string) {
  // A row's name is the message name, then its problem count when it has problems.
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const row = new RegExp(`^${escaped}( \\d+)?$`);
  await page.getByRole("navigation", { name: "Messages" }).getByRole("button", { name: row }).click();
  await expect(form(page).getByLabel("Message name")).toHaveValue(name);
}

/** Gives the open message's first text part `text`. */
async function setText(page: Page, text: string) {
  await form(page).locator(".part").first().getByLabel("Text").fill(text);
}

/** Adds a button (or quick reply) to the first part with `title`, then picks its action. */
async function addChoice(page: Page, kind: "+ Button" | "+ Quick reply", title: string): Promise<Locator> {
  const part = form(page).locator(".part").first();
  await part.getByRole("button", { name: kind }).click();
  const choice = part.locator(".choice").last();
  await choice.getByLabel("Title").fill(title);
  return choice;
}

/** Creates a message inline from a message picker. */
async function createInline(choice: Locator, picker: string, name: string) {
  await choice.getByLabel(picker).selectOption({ label: "+ Create a new message…" });
  await choice.getByLabel("Name of the new message").fill(name);
  await choice.getByRole("button", { name: "Create" }).click();
  await expect(choice.getByLabel(picker).locator("option:checked")).toHaveText(name);
}

async function userTexts(request: APIRequestContext, psid: string): Promise<string[]> {
  const res = await request.get(`/sandbox/_sandbox/users/${psid}/transcript`);
  return ((await res.json()) as { text?: string | null }[]).map((l) => l.text ?? "");
}

test("build the handover story by hand, push it, and a Messenger user is handed over", async ({ page }) => {
  test.setTimeout(120_000);
  await emptyDraft(page);
  // Live is empty too, so the push below adds exactly the messages built here.
  const published = await page.request.post("/api/flows/publish", { form: {} });
  expect(published.status(), await published.text()).toBe(200);
  await openHydrated(page, "/messages");
  await expect(page.getByText("No messages yet.")).toBeVisible();
  await expect(page.getByRole("status").first()).toHaveText(/All changes saved/);

  // 1. "Talk to a human": its button hands over, its confirmation created inline.
  await page.getByRole("button", { name: "+ New message" }).click();
  await form(page).getByLabel("Message name").fill("Talk to a human");
  await setText(page, "Click the button below to speak to a real person");
  // The preview shows what is typed, at once.
  await expect(preview(page).locator(".bubble")).toHaveText("Click the button below to speak to a real person");
  let choice = await addChoice(page, "+ Button", "Talk to human");
  await choice.getByLabel("When tapped").selectOption({ label: "Handover to Page Inbox" });
  await createInline(choice, "Confirmation message", "Now with a person");
  await expect(preview(page).locator(".card-button")).toHaveText("Talk to human");

  // A limit, shown at its field as you type: a 21-character button title. It also counts
  // on the Push changes badge (the new, still empty confirmation message is the other one).
  const badge = page.getByRole("button", { name: /Push changes/ }).locator(".badge");
  await expect(badge).toHaveText("1");
  await choice.getByLabel("Title").fill("Talk to a human being");
  await expect(choice.locator(".counter").first()).toHaveText("21 / 20");
  await expect(choice.locator(".counter").first()).toHaveClass(/over/);
  await expect(choice.locator(".field-problem").first()).toHaveText("Longer than 20 characters (21).");
  await expect(badge).toHaveText("2");
  await choice.getByLabel("Title").fill("Talk to human");
  await expect(choice.locator(".field-problem.error")).toHaveCount(0);
  await expect(badge).toHaveText("1");

  // 2. "Now with a person": Return to bot passes control back, confirmation created inline.
  await openMessage(page, "Now with a person");
  await setText(page, "You're now chatting to a real person. When you're done, press the button below to return to the bot");
  choice = await addChoice(page, "+ Button", "Return to bot");
  await choice.getByLabel("When tapped").selectOption({ label: "Pass control back to bot" });
  await createInline(choice, "Confirmation message", "Back in the bot");

  // 3. "Back in the bot": a Main menu quick reply to a new main menu message.
  await openMessage(page, "Back in the bot");
  await setText(page, "You're now back in the bot");
  choice = await addChoice(page, "+ Quick reply", "Main menu");
  await createInline(choice, "Message", "Main menu");
  await expect(preview(page).locator(".chip")).toHaveText("Main menu");

  // The main menu offers the talk-to-human message.
  await openMessage(page, "Main menu");
  await setText(page, "How can we help?");
  choice = await addChoice(page, "+ Button", "Talk to human");
  await choice.getByLabel("Message").selectOption({ label: "Talk to a human" });

  // The editor as a reviewer sees it: the handover message open, at desktop and phone widths.
  await openMessage(page, "Talk to a human");
  await expect(preview(page).locator(".card-button")).toHaveText("Talk to human");
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, "messages-1280.png"), fullPage: true });
  const desktop = page.viewportSize()!;
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: path.join(SHOTS, "messages-375.png"), fullPage: true });
  await page.setViewportSize(desktop);

  // Get Started opens the main menu.
  await page.getByRole("button", { name: "Triggers & menu" }).click();
  await page.getByLabel("Get Started message").selectOption({ label: "Main menu" });
  await expect(page.getByRole("status").first()).toHaveText(/All changes saved/);

  // Push changes: the summary, then each step.
  await page.getByRole("button", { name: /Push changes/ }).click();
  const push = page.getByRole("region", { name: "Push changes" });
  await expect(push).toContainText("4 messages added");
  await push.getByRole("button", { name: "Push changes now" }).click();
  await expect(push.locator(".steps")).toContainText(/Wrote version \d+/);
  await expect(push.locator(".steps .ok").filter({ hasText: "Get Started button" })).toBeVisible();
  const version = Number((await push.locator(".steps").textContent())!.match(/Wrote version (\d+)/)![1]);
  // Once pushed, the panel says so instead of listing zero changes.
  await expect(push).toContainText(`Nothing changed since the live version ${version}.`);
  await expect(push.getByRole("button", { name: "Push again" })).toBeEnabled();

  // A sandbox user taps through: the handover happens as the story says.
  const created = await page.request.post("/sandbox/_sandbox/users", { data: { first_name: "Eva", last_name: "Editor" } });
  const { psid } = (await created.json()) as { psid: string };
  await expect.poll(async () => (await page.request.post(`/sandbox/_sandbox/users/${psid}/get_started`)).status()).toBe(200);
  await expect.poll(() => userTexts(page.request, psid)).toContain("How can we help?");
  await page.request.post(`/sandbox/_sandbox/users/${psid}/tap`, { data: { title: "Talk to human" } });
  await expect.poll(() => userTexts(page.request, psid)).toContain("Click the button below to speak to a real person");
  await page.request.post(`/sandbox/_sandbox/users/${psid}/tap`, { data: { title: "Talk to human" } });
  await expect
    .poll(() => userTexts(page.request, psid))
    .toContain("You're now chatting to a real person. When you're done, press the button below to return to the bot");
  await expect
    .poll(async () => (await (await page.request.get(`/sandbox/_sandbox/users/${psid}/thread`)).json()).owner)
    .toBe("page_inbox");

  // Undo / redo: Ctrl+Z takes back the last edit, Ctrl+Shift+Z brings it again.
  await page.getByRole("button", { name: "Triggers & menu" }).click();
  const greeting = page.getByLabel(/Greeting/);
  await greeting.fill("Hi! Ask us anything.");
  await expect(greeting).toHaveValue("Hi! Ask us anything.");
  await page.keyboard.press("Control+z");
  await expect(greeting).toHaveValue("");
  await page.keyboard.press("Control+Shift+z");
  await expect(greeting).toHaveValue("Hi! Ask us anything.");

  // Push the greeting as the next version, then roll back to the one before.
  await push.getByRole("button", { name: "Push again" }).or(push.getByRole("button", { name: "Push changes now" })).click();
  await expect(push.locator(".steps")).toContainText(`Wrote version ${version + 1}`);
  await page.getByRole("button", { name: "Versions & file" }).click();
  const versions = page.getByRole("region", { name: "Versions" });
  const newest = versions.locator(`.version[data-version="${version + 1}"]`);
  await newest.getByRole("button", { name: "What changed" }).click();
  await expect(newest.locator(".changes")).toContainText("Greeting");
  const older = versions.locator(`.version[data-version="${version}"]`);
  await older.getByRole("button", { name: "Roll back to this" }).click();
  await older.getByRole("button", { name: "Roll back", exact: true }).click();
  await expect(older.locator(".steps")).toContainText(`Wrote version ${version + 2}`);
  await expect(versions.locator(`.version[data-version="${version + 2}"]`)).toContainText(`roll back to version ${version}`);
  expect((await draft(page.request)).greeting).toBeUndefined();

  // The flow file: download it, upload it again unchanged: the draft stays the same.
  const before = await draft(page.request);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download flow file" }).click(),
  ]);
  const file = await download.path();
  const text = fs.readFileSync(file!, "utf8");
  expect(JSON.parse(text)).toEqual(before);
  await page.getByLabel("Upload flow file").setInputFiles(file!);
  await expect(page.getByRole("status").filter({ hasText: "into the draft" })).toBeVisible();
  expect(await draft(page.request)).toEqual(before);

  // A bad file lists every problem with its JSON path and changes nothing.
  const bad = JSON.parse(text);
  bad.messages[0].parts[0].buttons[0].title = "Talk to a human being";
  bad.triggers.get_started = "nowhere";
  await page.getByLabel("Upload flow file").setInputFiles({
    name: "bad.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(bad)),
  });
  const problems = page.getByRole("alert").filter({ hasText: "nothing changed" });
  await expect(problems).toContainText("buttons[0].title: longer than 20 characters (21)");
  await expect(problems).toContainText('triggers.get_started: no message with key "nowhere"');
  expect(await draft(page.request)).toEqual(before);
});

test("two editors on one draft: the later save is refused, nothing is lost", async ({ page, browser }) => {
  await emptyDraft(page);
  await openHydrated(page, "/messages");
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  const second = await other.newPage();
  await openHydrated(second, "/messages");
  // The editor loads its draft after hydration: both must hold the empty draft before either
  // edits, or the second one would simply load the first one's save.
  await expect(page.getByRole("button", { name: "+ New message" })).toBeVisible();
  await expect(second.getByRole("button", { name: "+ New message" })).toBeVisible();

  await page.getByRole("button", { name: "+ New message" }).click();
  await form(page).getByLabel("Message name").fill("From the first editor");
  // "All changes saved" also shows before the save starts, so wait for the server's copy.
  await expect.poll(async () => (await draft(page.request)).messages.map((m: { name: string }) => m.name))
    .toEqual(["From the first editor"]);
  await expect(page.getByRole("status").first()).toHaveText(/All changes saved/);

  await second.getByRole("button", { name: "+ New message" }).click();
  await form(second).getByLabel("Message name").fill("From the second editor");
  const conflict = second.getByRole("alert").filter({ hasText: "saved the draft" });
  await expect(conflict).toContainText("admin@example.com saved the draft at");
  await expect(second.getByRole("status").first()).toHaveText(/Not saved/);
  // Their own edit is still on screen until they choose.
  await expect(form(second).getByLabel("Message name")).toHaveValue("From the second editor");
  await conflict.getByRole("button", { name: "Load their version" }).click();
  await expect(second.getByRole("navigation", { name: "Messages" })).toContainText("From the first editor");
  await expect(second.getByRole("status").first()).toHaveText(/All changes saved/);
  // Ctrl+Z brings the second editor's own version back, and it saves over the first one's.
  await second.keyboard.press("Control+z");
  await expect(second.getByRole("navigation", { name: "Messages" })).toContainText("From the second editor");
  await expect(second.getByRole("status").first()).toHaveText(/All changes saved/);
  expect((await draft(second.request)).messages[0].name).toBe("From the second editor");
  await other.close();
});

test("the editor works on a 375 px phone: preview under the form, no sideways scrolling", async ({ page }) => {
  await emptyDraft(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await openHydrated(page, "/messages");
  await page.getByRole("button", { name: "Handover kit" }).click();
  await expect(form(page).getByLabel("Message name")).toHaveValue("Talk to a human");
  const f = await form(page).boundingBox();
  const p = await preview(page).boundingBox();
  expect(p!.y).toBeGreaterThan(f!.y + f!.height - 1);
  await expect(preview(page).locator(".card-button")).toHaveText("Talk to human");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});

test("500 messages: the list shows them sorted, search narrows it, a rename shows at once", async ({ page }) => {
  // Each message offers a button to the next one, so every one is in use.
  const messages = Array.from({ length: 500 }, (_, i) => {
    const n = String(i).padStart(3, "0");
    const next = String((i + 1) % 500).padStart(3, "0");
    return {
      key: `m${n}`,
      name: `Message ${n}`,
      parts: [{ type: "text", text: `This is message ${n}.`, buttons: [{ title: "Next", action: { type: "go_to", message: `m${next}` } }] }],
    };
  }).reverse();
  const flow = { version: 1, messages, triggers: { get_started: "m000" } };
  const saved = await page.request.post("/api/flows/save_draft", { form: { flow: JSON.stringify(flow) } });
  expect(saved.status(), await saved.text()).toBe(200);

  await openHydrated(page, "/messages");
  const list = page.getByRole("navigation", { name: "Messages" });
  await expect(list.locator(".msg-item")).toHaveCount(500);
  await expect(list.locator(".msg-item").first()).toHaveText("Message 000");
  await expect(list.locator(".msg-item").last()).toHaveText("Message 499");

  await list.getByLabel("Search messages").fill("message 42");
  await expect(list.locator(".msg-item")).toHaveCount(10); // 420 to 429
  await list.getByLabel("Search messages").fill("nothing like this");
  await expect(list).toContainText("No message matches");
  await list.getByLabel("Search messages").fill("");
  await expect(list.locator(".msg-item")).toHaveCount(500);

  await openMessage(page, "Message 250");
  await expect(preview(page).locator(".card-text")).toHaveText("This is message 250.");
  await form(page).getByLabel("Message name").fill("A renamed message");
  await expect(list.locator(".msg-item").first()).toHaveText("A renamed message");
  await expect(page.getByRole("status").first()).toHaveText(/All changes saved/);
  // Delete warns about the one button that leads here and retargets it on request.
  await form(page).getByRole("button", { name: "Delete…" }).click();
  const dialog = form(page).getByRole("alertdialog");
  await expect(dialog).toContainText("Used by 1 button / trigger");
  await dialog.getByLabel("Point them to").selectOption({ label: "Message 000" });
  await dialog.getByRole("button", { name: "Delete message" }).click();
  await expect(list.locator(".msg-item")).toHaveCount(499);
  await expect(page.getByRole("status").first()).toHaveText(/All changes saved/);
  const after = await draft(page.request);
  const m249 = after.messages.find((m: { key: string }) => m.key === "m249");
  expect(m249.parts[0].buttons[0].action.message).toBe("m000");
});
