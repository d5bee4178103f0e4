// The continuous governance cycle in the browser: a Prod version is rolled back to the earlier Prod version
// of its group from its Production panel, with JavaScript on and with plain form posts; the rolled-back
// version is rejected, the earlier one's Prod deployment is requested, and both timelines say so. The inbox
// lists the demo's reviews of Prod versions.
import {
  decide,
  deployments,
  eventsOf,
  expect,
  findVersion,
  GOOD_CONFIG,
  postTestRun,
  registerVersion,
  saveConfig,
  section,
  settled,
  shot,
  signIn,
  stageStatus,
  test,
  visit,
  waitForCentralCopy,
} from "../fixtures";
import type { APIRequestContext, Page } from "@playwright/test";

/** A new pd-model version taken to Prod through every persona; returns its central copy's id and number. */
async function toProd(page: Page, request: APIRequestContext): Promise<{ id: string; number: number }> {
  const registered = await registerVersion(request);
  await signIn(page, "Dana Scientist");
  await visit(page, `/versions/${encodeURIComponent(registered.id)}`);
  await decide(page, "Approve", "Dev", "Offline AUC beats the baseline; model card reviewed.");
  await expect(stageStatus(page)).toHaveText("Dev / Approved");
  const central = await waitForCentralCopy(page);
  await signIn(page, "Erin Engineer");
  await visit(page, `/versions/${encodeURIComponent(central)}`);
  await saveConfig(page, GOOD_CONFIG);
  await expect(section(page, "Deployment config").getByText(GOOD_CONFIG.instanceType).first()).toBeVisible();
  await decide(page, "Approve", "Test", "Deployment config reviewed.");
  await expect(stageStatus(page)).toHaveText("Test / Approved");
  await postTestRun(request, central, true);
  await signIn(page, "Gina Governance");
  await visit(page, `/versions/${encodeURIComponent(central)}`);
  await decide(page, "Approve", "Prod", "All gates met.");
  await expect(stageStatus(page)).toHaveText("Prod / Approved");
  return { id: central, number: registered.number };
}

/** Hugo rolls `current` back to the newest earlier Prod version the panel offers; returns its number. */
async function rollBack(page: Page, current: { id: string; number: number }, screenshot: string): Promise<number> {
  await signIn(page, "Hugo Governance");
  await visit(page, `/versions/${encodeURIComponent(current.id)}#production`);
  const production = section(page, "Production");
  const rollback = production.getByTestId("rollback");
  const button = rollback.getByRole("button", { name: /^Roll back to v\d+$/ }).first();
  await expect(button).toBeEnabled();
  const to = Number((await button.innerText()).replace(/\D+/g, ""));
  expect(to).toBeLessThan(current.number);
  await expect(rollback.getByTestId(`rollback-${to}-reason`)).toContainText(`requests the Prod deployment of v${to}`);
  // Without a justification it is refused, and nothing changes.
  await button.click();
  await expect(production.getByRole("alert").filter({ hasText: /justification/i })).toBeVisible();
  await expect(stageStatus(page)).toHaveText("Prod / Approved");
  await rollback.getByLabel("Justification").first().fill(`p99 latency regressed; v${to} served it well.`);
  await shot(page, `${screenshot}-before`);
  await rollback.getByRole("button", { name: `Roll back to v${to}`, exact: true }).click();
  await expect(stageStatus(page)).toHaveText("Prod / Rejected");
  await expect(section(page, "Timeline")).toContainText(`Rolled back to v${to} by Hugo Governance`);
  await shot(page, `${screenshot}-after`);
  return to;
}

async function rolledBackAsExpected(page: Page, request: APIRequestContext, current: { id: string }, to: number) {
  const events = await eventsOf(request, current.id);
  const rolled = events.find((e) => e.envelope["detail-type"] === "ModelRolledBack");
  expect(rolled, "ModelRolledBack emitted").toBeTruthy();
  expect(rolled!.envelope.detail.rolledBackTo.versionNumber).toBe(to);
  expect(rolled!.envelope.detail.rolledBackBy).toBe("hugo");
  const earlier = await findVersion(request, "credit-risk", "pd-model", to);
  await expect
    .poll(async () => (await deployments(request, earlier.id)).filter((d) => d.environment === "Prod").length, {
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
  await visit(page, `/versions/${encodeURIComponent(earlier.id)}`);
  await expect(stageStatus(page)).toHaveText("Prod / Approved");
}

test("with JavaScript, a Prod version is rolled back to the earlier one from its Production panel", async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  await signIn(page, "Hugo Governance");
  const reviews = page.getByTestId("reviews");
  await expect(reviews).toContainText("Reviews of Prod versions");
  await expect(reviews.getByRole("link", { name: "pd-model v1" }).first()).toBeVisible();
  await shot(page, "cycle-01-inbox-reviews");
  const current = await toProd(page, request);
  const to = await rollBack(page, current, "cycle-02-rollback");
  await settled(page);
  await rolledBackAsExpected(page, request, current, to);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a Prod version is rolled back with plain form posts", async ({ page, request }) => {
    test.setTimeout(240_000);
    const current = await toProd(page, request);
    const to = await rollBack(page, current, "cycle-03-nojs-rollback");
    await rolledBackAsExpected(page, request, current, to);
  });
});
