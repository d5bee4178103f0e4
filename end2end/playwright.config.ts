import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

// Playwright drives Debian's Chromium (apt-get install chromium); its own browser download is never used.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const BASE_URL = "http://127.0.0.1:3000";
const OIDC_ISSUER = "http://127.0.0.1:3001";
const REPO_ROOT = path.resolve(__dirname, "..");
const OUTPUT_DIR = path.join(__dirname, "test-results");

// The real server binary, built by scripts/site.sh (scripts/test.sh sets this).
const PORTAL_BIN = process.env.PORTAL_BIN;
// This file is also loaded by every worker process; only the runner (which starts the server) needs the binary.
const inWorker = process.env.TEST_WORKER_INDEX !== undefined;
if (!inWorker) {
  if (!PORTAL_BIN) {
    throw new Error(
      "PORTAL_BIN is not set. Run `bash scripts/test.sh` from the repository root, or build with " +
        "`bash scripts/site.sh` and set PORTAL_BIN=$CARGO_TARGET_DIR/debug/portal before `npx playwright test`.",
    );
  }
  if (!fs.existsSync(PORTAL_BIN)) {
    throw new Error(`PORTAL_BIN=${PORTAL_BIN} does not exist: build it first with \`bash scripts/site.sh\`.`);
  }
}

// A fresh data directory per run, so the server seeds the demo data on its first start. Made once by the
// runner; workers inherit the variable (its name avoids the PORTAL_ prefix the server reads settings from).
process.env.E2E_PORTAL_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "portal-e2e-"));
const DATA_DIR = process.env.E2E_PORTAL_DATA_DIR;

const serverEnv: Record<string, string> = {
  PORTAL_CONFIG: "end2end/portal.e2e.toml",
  PORTAL_DATA_DIR: DATA_DIR,
  LEPTOS_SITE_ROOT: "target/site",
  LEPTOS_OUTPUT_NAME: "portal",
  RUST_LOG: "info",
};

// The server reads every PORTAL_* variable as a setting and refuses unknown ones, so variables of the test
// run itself (PORTAL_BIN) or of the caller's shell (PORTAL_ADDR ...) must not reach it.
const foreign = Object.keys(process.env).filter((k) => k.startsWith("PORTAL_") && !(k in serverEnv));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const SERVER_LOG = path.join(OUTPUT_DIR, "portal-server.log");
const command = [
  foreign.length ? `unset ${foreign.join(" ")};` : "",
  `mkdir -p ${quote(OUTPUT_DIR)} &&`,
  `exec ${quote(PORTAL_BIN ?? "portal")} >>${quote(SERVER_LOG)} 2>&1`,
].join(" ");

if (!inWorker) {
  console.log(`portal: ${PORTAL_BIN}\n  data: ${DATA_DIR}\n  log:  ${SERVER_LOG}`);
}

export default defineConfig({
  testDir: "./tests",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results",
  // The OIDC provider people sign in at (server/tests/fixtures/oidc), then the portal.
  webServer: [
    {
      command: "node provider.mjs",
      cwd: path.join(REPO_ROOT, "server/tests/fixtures/oidc"),
      url: `${OIDC_ISSUER}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: false,
      env: {
        OIDC_PORT: "3001",
        OIDC_REDIRECT_URI: `${BASE_URL}/auth/callback`,
        OIDC_POST_LOGOUT_REDIRECT_URI: `${BASE_URL}/sign-in`,
      },
    },
    {
      command,
      cwd: REPO_ROOT,
      url: `${BASE_URL}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      gracefulShutdown: { signal: "SIGINT", timeout: 5_000 },
      env: serverEnv,
    },
  ],
  use: {
    baseURL: BASE_URL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
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
  projects: [{ name: "chromium" }],
});
