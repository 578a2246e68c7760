// The printable summary: where each variant wins, ties or loses against Base, as the CLI
// measured, and what printing drops. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { screenshot, viewTest } from "./helpers.js";

viewTest("the printable summary says where each variant wins, ties or loses, as the CLI measured", async ({ open, json }) => {
  const page = await open("/summary?data=synthetic");
  await page.locator("#summary-table tr[data-variant]").first().waitFor({ timeout: 60000 });
  const r = await json("/files/ranker/synthetic/results.json");
  for (const v of ["+REP", "+GBR", "ReaSeq"]) {
    const [lo, hi] = r.variants[v].vs_base.gauc.ci;
    const want = lo > 0 ? "wins" : hi < 0 ? "loses" : "ties";
    assert.equal(await page.locator(`#summary-table tr[data-variant="${v}"] .verdict`).innerText(), want, v);
    assert.equal(await page.locator(`#summary-table tr[data-variant="${v}"] .seeds-ahead`).innerText(), `${r.variants[v].vs_base.gauc.seeds_ahead} of ${r.seeds}`, v);
  }
  assert.match(await page.locator("#summary-sparse").innerText(), new RegExp(`\\(${r.reaseq_vs_base_cold_long_tail.impressions} impressions\\)`));
  // The REP vectors' source, as results.json records it: the knowledge build's text and graph.
  assert.equal(r.rep.text_encoder, "all-MiniLM-L6-v2");
  assert.ok(r.rep.graph && r.rep.dims === 48, JSON.stringify(r.rep));
  assert.match(await page.locator("#summary-rep").innerText(), new RegExp(`PCA ${r.rep.dims} of all-MiniLM-L6-v2 card text \\(catalog, graph agents\\) fused with the graph embedding \\(${r.rep.knowledge_dims} dims\\)`));
  // The declared comparisons with their Holm-corrected verdicts, the primary first, and every
  // control beside +GBR, as results.json has them.
  const primary = r.verdicts.find((v) => v.primary);
  const first = page.locator("#summary-verdicts tr[data-comparison]").first();
  assert.equal(await first.getAttribute("data-comparison"), primary.comparison);
  assert.equal(await first.locator(".verdict").innerText(), primary.outcome);
  assert.equal(await first.locator(".holm").innerText(), primary.p_holm.toFixed(3));
  assert.equal(await page.locator("#summary-verdicts tr[data-comparison]").count(), r.verdicts.length);
  const controls = Object.keys(r.controls);
  assert.ok(controls.includes("shuffled") && controls.includes("user-embedding"), controls.join());
  assert.equal(await page.locator("#summary-controls tr[data-control]").count(), controls.length);
  const placebo = r.controls.shuffled.gbr_vs_control.gauc.difference;
  assert.match(await page.locator('#summary-controls tr[data-control="shuffled"] .gbr-vs-control').innerText(), new RegExp(`^${placebo >= 0 ? "\\+" : "-"}${Math.abs(placebo).toFixed(4)} `));
  // The robustness panel: the same comparisons across the untouched worlds of `reaseq study`.
  const study = await json("/files/study/synthetic/study.json");
  await page.locator("#summary-worlds tr[data-comparison]").first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#summary-worlds tr[data-comparison]").count(), study.verdicts.length);
  const across = study.verdicts.find((v) => v.primary);
  const row = page.locator("#summary-worlds tr[data-comparison]").first();
  assert.equal(await row.getAttribute("data-comparison"), across.comparison);
  assert.equal(await row.locator(".sides").innerText(), `${across.positive} / ${across.negative}`);
  assert.equal(await row.locator(".wins").innerText(), `${across.wins} of ${study.worlds.length}`);
  assert.match(await page.locator("#summary-study").innerText(), new RegExp(`on ${study.worlds.length} fresh synthetic worlds \\(seeds ${study.world_seeds.join(", ")}\\)`));
  // The same comparisons pooled over protocol draws (`reaseq experiment --draws`), as draws.json
  // has them: each draw's difference, the pooled interval, Holm, each draw's own verdicts.
  const draws = await json("/files/study/synthetic/draws.json");
  await page.locator("#summary-draws tr[data-comparison]").first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#summary-draws tr[data-comparison]").count(), draws.verdicts.length);
  const pooled = draws.verdicts.find((v) => v.primary);
  const drow = page.locator("#summary-draws tr[data-comparison]").first();
  assert.equal(await drow.getAttribute("data-comparison"), pooled.comparison);
  assert.equal(await drow.locator(".per-draw").innerText(), pooled.per_draw.map((d) => `${d >= 0 ? "+" : "-"}${Math.abs(d).toFixed(4)}`).join(" "));
  assert.match(await drow.locator(".pooled").innerText(), new RegExp(`^${pooled.pooled.estimate >= 0 ? "\\+" : "-"}${Math.abs(pooled.pooled.estimate).toFixed(4)} \\[`));
  assert.equal(await drow.locator(".holm").innerText(), pooled.p_holm.toFixed(3));
  assert.equal(await drow.locator(".draws-won").innerText(), `${pooled.wins} / ${pooled.losses}`);
  assert.equal(await drow.locator(".verdict").innerText(), pooled.outcome);
  assert.match(await page.locator("#summary-draws-text").innerText(), new RegExp(`on ${draws.draws.length} protocol draws`));
  await page.locator("#pipeline tr[data-stage]").first().waitFor({ timeout: 30000 });
  // Printed, the page drops navigation and buttons.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false);
  assert.equal(await page.locator("#print").isVisible(), false);
  assert.equal(await page.locator("#summary-table").isVisible(), true);
  await screenshot(page, "summary-print");
});
