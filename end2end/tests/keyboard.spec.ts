// The portal by keyboard alone: a skip link first, a visible focus ring, and a whole review (sign in, find a
// version, filter its test cases, edit and save a form) with Tab, Shift+Tab, Enter and Space, no mouse.
import type { Page } from "@playwright/test";
import { expect, findVersion, section, settled, test } from "../fixtures";

/** Presses Tab until the focused element matches, up to `max` times; fails if it never does. */
async function tabTo(page: Page, accessibleName: RegExp, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "";
      const label = (el as HTMLInputElement).labels?.[0]?.innerText;
      return (el.getAttribute("aria-label") ?? label ?? el.innerText ?? "").trim();
    });
    if (accessibleName.test(name)) return;
  }
  throw new Error(`no element named ${accessibleName} within ${max} tabs`);
}

async function focusRingIsVisible(page: Page): Promise<void> {
  const outline = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return { width: parseFloat(style.outlineWidth), style: style.outlineStyle };
  });
  expect(outline.style, "the focused element has an outline").not.toBe("none");
  expect(outline.width).toBeGreaterThanOrEqual(2);
}

test("a data scientist signs in, reviews and edits a model card with the keyboard alone", async ({ page, request }) => {
  test.setTimeout(120_000);
  const inProd = await findVersion(request, "credit-risk", "pd-model", 1);
  const dev = await findVersion(request, "credit-risk", "pd-model", 3, undefined, "dev");

  await test.step("sign in as Dana with Tab and Enter", async () => {
    await page.context().clearCookies();
    await page.goto("/sign-in");
    await settled(page);
    await tabTo(page, /^Sign in as Dana Scientist$/);
    await focusRingIsVisible(page);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/inbox$/);
    await settled(page);
  });

  await test.step("the first tab stop skips to the content", async () => {
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
    await focusRingIsVisible(page);
    await page.keyboard.press("Enter");
    // Focus lands on the content itself, so the next Tab is the first control inside it, not the navigation.
    await expect(page.locator("main#content")).toBeFocused();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.querySelector("main#content")?.contains(document.activeElement))).toBe(true);
  });

  await test.step("filter a version's test cases by keyboard", async () => {
    await page.goto(`/versions/${encodeURIComponent(inProd.id)}`);
    await settled(page);
    await tabTo(page, /^passed \(\d+\)$/, 300);
    await focusRingIsVisible(page);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/cases=passed/);
    const tests = section(page, "Integration test runs");
    await expect(tests.getByRole("cell", { name: "Passed", exact: true }).first()).toBeVisible();
  });

  await test.step("edit the model card of a Dev version and save it with the keyboard", async () => {
    await page.goto(`/versions/${encodeURIComponent(dev.id)}`);
    await settled(page);
    await tabTo(page, /^Limitations/, 300);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("Edited by keyboard: not validated for business loans.");
    await tabTo(page, /^Save model card$/, 20);
    await focusRingIsVisible(page);
    const saved = page.waitForResponse((r) => r.url().includes("/fn/") && r.request().method() === "POST");
    await page.keyboard.press("Enter");
    expect((await saved).status()).toBeLessThan(400);
    // Stored: a fresh load of the page shows the new text.
    await page.reload();
    await settled(page);
    await expect(section(page, "Model card").getByLabel("Limitations")).toHaveValue(
      "Edited by keyboard: not validated for business loans.",
    );
  });

  await test.step("sign out with the keyboard", async () => {
    await tabTo(page, /^Sign out$/, 400);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/sign-in$/);
  });
});
