// The Simulator, end to end: the whole handover story in one browser with no Facebook account.
// A test user taps Get Started and Talk to human on the phone; the conversation appears live in
// the agent Inbox (a second browser context); a message from the user gets no bot reply while a
// person has it; Done in the emulated Page Inbox brings "You're now back in the bot" with its
// Main menu chip; Move to inbox from Baton's Done list hands the user over again.
import { expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN_STATE, KIT, openHydrated, publishKit } from "./helpers";

// Screenshots to look at after a run (not compared; kept out of git).
const SHOTS = path.join(__dirname, "..", "screens");
const WITH_PERSON = "You're now chatting to a real person";
const BACK = "You're now back in the bot";

/** Creates a test user from the screen; returns their psid (from the address). */
async function newTestUser(page: Page, name: string): Promise<string> {
  await page.getByLabel("New test user's name").fill(name);
  await page.getByRole("button", { name: "New test user" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${name} is ready` })).toBeVisible();
  await expect(page).toHaveURL(/\/simulator\?u=\d+$/);
  return new URL(page.url()).searchParams.get("u")!;
}

test("the handover story runs on the Simulator, with the agent Inbox live beside it", async ({ page, browser }) => {
  test.setTimeout(90_000);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await openHydrated(page, "/simulator");
  await publishKit(page);
  const psid = await newTestUser(page, "Sam Story");
  const phone = page.getByRole("region", { name: "Test user's phone" });
  const chat = phone.getByRole("log", { name: "Conversation" });
  const inboxPanel = page.getByRole("region", { name: "Page Inbox" });
  const ledger = page.getByRole("region", { name: "Who has the conversation" });
  await expect(ledger).toContainText("No hand-overs yet");

  // An agent keeps Baton's Inbox open in another browser.
  const agentContext = await browser.newContext({ storageState: ADMIN_STATE });
  const agent = await agentContext.newPage();
  await openHydrated(agent, "/inbox");

  // Get Started → the main menu as a card with its buttons.
  await phone.getByRole("button", { name: "Get Started" }).click();
  await expect(chat).toContainText("How can we help?");
  await expect(chat.getByRole("link", { name: "Website" })).toHaveAttribute("href", "https://example.com");

  // Talk to human (main menu) → the talk-to-human message → its Talk to human button.
  await chat.getByRole("button", { name: "Talk to human" }).last().click();
  await expect(chat).toContainText("Click the button below to speak to a real person");
  await chat.getByRole("button", { name: "Talk to human" }).last().click();
  await expect(chat).toContainText(WITH_PERSON);
  await expect(inboxPanel.getByRole("status")).toContainText("The Page Inbox has this conversation");
  await expect(ledger).toContainText("Baton passed the conversation to the Page Inbox");
  await page.screenshot({ path: path.join(SHOTS, "simulator-1280.png"), fullPage: true });

  // It appears live in the agent's Inbox, without a reload.
  const row = agent.locator(`.inbox-item[data-psid="${psid}"]`);
  await expect(row).toContainText("Sam Story", { timeout: 15_000 });

  // While a person has it, the user's message gets no bot reply.
  await phone.getByLabel("Message").fill("Is anyone there?");
  await phone.getByRole("button", { name: "Send" }).click();
  await expect(chat.locator(".sim-line").last()).toContainText("Is anyone there?");
  await page.waitForTimeout(1_500);
  await expect(chat.locator(".sim-line").last()).toContainText("Is anyone there?");
  await expect(row).toContainText("Is anyone there?", { timeout: 10_000 });

  // The page's person answers from the Page Inbox panel; the user sees it, labelled.
  await inboxPanel.getByLabel("Reply as the page's person").fill("Hi Sam, Kim here.");
  await inboxPanel.getByRole("button", { name: "Send as Page Inbox" }).click();
  await expect(chat.locator(".sim-line").last()).toContainText("Page Inbox");
  await expect(chat.locator(".sim-line").last()).toContainText("Hi Sam, Kim here.");

  // Done in the Page Inbox → back in the bot, with the Main menu quick reply.
  await inboxPanel.getByRole("button", { name: "Done", exact: true }).click();
  await expect(inboxPanel.getByRole("status").last()).toContainText("Done: the conversation went back to the bot.");
  await expect(chat).toContainText(BACK);
  await expect(phone.getByRole("group", { name: "Quick replies" }).getByRole("button", { name: "Main menu" })).toBeVisible();
  await expect(ledger).toContainText("The Page Inbox passed the conversation to Baton");
  await expect(inboxPanel.getByRole("button", { name: "Done", exact: true })).toBeDisabled();

  // The quick reply works like a tap on the phone.
  await phone.getByRole("group", { name: "Quick replies" }).getByRole("button", { name: "Main menu" }).click();
  await expect(chat.locator(".sim-line").last()).toContainText("How can we help?");

  // Move to inbox from Baton's Done list: the user gets the handover message again.
  await agent.getByRole("button", { name: /^Done/ }).click();
  await agent.locator(`.inbox-item[data-psid="${psid}"]`).getByRole("link").click();
  await agent.getByRole("button", { name: "Move to inbox" }).click();
  await expect(agent.getByRole("status")).toHaveText(/Moved to the inbox/);
  await expect(chat.getByText(WITH_PERSON)).toHaveCount(2, { timeout: 15_000 });
  await expect(inboxPanel.getByRole("status").first()).toContainText("The Page Inbox has this conversation");
  await agentContext.close();

  // Done, then Move to inbox from the Page Inbox panel: Meta's inbox asks Baton for the
  // thread (request_thread_control); Baton confirms to the user and passes it.
  await inboxPanel.getByRole("button", { name: "Done", exact: true }).click();
  await expect(chat.getByText(BACK)).toHaveCount(2);
  await inboxPanel.getByRole("button", { name: "Move to inbox" }).click();
  await expect(chat.getByText(WITH_PERSON)).toHaveCount(3, { timeout: 15_000 });
  await expect(inboxPanel.getByRole("status").first()).toContainText("The Page Inbox has this conversation");
  await expect(ledger).toContainText("The Page Inbox asked Baton for the conversation");

  // On a 375 px phone the screen stacks, with no sideways scrolling.
  await page.setViewportSize({ width: 375, height: 800 });
  await expect(phone).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.screenshot({ path: path.join(SHOTS, "simulator-375.png"), fullPage: true });
});

test("the persistent menu, the clock and Try draft", async ({ page }) => {
  test.setTimeout(60_000);
  await openHydrated(page, "/simulator");
  await publishKit(page);
  await newTestUser(page, "Tia Tools");
  const phone = page.getByRole("region", { name: "Test user's phone" });
  const chat = phone.getByRole("log", { name: "Conversation" });
  const tools = page.getByRole("region", { name: "Test tools" });

  // The persistent menu sends its postback.
  await phone.getByRole("button", { name: "Menu" }).click();
  await phone.getByRole("list", { name: "Menu" }).getByRole("button", { name: "Main menu" }).click();
  await expect(chat).toContainText("How can we help?");

  // A day later the 24-hour window is closed.
  await expect(page.getByRole("region", { name: "Page Inbox" })).toContainText("The 24-hour window is open.");
  // The sandbox clock is shared by every test user (and every earlier test): compare days.
  const days = async () => {
    const text = (await tools.getByRole("status").first().textContent()) ?? "";
    return Number(/\(\+(\d+) d/.exec(text)?.[1] ?? 0);
  };
  const daysBefore = await days();
  await tools.getByRole("button", { name: "+1 day" }).click();
  await expect(tools).toContainText("The clock moved 1 day forward");
  await expect.poll(days).toBe(daysBefore + 1);
  await expect(page.getByRole("region", { name: "Page Inbox" })).toContainText("The 24-hour window is closed");

  // Try draft: change the main menu's text in the draft, without publishing, and let the
  // page "type" for 2 seconds first.
  const flow = JSON.parse(fs.readFileSync(KIT, "utf8"));
  const mainMenu = flow.messages.find((m: { key: string }) => m.key === "main_menu");
  mainMenu.parts[0].text = "Draft menu, not live";
  mainMenu.parts.unshift({ type: "typing", seconds: 2 });
  const saved = await page.request.post("/api/flows/save_draft", { form: { flow: JSON.stringify(flow) } });
  expect(saved.status(), await saved.text()).toBe(200);
  await tools.getByLabel(/Try draft/).check();
  await expect(tools.getByRole("status").last()).toContainText("now runs your draft");
  await expect(phone.locator(".badge.draft")).toHaveText("Draft");
  await phone.getByLabel("Message").fill("menu");
  await phone.getByRole("button", { name: "Send" }).click();
  // The typing dots first, then the message, as on a phone.
  await expect(chat.getByLabel("The page is typing")).toBeVisible();
  await expect(chat.locator(".sim-line").last()).toContainText("menu");
  await expect(chat.locator(".sim-line").last()).toContainText("Draft menu, not live");
  await expect(chat.getByLabel("The page is typing")).toHaveCount(0);
  await tools.getByLabel(/Try draft/).uncheck();
  // Wait for the switch to be confirmed, as a person would: a message sent before it may
  // still run the draft.
  await expect(tools.getByRole("status").last()).toContainText("runs the published flow again");
  await expect(phone.locator(".badge.draft")).toHaveCount(0);
  await phone.getByLabel("Message").fill("menu");
  await phone.getByRole("button", { name: "Send" }).click();
  await expect(chat.locator(".sim-line").last()).toContainText("How can we help?");

  // Start over: a fresh Tia with an empty chat and Get Started; then remove her.
  const before = new URL(page.url()).searchParams.get("u");
  await page.getByRole("button", { name: "Start over" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Tia Tools starts over" })).toBeVisible();
  await expect(page).not.toHaveURL(new RegExp(`u=${before}$`));
  await expect(phone.getByRole("button", { name: "Get Started" })).toBeVisible();
  await page.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Test user removed" })).toBeVisible();
});

test("a Simulator tab in the background stops asking the server, and resumes when shown", async ({ page }) => {
  await openHydrated(page, "/simulator");
  await newTestUser(page, "Hana Hidden");
  let polls = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/simulator/view")) polls += 1;
  });
  const setHidden = (hidden: boolean) =>
    page.evaluate((h) => Object.defineProperty(document, "hidden", { value: h, configurable: true }), hidden);

  await expect.poll(() => polls, { timeout: 5_000 }).toBeGreaterThan(0);
  await setHidden(true);
  await page.waitForTimeout(800); // a poll already on its way may still land
  const hiddenFrom = polls;
  await page.waitForTimeout(2_500);
  expect(polls - hiddenFrom, "polls while hidden").toBe(0);

  await setHidden(false);
  await expect.poll(() => polls - hiddenFrom, { timeout: 5_000 }).toBeGreaterThan(0);
  await page.getByRole("button", { name: "Remove" }).click();
});

// Today's Messenger (Conversation Routing): anyone on the page may answer from Meta's inbox
// without a handover, and a page may refuse handovers. The bot says it is a bot, stays silent
// once a person has answered, and never tells a user a person is there when no one is.
test("a person answering without a handover silences the bot; a refused handover is said plainly", async ({ page }) => {
  test.setTimeout(90_000);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await openHydrated(page, "/simulator");
  await publishKit(page);
  await newTestUser(page, "Pia Person");
  const phone = page.getByRole("region", { name: "Test user's phone" });
  const chat = phone.getByRole("log", { name: "Conversation" });
  const inboxPanel = page.getByRole("region", { name: "Page Inbox" });
  const tools = page.getByRole("region", { name: "Test tools" });
  const baton = page.getByTestId("sim-baton");
  const DISCLOSURE = "You're chatting with an automated assistant.";

  // The bot says it is a bot before its first message.
  await phone.getByRole("button", { name: "Get Started" }).click();
  await expect(chat).toContainText("How can we help?");
  await expect(chat.getByText(DISCLOSURE)).toHaveCount(1);
  await expect(baton).toContainText("with the bot");

  // Someone on the page answers from the Page Inbox panel: no handover happened.
  await inboxPanel.getByLabel("Reply as the page's person").fill("Hi Pia, Kim here.");
  await inboxPanel.getByRole("button", { name: "Send as Page Inbox" }).click();
  await expect(baton).toContainText("In Baton's Inbox: a person has it, the bot stays silent");
  await expect(baton).toContainText("a person replied from the Page Inbox");
  await expect(page.getByRole("region", { name: "Who has the conversation" })).toContainText(
    "Baton passed the conversation to the Page Inbox",
  );

  // The user writes: the bot does not talk over the person.
  await phone.getByLabel("Message").fill("menu");
  await phone.getByRole("button", { name: "Send" }).click();
  await expect(chat.locator(".sim-line").last()).toContainText("menu");
  await page.waitForTimeout(1_500);
  await expect(chat.locator(".sim-line").last()).toContainText("menu");
  await page.screenshot({ path: path.join(SHOTS, "simulator-person-replied-1280.png"), fullPage: true });

  // Done in the Page Inbox: back in the bot, which says again that it is a bot.
  await inboxPanel.getByRole("button", { name: "Done", exact: true }).click();
  await expect(chat).toContainText(BACK);
  await expect(chat.getByText(DISCLOSURE)).toHaveCount(2);

  // The page refuses every handover: Talk to human is answered in plain words, never with
  // "You're now chatting to a real person".
  await tools.getByLabel("Handovers").selectOption("all");
  await expect(tools.getByRole("status").last()).toContainText("The sandbox page's settings changed.");
  await phone.getByRole("group", { name: "Quick replies" }).getByRole("button", { name: "Main menu" }).click();
  await chat.getByRole("button", { name: "Talk to human" }).last().click();
  await expect(chat).toContainText("Click the button below to speak to a real person");
  await chat.getByRole("button", { name: "Talk to human" }).last().click();
  await expect(chat).toContainText("no one can take your conversation right now");
  await expect(chat.getByText(WITH_PERSON)).toHaveCount(0);
  await expect(baton).toContainText("with the bot");
  await page.screenshot({ path: path.join(SHOTS, "simulator-refused-1280.png"), fullPage: true });

  // Admins see why, with where to fix it (the banner comes with the page load).
  const here = new URL(page.url());
  await openHydrated(page, here.pathname + here.search);
  const banner = page.locator(".page-alert");
  await expect(banner).toContainText("Messenger refused to hand a conversation to the Page Inbox");
  await expect(banner.getByRole("link", { name: "Open Setup" })).toHaveAttribute("href", "/setup");

  // Handovers work again: the next one goes through and the banner goes.
  await page.getByRole("region", { name: "Test tools" }).getByLabel("Handovers").selectOption("off");
  await expect(page.getByRole("region", { name: "Test tools" }).getByRole("status").last()).toContainText("settings changed");
  await page.getByRole("log", { name: "Conversation" }).getByRole("button", { name: "Talk to human" }).last().click();
  await expect(page.getByRole("log", { name: "Conversation" })).toContainText(WITH_PERSON);
  await openHydrated(page, here.pathname + here.search);
  await expect(page.locator(".page-alert")).toHaveCount(0);
});
