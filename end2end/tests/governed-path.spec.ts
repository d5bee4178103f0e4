// The governed path to production, with JavaScript on: CI registers a version, a Data Scientist approves it
// in Dev, the portal copies it into the central registry, an AI Engineer defines its deployment config and
// approves it for Test, CI records a passing integration test run, a Governance Engineer signs off Prod.
// Every step emits an event; a webhook receives each one, signed.
import {
  configFields,
  decide,
  deployments,
  escapeRegExp,
  eventsOf,
  expect,
  getVersion,
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
  WEBHOOK_PORT,
  WEBHOOK_SECRET,
  type ApiEventRecord,
} from "../fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../webhook-receiver";

let receiver: WebhookReceiver;

test.beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: WEBHOOK_SECRET, port: WEBHOOK_PORT, path: "/hook" });
});

test.afterAll(async () => {
  await receiver?.close();
});

const SECTIONS = [
  "Lineage",
  "Metrics",
  "Model card",
  "Deployment config",
  "Integration test runs",
  "Monitoring",
  "Decisions",
  "Approval",
];

test("a version goes from registration to Prod through every persona, and every event reaches the webhook", async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);

  const registered = await test.step("CI registers a Dev version through the API", () => registerVersion(request));
  const label = `${registered.group ?? "pd-model"} v${registered.number}`;
  const devUrl = `/versions/${encodeURIComponent(registered.id)}`;
  let centralId = "";
  let centralUrl = "";

  await test.step("Dana (Data Scientist) approves it in Dev", async () => {
    await signIn(page, "Dana Scientist", "path-01-sign-in");
    await shot(page, "path-02-dana-inbox");
    await visit(page, devUrl);
    await expect(page.getByRole("heading", { level: 1, name: label, exact: true })).toBeVisible();
    await expect(stageStatus(page)).toHaveText("Dev / Pending approval");
    for (const title of SECTIONS) {
      await expect(page.getByRole("heading", { level: 2, name: title, exact: true })).toBeVisible();
    }
    await shot(page, "path-03-dev-version-pending");
    await decide(page, "Approve", "Dev", "Offline AUC 0.83 beats the current baseline; model card reviewed.");
    await expect(stageStatus(page)).toHaveText("Dev / Approved");
    await shot(page, "path-04-dev-version-approved");
  });

  await test.step("the portal copies it into the central registry, keeping lineage", async () => {
    centralId = await waitForCentralCopy(page);
    centralUrl = `/versions/${encodeURIComponent(centralId)}`;
    expect((await getVersion(request, registered.id)).central_copy).toBe(centralId);
    await shot(page, "path-05-dev-version-copied");
    await section(page, "Lineage").getByRole("link", { name: "Open central copy" }).click();
    await expect(page).toHaveURL(new RegExp(`${escapeRegExp(centralUrl)}$`));
    await settled(page);
    await expect(page.getByRole("heading", { level: 1, name: label, exact: true })).toBeVisible();
    await expect(section(page, "Lineage").getByRole("link", { name: "Open Dev source" })).toBeVisible();
    await expect(section(page, "Lineage")).toContainText("Central registry");
    await shot(page, "path-06-central-copy");
  });

  await test.step("Erin (AI Engineer) defines the deployment config: a bad one is refused, a good one saved", async () => {
    await signIn(page, "Erin Engineer");
    await visit(page, centralUrl);
    const approval = section(page, "Approval");
    await expect(approval.getByText("Awaiting Test decision")).toBeVisible();
    // No config yet: the Test gate is not met and Approve is disabled with the reason.
    await expect(approval.getByRole("button", { name: "Approve for Test" })).toBeDisabled();
    await expect(approval.getByTestId("approve-reason")).toContainText(/deployment config/i);
    await shot(page, "path-07-central-awaiting-test");

    const bad = { ...GOOD_CONFIG, variants: "champion:80, challenger:10" };
    await saveConfig(page, bad);
    const deploymentSection = section(page, "Deployment config");
    await expect(deploymentSection.getByRole("alert")).toContainText(/variants/i);
    // What was typed is kept, so it can be corrected.
    const f = configFields(page);
    await expect(f.variants).toHaveValue(bad.variants);
    await expect(f.instanceType).toHaveValue(bad.instanceType);
    await expect(f.initialCount).toHaveValue(bad.initialCount);
    await expect(f.max).toHaveValue(bad.max);
    await expect(f.capture).toHaveValue(bad.capture);
    await expect(deploymentSection.getByText(GOOD_CONFIG.instanceType)).toHaveCount(0);
    await shot(page, "path-08-config-refused");

    await f.variants.fill(GOOD_CONFIG.variants);
    await f.save.click();
    await expect(deploymentSection.getByText(GOOD_CONFIG.instanceType).first()).toBeVisible();
    await expect(deploymentSection.getByRole("alert")).toHaveCount(0);
    await shot(page, "path-09-config-saved");
  });

  await test.step("Erin approves it for Test; a Test deployment is requested", async () => {
    await decide(page, "Approve", "Test", "Deployment config reviewed: two instances, 90/10 A/B, 25% capture.");
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await shot(page, "path-10-test-approved");
    await expect
      .poll(async () => (await deployments(request, centralId)).map((d) => d.environment), { timeout: 30_000 })
      .toContain("Test");
  });

  await test.step("CI records a passing integration test run through the API", async () => {
    const run = await postTestRun(request, centralId, true);
    expect(run).toBeTruthy();
  });

  await test.step("Gina (Governance Engineer) finds it in her inbox, sees every gate met and signs off Prod", async () => {
    await signIn(page, "Gina Governance");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: label, exact: true }) });
    await expect(row.getByRole("cell", { name: "Prod", exact: true })).toBeVisible();
    await shot(page, "path-11-gina-inbox");
    await row.getByRole("link", { name: label, exact: true }).click();
    await expect(page).toHaveURL(/\/versions\//);
    await settled(page);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    const runs = section(page, "Integration test runs");
    await expect(runs.getByText("Passed").first()).toBeVisible();
    await expect(runs.getByRole("cell", { name: "golden_set_predictions" })).toBeVisible();
    const gates = section(page, "Approval").getByRole("list", { name: "Gates" }).getByRole("listitem");
    expect(await gates.count()).toBeGreaterThan(0);
    for (const gate of await gates.all()) {
      await expect(gate).toContainText("Met");
      await expect(gate).not.toContainText("Not met");
    }
    await shot(page, "path-12-prod-gates-met");
    await decide(page, "Approve", "Prod", "All gates met: tests passed, p99 120 ms, AUC 0.83, model card complete.");
    await expect(stageStatus(page)).toHaveText("Prod / Approved");
    await expect(section(page, "Decisions")).toContainText("Gina Governance");
    await shot(page, "path-13-prod-approved");
    await expect
      .poll(async () => (await deployments(request, centralId)).map((d) => d.environment).sort(), { timeout: 30_000 })
      .toEqual(["Prod", "Test"]);
  });

  // Every event of the path, from the API: Dev events are about the Dev version, the rest about the copy.
  let ours: ApiEventRecord[] = [];
  await test.step("the path emitted its events", async () => {
    const expected = [
      "DeploymentRequested",
      "DeploymentRequested",
      "ModelApproved",
      "ModelApproved",
      "ModelApproved",
      "ModelCopiedToCentral",
      "ModelVersionRegistered",
      "TestResultsRecorded",
    ];
    await expect
      .poll(
        async () => {
          ours = [...(await eventsOf(request, registered.id)), ...(await eventsOf(request, centralId))];
          return ours.map((r) => r.envelope["detail-type"]).sort();
        },
        { timeout: 30_000 },
      )
      .toEqual(expected);
    for (const r of ours) expect(r.envelope.source).toBe("portal.governance");
    const stages = ours
      .filter((r) => r.envelope["detail-type"] === "ModelApproved")
      .map((r) => r.envelope.detail.stage)
      .sort();
    expect(stages).toEqual(["Dev", "Prod", "Test"]);
  });

  await test.step("the webhook received every event, with a valid Standard Webhooks signature", async () => {
    const ids = ours.map((r) => r.envelope.id);
    await expect
      .poll(() => ids.filter((id) => receiver.byId(id).length === 0), {
        timeout: 60_000,
        message: "events not yet delivered to the webhook",
      })
      .toEqual([]);
    for (const r of ours) {
      const got = receiver.byId(r.envelope.id);
      expect(got.some((d) => d.valid), `signature of ${r.envelope.id}: ${got.map((d) => d.problem).join("; ")}`).toBe(true);
      for (const d of got) {
        expect(d.body?.id).toBe(r.envelope.id);
        expect(d.body?.["detail-type"]).toBe(r.envelope["detail-type"]);
        expect(d.body?.source).toBe("portal.governance");
      }
    }
  });

  await test.step("the events page lists them, delivered to the webhook", async () => {
    await visit(page, "/events");
    await expect(page.getByRole("heading", { level: 1, name: "Events" })).toBeVisible();
    await expect(async () => {
      await page.reload();
      for (const r of ours) {
        const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: r.envelope.id, exact: true }) });
        await expect(row).toContainText(r.envelope["detail-type"], { timeout: 1_000 });
        await expect(row).toContainText(label, { timeout: 1_000 });
        await expect(row).toContainText("e2e-receiver: Delivered", { timeout: 1_000 });
      }
    }).toPass({ timeout: 60_000, intervals: [500, 1_000, 2_000] });
    await shot(page, "path-14-events");

    const prod = ours.find((r) => r.envelope["detail-type"] === "ModelApproved" && r.envelope.detail.stage === "Prod")!;
    await page.getByRole("link", { name: prod.envelope.id, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/events/${escapeRegExp(encodeURIComponent(prod.envelope.id))}$`));
    await settled(page);
    await expect(page.getByRole("heading", { level: 1, name: `Event ${prod.envelope.id}` })).toBeVisible();
    const json = JSON.parse(await page.locator("pre").first().innerText());
    expect(json).toMatchObject({
      id: prod.envelope.id,
      "detail-type": "ModelApproved",
      source: "portal.governance",
      detail: { stage: "Prod", model: { versionId: centralId, registry: { kind: "Central" } } },
    });
    const delivery = page.getByRole("row").filter({ hasText: "e2e-receiver" });
    await expect(delivery).toContainText("Delivered");
    await shot(page, "path-15-event-detail");
  });
});
