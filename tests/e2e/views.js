// Every view of a served workbench, as a person opens it: each route on the default data, timed
// until its main content shows, with any console error, and a screenshot at desktop and phone
// width in screenshots/views/. Prints what it saw; exits non-zero when a view shows an error or
// logs one. For the MovieLens-100k workbench that scripts/workbench.sh serves:
//   cd tests/e2e && node views.js http://127.0.0.1:8080 [QUERY, e.g. ?data=synthetic]
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots/views");
const base = process.argv[2] ?? "http://127.0.0.1:8080";
const query = process.argv[3] ?? "";
// What shows when each view is ready (the selectors the end-to-end tests wait for).
const VIEWS = [
  ["overview", "/", '[data-stat="interactions"]'],
  ["sequences", "/sequences", "#attention-strips tr"],
  ["knowledge", "/knowledge", "#semantic-id"],
  ["reasoner", "/reasoner", "#slots li"],
  ["compare", "/compare", "#compare-table tr[data-variant]"],
  ["summary", "/summary", "#summary-table tr[data-variant]"],
];

mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
let failed = 0;
for (const [name, path, ready] of VIEWS) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  const t = Date.now();
  await page.goto(base + path + query);
  const shown = await Promise.race([
    page.locator(ready).first().waitFor({ timeout: 180000 }).then(() => "ready"),
    page.locator("pre.error").first().waitFor({ timeout: 180000 }).then(async () => `error: ${await page.locator("pre.error").first().innerText()}`),
  ]).catch((e) => `not shown: ${e.message.split("\n")[0]}`);
  const seconds = ((Date.now() - t) / 1000).toFixed(1);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
  const ok = shown === "ready" && errors.length === 0;
  failed += ok ? 0 : 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${name.padEnd(10)} ${shown} after ${seconds} s${errors.length ? `; console: ${errors.join(" | ")}` : ""}`);
  await page.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
