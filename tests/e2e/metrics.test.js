// The metrics calculator: the exact metrics of pasted scores, and bad rows reported by line.
// Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { screenshot, viewTest } from "./helpers.js";

viewTest("metrics calculator runs the exact metrics and reports bad rows by line", async ({ open }) => {
  const page = await open("/metrics");
  await page.locator('[data-metric="auc"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('[data-metric="auc"]').innerText(), "0.708333");
  assert.equal(await page.locator('[data-metric="gauc"]').innerText(), "0.625000");
  await page.locator("#scores-input").fill("user_id,label,score\na,0,0.5\na,1,0.9\na,1,0.5\n");
  await page.waitForFunction(() => document.querySelector('[data-metric="auc"]')?.textContent === "0.750000");
  await page.locator("#scores-input").fill("user_id,label,score\na,0,0.5\na,1,1.7\n");
  const msg = await page.locator("#metrics-result .error").innerText();
  assert.match(msg, /pasted scores:3: score: score 1.7 is outside \[0, 1\]/);
  await screenshot(page, "metrics");
});
