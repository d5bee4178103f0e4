// Charts people trust (issue 15): the charts a governance engineer reads on the Prod version's page say the
// same with JavaScript on (hydrated) as the server drew them with JavaScript off, tick for tick, and their
// axes are readable: a 7-day time axis labelled with dates, values from zero, every point's value a tooltip.
import type { Browser, Page } from "@playwright/test";
import { expect, findVersion, settled, shot, signIn, test, visit } from "../fixtures";

/** Every chart on the page: its title and the labels of its ticks, in document order. */
async function ticksOf(page: Page): Promise<Array<{ title: string; ticks: string[] }>> {
  return page.getByTestId("chart").evaluateAll((charts) =>
    charts.map((c) => ({
      title: c.querySelector("figcaption")?.textContent?.trim() ?? "",
      ticks: Array.from(c.querySelectorAll("svg text")).map((t) => t.textContent?.trim() ?? ""),
    })),
  );
}

async function drawn(browser: Browser, javaScriptEnabled: boolean, url: string): Promise<Array<{ title: string; ticks: string[] }>> {
  const context = await browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  await signIn(page, "Gina Governance");
  await visit(page, url);
  if (javaScriptEnabled) await settled(page);
  const charts = await ticksOf(page);
  if (javaScriptEnabled) await shot(page, "charts-01-prod-version-monitoring");
  await context.close();
  return charts;
}

test("the charts read the same, tick for tick, with JavaScript on as the server drew them", async ({ browser, request }) => {
  const prod = await findVersion(request, "credit-risk", "pd-model", 1);
  const url = `/versions/${encodeURIComponent(prod.id)}`;
  const server = await drawn(browser, false, url);
  const hydrated = await drawn(browser, true, url);
  expect(server.length).toBeGreaterThan(3);
  expect(hydrated).toEqual(server);

  // A week of monitoring: the time axis names dates, not bare weekdays or months.
  const latency = server.find((c) => c.title.startsWith("ModelLatency p99"));
  expect(latency, JSON.stringify(server.map((c) => c.title))).toBeTruthy();
  const dated = latency!.ticks.filter((t) => /^\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/.test(t));
  expect(dated.length, latency!.ticks.join(" | ")).toBeGreaterThanOrEqual(3);
  // Counts and rates start at zero.
  const invocations = server.find((c) => c.title.startsWith("Invocations"));
  expect(invocations!.ticks).toContain("0");
});

test("every point's value is its tooltip", async ({ page, request }) => {
  const prod = await findVersion(request, "credit-risk", "pd-model", 1);
  await signIn(page, "Gina Governance");
  await visit(page, `/versions/${encodeURIComponent(prod.id)}`);
  const titles = await page.getByTestId("chart").locator("svg circle.chart-point title").allTextContents();
  expect(titles.length).toBeGreaterThan(100);
  // Each says what, how much and where: "auc: 0.74 at step 5", "ModelLatency p99 (ms): 212 at 2026-12-07 05:00 UTC".
  expect(titles.filter((t) => !/^.+: -?[\d,.]+ at (step \d+|\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC|.+ \d+)( \(above the threshold\))?$/.test(t))).toEqual([]);
});
