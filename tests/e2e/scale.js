// Scale of the researcher's own data in the browser: open 100k, 1M and 5M interactions (files
// from `reaseq data synth`) through "Open data" and time until the Overview shows their counts,
// with the worker's memory; a workspace folder when REASEQ_WORKSPACE names one; then a score
// file of 1M rows and two models through "Open scores".
// Prints figures; asserts nothing about speed.
// Run after `trunk build --release` and `cargo build --release -p reaseq-core --features cli`:
//   cd tests/e2e && node scale.js [SIZES…]   (sizes in users of the synthetic world; default
//   2500 25000 125000, about 100k, 1M and 5M interactions)
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const dist = process.env.REASEQ_DIST ?? join(root, "dist");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const reaseq = process.env.REASEQ_BIN ?? join(target, "release/reaseq");
const sizes = process.argv.slice(2).map(Number);
const work = mkdtempSync(join(tmpdir(), "reaseq-scale-"));
const mb = (n) => `${(n / 1048576).toFixed(0)} MB`;

const site = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--enable-precise-memory-info"],
});

for (const users of sizes.length ? sizes : [2500, 25000, 125000]) {
  const dir = join(work, `u${users}`);
  const said = execFileSync(reaseq, ["data", "synth", "--out", dir, "--users", String(users), "--items", "2000", "--seed", "1"], { encoding: "utf8" });
  const interactions = Number(said.match(/(\d+) interactions/)[1]);
  const files = ["interactions.csv", "items.csv"].map((f) => join(dir, f));
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const page = await browser.newPage();
  await page.goto(`${site.url}/?data=synthetic`);
  await page.locator('[data-stat="users"]').waitFor({ timeout: 60000 });
  const t = Date.now();
  await page.locator("#open-data").setInputFiles(files);
  const shown = await page
    .waitForFunction((n) => {
      const status = document.querySelector(".open-data pre")?.innerText ?? "";
      return document.querySelector('[data-stat="interactions"]')?.innerText === String(n) ? "ok" : status.includes("error") || document.querySelector(".open-data pre.error") ? status : false;
    }, interactions, { timeout: 600000 })
    .then((h) => h.jsonValue())
    .catch((e) => `not shown: ${e.message.split("\n")[0]}`);
  const seconds = (Date.now() - t) / 1000;
  const status = (await page.locator(".open-data pre").first().innerText().catch(() => "")).replace(/\s+/g, " ");
  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  const worker = status.match(/the worker's memory (\d+) MB/)?.[1];
  console.log(
    `${String(interactions).padStart(8)} interactions (${mb(bytes)} of CSV): ` +
      (shown === "ok" ? `Overview after ${seconds.toFixed(1)} s; worker memory ${worker ?? "?"} MB; page heap ${mb(heap)}` : `${shown} ${status}`),
  );
  await page.close();
}

// A workspace folder (REASEQ_WORKSPACE: what `reaseq knowledge build` and `reaseq experiment`
// wrote for MovieLens-100k, as scripts/test.sh makes it): until the Overview shows its counts,
// then until Compare has rescored its test set with its rankers.
if (process.env.REASEQ_WORKSPACE) {
  const page = await browser.newPage();
  await page.goto(`${site.url}/?data=synthetic`);
  await page.locator('[data-stat="users"]').waitFor({ timeout: 60000 });
  const t = Date.now();
  await page.locator("#open-folder").setInputFiles(process.env.REASEQ_WORKSPACE);
  await page.waitForURL(/data=local/, { timeout: 600000 });
  await page.waitForFunction(() => document.querySelector('[data-stat="interactions"]')?.innerText === "100000", null, { timeout: 600000 });
  const opened = (Date.now() - t) / 1000;
  const status = (await page.locator("#open-status").innerText()).replace(/\s+/g, " ");
  const c = Date.now();
  await page.locator('nav a:has-text("Compare")').click();
  await page.locator("#compare-table").waitFor({ timeout: 600000 });
  console.log(
    `workspace folder (MovieLens-100k and its models): Overview after ${opened.toFixed(1)} s ` +
      `(worker memory ${status.match(/the worker's memory (\d+) MB/)?.[1] ?? "?"} MB); Compare rescored after ${((Date.now() - c) / 1000).toFixed(1)} s more`,
  );
  await page.close();
}

// A score file of 1M rows and two models (one of logits), on Compare.
{
  const rows = ["user_id,label,ours,theirs"];
  let x = 11;
  const next = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 1000000; i++) {
    const label = next() < 0.3 ? 1 : 0;
    rows.push(`u${i % 50000},${label},${(0.3 * label + 0.7 * next()).toFixed(4)},${(2 * label - 1 + 3 * (next() - 0.5)).toFixed(4)}`);
  }
  const path = join(work, "scores.csv");
  writeFileSync(path, rows.join("\n") + "\n");
  const page = await browser.newPage();
  await page.goto(`${site.url}/compare?data=synthetic`);
  const t = Date.now();
  await page.locator("#open-scores").setInputFiles([path]);
  const ok = await page.locator("#own-models tr[data-model]").first().waitFor({ timeout: 1200000 }).then(() => true, () => false);
  console.log(`1000000-row score file, 2 models, 1000 bootstrap replicates: ${ok ? `table after ${((Date.now() - t) / 1000).toFixed(1)} s` : "no table within 20 min"}`);
  await page.close();
}

await browser.close();
site.server.close();
