// The audit log and the events as a governance engineer reads them (issue 15): rows filtered by person,
// action and time through a plain GET form (JavaScript on and off), a bad filter named, the filtered entries
// downloaded as CSV; events filtered by type and linked to their versions; and a version page that updates
// by itself when its central copy and a test run arrive. Screenshots: audit-01-filtered, audit-02-bad-filter,
// events-01-filtered, live-01-central-copy-arrived, live-02-test-run-arrived.
import fs from "node:fs";
import { decide, expect, GOOD_CONFIG, postTestRun, saveConfig, registerVersion, section, settled, shot, signIn, stageStatus, test, visit } from "../fixtures";

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    const suffix = javaScriptEnabled ? "" : "-nojs";

    test("the audit log is filtered to one person's approvals and exported as CSV", async ({ page }) => {
      await signIn(page, "Gina Governance");
      await visit(page, "/audit");
      await expect(page.getByTestId("chain")).toContainText("Hash chain verified");
      const filter = page.getByTestId("audit-filter");
      await filter.getByLabel("Person").selectOption({ label: "Dana Scientist" });
      await filter.getByLabel("Action").selectOption({ label: "Approvals" });
      await filter.getByRole("button", { name: "Filter" }).click();
      await expect(page).toHaveURL(/person=dana/);
      await expect(page).toHaveURL(/action=decision\.approve/);
      await settled(page);

      const rows = page.getByTestId("audit-row");
      const count = await rows.count();
      expect(count).toBeGreaterThan(0);
      for (let i = 0; i < count; i++) {
        const row = rows.nth(i);
        await expect(row).toContainText("Dana Scientist");
        await expect(row).toContainText("Data Scientist");
        await expect(row).toContainText("decision.approve");
        await expect(row.getByRole("link")).toHaveAttribute("href", /^\/versions\//);
      }
      await expect(page.getByTestId("audit-export")).toContainText(`${count} entries match.`);
      // The sealed detail is folded away until asked for.
      const first = rows.first();
      await expect(first.locator("pre")).toBeHidden();
      await first.locator("summary").click();
      await expect(first.locator("pre")).toContainText('"stage": "Dev"');
      await shot(page, `audit-01-filtered${suffix}`);

      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export as CSV" }).click()]);
      expect(download.suggestedFilename()).toMatch(/^audit-log-\d{8}T\d{6}Z\.csv$/);
      const csv = fs.readFileSync(await download.path(), "utf8").split("\r\n").filter((l) => l !== "");
      expect(csv[0]).toBe('"seq","at","actor","who","persona","action","target_kind","target","justification","detail","prev_hash","hash"');
      expect(csv.length - 1).toBe(count);
      expect(csv.slice(1).every((l) => l.includes('"dana","Dana Scientist","Data Scientist","decision.approve"'))).toBe(true);

      // The target links to the version the entry is about.
      await first.getByRole("link").click();
      await expect(stageStatus(page)).toBeVisible();
    });

    test("a bad audit filter is named and lists nothing", async ({ page }) => {
      await signIn(page, "Gina Governance");
      await visit(page, "/audit");
      const filter = page.getByTestId("audit-filter");
      await filter.getByLabel("From", { exact: true }).fill("2026-12-02");
      await filter.getByLabel("To", { exact: true }).fill("2026-12-01");
      await filter.getByRole("button", { name: "Filter" }).click();
      await expect(page.getByTestId("filter-problem")).toHaveText(/The filter's to is before from/);
      await expect(page.getByTestId("audit-row")).toHaveCount(0);
      // The form still shows what was asked for, to be corrected.
      await expect(filter.getByLabel("From", { exact: true })).toHaveValue("2026-12-02");
      await shot(page, `audit-02-bad-filter${suffix}`);
    });

    test("events are filtered by type and each is linked to its version", async ({ page }) => {
      await signIn(page, "Gina Governance");
      await visit(page, "/events");
      const filter = page.getByTestId("events-filter");
      await filter.getByLabel("Type").selectOption("ModelApproved");
      await filter.getByRole("button", { name: "Filter" }).click();
      await expect(page).toHaveURL(/type=ModelApproved/);
      await settled(page);
      const rows = page.getByTestId("events").locator("tbody tr");
      const count = await rows.count();
      expect(count).toBeGreaterThan(0);
      for (let i = 0; i < count; i++) {
        await expect(rows.nth(i).locator("td").nth(1)).toHaveText("ModelApproved");
      }
      await shot(page, `events-01-filtered${suffix}`);
      await rows.first().locator("td").nth(2).getByRole("link").click();
      await expect(stageStatus(page)).toBeVisible();
    });
  });
}

test("the version page updates by itself when its central copy and a test run arrive", async ({ page, request }) => {
  test.setTimeout(120_000);
  const registered = await registerVersion(request);
  await signIn(page, "Dana Scientist");
  await visit(page, `/versions/${encodeURIComponent(registered.id)}`);
  await expect(page.locator("[data-follow]")).toHaveAttribute("data-follow", /^\/live\/versions\//);
  await decide(page, "Approve", "Dev", "Metrics reviewed against the baseline.");
  await expect(stageStatus(page)).toHaveText("Dev / Approved");
  // A mark on the window: a reload would lose it.
  await page.evaluate(() => ((window as any).__drawn = "before"));
  const central = section(page, "Lineage").getByRole("link", { name: "Open central copy" });
  await expect(central).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => (window as any).__drawn)).toBe("before");
  await shot(page, "live-01-central-copy-arrived");

  // Erin approves the central copy for Test; the test run CI reports then reaches her open page.
  const href = (await central.getAttribute("href"))!;
  await signIn(page, "Erin Engineer");
  await visit(page, href);
  await saveConfig(page, GOOD_CONFIG);
  await decide(page, "Approve", "Test", "Config reviewed; ready for integration tests.");
  await expect(stageStatus(page)).toHaveText("Test / Approved");
  const runs = section(page, "Integration test runs");
  await expect(runs).toContainText("No integration test run");
  await page.evaluate(() => ((window as any).__drawn = "central"));
  await postTestRun(request, decodeURIComponent(href.slice("/versions/".length)), true);
  await expect(runs).toContainText("Passed", { timeout: 15_000 });
  expect(await page.evaluate(() => (window as any).__drawn)).toBe("central");
  await shot(page, "live-02-test-run-arrived");
});
