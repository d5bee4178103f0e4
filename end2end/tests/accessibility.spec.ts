// Accessibility: an axe-core scan (WCAG 2.1 A/AA and best practices) of every page reports no violation,
// with JavaScript on (after hydration, interactive charts) and with the page as the server sends it.
import fs from "node:fs";
import { test as base, type Page } from "@playwright/test";
import { expect, findVersion, section, settled, signIn, test, visit } from "../fixtures";

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe on the page and fails with each violation's rule, help and first targets. */
async function expectNoViolations(page: Page, name: string): Promise<void> {
  // page.evaluate runs through the DevTools protocol, so the portal's CSP (no inline scripts) does not block it.
  await page.evaluate(AXE);
  const violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> =
    await page.evaluate(async () => {
      const result = await (window as any).axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      });
      return result.violations;
    });
  const report = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(" | ")}`,
  );
  expect(report, `axe violations on ${name}`).toEqual([]);
}

test("every page has no axe violations", async ({ page, request }) => {
  test.setTimeout(240_000);
  const pdProd = await findVersion(request, "credit-risk", "pd-model", 1);
  const pdAwaiting = await findVersion(request, "credit-risk", "pd-model", 2);

  await test.step("sign-in page", async () => {
    await page.context().clearCookies();
    await visit(page, "/sign-in");
    await expectNoViolations(page, "/sign-in");
  });

  await signIn(page, "Gina Governance");
  const pages: Array<[string, string]> = [
    ["registry", "/"],
    ["registry filtered", "/?project=credit-risk&stage=Prod"],
    ["version in Prod with monitoring and training run", `/versions/${encodeURIComponent(pdProd.id)}`],
    ["version awaiting Prod (approval panel)", `/versions/${encodeURIComponent(pdAwaiting.id)}`],
    ["version with the failed-cases filter", `/versions/${encodeURIComponent(pdAwaiting.id)}?cases=failed`],
    ["inbox", "/inbox"],
    ["events", "/events"],
    ["compare", `/compare?a=${encodeURIComponent(pdAwaiting.id)}`],
    ["audit", "/audit"],
    ["audit filtered (rows with folded detail)", "/audit?project=credit-risk&action=decision"],
    ["audit with a bad filter (alert)", "/audit?from=yesterday"],
    ["events filtered", "/events?type=ModelApproved"],
    ["templates", "/templates"],
    ["a template (versions, preview, editor)", "/templates/classical-regression"],
    ["projects", "/projects"],
    ["data catalog with dataset requests", "/datasets"],
  ];
  for (const [name, url] of pages) {
    await test.step(name, async () => {
      await visit(page, url);
      await expectNoViolations(page, name);
    });
  }

  await test.step("an event", async () => {
    await visit(page, "/events");
    await page.getByRole("row").nth(1).getByRole("link").first().click();
    await expect(page).toHaveURL(/\/events\/.+/);
    await settled(page);
    await expectNoViolations(page, "event");
  });

  await test.step("a Dev version with the model card form (Data Scientist)", async () => {
    await signIn(page, "Dana Scientist");
    await visit(page, "/?project=credit-risk&stage=Dev&status=PendingManualApproval");
    await page.getByRole("link", { name: /^pd-model v\d+$/ }).first().click();
    await settled(page);
    await expect(section(page, "Model card").getByRole("button", { name: /save/i })).toBeVisible();
    await expectNoViolations(page, "Dev version with model card form");
  });

  await test.step("a new template and the new-project form (Admin, Data Scientist)", async () => {
    await signIn(page, "Ada Admin");
    await visit(page, "/templates/new");
    await expectNoViolations(page, "new template editor");
    await signIn(page, "Dana Scientist");
    await visit(page, "/projects/new/classical-regression");
    await expectNoViolations(page, "new project from a template");
    await visit(page, "/datasets");
    await expectNoViolations(page, "data catalog as a data scientist");
  });

  await test.step("a central copy with the deployment config form (AI Engineer)", async () => {
    await signIn(page, "Erin Engineer");
    const support = await findVersion(request, "support-assistant", "support-llm", 2, "e2e-token-support-assistant");
    await visit(page, `/versions/${encodeURIComponent(support.id)}`);
    await expectNoViolations(page, "central copy with deployment config form");
  });
});

// The page as the server sends it, before (or without) hydration: the static SVG charts. The app's script is
// blocked, so the plain `test` is used here (the blocked request is logged as a console error on purpose).
base("the server-rendered version page has no axe violations", async ({ page, request }) => {
  const pdProd = await findVersion(request, "credit-risk", "pd-model", 1);
  await page.route("**/pkg/**", (route) => route.abort());
  // Signed in through the development sign-in form's endpoint (the page's own script is blocked).
  const signedIn = await page.request.post("/fn/sign_in", { form: { subject: "gina" }, maxRedirects: 0 });
  expect(signedIn.status()).toBeLessThan(400);
  await page.goto(`/versions/${encodeURIComponent(pdProd.id)}`);
  await expect(section(page, "Monitoring").locator("svg polyline").first()).toBeVisible();
  await expectNoViolations(page, "server-rendered version page");
  // The 404 page (its status is logged as a console error, which is why it is scanned here).
  await page.goto("/versions/no-such-version");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectNoViolations(page, "404");
});
