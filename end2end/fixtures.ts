// Shared test helpers: a `test` that fails on browser errors, sign-in as a demo user, screenshots, and the
// CI side of the portal's JSON API.
import path from "node:path";
import { test as base, expect, type APIRequestContext, type Locator, type Page } from "@playwright/test";

export { expect };

export const PROJECT = "credit-risk";
export const PROJECT_TOKEN = "e2e-token-credit-risk";
export const SUPPORT_TOKEN = "e2e-token-support-assistant";
export const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const WEBHOOK_PORT = 3099;
/** The OIDC provider playwright.config.ts starts; its pages are not the portal's (they load web fonts). */
export const OIDC_ISSUER = "http://127.0.0.1:3001";

const SCREENSHOTS = path.join(__dirname, "test-results", "screenshots");

/**
 * `test` with an automatic check: no uncaught page error and no console error in the browser, except a
 * favicon 404, the HTTP status of a server function that refused a form on purpose (4xx under /fn/:
 * the page shows that refusal as an alert, which the test asserts), and the identity provider's own pages.
 */
export const test = base.extend<{ browserErrors: string[] }>({
  browserErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        if (page.url().startsWith(OIDC_ISSUER)) return;
        const where = m.location().url ?? "";
        const text = m.text();
        if (/favicon/i.test(where) || /favicon/i.test(text)) return;
        const refusedForm = /\/fn\//.test(where) && /status of 4\d\d/.test(text);
        if (refusedForm) return;
        errors.push(`console error: ${text}${where ? ` (${where})` : ""}`);
      });
      await use(errors);
      expect(errors, "errors in the browser").toEqual([]);
    },
    { auto: true },
  ],
});

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A full-page screenshot at test-results/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Waits until the page is interactive: with JavaScript on, until the WASM has loaded and hydrated (network
 * idle, and a `data-hydrated` marker if the app sets one). Forms work before hydration too (as plain posts),
 * but clicking mid-hydration can race.
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector('[data-hydrated="false"]'), undefined, { timeout: 15_000 });
}

/** Opens a page, waits for it to settle, and screenshots it. */
export async function visit(page: Page, url: string, screenshot?: string): Promise<void> {
  await page.goto(url);
  await settled(page);
  if (screenshot) await shot(page, screenshot);
}

/** Signs in through the development sign-in page; lands on the inbox with the person's name in the header. */
export async function signIn(page: Page, name: string, screenshot?: string): Promise<void> {
  await page.context().clearCookies();
  await visit(page, "/sign-in");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Development sign-in").first()).toBeVisible();
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: `Sign in as ${name}`, exact: true }).click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await expect(page.locator("header").getByText(name).first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await settled(page);
}

/** The `<section>` of the version page whose h2 is `title`. */
export function section(page: Page, title: string): Locator {
  return page.locator("section").filter({ has: page.getByRole("heading", { level: 2, name: title, exact: true }) });
}

/** The version page's "<Stage> / <Status label>" badge. */
export function stageStatus(page: Page): Locator {
  return page.getByTestId("stage-status");
}

/** Rows of the inbox table whose "awaits" cell is `stage`, as [label, href] pairs. */
export async function inboxRows(page: Page, stage: string): Promise<Array<{ label: string; href: string }>> {
  const rows = page.getByRole("row").filter({ has: page.getByRole("cell", { name: stage, exact: true }) });
  const out: Array<{ label: string; href: string }> = [];
  for (const row of await rows.all()) {
    const link = row.getByRole("link").first();
    const href = await link.getAttribute("href");
    if (href?.startsWith("/versions/")) out.push({ label: (await link.innerText()).trim(), href });
  }
  return out;
}

// ---- the version page's forms ----

/** Fills the justification and presses "<verdict> for <stage>"; the caller asserts the outcome. */
export async function decide(page: Page, verdict: "Approve" | "Reject", stage: string, justification: string): Promise<void> {
  const approval = section(page, "Approval");
  await expect(approval.getByText(`Awaiting ${stage} decision`)).toBeVisible();
  const button = approval.getByRole("button", { name: `${verdict} for ${stage}`, exact: true });
  await expect(button).toBeEnabled();
  await approval.getByLabel("Justification").fill(justification);
  await button.click();
}

export interface ConfigForm {
  environment: "Test" | "Prod";
  instanceType: string;
  initialCount: string;
  min: string;
  max: string;
  variants: string;
  capture: string;
}

export const GOOD_CONFIG: ConfigForm = {
  environment: "Test",
  instanceType: "ml.m5.large",
  initialCount: "2",
  min: "1",
  max: "4",
  variants: "champion:90, challenger:10",
  capture: "25",
};

/** The labelled inputs of the deployment config form. */
export function configFields(page: Page) {
  const s = section(page, "Deployment config");
  return {
    // A <select> inside its <label> takes the option texts into the label's text: match the start.
    environment: s.getByLabel(/^\s*Environment/),
    instanceType: s.getByLabel("Instance type", { exact: true }),
    initialCount: s.getByLabel("Initial instance count", { exact: true }),
    min: s.getByLabel("Autoscaling min", { exact: true }),
    max: s.getByLabel("Autoscaling max", { exact: true }),
    variants: s.getByLabel("Variants", { exact: true }),
    capture: s.getByLabel("Data capture %", { exact: true }),
    save: s.getByRole("button", { name: "Save deployment config" }),
  };
}

/** Fills the deployment config form and presses save; the caller asserts the outcome. */
export async function saveConfig(page: Page, config: ConfigForm): Promise<void> {
  const f = configFields(page);
  await f.environment.selectOption(config.environment);
  await f.instanceType.fill(config.instanceType);
  await f.initialCount.fill(config.initialCount);
  await f.min.fill(config.min);
  await f.max.fill(config.max);
  await f.variants.fill(config.variants);
  await f.capture.fill(config.capture);
  await f.save.click();
}

/** Reloads the Dev version's page until the dispatcher has made its central copy; returns the copy's id. */
export async function waitForCentralCopy(page: Page): Promise<string> {
  const link = section(page, "Lineage").getByRole("link", { name: "Open central copy" });
  await expect(async () => {
    await page.reload();
    await expect(link).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000, intervals: [250, 500, 1_000] });
  const href = await link.getAttribute("href");
  expect(href).toMatch(/^\/versions\/[^/]+$/);
  return decodeURIComponent(href!.slice("/versions/".length));
}

// ---- the JSON API, as CI calls it ----

const auth = { Authorization: `Bearer ${PROJECT_TOKEN}` };

export interface ApiVersion {
  id: string;
  number: number;
  group: string;
  stage: string;
  status: string;
  central_copy: string | null;
  [key: string]: unknown;
}

export interface ApiEventRecord {
  envelope: { id: string; "detail-type": string; source: string; detail: any; [key: string]: unknown };
  deliveries: Array<{ target: string; state: string; [key: string]: unknown }>;
}

/** Registers a Dev model version in credit-risk, with metrics and a model card that meet the Prod gates. */
export async function registerVersion(request: APIRequestContext, group = "pd-model"): Promise<ApiVersion> {
  const run = `e2e-${Date.now()}`;
  const response = await request.post(`/api/v1/projects/${PROJECT}/versions`, {
    headers: auth,
    data: {
      model_group: group,
      description: "Registered by the end-to-end tests",
      mlflow_run_id: run,
      training_data: ["s3://datalake-curated/credit/2026-11/"],
      code_commit: "abc123",
      artifact_uri: `s3://bucket/${run}/model.tar.gz`,
      container_image: "123.dkr.ecr.eu-west-1.amazonaws.com/xgb:1",
      metrics: { auc: 0.83 },
      model_card: {
        intended_use: "Score retail loan applications for probability of default.",
        limitations: "Validated on 2024-2026 applications only.",
        risk_rating: "Medium",
        training_data: "Curated applications and repayments, 2024-2026.",
        evaluation: "Hold-out AUC 0.83; fairness checks by segment.",
        owner: "credit-risk-ds@example.com",
      },
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  const version = (await response.json()) as ApiVersion;
  expect(version).toMatchObject({ stage: "Dev", status: "PendingManualApproval", central_copy: null });
  expect(typeof version.id).toBe("string");
  expect(typeof version.number).toBe("number");
  return version;
}

/** A demo version by project, group and number, in the central registry or its Dev registry. */
export async function findVersion(
  request: APIRequestContext,
  project: string,
  group: string,
  number: number,
  token = PROJECT_TOKEN,
  registry: "central" | "dev" = "central",
): Promise<ApiVersion> {
  const response = await request.get(`/api/v1/versions?project=${project}&registry=${registry}&search=${group}&limit=200`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.status(), await response.text()).toBe(200);
  const found = (await response.json()).items.find((v: ApiVersion) => v.group === group && v.number === number);
  expect(found, `${group} v${number} in ${project}'s ${registry} registry`).toBeTruthy();
  return found;
}

export async function getVersion(request: APIRequestContext, id: string): Promise<ApiVersion> {
  const response = await request.get(`/api/v1/versions/${encodeURIComponent(id)}`, { headers: auth });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as ApiVersion;
}

/** Posts an integration test run (JUnit XML + performance) for a central copy, as CI does after deploying. */
export async function postTestRun(request: APIRequestContext, id: string, passed = true, token = PROJECT_TOKEN): Promise<any> {
  const failure = passed ? "" : `<testcase classname="integration" name="load_test_p99" time="2.0"><failure message="p99 too high">p99 910 ms</failure></testcase>`;
  const junit =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<testsuites><testsuite name="integration" tests="${passed ? 3 : 4}" failures="${passed ? 0 : 1}" errors="0" skipped="0" time="0.6">` +
    `<testcase classname="integration" name="endpoint_in_service" time="0.2"/>` +
    `<testcase classname="integration" name="schema_contract" time="0.2"/>` +
    `<testcase classname="integration" name="golden_set_predictions" time="0.2"/>` +
    failure +
    `</testsuite></testsuites>`;
  const response = await request.post(`/api/v1/versions/${encodeURIComponent(id)}/test-runs`, {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      junit_xml: junit,
      performance: { latency_p99_ms: 120, latency_p50_ms: 40, error_rate: 0.001 },
      ci_run: "https://ci.example/run/1",
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}

export async function deployments(request: APIRequestContext, id: string): Promise<Array<{ environment: string; status: string }>> {
  const response = await request.get(`/api/v1/versions/${encodeURIComponent(id)}/deployments`, { headers: auth });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/** The events about one version, newest first. */
export async function eventsOf(request: APIRequestContext, id: string): Promise<ApiEventRecord[]> {
  const response = await request.get(`/api/v1/events?version=${encodeURIComponent(id)}&limit=200`, { headers: auth });
  expect(response.status(), await response.text()).toBe(200);
  const page = await response.json();
  return page.items as ApiEventRecord[];
}
