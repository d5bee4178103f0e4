// With JavaScript off the portal still works: pages are rendered whole on the server, and every form is a
// plain HTML form post that the server answers with a redirect back to the page.
import { expect, findVersion, section, shot, signIn, stageStatus, test, visit, inboxRows } from "../fixtures";
import type { Page } from "@playwright/test";

test.use({ javaScriptEnabled: false });

/** The seeded version in Hugo's inbox awaiting Prod whose Approve button is enabled (all gates met). */
async function approvableProdVersion(page: Page): Promise<{ label: string; href: string }> {
  const rows = await inboxRows(page, "Prod");
  expect(rows.length, "versions awaiting Prod in the inbox").toBeGreaterThan(0);
  for (const row of rows) {
    await visit(page, row.href);
    const approve = section(page, "Approval").getByRole("button", { name: "Approve for Prod", exact: true });
    if ((await approve.count()) > 0 && (await approve.isEnabled())) return row;
  }
  throw new Error(`no version awaiting Prod has every gate met: ${rows.map((r) => r.label).join(", ")}`);
}

test.describe("without JavaScript", () => {
  test("charts are static SVG with their numbers in words, and filters are links", async ({ page, request }) => {
    const v1 = await findVersion(request, "credit-risk", "pd-model", 1);
    await signIn(page, "Gina Governance");
    await visit(page, `/versions/${encodeURIComponent(v1.id)}`);
    const monitoring = section(page, "Monitoring");
    const charts = monitoring.getByTestId("chart");
    expect(await charts.count()).toBeGreaterThanOrEqual(6);
    await expect(charts.first().locator("svg polyline").first()).toBeVisible();
    await expect(monitoring.getByText("Threshold breached").first()).toBeVisible();
    await expect(monitoring.getByText(/points; latest: challenger .*, champion /).first()).toBeVisible();
    await expect(section(page, "Training run").getByTestId("chart").first().locator("svg polyline")).toBeVisible();
    // The time range is a plain GET form.
    await monitoring.getByLabel("Time range").selectOption("1h");
    await monitoring.getByRole("button", { name: "Show" }).click();
    await page.waitForLoadState("load");
    await expect(page).toHaveURL(/range=1h/);
    await shot(page, "nojs-00-static-charts");
  });

  test("a refused plain form post shows the alert and keeps the page as it was", async ({ page }) => {
    await signIn(page, "Hugo Governance");
    const target = await approvableProdVersion(page);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    const approval = section(page, "Approval");
    await approval.getByLabel("Justification").fill("");
    // A plain form post: the click waits for the navigation it starts; the server answers with the page.
    await approval.getByRole("button", { name: "Approve for Prod", exact: true }).click();
    await page.waitForLoadState("load");
    await expect(page.getByRole("alert").filter({ hasText: /justification/i })).toBeVisible();
    expect(new URL(page.url()).pathname).toBe(target.href);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await shot(page, "nojs-01-justification-required");
  });

  test("Hugo signs off the seeded version awaiting Prod with a plain form post", async ({ page }) => {
    await signIn(page, "Hugo Governance", "nojs-02-sign-in");
    await shot(page, "nojs-03-inbox");
    const target = await approvableProdVersion(page);
    await expect(page.getByRole("heading", { level: 1, name: target.label, exact: true })).toBeVisible();
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    const gates = section(page, "Approval").getByRole("list", { name: "Gates" }).getByRole("listitem");
    for (const gate of await gates.all()) await expect(gate).not.toContainText("Not met");
    await shot(page, "nojs-04-version-awaiting-prod");

    const approval = section(page, "Approval");
    const justification = "Reviewed without JavaScript: tests passed, thresholds met, model card complete.";
    await approval.getByLabel("Justification").fill(justification);
    await approval.getByRole("button", { name: "Approve for Prod", exact: true }).click();
    await page.waitForLoadState("load");
    // The server redirects the post back to the version page, which now shows the new state.
    await expect(stageStatus(page)).toHaveText("Prod / Approved");
    expect(new URL(page.url()).pathname).toBe(target.href);
    await expect(section(page, "Decisions")).toContainText("Hugo Governance");
    await expect(section(page, "Decisions")).toContainText(justification);
    await shot(page, "nojs-05-prod-approved");
  });

  test("an admin's template and a project from it, through plain form posts", async ({ page }) => {
    const id = `plain-${Date.now().toString(36)}`;
    await signIn(page, "Ada Admin");
    await visit(page, "/templates/new");
    await page.getByLabel("Id (slug)").fill(id);
    await page.getByLabel("Name", { exact: true }).fill("Plain template");
    await page.getByLabel("Kind").fill("Classical Regression");
    await page.getByLabel("Owner").fill("ml-platform");
    await page.getByLabel("Parameter 1 name").fill("region");
    await page.getByLabel("Parameter 1 label").fill("Region");
    await page.getByLabel("Parameter 1 default").fill("eu-west-1");
    await page.getByLabel("Parameter 1 pattern").fill("[a-");
    await page.getByLabel("File 1 path").fill("build/train.sh");
    await page.getByLabel("File 1 content").fill("echo {{ params.region }}");
    await page.getByLabel("File 2 path").fill("deploy/config/test.json");
    await page.getByLabel("File 2 content").fill("{}");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState("load");
    // Refused by the server, named by its place; the page comes back with everything typed.
    await expect(page.getByRole("alert")).toContainText("Parameter 1 (region), pattern");
    await expect(page.getByLabel("File 2 path")).toHaveValue("deploy/config/test.json");
    await expect(page.getByLabel("Parameter 1 default")).toHaveValue("eu-west-1");
    await page.getByLabel("Parameter 1 pattern").fill("[a-z]{2}-[a-z]+-[0-9]");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState("load");
    await expect(page).toHaveURL(new RegExp(`/templates/${id}$`));
    await page.getByRole("button", { name: "Publish version 1" }).click();
    await page.waitForLoadState("load");
    await expect(page.getByRole("button", { name: "Deprecate version 1" })).toBeVisible();

    await signIn(page, "Dana Scientist");
    await visit(page, `/projects/new/${id}`);
    await page.getByLabel("Project id (slug)").fill(`p-${id}`);
    await page.getByLabel("Name", { exact: true }).fill("Plain project");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForLoadState("load");
    await expect(page).toHaveURL(new RegExp(`/projects/p-${id}$`));
    await expect(page.getByRole("heading", { level: 1, name: "Plain project" })).toBeVisible();
  });
});
