// The evidence pack as a governance engineer hands it to an auditor: exported from the version page (with
// JavaScript on and off), kept as a file, verified by the real `portal verify-evidence`, opened from disk and
// printed to PDF through the browser's own print path. The dossier, its screenshot and the PDF are kept.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, findVersion, shot, signIn, test, visit } from "../fixtures";

const KEPT = path.join(__dirname, "..", "test-results", "evidence-pack");

/** Exports the open version page's pack as `format` and returns the saved file's path. */
async function exportPack(page: Page, format: "html" | "json", name: string): Promise<string> {
  const form = page.getByTestId("evidence-pack");
  await form.getByLabel("Evidence pack").selectOption(format);
  const [download] = await Promise.all([page.waitForEvent("download"), form.getByRole("button", { name: "Export" }).click()]);
  expect(download.suggestedFilename()).toBe(`evidence-pack-pd-model-v1.${format}`);
  fs.mkdirSync(KEPT, { recursive: true });
  const file = path.join(KEPT, name);
  await download.saveAs(file);
  return file;
}

/** `portal verify-evidence FILE`: its exit status and what it printed. */
function verify(file: string): { status: number; said: string } {
  try {
    return { status: 0, said: execFileSync(process.env.PORTAL_BIN!, ["verify-evidence", file], { encoding: "utf8" }) };
  } catch (e) {
    const failed = e as { status: number; stdout: string };
    return { status: failed.status, said: failed.stdout };
  }
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("a governance engineer exports the Prod version's dossier, which verifies and prints", async ({ page, request }) => {
      const v1 = await findVersion(request, "credit-risk", "pd-model", 1);
      await signIn(page, "Gina Governance");
      await visit(page, `/versions/${encodeURIComponent(v1.id)}`);
      const suffix = javaScriptEnabled ? "js" : "nojs";
      const dossier = await exportPack(page, "html", `dossier-${suffix}.html`);
      const checked = verify(dossier);
      expect(checked.status, checked.said).toBe(0);
      expect(checked.said).toContain(`verified: the evidence pack of version ${v1.id}`);

      // One changed word of the page an auditor reads is found.
      const forged = path.join(KEPT, `dossier-${suffix}-forged.html`);
      fs.writeFileSync(forged, fs.readFileSync(dossier, "utf8").replace("All gates met", "All gates mot"));
      const refused = verify(forged);
      expect(refused.status).toBe(1);
      expect(refused.said).toContain("the dossier's page was changed after export");

      // Opened from disk, as it will be read years later: self-contained, every section there.
      const reader = await page.context().newPage();
      await reader.goto(`file://${dossier}`);
      await expect(reader.getByRole("heading", { level: 1 })).toHaveText("Evidence pack: pd-model v1 (Credit risk)");
      for (const heading of ["1. General description", "4. Validation and testing", "7. Decisions and human oversight", "9. Integrity"]) {
        await expect(reader.getByRole("heading", { level: 2, name: new RegExp(`^${heading.replace(".", "\\.")}`) })).toBeVisible();
      }
      const signOff = reader.getByRole("row").filter({ hasText: "All gates met; latency well inside budget." });
      await expect(signOff).toContainText("Gina Governance (gina)");
      await expect(signOff).toContainText("Governance Engineer");
      await shot(reader, `evidence-pack-dossier-${suffix}`);
      // The browser's print path makes the PDF.
      if (javaScriptEnabled) {
        await reader.emulateMedia({ media: "print" });
        await reader.pdf({ path: path.join(KEPT, "dossier.pdf"), format: "A4", printBackground: true });
        expect(fs.statSync(path.join(KEPT, "dossier.pdf")).size).toBeGreaterThan(10_000);
      }
      await reader.close();

      // The JSON bundle alone verifies too.
      const bundle = await exportPack(page, "json", `bundle-${suffix}.json`);
      const bundleChecked = verify(bundle);
      expect(bundleChecked.status, bundleChecked.said).toBe(0);
      // Both exports are in the audit log, newest first.
      await visit(page, "/audit");
      await expect(page.getByText("evidence_pack.export").first()).toBeVisible();
    });
  });
}
