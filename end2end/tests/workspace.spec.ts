// The version page as a review workspace (issue 15): what awaits whom at a glance, an in-page navigation
// that leads to each section and keeps the approval panel in view (JavaScript on and off). Screenshots, one
// per section as the reviewer sees it: workspace-overview, workspace-evidence, workspace-test-runs,
// workspace-monitoring, workspace-lineage, workspace-history, workspace-approval (and -nojs).
import { expect, findVersion, registerVersion, signIn, test, visit } from "../fixtures";
import path from "node:path";

const SECTIONS: Array<[string, string]> = [
  ["overview", "Overview"],
  ["evidence", "Evidence"],
  ["test-runs", "Tests"],
  ["monitoring", "Monitoring"],
  ["lineage", "Lineage"],
  ["history", "History"],
  ["approval", "Decide"],
];

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    const suffix = javaScriptEnabled ? "" : "-nojs";

    test("each section is one link away and the approval panel stays in view", async ({ page, request }) => {
      // What awaits whom, at a glance, on a version just registered.
      const registered = await registerVersion(request);
      await signIn(page, "Dana Scientist");
      await visit(page, `/versions/${encodeURIComponent(registered.id)}`);
      await expect(page.getByTestId("awaiting")).toContainText("Awaiting the Dev decision of a Data Scientist");
      await expect(page.getByTestId("awaiting").getByRole("link", { name: "Decide" })).toHaveAttribute("href", "#approval");

      // The Prod version (demo data, never decided by the other tests) has every section filled.
      const prod = await findVersion(request, "credit-risk", "pd-model", 1);
      await signIn(page, "Gina Governance");
      await visit(page, `/versions/${encodeURIComponent(prod.id)}`);
      const nav = page.getByTestId("workspace-nav");
      for (const [anchor, label] of SECTIONS) {
        await nav.getByRole("link", { name: label, exact: true }).click();
        await expect(page).toHaveURL(new RegExp(`#${anchor}$`));
        const target = page.locator(`#${anchor}`);
        await expect(target).toBeInViewport();
        // The navigation stays at the top, and the decision is always at hand.
        await expect(nav).toBeInViewport();
        await expect(page.getByRole("heading", { level: 2, name: "Approval", exact: true })).toBeInViewport();
        await page.screenshot({ path: path.join(__dirname, "..", "test-results", "screenshots", `workspace-${anchor}${suffix}.png`) });
      }
    });
  });
}
