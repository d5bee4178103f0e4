// Refusals are visible in the UI, and refused decisions change nothing: a button the person may not press is
// disabled with the policy's reason beside it; a decision without a justification shows an alert.
import {
  decide,
  expect,
  getVersion,
  GOOD_CONFIG,
  postTestRun,
  registerVersion,
  saveConfig,
  section,
  shot,
  signIn,
  stageStatus,
  test,
  visit,
  waitForCentralCopy,
} from "../fixtures";

test("a Data Scientist may not approve for Test, and a Prod decision needs a justification", async ({ page, request }) => {
  test.setTimeout(240_000);
  const registered = await registerVersion(request);
  let centralUrl = "";
  let centralId = "";

  await test.step("Dana approves the Dev version; the central copy awaits Test", async () => {
    await signIn(page, "Dana Scientist");
    await visit(page, `/versions/${encodeURIComponent(registered.id)}`);
    await decide(page, "Approve", "Dev", "Metrics reviewed against the baseline.");
    await expect(stageStatus(page)).toHaveText("Dev / Approved");
    centralId = await waitForCentralCopy(page);
    centralUrl = `/versions/${encodeURIComponent(centralId)}`;
  });

  await test.step("on the central copy, Dana's Approve for Test is disabled: only an AI Engineer decides Test", async () => {
    await visit(page, centralUrl);
    await expect(stageStatus(page)).toHaveText("Dev / Approved");
    const approval = section(page, "Approval");
    await expect(approval.getByText("Awaiting Test decision")).toBeVisible();
    await expect(approval.getByRole("button", { name: "Approve for Test", exact: true })).toBeDisabled();
    await expect(approval.getByTestId("approve-reason")).toContainText("AI Engineer");
    await expect(approval.getByRole("button", { name: "Reject for Test", exact: true })).toBeDisabled();
    await expect(approval.getByTestId("reject-reason")).toContainText("AI Engineer");
    await shot(page, "refusal-01-dana-may-not-approve-test");
  });

  await test.step("Erin saves a config and approves for Test; CI records a passing run", async () => {
    await signIn(page, "Erin Engineer");
    await visit(page, centralUrl);
    await saveConfig(page, GOOD_CONFIG);
    await expect(section(page, "Deployment config").getByText(GOOD_CONFIG.instanceType).first()).toBeVisible();
    await decide(page, "Approve", "Test", "Config reviewed; ready for integration tests.");
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await postTestRun(request, centralId, true);
  });

  await test.step("Gina approves for Prod without a justification: an alert, and nothing changes", async () => {
    await signIn(page, "Gina Governance");
    await visit(page, centralUrl);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    const approval = section(page, "Approval");
    const approve = approval.getByRole("button", { name: "Approve for Prod", exact: true });
    await expect(approve).toBeEnabled();
    await approval.getByLabel("Justification").fill("");
    await approve.click();
    await expect(page.getByRole("alert").filter({ hasText: /justification/i })).toBeVisible();
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await shot(page, "refusal-02-justification-required");

    // Nothing was recorded: the page (reloaded) and the API agree.
    await page.reload();
    await expect(stageStatus(page)).toHaveText("Test / Approved");
    await expect(section(page, "Decisions")).not.toContainText("Gina Governance");
    await expect(section(page, "Approval").getByText("Awaiting Prod decision")).toBeVisible();
    const after = await getVersion(request, centralId);
    expect(after).toMatchObject({ stage: "Test", status: "Approved" });
  });
});
