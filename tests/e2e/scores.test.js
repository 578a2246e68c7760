// The researcher's own models on Compare: a score file with two model columns (one of logits),
// opened through "Open scores", shows each model's AUC and GAUC as `reaseq metrics` prints them
// for the same file, with their paired test; with the dataset of its ids open, their AUC by slice
// as `reaseq metrics --data DIR` prints it; and the exports. Every test also fails on a console
// error.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { screenshot, viewTest } from "./helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const reaseq = (...args) =>
  execFileSync("cargo", ["run", "-q", "-p", "reaseq-core", "--features", "cli", "--bin", "reaseq", "--", ...args], { cwd: root, encoding: "utf8" });

/** 200 users × 10 impressions; `ours` a probability that knows the label a little, `theirs` a logit. */
function scoreFile() {
  const rows = ["user_id,item_id,label,ours,theirs"];
  let x = 7;
  const next = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (let u = 0; u < 200; u++) {
    for (let k = 0; k < 10; k++) {
      const label = next() < 0.3 ? 1 : 0;
      const ours = Math.min(1, Math.max(0, 0.35 * label + 0.65 * next())).toFixed(4);
      const theirs = (2 * label - 1 + 3 * (next() - 0.5)).toFixed(4);
      rows.push(`u${u},i${(u + k) % 50},${label},${ours},${theirs}`);
    }
  }
  return rows.join("\n") + "\n";
}

viewTest("your own models' score file gives the CLI's AUC and GAUC and their paired test", async ({ open }) => {
  const text = scoreFile();
  const path = join(mkdtempSync(join(tmpdir(), "scores-")), "models.csv");
  writeFileSync(path, text);
  const cli = JSON.parse(reaseq("metrics", "--scores", path, "--json"));
  const page = await open("/compare?data=synthetic");
  await page.locator("#open-scores").setInputFiles([{ name: "models.csv", mimeType: "text/csv", buffer: Buffer.from(text) }]);
  await page.locator("#own-models tr[data-model]").first().waitFor({ timeout: 60000 });
  for (const m of cli.models) {
    const row = page.locator(`#own-models tr[data-model="${m.model}"]`);
    assert.equal(await row.locator(".auc").innerText(), m.auc.toFixed(6), `${m.model} AUC`);
    assert.equal(await row.locator(".gauc").innerText(), m.gauc.toFixed(6), `${m.model} GAUC`);
  }
  assert.match(await page.locator('#own-models tr[data-model="theirs"]').innerText(), /n\/a \(not probabilities\)/);
  const d = cli.pairs[0].difference;
  assert.equal(await page.locator("#own-pairs .diff").first().innerText(), (d >= 0 ? "+" : "") + d.toFixed(6));
  // Each model's ROC curve, drawn by the CLI reports' chart function.
  const roc = await page.locator("#own-roc").innerHTML();
  assert.match(roc.slice(0, 300), /<svg/, roc.slice(0, 300));
  await screenshot(page, "own-scores");
});

/** The dataset of the score file's ids: 200 users with 5 to 24 events, skewed to the first items. */
function dataset(dir) {
  const genres = ["Drama", "Comedy", "Horror"];
  const items = ["item_id,title,genres", ...Array.from({ length: 50 }, (_, i) => `i${i},Film ${i},${genres[i % 3]}`)];
  const inter = ["user_id,item_id,timestamp"];
  for (let u = 0; u < 200; u++) {
    for (let k = 0; k < 5 + (u % 20); k++) inter.push(`u${u},i${(k * k + u) % (k < 3 ? 5 : 45)},${k}`);
  }
  writeFileSync(join(dir, "items.csv"), items.join("\n") + "\n");
  writeFileSync(join(dir, "interactions.csv"), inter.join("\n") + "\n");
}

viewTest("your models by slice of the open dataset, as `reaseq metrics --data` prints them, and every export", async ({ open }) => {
  const dir = mkdtempSync(join(tmpdir(), "sliced-"));
  dataset(dir);
  const path = join(dir, "models.csv");
  writeFileSync(path, scoreFile());
  const cli = JSON.parse(reaseq("metrics", "--scores", path, "--data", dir, "--json"));
  const page = await open("/?data=synthetic", { acceptDownloads: true });
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  await page.locator("#open-data").setInputFiles([join(dir, "interactions.csv"), join(dir, "items.csv")]);
  await page.waitForURL(/data=local&fp=/, { timeout: 60000 });
  await page.locator('nav a:has-text("Compare")').click();
  await page.waitForURL(/\/compare\?data=local&fp=/);
  await page.locator("#open-scores").setInputFiles(path);
  await page.locator("#own-slices tr[data-slice]").first().waitFor({ timeout: 60000 });
  assert.match(await page.locator("#own-slices-note").innerText(), new RegExp(`^${cli.slices.matched} of ${cli.slices.rows} rows`));
  const rows = page.locator("#own-slices tr[data-slice]");
  assert.equal(await rows.count(), cli.slices.slices.length);
  const key = { Popularity: "popularity", HistoryLength: "history_length", Genre: "genre" };
  for (const s of cli.slices.slices) {
    const cells = await page.locator(`#own-slices tr[data-slice="${key[s.kind]}=${s.name}"] td`).allInnerTexts();
    assert.deepEqual(cells.slice(1), [String(s.rows), String(s.positives), ...s.auc.map((a) => (a === null ? "n/a" : a.toFixed(4)))], `${s.kind} ${s.name}`);
  }
  assert.equal(await page.locator("#own-scores .chart[data-kind]").count(), 3);
  await screenshot(page, "own-scores-slices");
  // The exports: the models' and the slices' tables as CSV, the charts as SVG.
  const saved = async (button) => {
    const [d] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return readFileSync(await d.path(), "utf8");
  };
  const models = await saved("#own-csv");
  assert.match(models, /^model,rows,auc,auc_lower,auc_upper,gauc,gauc_lower,gauc_upper,logloss\nours,2000,/);
  assert.equal(models.trim().split("\n").length, 3);
  const slices = await saved("#own-slices-csv");
  assert.equal(slices.trim().split("\n").length, 1 + 2 * cli.slices.slices.length);
  assert.match(await saved("#own-roc-svg"), /^<svg/);
  assert.match(await saved(".own-slice-svg >> nth=2"), /^<svg[\s\S]*Horror/);
  // Ids that are not the open dataset's: the figures, and why there are no slices.
  const other = join(dir, "other.csv");
  writeFileSync(other, "user_id,label,item_id,a,b\nx1,1,y1,0.9,0.1\nx1,0,y2,0.2,0.5\n");
  await page.locator("#open-scores").setInputFiles(other);
  await page.locator("#own-no-slices").waitFor({ timeout: 60000 });
  assert.match(await page.locator("#own-no-slices").innerText(), /No slices: no row's user and item are in your CSV files/);
});
