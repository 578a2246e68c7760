// The reasoner view: a run for a user, its ranked decoder, and the replay of its denoising step
// by step, reproduced from the URL. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { screenshot, viewTest } from "./helpers.js";

viewTest("reasoner runs for a user and replays its denoising step by step", async ({ open }) => {
  const page = await open("/reasoner?data=synthetic&user=u5&slots=8&steps=8");
  await page.locator("#slots li").first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#slots li").count(), 8);
  assert.match(await page.locator("#reasoner-summary").innerText(), /forward passes in .* ms \(the CPU path: WebAssembly, in a Web Worker; one user needs no GPU\)/);
  // The ranked decoder's top 8 beside the replay, each an item the user never logged.
  assert.equal(await page.locator("#ranked li").count(), 8);
  const history = await page.locator("#reasoner-history li").allInnerTexts();
  const ranked = await page.locator("#ranked li").allInnerTexts();
  for (const t of ranked) {
    assert.ok(!history.includes(t.replace(/ \(model p = .*$/, "")), `${t} was logged`);
  }
  // The model's own probabilities (the prior taken out): a sub-distribution over the
  // admissible items, not the prior-weighted scores, which round to zero.
  const modelP = ranked.map((t) => Number(t.match(/model p = ([0-9.]+)/)[1]));
  assert.ok(modelP.every((p) => p > 0 && p <= 1), `model p ${modelP}`);
  assert.ok(modelP.reduce((a, b) => a + b, 0) <= 1.0001, `model p ${modelP}`);
  assert.ok(Math.max(...modelP) >= 0.001, `model p ${modelP}`);
  // At the last step every slot holds an item; at step 0 none does.
  // (A slot whose every admissible item was taken by others stays empty.)
  const inferred = Number((await page.locator("#reasoner-summary").innerText()).match(/of (\d+) inferred items/)[1]);
  assert.ok(inferred >= 6, `${inferred} inferred items`);
  assert.equal(await page.locator("#slots li.complete").count(), inferred);
  // Every inferred item carries its semantic consistency with the history, a cosine.
  const agree = (await page.locator("#slots .consistency").allInnerTexts()).map((t) => Number(t.split(" ")[1]));
  assert.equal(agree.length, inferred);
  assert.ok(agree.every((c) => c >= -1 && c <= 1), `consistency ${agree}`);
  const steps = Number((await page.locator("#step-label").innerText()).split(" / ")[1]);
  assert.ok(steps >= 8, `${steps} steps`);
  assert.equal(await page.locator("#step-label").innerText(), `${steps} / ${steps}`);
  await page.locator("#step-slider").fill("0");
  assert.equal(await page.locator("#slots li.complete").count(), 0);
  await page.locator("#step-slider").fill("4");
  const half = await page.locator("#slots .token:not(.masked)").count();
  const all = await page.locator("#slots .token").count();
  assert.ok(half > 0 && half < all, `${half} of ${all} tokens committed at step 4`);
  await page.click("#play");
  await page.waitForFunction((n) => document.querySelector("#step-label")?.textContent === `${n} / ${n}`, steps, { timeout: 30000 });
  await screenshot(page, "reasoner");
  // The same URL in a fresh page gives the same inferred items.
  const titles = await page.locator("#slots .slot-title").allInnerTexts();
  const again = await open("/reasoner?data=synthetic&user=u5&slots=8&steps=8");
  await again.locator("#slots li.complete").first().waitFor({ timeout: 60000 });
  assert.deepEqual(await again.locator("#slots .slot-title").allInnerTexts(), titles);
  // A bad parameter falls back to its default with a notice.
  const bad = await open("/reasoner?data=synthetic&user=u5&steps=lots");
  await bad.locator("#param-notice").waitFor({ timeout: 60000 });
  assert.match(await bad.locator("#param-notice").innerText(), /'steps=lots' is not valid/);
  await bad.locator("#slots li").first().waitFor({ timeout: 60000 });
  assert.equal(await bad.locator("#slots li").count(), 10);
});

viewTest("the population panel shows what reaseq reasoner eval measured", async ({ open, json }) => {
  const page = await open("/reasoner?data=synthetic&user=u5");
  const want = await json("/files/reasoner/synthetic/evaluation.json");
  await page.locator("#population-methods tr[data-method]").first().waitFor({ timeout: 60000 });
  // One row per decoder and per baseline, the reasoner's recall as the CLI printed it.
  const methods = Object.keys(want.decoders).length + Object.keys(want.baselines).length;
  assert.equal(await page.locator("#population-methods tr[data-method]").count(), methods);
  const [decoder, scores] = Object.entries(want.decoders)[0];
  assert.equal(await page.locator(`#population-methods tr[data-method="reasoner, ${decoder}"] .recall`).innerText(), scores.recall.toFixed(4));
  // Inferred, logged and off-log behaviour side by side, with the genre chart.
  assert.equal(await page.locator("#population-mix tr[data-population]").count(), 3);
  for (const [name, key] of [["inferred", "inferred"], ["logged", "logged"], ["off-log", "off_log"]]) {
    const row = page.locator(`#population-mix tr[data-population="${name}"]`);
    assert.equal(await row.locator(".coverage").innerText(), want.population[key].coverage.toFixed(3));
    assert.equal(await row.locator(".novelty").innerText(), want.population[key].novelty.toFixed(2));
  }
  assert.ok(await page.locator("#population-genres svg").count() >= 1);
  await page.locator("#population").scrollIntoViewIfNeeded();
  await screenshot(page, "reasoner-population");
});
