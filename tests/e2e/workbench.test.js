// The built workbench (dist/) in headless Chromium: it renders statistics computed by
// reaseq-core in WebAssembly, keeps its state in the URL, and logs no console error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");
const shots = join(here, "screenshots");
let browser, site, errors;

before(async () => {
  site = await serve(dist);
  await mkdir(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // Playwright gives every launch a fresh profile; the flags keep Chromium off the network.
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  site?.server.close();
});

async function open(path) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + path);
  return page;
}

const stat = (page, label) => page.locator(`[data-stat="${label}"]`).innerText();

test("overview renders the synthetic world's statistics", async () => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(page, "users"), "300");
  assert.equal(await stat(page, "items"), "400");
  const n = Number(await stat(page, "interactions"));
  assert.ok(n > 300 * 20 && n <= 300 * 60, `interactions ${n}`);
  assert.match(await page.locator("#timing").innerText(), /by reaseq-core \(WebAssembly\)/);
  assert.equal(await page.locator("#panic").count(), 0);
  // The pipeline's stages with the figures their manifests carry.
  await page.locator('#pipeline tr[data-stage]').first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#pipeline tr[data-stage]").count(), 4);
  const manifest = JSON.parse(await (await fetch(site.url + "/reasoner/synthetic/reasoner.json")).text());
  const reasoner = await page.locator('#pipeline tr[data-stage="diffusion reasoner (GBR)"]').innerText();
  assert.match(reasoner, new RegExp(`${Math.round(manifest.metrics.train_seconds)} s`));
  assert.match(reasoner, /parameters/);
  const results = JSON.parse(await (await fetch(site.url + "/ranker/synthetic/results.json")).text());
  const ranker = await page.locator('#pipeline tr[data-stage^="ranker"]').innerText();
  assert.match(ranker, new RegExp(`${results.impressions.test} test impressions`));
  await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("the default data is MovieLens-100k when the build carries it, else the synthetic world", async () => {
  const deployed = (await fetch(site.url + "/data/ml-100k/ml-100k.inter")).headers.get("content-type") !== "text/html; charset=utf-8";
  const page = await open("/");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 60000 });
  if (deployed) {
    assert.equal(await page.locator("#dataset-label").innerText(), "MovieLens-100k");
    assert.equal(await stat(page, "users"), "943");
    assert.equal(await stat(page, "items"), "1682");
    assert.equal(await stat(page, "interactions"), "100000");
    await page.screenshot({ path: join(shots, "overview-ml-100k.png"), fullPage: true });
  } else {
    assert.match(await page.locator("#data-note").innerText(), /not in this build/);
    assert.equal(await stat(page, "users"), "300");
  }
  assert.deepEqual(errors, []);
});

test("the URL query sets the world, so a view can be shared", async () => {
  const page = await open("/?users=50&items=120&seed=7");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(page, "users"), "50");
  assert.equal(await stat(page, "items"), "120");
  const first = await stat(page, "interactions");
  const again = await open("/?users=50&items=120&seed=7");
  await again.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  assert.equal(await stat(again, "interactions"), first, "same seed, same world");
  assert.deepEqual(errors, []);
});

test("sequences show a user's timeline with off-log behaviour", async () => {
  const page = await open("/sequences?data=synthetic&user=u5");
  await page.locator("#timeline li").first().waitFor({ timeout: 30000 });
  const events = await page.locator("#timeline li").count();
  assert.ok(events >= 20, `${events} events`);
  assert.ok((await page.locator("#timeline .part-offlog").count()) > 0);
  assert.ok((await page.locator("#timeline .part-test").count()) > 0);
  await page.locator("#user-list li", { hasText: "u7" }).first().click();
  await page.waitForURL(/user=u7/);
  assert.match(await page.locator("h2", { hasText: "Timeline" }).innerText(), /u7/);
  await page.screenshot({ path: join(shots, "sequences.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("metrics calculator runs the exact metrics and reports bad rows by line", async () => {
  const page = await open("/metrics");
  await page.locator('[data-metric="auc"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('[data-metric="auc"]').innerText(), "0.708333");
  assert.equal(await page.locator('[data-metric="gauc"]').innerText(), "0.625000");
  await page.locator("#scores-input").fill("user_id,label,score\na,0,0.5\na,1,0.9\na,1,0.5\n");
  await page.waitForFunction(() => document.querySelector('[data-metric="auc"]')?.textContent === "0.750000");
  await page.locator("#scores-input").fill("user_id,label,score\na,0,0.5\na,1,1.7\n");
  const msg = await page.locator("#metrics-result .error").innerText();
  assert.match(msg, /pasted scores:3: score: score 1.7 is outside \[0, 1\]/);
  await page.screenshot({ path: join(shots, "metrics.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("knowledge view shows an item's card, semantic ID and neighbours", async () => {
  const page = await open("/knowledge?data=synthetic&item=i3");
  await page.locator("#card-text").waitFor({ timeout: 60000 });
  assert.match(await page.locator("#card-text").innerText(), /genres: /);
  assert.match(await page.locator("#semantic-id").innerText(), /^\d+-\d+-\d+-\d+$/);
  assert.equal(await page.locator("#neighbours li").count(), 10);
  await page.locator("#neighbours li").first().click();
  await page.waitForURL((u) => !u.toString().includes("item=i3"));
  await page.locator("#item-search").fill("of the");
  assert.ok((await page.locator("#item-list li").count()) > 0);
  await page.screenshot({ path: join(shots, "knowledge.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("compare rescores the test set with the bundled rankers, matching the CLI, and exports", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  // Long tasks while the models run: the page must never block for more than 200 ms.
  await page.addInitScript(() => {
    window.__tasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__tasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  });
  await page.goto(site.url + "/compare?data=synthetic");
  await page.locator("#compare-table").waitFor({ timeout: 120000 });
  const rows = page.locator("#compare-table tr[data-variant]");
  assert.equal(await rows.count(), 4);
  const want = JSON.parse(await (await fetch(site.url + "/ranker/synthetic/results.json")).text());
  for (const v of ["Base", "+REP", "+GBR", "ReaSeq"]) {
    const row = page.locator(`#compare-table tr[data-variant="${v}"]`);
    const auc = Number((await row.locator('[data-metric="auc"]').innerText()).split(" ")[0]);
    const gauc = Number((await row.locator('[data-metric="gauc"]').innerText()).split(" ")[0]);
    const cli = want.variants[v].per_seed[0];
    assert.ok(Math.abs(auc - cli.auc) < 6e-5, `${v} AUC ${auc} vs CLI ${cli.auc}`);
    assert.ok(Math.abs(gauc - cli.gauc) < 6e-5, `${v} GAUC ${gauc} vs CLI ${cli.gauc}`);
  }
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
  const text = await (await import("node:fs/promises")).readFile(await csv.path(), "utf8");
  assert.match(text.split("\n")[0], /^variant,auc,auc_lower/);
  assert.equal(text.trim().split("\n").length, 5);
  const [svg] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
  const chart = await (await import("node:fs/promises")).readFile(await svg.path(), "utf8");
  assert.match(chart, /^<svg/);
  assert.match(chart, /ReaSeq/);
  assert.match(await page.locator("#roc-chart").innerHTML(), /false positive rate/);
  // Tooltips on hover: every bar carries its figures.
  const tips = await page.locator("#gauc-chart svg title").allTextContents();
  assert.equal(tips.length, 4);
  assert.match(tips[3], /^ReaSeq: 0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]$/);
  assert.match(await page.locator("#slice-chart").innerHTML(), /long-tail/);
  const [png] = await Promise.all([page.waitForEvent("download"), page.click("#export-png")]);
  const bytes = await (await import("node:fs/promises")).readFile(await png.path());
  assert.equal(png.suggestedFilename(), "gauc.png");
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(bytes.length > 5000, `a PNG of ${bytes.length} bytes`);
  const [roc] = await Promise.all([page.waitForEvent("download"), page.click("#export-roc")]);
  assert.match(await (await import("node:fs/promises")).readFile(await roc.path(), "utf8"), /true positive rate/);
  await page.screenshot({ path: join(shots, "compare.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("compare's slice and paired test live in the URL, and a shared link reproduces them", async () => {
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
  assert.match(await (await import("node:fs/promises")).readFile(await svg.path(), "utf8"), /^<svg/);
  assert.deepEqual(errors, []);
  // A bad value falls back to its default with a notice.
  const bad = await open("/compare?data=synthetic&slice=colour&a=best");
  await bad.locator("#pair-result").waitFor({ timeout: 120000 });
  assert.match(await bad.locator("#param-notice").innerText(), /'slice=colour' is not a slice; 'a=best' is not a variant/);
  assert.equal(await bad.locator("#pair-result").getAttribute("data-a"), "reaseq");
});

test("the printable summary says where each variant wins, ties or loses, as the CLI measured", async () => {
  const page = await open("/summary?data=synthetic");
  await page.locator("#summary-table tr[data-variant]").first().waitFor({ timeout: 60000 });
  const r = JSON.parse(await (await fetch(site.url + "/ranker/synthetic/results.json")).text());
  for (const v of ["+REP", "+GBR", "ReaSeq"]) {
    const [lo, hi] = r.variants[v].vs_base.gauc.ci;
    const want = lo > 0 ? "wins" : hi < 0 ? "loses" : "ties";
    assert.equal(await page.locator(`#summary-table tr[data-variant="${v}"] .verdict`).innerText(), want, v);
    assert.equal(await page.locator(`#summary-table tr[data-variant="${v}"] .seeds-ahead`).innerText(), `${r.variants[v].vs_base.gauc.seeds_ahead} of ${r.seeds}`, v);
  }
  assert.match(await page.locator("#summary-sparse").innerText(), new RegExp(`\\(${r.reaseq_vs_base_cold_long_tail.impressions} impressions\\)`));
  await page.locator("#pipeline tr[data-stage]").first().waitFor({ timeout: 30000 });
  // Printed, the page drops navigation and buttons.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false);
  assert.equal(await page.locator("#print").isVisible(), false);
  assert.equal(await page.locator("#summary-table").isVisible(), true);
  await page.screenshot({ path: join(shots, "summary-print.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("reasoner runs for a user and replays its denoising step by step", async () => {
  const page = await open("/reasoner?data=synthetic&user=u5&slots=8&steps=8");
  await page.locator("#slots li").first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#slots li").count(), 8);
  assert.match(await page.locator("#reasoner-summary").innerText(), /forward passes in .* ms \(WebAssembly, in a Web Worker\)/);
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
  await page.screenshot({ path: join(shots, "reasoner.png"), fullPage: true });
  // The same URL in a fresh page gives the same inferred items.
  const titles = await page.locator("#slots .slot-title").allInnerTexts();
  const again = await open("/reasoner?data=synthetic&user=u5&slots=8&steps=8");
  await again.locator("#slots li.complete").first().waitFor({ timeout: 60000 });
  assert.deepEqual(await again.locator("#slots .slot-title").allInnerTexts(), titles);
  assert.deepEqual(errors, []);
  // A bad parameter falls back to its default with a notice.
  const bad = await open("/reasoner?data=synthetic&user=u5&steps=lots");
  await bad.locator("#param-notice").waitFor({ timeout: 60000 });
  assert.match(await bad.locator("#param-notice").innerText(), /'steps=lots' is not valid/);
  await bad.locator("#slots li").first().waitFor({ timeout: 60000 });
  assert.equal(await bad.locator("#slots li").count(), 10);
});

test("knowledge's cold-start box embeds a new item, places it and scores it per variant, from the URL", async () => {
  const page = await open("/knowledge?data=synthetic&item=i3");
  await page.locator("#cold-empty").waitFor({ timeout: 60000 });
  await page.fill("#new-title", "Curse of the Midnight Crypt");
  await page.fill("#new-text", "a house haunted by the dead");
  await page.locator('#new-genres input[value="Horror"]').check();
  await page.fill("#new-user", "u5");
  await page.click("#new-run");
  await page.locator("#cold-scores").waitFor({ timeout: 60000 });
  // The student puts a horror text among horror items (their titles carry the genre's words).
  const near = await page.locator("#cold-neighbours li").allInnerTexts();
  assert.equal(near.length, 8);
  const horror = near.filter((t) => /Crypt|Shadow|Curse|Phantom|Coffin|Howl/.test(t)).length;
  assert.ok(horror >= 5, `${horror} of 8 neighbours are horror: ${near}`);
  assert.match(await page.locator("#cold-id").innerText(), /^\d+-\d+-\d+-\d+$/);
  const probs = async (p) => Object.fromEntries(await Promise.all(["Base", "+REP", "+GBR", "ReaSeq"].map(async (v) =>
    [v, Number(await p.locator(`#cold-scores tr[data-variant="${v}"] .probability`).innerText())])));
  const first = await probs(page);
  for (const [v, p] of Object.entries(first)) assert.ok(p > 0 && p < 1, `${v}: ${p}`);
  // What the CLI prints for the committed bundles (`reaseq experiment --synthetic --cold-title
  // "Curse of the Midnight Crypt" --cold-text "a house haunted by the dead" --cold-genres Horror
  // --cold-user u5`, which reads data/ranker/synthetic: run it after `reaseq experiment --synthetic
  // --seeds 5 --write-asset`, so that those are the committed bundles), pinned: regenerating the
  // bundles means running it again.
  assert.deepEqual(first, { Base: 0.605, "+REP": 0.354, "+GBR": 0.63, ReaSeq: 0.477 });
  assert.equal(await page.locator("#cold-id").innerText(), "7-3-22-0");
  assert.match(await page.locator('#cold-scores tr[data-variant="ReaSeq"]').innerText(), /of 201/);
  // The state is in the URL: a fresh page on it gives the same ID and scores.
  assert.match(page.url(), /new_title=Curse%20of%20the%20Midnight%20Crypt/);
  const id = await page.locator("#cold-id").innerText();
  const again = await open(page.url().replace(site.url, ""));
  await again.locator("#cold-scores").waitFor({ timeout: 60000 });
  assert.equal(await again.locator("#cold-id").innerText(), id);
  assert.deepEqual(await probs(again), first);
  // Another text with the same genres: the variants that read REP vectors change their score,
  // Base and +GBR (IDs and genres only, and a zero ID for a new item) cannot.
  await again.fill("#new-text", "two lovers kept apart, a wedding and a rose");
  await again.fill("#new-title", "The Promise of the Heart");
  await again.click("#new-run");
  await again.waitForFunction(() => !/Curse/.test(decodeURIComponent(location.search)));
  await again.waitForFunction((old) => document.querySelector('#cold-scores tr[data-variant="ReaSeq"] .probability')?.textContent !== old,
    String(first.ReaSeq.toFixed(3)), { timeout: 60000 });
  const second = await probs(again);
  assert.equal(second.Base, first.Base);
  assert.equal(second["+GBR"], first["+GBR"]);
  assert.notEqual(second["+REP"], first["+REP"]);
  await again.screenshot({ path: join(shots, "knowledge-cold.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("every view fits a phone-width screen", async () => {
  const views = [
    ["overview", "/?data=synthetic", '[data-stat="users"]'],
    ["sequences", "/sequences?data=synthetic&user=u5", "#timeline li"],
    ["knowledge", "/knowledge?data=synthetic&item=i3", "#card-text"],
    ["reasoner", "/reasoner?data=synthetic&user=u5", "#slots li"],
    ["compare", "/compare?data=synthetic", "#compare-table"],
    ["metrics", "/metrics", '[data-metric="auc"]'],
    ["summary", "/summary?data=synthetic", "#summary-table"],
  ];
  for (const [name, path, ready] of views) {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(site.url + path);
    await page.locator(ready).first().waitFor({ timeout: 60000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: join(shots, `phone-${name}.png`), fullPage: true });
    assert.ok(overflow <= 1, `${name}: the page is ${overflow} px wider than the screen`);
    await page.close();
  }
});

test("sequences show the rankers' attention over a user's history for a test target", async () => {
  const page = await open("/sequences?data=synthetic&users=300&items=200&seed=0&user=u5");
  await page.locator("#attention-strips tr").first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#attention-strips tr").count(), 4);
  const base = page.locator('#attention-strips tr[data-variant="Base"]');
  const reaseq = page.locator('#attention-strips tr[data-variant="ReaSeq"]');
  assert.equal(await base.locator(".strip").count(), 1);
  assert.equal(await reaseq.locator(".strip").count(), 2, "a second strip over the inferred items");
  assert.ok((await base.locator(".heat").count()) > 0);
  // Another target is another set of weights, and it lives in the URL.
  const options = await page.locator("#target-select option").allInnerTexts();
  assert.ok(options.length >= 1);
  if (options.length > 1) {
    const before = await base.locator(".heat").first().getAttribute("style");
    const value = await page.locator("#target-select option").nth(1).getAttribute("value");
    await page.selectOption("#target-select", value);
    await page.waitForURL(new RegExp(`target=${value}`));
    await page.waitForFunction((b) => document.querySelector('#attention-strips tr[data-variant="Base"] .heat')?.getAttribute("style") !== b, before, { timeout: 10000 }).catch(() => {});
  }
  await page.screenshot({ path: join(shots, "sequences-attention.png"), fullPage: true });
  assert.deepEqual(errors, []);
  // On another world the view says which world the bundles belong to.
  const other = await open("/sequences?data=synthetic&user=u5");
  await other.locator("#attention-note").waitFor({ timeout: 60000 });
  assert.match(await other.locator("#attention-note").innerText(), /users=300&items=200&seed=0/);
});
