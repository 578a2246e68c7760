// The Compare view: the bundled rankers rescore the test set in a Web Worker, matching the CLI,
// without blocking the page; runs can be cancelled; tables and charts export; the slice and the
// paired test live in the URL. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { assertSeedZero, screenshot, viewTest } from "./helpers.js";

viewTest("compare rescores the test set with the bundled rankers, matching the CLI, and exports", async ({ open, json }) => {
  const page = await open("/compare?data=synthetic", {
    acceptDownloads: true,
    // Long tasks while the models run: the page must never block for more than 200 ms.
    init: () => {
      window.__tasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__tasks.push([e.startTime, e.duration]);
      }).observe({ type: "longtask", buffered: true });
    },
  });
  await page.locator("#compare-table").waitFor({ timeout: 120000 });
  const rows = page.locator("#compare-table tr[data-variant]");
  assert.equal(await rows.count(), 4);
  const want = await json("/files/ranker/synthetic/results.json");
  await assertSeedZero(page, want);
  // The controls beside the variants, as the CLI measured them.
  const controls = Object.keys(want.controls);
  assert.ok(controls.length >= 6, controls.join());
  await page.locator("#compare-controls tr[data-control]").first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#compare-controls tr[data-control]").count(), controls.length);
  const placebo = want.controls.shuffled.gbr_vs_control.gauc.difference;
  assert.match(await page.locator('#compare-controls tr[data-control="shuffled"] .gbr-vs-control').innerText(), new RegExp(`^${placebo >= 0 ? "\\+" : "-"}${Math.abs(placebo).toFixed(4)} `));
  // Tasks after the page first painted (loading and compiling the wasm module come before).
  const tasks = await page.evaluate(() => {
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? 0;
    return window.__tasks.filter(([start]) => start >= fcp).map(([, d]) => Math.round(d));
  });
  assert.ok(Math.max(0, ...tasks) < 200, `main-thread tasks of ${tasks} ms while the models ran`);
  // The scoring ran in the Web Worker, not on the page's thread.
  assert.ok(page.workers().some((w) => /reaseq-worker/.test(w.url())), "no reaseq worker");
  // Cancel stops a run (the worker is terminated) and the next run starts a fresh worker.
  // (One turn of the event loop between the clicks: the worker needs far longer than that.)
  await page.evaluate(async () => {
    document.querySelector("#recompute").click();
    await new Promise((r) => setTimeout(r, 0));
    document.querySelector("#cancel").click();
  });
  await page.locator("pre.error").waitFor({ timeout: 30000 });
  assert.match(await page.locator("pre.error").innerText(), /cancelled/);
  await page.click("#recompute");
  await page.locator("#compare-table").waitFor({ timeout: 120000 });
  assert.equal(await page.locator("#compare-table tr[data-variant]").count(), 4);
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
  const text = await readFile(await csv.path(), "utf8");
  assert.match(text.split("\n")[0], /^variant,auc,auc_lower/);
  assert.equal(text.trim().split("\n").length, 5);
  const [svg] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
  const chart = await readFile(await svg.path(), "utf8");
  assert.match(chart, /^<svg/);
  assert.match(chart, /ReaSeq/);
  assert.match(await page.locator("#roc-chart").innerHTML(), /false positive rate/);
  // Tooltips on hover: every bar carries its figures.
  const tips = await page.locator("#gauc-chart svg title").allTextContents();
  assert.equal(tips.length, 4);
  assert.match(tips[3], /^ReaSeq: 0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]$/);
  assert.match(await page.locator("#slice-chart").innerHTML(), /long-tail/);
  const [png] = await Promise.all([page.waitForEvent("download"), page.click("#export-png")]);
  const bytes = await readFile(await png.path());
  assert.equal(png.suggestedFilename(), "gauc.png");
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(bytes.length > 5000, `a PNG of ${bytes.length} bytes`);
  const [roc] = await Promise.all([page.waitForEvent("download"), page.click("#export-roc")]);
  assert.match(await readFile(await roc.path(), "utf8"), /true positive rate/);
  await screenshot(page, "compare");
});

viewTest("compare's slice and paired test live in the URL, and a shared link reproduces them", async ({ open }) => {
  const path = "/compare?data=synthetic&slice=history_length&a=gbr&b=base";
  const page = await open(path);
  await page.locator("#pair-result").waitFor({ timeout: 120000 });
  assert.equal(await page.locator("#slice-select").inputValue(), "history_length");
  assert.match(await page.locator("#slice-chart").innerHTML(), /attended history length/);
  assert.match(await page.locator("#slice-chart").innerHTML(), /11–20/);
  assert.equal(await page.locator("#pair-result").getAttribute("data-a"), "gbr");
  assert.equal(await page.locator("#pair-result").getAttribute("data-b"), "base");
  const gbrMinusBase = await page.locator('#pair-result tr[data-metric="gauc"] .estimate').innerText();
  // The same difference as the main table's "GAUC − Base" column for +GBR.
  const column = await page.locator('#compare-table tr[data-variant="+GBR"] td').nth(5).innerText();
  assert.equal(column.split(" ")[0], gbrMinusBase);
  // Choosing another slice and pair rewrites the URL…
  await page.selectOption("#slice-select", "genre");
  await page.selectOption("#pair-a", "reaseq");
  await page.waitForFunction(() => location.search.includes("slice=genre") && location.search.includes("a=reaseq"));
  const shared = new URL(page.url());
  // (Leptos may leave an empty comment marker after reactive HTML; it is not part of the chart.)
  const chartOf = async (p) => (await p.locator("#slice-chart").innerHTML()).replace(/<!---->/g, "");
  const genreChart = await chartOf(page);
  const estimate = await page.locator('#pair-result tr[data-metric="auc"] .estimate').innerText();
  // …and that link, opened in a fresh page, shows the same view.
  const again = await open(shared.pathname + shared.search);
  await again.locator("#pair-result").waitFor({ timeout: 120000 });
  assert.equal(await again.locator("#slice-select").inputValue(), "genre");
  assert.equal(await chartOf(again), genreChart);
  assert.equal(await again.locator('#pair-result tr[data-metric="auc"] .estimate').innerText(), estimate);
  const [svg] = await Promise.all([again.waitForEvent("download"), again.click("#export-slice")]);
  assert.equal(svg.suggestedFilename(), "auc_by_genre.svg");
  assert.match(await readFile(await svg.path(), "utf8"), /^<svg/);
  // A bad value falls back to its default with a notice.
  const bad = await open("/compare?data=synthetic&slice=colour&a=best");
  await bad.locator("#pair-result").waitFor({ timeout: 120000 });
  assert.match(await bad.locator("#param-notice").innerText(), /'slice=colour' is not a slice; 'a=best' is not a variant/);
  assert.equal(await bad.locator("#pair-result").getAttribute("data-a"), "reaseq");
});

viewTest("without WebGPU, auto says so and runs the CPU; the full-catalogue ranking equals the CLI's", async ({ open, json }) => {
  const page = await open("/compare?data=synthetic");
  await page.locator("#compare-table").waitFor({ timeout: 120000 });
  assert.equal(await page.locator("#compare-backend").getAttribute("data-backend"), "CPU");
  assert.match(await page.locator("#compare-backend").innerText(), /WebGPU unavailable: .+/);
  // Cancel stops the ranking (its worker is terminated); the next run completes.
  await page.click("#full-run");
  await page.locator("#full-progress").evaluate((p) => new Promise((r) => {
    const t = setInterval(() => { if (p.value > 0) { clearInterval(t); r(); } }, 10);
  }));
  await page.click("#full-cancel");
  await page.locator("#full-card pre.error").waitFor({ timeout: 30000 });
  assert.match(await page.locator("#full-card pre.error").innerText(), /cancelled/);
  await page.click("#full-run");
  await page.locator("#full-table").waitFor({ timeout: 300000 });
  assert.equal(await page.locator("#full-backend").getAttribute("data-backend"), "CPU");
  const cli = await json("/files/ranker/synthetic/full_ranking.json");
  let cells = 0;
  for (const row of cli.variants) {
    for (const f of row.figures) {
      const key = `${f.metric === "Ndcg" ? "ndcg" : f.metric === "HitRate" ? "hitrate" : "recall"}@${f.k}`;
      const cell = page.locator(`#full-table tr[data-variant="${{ Base: "Base", Rep: "+REP", Gbr: "+GBR", ReaSeq: "ReaSeq" }[row.variant]}"] td[data-metric="${key}"]`);
      const shown = Number((await cell.innerText()).split("\n")[0]);
      assert.ok(Math.abs(shown - f.mean) < 6e-5, `${row.variant} ${key}: page ${shown}, CLI ${f.mean}`);
      cells += 1;
    }
  }
  assert.equal(cells, 36);
  // The difference from Base at another cut-off.
  await page.selectOption("#full-k", "20");
  assert.match(await page.locator('#full-vs-base tr[data-variant="ReaSeq"] td[data-metric="recall@20"]').innerText(), /^[+-]\d\.\d{4} \[/);
}, { timeout: 600000 });
