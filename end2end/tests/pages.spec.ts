// Every page renders, with JavaScript on, for a signed-in person; a screenshot of each goes to
// test-results/screenshots/. Anonymous visitors are sent to the sign-in page.
import { expect, section, shot, signIn, settled, stageStatus, test, visit } from "../fixtures";

test("an anonymous visit goes to the sign-in page, which offers the demo users", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await settled(page);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Development sign-in").first()).toBeVisible();
  for (const name of ["Dana Scientist", "Erin Engineer", "Gina Governance", "Hugo Governance", "Ada Admin"]) {
    await expect(page.getByRole("button", { name: `Sign in as ${name}`, exact: true })).toBeVisible();
  }
  await shot(page, "sign-in");
  for (const path of ["/inbox", "/events", "/audit"]) {
    await page.goto(path);
    await expect(page, `${path} without sign-in`).toHaveURL(/\/sign-in$/);
  }
});

test("the registry, a version, the inbox, events, an event and the audit log render", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, "Gina Governance");

  await test.step("registry: filter by project and stage, search, paginate", async () => {
    await visit(page, "/");
    await expect(page.getByRole("heading", { level: 1, name: "Model registry" })).toBeVisible();
    // A <select> inside its <label> takes the option texts into the label's text: match the start.
    const project = page.getByLabel(/^\s*Project/);
    const stage = page.getByLabel(/^\s*Stage/);
    const status = page.getByLabel(/^\s*Status/);
    const search = page.getByLabel("Search", { exact: true });
    for (const control of [project, stage, status, search]) await expect(control).toBeVisible();
    await expect(page.getByRole("button", { name: "Filter" })).toBeVisible();
    const versionLinks = page.getByRole("link", { name: /^[a-z][a-z0-9-]* v\d+$/ });
    expect(await versionLinks.count()).toBeGreaterThan(0);
    await expect(page.getByRole("cell", { name: "Central registry" }).first()).toBeVisible();
    await expect(page.getByRole("cell", { name: /^Dev registry \(.+\)$/ }).first()).toBeVisible();
    await shot(page, "registry");

    await project.selectOption("credit-risk");
    await stage.selectOption("Prod");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/project=credit-risk/);
    await settled(page);
    const rows = page.getByRole("row").filter({ has: versionLinks });
    expect(await rows.count(), "credit-risk versions in Prod").toBeGreaterThan(0);
    for (const row of await rows.all()) {
      await expect(row).toContainText("Prod");
      await expect(row).toContainText("Central registry");
    }
    await shot(page, "registry-filtered");

    await visit(page, "/");
    await search.fill("lgd");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/search=lgd/);
    await settled(page);
    expect(await versionLinks.count()).toBeGreaterThan(0);
    for (const link of await versionLinks.all()) await expect(link).toHaveText(/^lgd-model v\d+$/);

    await visit(page, "/");
    const next = page.getByRole("link", { name: "Next page" });
    if (await next.count()) {
      await next.click();
      await settled(page);
      await expect(page.getByRole("link", { name: "Previous page" })).toBeVisible();
      await shot(page, "registry-page-2");
    }
  });

  await test.step("version page: every section, with monitoring of a version in Prod", async () => {
    await visit(page, "/?project=credit-risk&stage=Prod");
    // pd-model v1 is the seeded version in Prod with monitoring series (latency, errors, drift).
    const link = page.getByRole("link", { name: "pd-model v1", exact: true }).first();
    const label = (await link.innerText()).trim();
    await link.click();
    await expect(page).toHaveURL(/\/versions\//);
    await settled(page);
    await expect(page.getByRole("heading", { level: 1, name: label, exact: true })).toBeVisible();
    await expect(stageStatus(page)).toHaveText(/^(Dev|Test|Prod) \/ (Pending approval|Approved|Rejected)$/);
    for (const title of [
      "Lineage",
      "Metrics",
      "Model card",
      "Deployment config",
      "Integration test runs",
      "Monitoring",
      "Decisions",
      "Approval",
    ]) {
      await expect(page.getByRole("heading", { level: 2, name: title, exact: true })).toBeVisible();
    }
    await expect(section(page, "Integration test runs").getByText(/^(Passed|Failed)$/).first()).toBeVisible();
    await expect(page.getByRole("img", { name: /^ModelLatency p99 \(ms\)/ }).first()).toBeVisible();
    await expect(section(page, "Monitoring").getByText("Threshold breached").first()).toBeVisible();
    await shot(page, "version");
  });

  await test.step("champion vs challenger", async () => {
    // pd-model v2's central copy against pd-model v1, the seeded version in Prod.
    await visit(page, "/?project=credit-risk&search=pd-model");
    await page
      .getByRole("row")
      .filter({ hasText: "Central registry" })
      .getByRole("link", { name: "pd-model v2", exact: true })
      .click();
    await settled(page);
    await page.getByRole("link", { name: "Compare with the version in Prod" }).click();
    await expect(page).toHaveURL(/\/compare\?a=/);
    await settled(page);
    await expect(page.getByRole("heading", { level: 1, name: "Compare versions" })).toBeVisible();
    await expect(page.getByText(/\d+ of \d+ values differ\./)).toBeVisible();
    await shot(page, "compare");
  });

  await test.step("inbox", async () => {
    await visit(page, "/inbox");
    await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
    await shot(page, "inbox");
  });

  await test.step("events and one event", async () => {
    await visit(page, "/events");
    await expect(page.getByRole("heading", { level: 1, name: "Events" })).toBeVisible();
    const types =
      /^(ModelVersionRegistered|ModelApproved|ModelRejected|ProdSignoffRecorded|ModelCopiedToCentral|DeploymentRequested|TestResultsRecorded|DeploymentStatusReported|MonitoringAlarm)$/;
    await expect(page.getByRole("cell", { name: types }).first()).toBeVisible();
    await expect(page.getByText(/^[\w-]+: (Pending|Delivered|Dead)$/).first()).toBeVisible();
    await shot(page, "events");
    const first = page.getByRole("row").nth(1).getByRole("link").first();
    const id = (await first.innerText()).trim();
    await first.click();
    await expect(page).toHaveURL(/\/events\/[^/]+$/);
    await settled(page);
    await expect(page.getByRole("heading", { level: 1, name: `Event ${id}` })).toBeVisible();
    const json = JSON.parse(await page.locator("pre").first().innerText());
    for (const key of ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]) {
      expect(json, `envelope field ${key}`).toHaveProperty([key]);
    }
    expect(json.id).toBe(id);
    expect(json.source).toBe("portal.governance");
    await expect(page.getByRole("table").first()).toBeVisible();
    await shot(page, "event-detail");
  });

  await test.step("audit log: the hash chain verifies", async () => {
    await visit(page, "/audit");
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    await expect(page.getByText(/Hash chain verified/)).toBeVisible();
    await expect(page.getByText(/Hash chain verified\D*\d+/)).toBeVisible();
    await shot(page, "audit");
  });

  await test.step("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto("/inbox");
    await expect(page).toHaveURL(/\/sign-in$/);
  });
});
