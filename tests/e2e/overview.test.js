// The Overview of the built workbench: statistics computed by reaseq-core in WebAssembly, the
// pipeline's stages with their manifests' figures, the default data, and the world set by the
// URL. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { screenshot, viewTest } from "./helpers.js";

const stat = (page, label) => page.locator(`[data-stat="${label}"]`).innerText();

viewTest("overview renders the synthetic world's statistics", async ({ open, json }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(page, "users"), "300");
  assert.equal(await stat(page, "items"), "200", "the world the committed bundles were trained on");
  const n = Number(await stat(page, "interactions"));
  assert.ok(n > 300 * 20 && n <= 300 * 60, `interactions ${n}`);
  assert.match(await page.locator("#timing").innerText(), /by reaseq-core \(WebAssembly\)/);
  assert.equal(await page.locator("#panic").count(), 0);
  // The pipeline's stages with the figures their manifests carry.
  await page.locator('#pipeline tr[data-stage]').first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#pipeline tr[data-stage]").count(), 4);
  const manifest = await json("/files/reasoner/synthetic/reasoner.json");
  const reasoner = await page.locator('#pipeline tr[data-stage="diffusion reasoner (GBR)"]').innerText();
  assert.match(reasoner, new RegExp(`${Math.round(manifest.metrics.train_seconds)} s`));
  assert.match(reasoner, /parameters/);
  const results = await json("/files/ranker/synthetic/results.json");
  const ranker = await page.locator('#pipeline tr[data-stage^="ranker"]').innerText();
  assert.match(ranker, new RegExp(`${results.impressions.test} test impressions`));
  await screenshot(page, "overview");
});

viewTest("the default data is MovieLens-100k when the build carries it, else the synthetic world", async ({ open, url }) => {
  // Both outcomes are asserted: which one applies depends on whether the build staged the data.
  const deployed = (await fetch(url + "/files/data/ml-100k/ml-100k.inter")).headers.get("content-type") !== "text/html; charset=utf-8";
  const page = await open("/");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 60000 });
  if (deployed) {
    assert.equal(await page.locator("#dataset-label").innerText(), "MovieLens-100k");
    assert.equal(await stat(page, "users"), "943");
    assert.equal(await stat(page, "items"), "1682");
    assert.equal(await stat(page, "interactions"), "100000");
    await screenshot(page, "overview-ml-100k");
  } else {
    assert.match(await page.locator("#data-note").innerText(), /not in this build/);
    assert.equal(await stat(page, "users"), "300");
  }
});

viewTest("the URL query sets the world, so a view can be shared", async ({ open }) => {
  const page = await open("/?users=50&items=120&seed=7");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(page, "users"), "50");
  assert.equal(await stat(page, "items"), "120");
  const first = await stat(page, "interactions");
  const again = await open("/?users=50&items=120&seed=7");
  await again.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(again, "interactions"), first, "same seed, same world");
});
