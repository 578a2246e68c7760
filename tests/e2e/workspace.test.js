// A workspace: the folder the CLI writes (`reaseq data fetch`, `reaseq knowledge build` and
// `reaseq experiment`, on MovieLens-100k), opened through the folder picker. The views then run
// its models on its data: the Reasoner replays its reasoner, Compare rescores its rankers and
// agrees with the CLI's results. scripts/test.sh makes it and names it in REASEQ_E2E_WORKSPACE.
// Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertSeedZero, screenshot, viewTest } from "./helpers.js";

const workspace = process.env.REASEQ_E2E_WORKSPACE;
const stat = (page, label) => page.locator(`[data-stat="${label}"]`).innerText();
const artifact = (path) => JSON.parse(readFileSync(join(workspace, path), "utf8"));

viewTest("a workspace folder opens its data, and Reasoner and Compare run its models as the CLI did", async ({ open }) => {
  assert.ok(workspace, "REASEQ_E2E_WORKSPACE must name the workspace scripts/test.sh makes");
  const protocol = artifact("reasoner/ml-100k/protocol.json");
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  await page.locator("#open-folder").setInputFiles(workspace);
  await page.waitForURL(new RegExp(`data=local&fp=${protocol.fingerprint}`), { timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "943", null, { timeout: 60000 });
  assert.equal(await stat(page, "items"), "1682");
  assert.equal(await stat(page, "interactions"), "100000");
  assert.match(
    await page.locator("#open-status").innerText(),
    /From its workspace \(\d+ files\): the knowledge build \(Knowledge\), the reasoner \(Reasoner\), the experiment \(Compare, Summary\)\./,
  );
  // Knowledge shows the workspace's knowledge build and the reasoner's vocabulary.
  await page.locator('nav a:has-text("Knowledge")').click();
  await page.waitForURL(/\/knowledge\?data=local&fp=/);
  await page.locator("#knowledge-timing").waitFor({ timeout: 120000 });
  assert.match(
    await page.locator("#knowledge-timing").innerText(),
    /^1682 cards: the knowledge build's \(reaseq knowledge build\); neighbours in its fused knowledge vectors .*; semantic IDs: the reasoner's vocabulary/,
  );
  // The Reasoner replays the workspace's reasoner for a user of these data.
  await page.locator('nav a:has-text("Reasoner")').click();
  await page.waitForURL(/\/reasoner\?data=local&fp=/);
  await page.locator("#slots li").first().waitFor({ timeout: 120000 });
  assert.match(await page.locator("#reasoner-summary").innerText(), /forward passes in .* ms \(the CPU path: WebAssembly, in a Web Worker; one user needs no GPU\)/);
  await screenshot(page, "workspace-reasoner");
  // Compare rescores the test set with its rankers: seed 0's figures, as the CLI measured them.
  await page.locator('nav a:has-text("Compare")').click();
  await page.waitForURL(/\/compare\?data=local&fp=/);
  await page.locator("#compare-table").waitFor({ timeout: 180000 });
  const results = artifact("ranker/ml-100k/results.json");
  await assertSeedZero(page, results);
  await screenshot(page, "workspace-compare");
  // A cancelled run ends its worker; the next one is given the opened data again.
  await page.evaluate(async () => {
    document.querySelector("#recompute").click();
    await new Promise((r) => setTimeout(r, 0));
    document.querySelector("#cancel").click();
  });
  await page.locator("pre.error").waitFor({ timeout: 30000 });
  await page.click("#recompute");
  await page.locator("#compare-table").waitFor({ timeout: 180000 });
  assert.equal(await page.locator("#compare-table tr[data-variant]").count(), 4);
});

viewTest("opened data without a workspace: Compare and Reasoner name the commands that make their models", async ({ open }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  const inter = "user_id,item_id,timestamp\n" + Array.from({ length: 40 }, (_, k) => `u${k % 5},i${k % 8},${k}`).join("\n") + "\n";
  await page.locator("#open-data").setInputFiles([{ name: "interactions.csv", mimeType: "text/csv", buffer: Buffer.from(inter) }]);
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "5", null, { timeout: 60000 });
  for (const [view, file, command] of [["Compare", "results.json", "reaseq experiment"], ["Reasoner", "reasoner.json", "reaseq reasoner train"]]) {
    await page.locator(`nav a:has-text("${view}")`).click();
    const error = page.locator("pre.error").first();
    await error.waitFor({ timeout: 60000 });
    const text = await error.innerText();
    assert.match(text, new RegExp(`${file.replace(".", "\\.")} is not among the opened files`), text);
    assert.match(text, /reaseq knowledge build --data DIR/, text);
    assert.ok(text.includes(command), text);
  }
});
