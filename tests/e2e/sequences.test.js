// The sequences view: a user's timeline with off-log behaviour, and the rankers' attention over
// the history for a test target. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { screenshot, viewTest, waitUntil } from "./helpers.js";

viewTest("sequences show a user's timeline with off-log behaviour", async ({ open }) => {
  const page = await open("/sequences?data=synthetic&user=u5");
  await page.locator("#timeline li").first().waitFor({ timeout: 30000 });
  const events = await page.locator("#timeline li").count();
  assert.ok(events >= 20, `${events} events`);
  assert.ok((await page.locator("#timeline .part-offlog").count()) > 0);
  assert.ok((await page.locator("#timeline .part-test").count()) > 0);
  await page.locator("#user-list li", { hasText: "u7" }).first().click();
  await page.waitForURL(/user=u7/);
  assert.match(await page.locator("h2", { hasText: "Timeline" }).innerText(), /u7/);
  await screenshot(page, "sequences");
});

// The history cells of Base's strip; each cell's title ends in ": weight 0.123".
const BASE_CELLS = '#attention-strips tr[data-variant="Base"] .strip:not(.gbr) .heat';
const weightsOf = (cells) => cells.map((c) => c.getAttribute("title")?.replace(/^.*: weight /, ""));

viewTest("sequences show the rankers' attention over a user's history for a test target", async ({ open }) => {
  const page = await open("/sequences?data=synthetic&users=300&items=200&seed=0&user=u5");
  await page.locator("#attention-strips tr").first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#attention-strips tr").count(), 4);
  const base = page.locator('#attention-strips tr[data-variant="Base"]');
  const reaseq = page.locator('#attention-strips tr[data-variant="ReaSeq"]');
  assert.equal(await base.locator(".strip").count(), 1);
  assert.equal(await reaseq.locator(".strip").count(), 2, "a second strip over the inferred items");
  assert.ok((await base.locator(".heat").count()) > 0);
  // Another target is another set of weights, and it lives in the URL. This is the bundles'
  // world, pinned, and the split puts the last 10 % (at least one) of each user's events in the
  // test part: with the 20 or more events a user has here, u5 has at least two targets.
  const select = page.locator("#target-select");
  const values = await select.locator("option").evaluateAll((os) => os.map((o) => o.value));
  assert.ok(values.length >= 2, `u5 has ${values.length} test target(s) [${values}]: switching targets needs two`);
  const current = await select.inputValue();
  const value = values.find((v) => v !== current);
  assert.ok(value, `every test target of u5 is ${current}: switching targets needs another item`);
  const before = await page.locator(BASE_CELLS).evaluateAll(weightsOf);
  assert.ok(before.length > 0, "Base has no attention weights before the switch");
  await select.selectOption(value);
  await page.waitForURL(new RegExp(`target=${value}`));
  // Wait up to 10 s for the strips to be redrawn with other weights, then say what was seen.
  // (The page function repeats weightsOf: it runs in the browser, which cannot call Node's.)
  const changed = await waitUntil(page, ({ cells, old }) => {
    const now = [...document.querySelectorAll(cells)].map((c) => c.getAttribute("title")?.replace(/^.*: weight /, ""));
    return now.length > 0 && now.join(" ") !== old;
  }, { cells: BASE_CELLS, old: before.join(" ") }, 10000);
  const after = await page.locator(BASE_CELLS).evaluateAll(weightsOf);
  assert.ok(changed, `target ${value} instead of ${current}: Base's attention weights over the history did not change within 10 s (before [${before.join(", ")}], now [${after.join(", ")}])`);
  assert.ok(after.length > 0, `target ${value}: Base has no attention weights after the switch`);
  assert.notDeepEqual(after, before, `target ${value} instead of ${current}: Base's attention weights are the same`);
  assert.equal(await select.inputValue(), value, "the select shows the chosen target");
  await screenshot(page, "sequences-attention");
  // On another world the view says which world the bundles belong to.
  const other = await open("/sequences?data=synthetic&users=300&items=400&seed=42&user=u5");
  await other.locator("#attention-note").waitFor({ timeout: 60000 });
  assert.match(await other.locator("#attention-note").innerText(), /users=300&items=200&seed=0/);
});
