// The weight of the version page as a governance engineer opens it: HTML bytes, requests (and their bytes by
// kind), the page's height, with JavaScript on in Chromium. Usage (a portal with demo data at BASE):
//
//   node bench/page_weight.mjs http://127.0.0.1:3000
//
// Run from the repository root; it uses end2end's Playwright and the system Chromium (CHROMIUM_PATH).
import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
const page = await context.newPage();

// Development sign-in as Gina, then the version awaiting her Prod decision (pd-model v2, central).
await page.goto("/sign-in");
await page.getByRole("button", { name: "Sign in as Gina Governance", exact: true }).click();
await page.waitForURL(/\/inbox$/);
const listed = await (await context.request.get("/api/v1/versions?search=pd-model&limit=200")).json();
const version = listed.items.find((v) => v.group === "pd-model" && v.number === 2 && v.registry === "Central")
  ?? listed.items.find((v) => v.group === "pd-model" && v.number === 2 && JSON.stringify(v.registry).includes("entral"));
if (!version) throw new Error(`pd-model v2 (central) not found among ${listed.items.length} versions`);

const requests = [];
page.on("requestfinished", async (request) => {
  const response = await request.response();
  const body = response ? await response.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
  requests.push({ url: request.url(), kind: request.resourceType(), bytes: body.length });
});
const url = `/versions/${encodeURIComponent(version.id)}`;
const document = await page.goto(url, { waitUntil: "load" });
const html = (await document.body()).length;
// Hydration and the page's own data requests; an open event stream never finishes, so it is counted apart.
await page.waitForTimeout(3000);
const streams = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/live/")).length);
const height = await page.evaluate(() => document.documentElement.scrollHeight);
const byKind = {};
for (const r of requests) {
  byKind[r.kind] ??= { requests: 0, bytes: 0 };
  byKind[r.kind].requests += 1;
  byKind[r.kind].bytes += r.bytes;
}
const list = requests.map((r) => `${r.kind} ${r.bytes} ${new URL(r.url).pathname}`);
console.log(JSON.stringify({ url, htmlBytes: html, requests: requests.length, liveStreams: streams, heightPx: height, byKind, list }, null, 2));
await browser.close();
