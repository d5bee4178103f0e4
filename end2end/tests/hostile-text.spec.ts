// Text built to leave a <textarea> and restyle the approval panel comes back as text, stored (a model card CI
// sent) or reflected (a refused plain form post brings the typed justification back), with JavaScript on and
// off: the page adds no style and no button, and the button reading "Reject for Prod" rejects.
import { expect, inboxRows, PROJECT, PROJECT_TOKEN, section, signIn, stageStatus, test, visit } from "../fixtures";
import type { Page } from "@playwright/test";

/** Closes the textarea, adds a style that swaps the buttons and a button that approves under Reject's name. */
const BREAKOUT =
  '</textarea><style>form{display:flex;flex-direction:column-reverse}</style>' +
  '<button type="submit" name="verdict" value="Approve">Reject for Prod</button><!--';

/** Nothing the text carried became part of the page. */
async function pageIsUntouched(page: Page): Promise<void> {
  expect(await page.locator("body style").count(), "no style element reached the page").toBe(0);
  expect(await page.locator('button[value="Approve"]', { hasText: "Reject" }).count(), "no added button").toBe(0);
  const reject = page.getByRole("button", { name: /^Reject for / });
  for (const button of await reject.all()) await expect(button).toHaveAttribute("value", "Reject");
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("a model card CI sent with markup in it is shown as the text it is", async ({ page, request }) => {
      const response = await request.post(`/api/v1/projects/${PROJECT}/versions`, {
        headers: { Authorization: `Bearer ${PROJECT_TOKEN}` },
        data: {
          model_group: "hostile-text-model",
          artifact_uri: `s3://bucket/hostile-${Date.now()}/model.tar.gz`,
          container_image: "xgb:1",
          metrics: { auc: 0.8 },
          model_card: { intended_use: BREAKOUT, limitations: BREAKOUT, risk_rating: "Low", owner: "o" },
        },
      });
      expect(response.status(), await response.text()).toBe(201);
      const version = await response.json();
      await signIn(page, "Dana Scientist");
      await visit(page, `/versions/${encodeURIComponent(version.id)}`);
      const card = section(page, "Model card");
      await expect(card.getByLabel("Intended use")).toHaveValue(BREAKOUT);
      await expect(card.getByLabel("Limitations")).toHaveValue(BREAKOUT);
      await pageIsUntouched(page);
    });
  });
}

test.describe("with JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("a refused justification comes back as text and Reject for Prod still rejects", async ({ page }) => {
    await signIn(page, "Hugo Governance");
    const rows = await inboxRows(page, "Prod");
    expect(rows.length, "a version awaiting Prod").toBeGreaterThan(0);
    await visit(page, rows[0].href);
    const approval = section(page, "Approval");
    // A control character the server refuses, so it sends the typed text back with the refusal.
    const typed = BREAKOUT + " \u0007";
    await approval.getByLabel("Justification").fill(typed);
    await approval.getByRole("button", { name: "Reject for Prod", exact: true }).click();
    await page.waitForLoadState("load");
    // The address names the error kept on the server, never what was typed (history, logs, referrers).
    const address = decodeURIComponent(page.url());
    expect(address).toContain("__flash=");
    expect(address).not.toContain("__err");
    expect(address).not.toContain("Reject for Prod");
    await expect(page.getByRole("alert").filter({ hasText: /control characters/i })).toBeVisible();
    await expect(section(page, "Approval").getByLabel("Justification")).toHaveValue(typed);
    await pageIsUntouched(page);
    await expect(stageStatus(page)).toHaveText("Test / Approved");
  });
});

for (const javaScriptEnabled of [false, true]) {
  test.describe(`a crafted link, with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("Leptos's error parameters in a link put no words in the form and no alert on the page", async ({ page }) => {
      await signIn(page, "Hugo Governance");
      const rows = await inboxRows(page, "Prod");
      expect(rows.length, "a version awaiting Prod").toBeGreaterThan(0);
      const error = { Invalid: { field: "justification", message: "retype it", submitted: { justification: BREAKOUT } } };
      const encoded = Buffer.from(JSON.stringify(error)).toString("base64url");
      await visit(page, `${rows[0].href}?__path=/fn/decide&__err=${encoded}`);
      expect(decodeURIComponent(page.url())).not.toContain("__err");
      await expect(page.getByRole("alert").filter({ hasText: "retype it" })).toHaveCount(0);
      await expect(section(page, "Approval").getByLabel("Justification")).toHaveValue("");
      await pageIsUntouched(page);
    });
  });
}
