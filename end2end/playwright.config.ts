// Playwright runs against the real release build: it starts `target/release/baton` on its own
// port with a fresh SQLite database and waits for /healthz before any test starts.
import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ADMIN_STATE } from "./tests/helpers";

const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
// A second sandbox on its own port stands in for Facebook when the setup wizard connects a
// "real" page (setup.spec.ts); Baton's Graph API URL points at it. The built-in sandbox page
// keeps its own URL, so the other tests do not notice.
export const FACEBOOK_PORT = Number(process.env.E2E_FACEBOOK_PORT ?? 3108);
export const FACEBOOK_APP_SECRET = "e2e-facebook-app-secret";
const repo = path.resolve(__dirname, "..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // Creates the first admin through the first-run screen and saves that session.
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    {
      name: "chromium",
      dependencies: ["setup"],
      use: { storageState: ADMIN_STATE },
    },
  ],
  webServer: [
  {
    command: `${path.join(repo, "target/release/baton")} sandbox serve --port ${FACEBOOK_PORT} --callback ${baseURL}/webhook`,
    cwd: repo,
    url: `http://127.0.0.1:${FACEBOOK_PORT}/_sandbox/state`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: { BATON_SANDBOX_APP_SECRET: FACEBOOK_APP_SECRET },
  },
  {
    command: path.join(repo, "target/release/baton"),
    cwd: repo,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      BATON_ADDR: `127.0.0.1:${port}`,
      BATON_DATABASE_URL: `sqlite://${dataDir}/baton.db`,
      LEPTOS_SITE_ROOT: path.join(repo, "target/site"),
      LEPTOS_SITE_PKG_DIR: "pkg",
      RUST_LOG: "warn",
      // Connects the built-in sandbox page at start, so tests can drive Messenger users
      // through /sandbox/_sandbox without a Facebook account.
      BATON_AUTO_SANDBOX: "1",
      BATON_GRAPH_API_URL: `http://127.0.0.1:${FACEBOOK_PORT}/v21.0`,
      BATON_PUBLIC_URL: "https://baton.example.com",
    },
  },
  ],
});
