// Phase 1 of the path, through the forms: an admin creates and publishes a template (the editor's errors shown
// as the fields change and on save), a data scientist creates a project from it, the provisioner's repositories
// are `git clone`d and their rendered files checked, a dataset request is approved by its producer and shows on
// the project, and a template upgrade shows its diff and is committed on a branch.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, settled, shot, signIn, test, visit } from "../fixtures";

// Unique per run, so the spec can run again against the same server.
const SUFFIX = Date.now().toString(36);
const TEMPLATE = `tiny-${SUFFIX}`;
const PROJECT = `churn-${SUFFIX}`;

function git(args: string[]): string {
  return execFileSync("git", args, { encoding: "utf8" });
}

/** The live check beside the form: what the server's validation says about the fields so far. */
function liveCheck(page: Page) {
  return page.getByTestId("live-check");
}

/** Reloads the project page until provisioning has finished (the dispatcher runs it in the background). */
async function provisioned(page: Page): Promise<void> {
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("heading", { level: 2, name: "Provisioning: Provisioned" })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await settled(page);
}

test("an admin publishes a template, a data scientist's project gets its repositories, data access and an upgrade", async ({ page }) => {
  test.setTimeout(180_000);

  await test.step("the admin's editor names each problem as the fields change, then saves", async () => {
    await signIn(page, "Ada Admin");
    await visit(page, "/templates/new");
    await page.getByLabel("Id (slug)").fill(TEMPLATE);
    await page.getByLabel("Name", { exact: true }).fill("Tiny regression");
    await page.getByLabel("Kind").fill("Classical Regression");
    await page.getByLabel("Owner").fill("ml-platform");
    await page.getByLabel("Description").fill("A minimal template for the end-to-end test.");
    await page.getByLabel("Parameter 1 name").fill("region");
    await page.getByLabel("Parameter 1 label").fill("Region");
    await page.getByLabel("Parameter 1 required").check();
    await page.getByLabel("Parameter 1 default").fill("eu-west-1");
    // A pattern that is not a regular expression: named by its place before anything is saved.
    await page.getByLabel("Parameter 1 pattern").fill("[a-");
    await page.getByLabel("Parameter 1 pattern").blur();
    await expect(liveCheck(page)).toContainText("Parameter 1 (region), pattern");
    await page.getByLabel("Parameter 1 pattern").fill("[a-z]{2}-[a-z]+-[0-9]");
    await page.getByLabel("File 1 path").fill("build/train.sh");
    await page.getByLabel("File 1 content").fill("echo {{ project.id }} in {{ params.region }}\n");
    await page.getByLabel("File 1 content").blur();
    await expect(liveCheck(page)).toContainText("the deploy/ repository has no file");
    await page.getByLabel("File 2 path").fill("deploy/config/test.json");
    await page.getByLabel("File 2 content").fill('{"region": "{{ params.regoin }}"}\n');
    await page.getByLabel("File 2 content").blur();
    // A file that does not render with the defaults (a misspelt parameter), named by its path.
    await expect(liveCheck(page)).toContainText("File deploy/config/test.json");
    // Saving anyway is refused by the server with the same message, and nothing typed is lost.
    await page.getByRole("button", { name: "Save draft" }).click();
    await expect(page.getByRole("alert")).toContainText("File deploy/config/test.json");
    await expect(page.getByLabel("File 1 path")).toHaveValue("build/train.sh");
    await page.getByLabel("File 2 content").fill('{"region": "{{ params.region }}"}\n');
    await page.getByLabel("File 2 content").blur();
    await expect(liveCheck(page)).toContainText("no problems so far");
    await shot(page, "template-editor");
    await page.getByRole("button", { name: "Save draft" }).click();
    await expect(page).toHaveURL(new RegExp(`/templates/${TEMPLATE}$`));
    await settled(page);
  });

  await test.step("the preview renders the repositories with sample values; the admin publishes", async () => {
    await expect(page.getByRole("heading", { level: 2, name: "Preview of version 1 with sample values" })).toBeVisible();
    await page.getByText("build/train.sh", { exact: true }).click();
    await expect(page.getByText(`echo sample-project in eu-west-1`)).toBeVisible();
    await page.getByRole("button", { name: "Publish version 1" }).click();
    await expect(page.getByRole("button", { name: "Deprecate version 1" })).toBeVisible();
  });

  await test.step("a data scientist creates a project from it; a bad parameter is named first", async () => {
    await signIn(page, "Dana Scientist");
    await visit(page, `/projects/new/${TEMPLATE}`);
    await page.getByLabel("Project id (slug)").fill(PROJECT);
    await page.getByLabel("Name", { exact: true }).fill("Churn");
    await page.getByLabel("Region *").fill("EU");
    await page.getByLabel("Region *").blur();
    await expect(liveCheck(page)).toContainText("does not match");
    await page.getByLabel("Region *").fill("eu-central-1");
    await page.getByLabel("Region *").blur();
    await expect(liveCheck(page)).toContainText("no problems so far");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${PROJECT}$`));
    await provisioned(page);
    await shot(page, "project-provisioned");
  });

  await test.step("both repositories clone, with the files rendered from the parameters", async () => {
    const clones = fs.mkdtempSync(path.join(os.tmpdir(), "portal-clones-"));
    const expected: Record<string, [string, string]> = {
      build: ["train.sh", `echo ${PROJECT} in eu-central-1\n`],
      deploy: ["config/test.json", '{"region": "eu-central-1"}\n'],
    };
    for (const [tree, [file, content]] of Object.entries(expected)) {
      const command = await page.locator("li", { hasText: `${PROJECT}-${tree}:` }).locator("code").innerText();
      const url = command.replace(/^git clone /, "").trim();
      const into = path.join(clones, tree);
      git(["clone", "--quiet", url, into]);
      expect(fs.readFileSync(path.join(into, file), "utf8")).toBe(content);
    }
  });

  await test.step("a dataset request is approved by its producer and shows on the project", async () => {
    // (The label also holds the options' text, so the select is found by its accessible name.)
    await page.getByRole("combobox", { name: "Dataset", exact: true }).selectOption("loan-applications");
    await page.getByLabel("Justification").fill("Churn features from loan applications.");
    await page.getByRole("button", { name: "Request access" }).click();
    const row = page.getByRole("row").filter({ hasText: "loan-applications" });
    await expect(row).toContainText("Requested");

    await signIn(page, "Gina Governance");
    await page.getByLabel(`Reason for ${PROJECT} on loan-applications`).fill("Within the data policy.");
    await page
      .locator("li")
      .filter({ hasText: `for project ${PROJECT}` })
      .getByRole("button", { name: "Approve" })
      .click();
    await expect(page.getByText(`for project ${PROJECT}`)).toHaveCount(0);

    await signIn(page, "Dana Scientist");
    await visit(page, `/projects/${PROJECT}`);
    const approved = page.getByRole("row").filter({ hasText: "loan-applications" });
    await expect(approved).toContainText("Approved");
    await expect(approved).toContainText("Within the data policy.");
  });

  await test.step("an upgrade to a new template version shows its diff and is committed on a branch", async () => {
    await signIn(page, "Ada Admin");
    await visit(page, `/templates/${TEMPLATE}`);
    await page.getByLabel("File 1 content").fill("echo {{ project.id }} now in {{ params.region }}\n");
    await page.getByRole("button", { name: "Save draft" }).click();
    await expect(page.getByRole("button", { name: "Publish version 2" })).toBeVisible();
    await page.getByRole("button", { name: "Publish version 2" }).click();
    await expect(page.getByRole("button", { name: "Deprecate version 2" })).toBeVisible();
    // The admin sees which projects use which version.
    await expect(page.getByRole("row").filter({ hasText: PROJECT })).toBeVisible();

    await signIn(page, "Dana Scientist");
    await visit(page, `/projects/${PROJECT}`);
    const diff = page.getByLabel("Diff of the build repository");
    await expect(diff).toContainText(`-echo ${PROJECT} in eu-central-1`);
    await expect(diff).toContainText(`+echo ${PROJECT} now in eu-central-1`);
    await page.getByRole("button", { name: "Commit the upgrade on branch template-upgrade-v2" }).click();
    await expect(page.getByText("Version 2 proposed on branch template-upgrade-v2 by dana")).toBeVisible();
    const command = await page.locator("li", { hasText: `${PROJECT}-build:` }).locator("code").innerText();
    const url = command.replace(/^git clone /, "").trim();
    expect(git(["--git-dir", url, "show", "template-upgrade-v2:train.sh"])).toBe(`echo ${PROJECT} now in eu-central-1\n`);
  });
});
