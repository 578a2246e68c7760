// The researcher's own models on Compare: a score file with two model columns (one of logits),
// opened through "Open scores", shows each model's AUC and GAUC as `reaseq metrics` prints them
// for the same file, with their paired test. Every test also fails on a console error.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { screenshot, viewTest } from "./helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

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
  const cli = JSON.parse(execFileSync("cargo", ["run", "-q", "-p", "reaseq-core", "--features", "cli", "--bin", "reaseq", "--", "metrics", "--scores", path, "--json"], { cwd: root, encoding: "utf8" }));
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
