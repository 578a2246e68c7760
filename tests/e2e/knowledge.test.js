// The knowledge view: an item's card, semantic ID and neighbours, and the cold-start box that
// embeds, places and scores a new item. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { screenshot, viewTest } from "./helpers.js";

const assets = join(dirname(fileURLToPath(import.meta.url)), "../../assets");

viewTest("knowledge view shows an item's card, semantic ID and neighbours", async ({ open }) => {
  const page = await open("/knowledge?data=synthetic&item=i3");
  await page.locator("#card-text").waitFor({ timeout: 60000 });
  assert.match(await page.locator("#card-text").innerText(), /genres: /);
  assert.match(await page.locator("#semantic-id").innerText(), /^\d+-\d+-\d+-\d+$/);
  assert.equal(await page.locator("#neighbours li").count(), 10);
  // Cards, the graph embedding and its quantisation were made in the Web Worker.
  assert.ok(page.workers().some((w) => /reaseq-worker/.test(w.url())), "no reaseq worker");
  await page.locator("#neighbours li").first().click();
  await page.waitForURL((u) => !u.toString().includes("item=i3"));
  await page.locator("#item-search").fill("of the");
  assert.ok((await page.locator("#item-list li").count()) > 0);
  await screenshot(page, "knowledge");
});

viewTest("on the reasoner's world, the knowledge view speaks the reasoner's vocabulary", async ({ open }) => {
  // The committed reasoner was fitted on this world: its semantic IDs, not the page's own.
  const ids = JSON.parse(await readFile(join(assets, "reasoner/synthetic/semantic_ids.json"), "utf8"));
  const page = await open("/knowledge?data=synthetic&users=300&items=200&seed=0&item=i7");
  await page.locator("#semantic-id").waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#semantic-id").innerText(), ids.codes[7].join("-"));
  assert.match(await page.locator("#knowledge-timing").innerText(), /semantic IDs: the reasoner's vocabulary/);
  // Another world has no reasoner: its IDs are quantised in the page, and the page says so.
  const other = await open("/knowledge?data=synthetic&users=300&items=200&seed=1&item=i7");
  await other.locator("#semantic-id").waitFor({ timeout: 60000 });
  assert.match(await other.locator("#knowledge-timing").innerText(), /semantic IDs: residual quantisation/);
});

viewTest("knowledge's cold-start box embeds a new item, places it and scores it per variant, from the URL", async ({ open, url }) => {
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
  // --seeds 5 --controls --write-asset`, so that those are the committed bundles), pinned: regenerating the
  // bundles means running it again.
  assert.deepEqual(first, { Base: 0.605, "+REP": 0.564, "+GBR": 0.630, ReaSeq: 0.605 });
  assert.equal(await page.locator("#cold-id").innerText(), "19-7-14-0");
  assert.match(await page.locator('#cold-scores tr[data-variant="ReaSeq"]').innerText(), /of 201/);
  // The state is in the URL: a fresh page on it gives the same ID and scores.
  assert.match(page.url(), /new_title=Curse%20of%20the%20Midnight%20Crypt/);
  const id = await page.locator("#cold-id").innerText();
  const again = await open(page.url().replace(url, ""));
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
  await screenshot(again, "knowledge-cold");
});
