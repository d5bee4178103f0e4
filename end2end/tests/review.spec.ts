// A governance engineer's review from the version page alone: the training run and its charts, the test runs
// and their failures, the lineage followed to the run; Approve disabled while the latest run fails and enabled
// once a passing run arrives; a stale-evidence refusal when results arrive between page load and click; and a
// Prod quorum of two governance engineers.
import {
  decide,
  expect,
  findVersion,
  GOOD_CONFIG,
  postTestRun,
  saveConfig,
  section,
  shot,
  signIn,
  stageStatus,
  SUPPORT_TOKEN,
  test,
  visit,
} from "../fixtures";

test("a governance engineer reviews from the version page and signs off only on current, passing evidence", async ({
  page,
  request,
}) => {
  // lgd-model v1 (demo data): awaiting Prod, its latest integration test run failed.
  const lgd = await findVersion(request, "credit-risk", "lgd-model", 1);
  const url = `/versions/${encodeURIComponent(lgd.id)}`;
  const approval = section(page, "Approval");
  const approve = approval.getByRole("button", { name: "Approve for Prod", exact: true });

  await test.step("the page shows the training run with its charts, and the failing test run", async () => {
    await signIn(page, "Gina Governance");
    await visit(page, url);
    const run = section(page, "Training run");
    await expect(run.getByText("FINISHED")).toBeVisible();
    await expect(run.getByText("learning_rate")).toBeVisible();
    await expect(run.getByTestId("chart").first()).toBeVisible();
    await expect(run.getByTestId("chart").first().locator("svg").first()).toBeVisible();
    const tests = section(page, "Integration test runs");
    await expect(tests.getByTestId("selected-run")).toContainText("Failed");
    await tests.getByRole("link", { name: /^failed \(1\)$/ }).click();
    await expect(page).toHaveURL(/cases=failed/);
    const selected = tests.getByTestId("selected-run");
    await expect(selected.getByRole("cell", { name: "Failed", exact: true })).toHaveCount(1);
    await expect(selected.getByRole("cell", { name: "Passed", exact: true })).toHaveCount(0);
    await expect(selected.getByRole("cell", { name: "latency_p99_ms", exact: true })).toBeVisible();
    await shot(page, "review-01-failing-run");
  });

  await test.step("the lineage leads to the run", async () => {
    await section(page, "Lineage").getByRole("link", { name: /MLflow run/ }).click();
    await expect(page).toHaveURL(/#training-run$/);
    await expect(section(page, "Training run")).toBeInViewport();
  });

  await test.step("Approve stays disabled while the latest run fails, with the reason", async () => {
    await expect(approve).toBeDisabled();
    await expect(approval.getByTestId("approve-reason")).toContainText(/test run/i);
  });

  await test.step("a passing run posted by CI enables it", async () => {
    await postTestRun(request, lgd.id, true);
    await visit(page, url);
    await expect(approve).toBeEnabled();
    // The failing load test is not in the new run: the difference from the previous run says so.
    const since = section(page, "Integration test runs").getByTestId("selected-run");
    await expect(since.getByText("Other changes (1)")).toBeVisible();
    await expect(since.getByText("integration / load_test_p99: Failed → absent")).toBeVisible();
  });

  await test.step("results that arrive after the page loaded make the decision stale: refused, nothing changes", async () => {
    await postTestRun(request, lgd.id, true);
    await approval.getByLabel("Justification").fill("Reviewed the passing run.");
    await approve.click();
    await expect(page.getByRole("alert").filter({ hasText: /new test results arrived/i })).toBeVisible();
    await shot(page, "review-02-stale-evidence");
    await visit(page, url);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
  });

  await test.step("on the current evidence, the sign-off moves it to Prod", async () => {
    await decide(page, "Approve", "Prod", "Reviewed the latest passing run, lineage and training run.");
    await expect(stageStatus(page)).toHaveText("Prod / Approved");
  });
});

test("a Prod quorum of two needs two distinct governance engineers", async ({ page, request }) => {
  // support-llm v1 (demo data): central copy awaiting Test; support-assistant needs two Prod sign-offs.
  const v = await findVersion(request, "support-assistant", "support-llm", 1, SUPPORT_TOKEN);
  const url = `/versions/${encodeURIComponent(v.id)}`;
  const approval = section(page, "Approval");

  await test.step("Erin saves the Test and Prod configs and approves Test; CI posts a passing run", async () => {
    await signIn(page, "Erin Engineer");
    await visit(page, url);
    await saveConfig(page, GOOD_CONFIG);
    await expect(section(page, "Deployment config").getByText("champion:90").first()).toBeVisible();
    await saveConfig(page, { ...GOOD_CONFIG, environment: "Prod" });
    await expect(section(page, "Deployment config").getByRole("cell", { name: "Prod", exact: true })).toBeVisible();
    await decide(page, "Approve", "Test", "Configs reviewed.");
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await postTestRun(request, v.id, true, SUPPORT_TOKEN);
  });

  await test.step("Gina's sign-off is 1 of 2: the version stays in Test", async () => {
    await signIn(page, "Gina Governance");
    await visit(page, url);
    await expect(approval.getByTestId("quorum")).toContainText("0 of 2");
    await decide(page, "Approve", "Prod", "Toxicity well under the bar.");
    await expect(approval.getByTestId("quorum")).toContainText("1 of 2");
    await expect(approval.getByTestId("quorum")).toContainText("Gina Governance");
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    // She cannot sign twice.
    await expect(approval.getByRole("button", { name: "Approve for Prod", exact: true })).toBeDisabled();
    await shot(page, "review-03-quorum-one-of-two");
  });

  await test.step("Hugo's sign-off completes the quorum: the version is in Prod", async () => {
    await signIn(page, "Hugo Governance");
    await visit(page, url);
    await decide(page, "Approve", "Prod", "Second review: agree.");
    await expect(stageStatus(page)).toHaveText("Prod / Approved");
  });
});
