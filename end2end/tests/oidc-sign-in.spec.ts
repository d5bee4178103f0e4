// Sign-in through the organisation's identity provider (the OIDC provider playwright.config.ts starts):
// the portal sends the browser to the provider's login form and back; groups become personas; signing out
// ends the session here and at the provider. With JavaScript on and off.
import type { Page } from "@playwright/test";
import { expect, settled, shot, test, visit } from "../fixtures";

/** From the portal's sign-in page through the provider's login form, as `user`. */
async function signInAtProvider(page: Page, user: string, screenshot?: string): Promise<void> {
  await page.context().clearCookies();
  await visit(page, "/sign-in");
  await page.getByRole("link", { name: "Sign in with your organisation account" }).click();
  await expect(page.getByRole("heading", { name: "Sign-in" })).toBeVisible();
  if (screenshot) await shot(page, screenshot);
  await page.getByPlaceholder("Enter any login").fill(user);
  await page.getByPlaceholder("and password").fill("any-password");
  await page.getByRole("button", { name: "Sign-in" }).click();
}

async function signInAndOut(page: Page, javascript: boolean): Promise<void> {
  const suffix = javascript ? "" : "-no-js";
  await signInAtProvider(page, "alice", `oidc-provider-login${suffix}`);
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toHaveText("alice");
  if (javascript) await settled(page);
  await shot(page, `oidc-inbox-alice${suffix}`);

  await page.getByRole("button", { name: "Sign out" }).click();
  // RP-initiated logout: the provider asks whether to end its own session too, then sends the browser back.
  await expect(page.getByRole("heading", { name: /Do you want to sign-out/ })).toBeVisible();
  await page.getByRole("button", { name: "Yes, sign me out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole("link", { name: "Sign in with your organisation account" })).toBeVisible();
  // The session ended on the server: the inbox sends the browser back to sign in.
  await visit(page, "/inbox");
  await expect(page).toHaveURL(/\/sign-in$/);
}

test("a person signs in at the identity provider's login form and signs out again", async ({ page }) => {
  await signInAndOut(page, true);
});

test("a person in no mapped group is told there is no access", async ({ page }) => {
  await signInAtProvider(page, "zed");
  await expect(page).toHaveURL(/\/no-access$/);
  await expect(page.getByRole("heading", { level: 1, name: "No access" })).toBeVisible();
  await expect(page.getByText("none of your groups gives you a role")).toBeVisible();
  await shot(page, "oidc-no-access");
  await visit(page, "/inbox");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test.describe("with JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-in at the identity provider and sign-out work as plain links and forms", async ({ page }) => {
    await signInAndOut(page, false);
  });
});
