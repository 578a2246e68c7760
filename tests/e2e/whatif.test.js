// Ask why: the Sequences page's what-if (edit a history, see the reasoner and every variant
// respond, share it as a link) and Compare's slice finder, each against the CLI command that
// prints the same figures (`reaseq explain`, `reaseq slices`) for the committed synthetic
// bundles. Every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PHONE, screenshot, viewTest, waitUntil } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
// The release CLI `.ci/run` builds before these tests; it reads the shipped world's bundles.
const reaseq = process.env.REASEQ_BIN ?? join(target, "release/reaseq");
const cli = (args) =>
  JSON.parse(execFileSync(reaseq, args, { cwd: root, encoding: "utf8", env: { ...process.env, REASEQ_ASSETS: join(root, "assets") } }));

const WORLD = "data=synthetic&users=300&items=200&seed=0";

/** Each variant's [logged, edited] probability as printed. */
const scoresOf = (page) =>
  page.locator("#whatif-scores tbody tr").evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.variant, [...r.querySelectorAll("td")].slice(0, 2).map((td) => td.innerText)])));
const historyOf = (page) => page.locator("#whatif-history li").evaluateAll((ls) => ls.map((l) => l.dataset.id));
const inferredOf = (page) => page.locator("#whatif-inferred li").evaluateAll((ls) => ls.map((l) => l.dataset.id));

/** Waits up to 60 s for the history to be `want`, then says what it is. */
async function historyBecomes(page, want, what) {
  const ok = await waitUntil(page, (w) => [...document.querySelectorAll("#whatif-history li")].map((l) => l.dataset.id).join(",") === w, want.join(","), 60000);
  assert.ok(ok, `${what}: the edited history is [${await historyOf(page)}], expected [${want}]`);
}

viewTest("a what-if edits a history, every variant and the reasoner respond, and the link reopens it", async ({ open }) => {
  const page = await open(`/sequences?${WORLD}&user=u5`);
  await page.locator("#whatif-scores tbody tr").first().waitFor({ timeout: 90000 });
  const logged = await historyOf(page);
  assert.ok(logged.length >= 5, `u5's history has ${logged.length} items`);
  const before = await scoresOf(page);
  assert.deepEqual(Object.keys(before), ["Base", "+REP", "+GBR", "ReaSeq"]);
  for (const [v, [b, a]] of Object.entries(before)) assert.equal(a, b, `${v}: no edit yet, yet the scores differ`);
  const inferredBefore = await inferredOf(page);
  assert.equal(inferredBefore.length, 10, "ten inferred behaviours");

  // Remove the second logged event.
  const removed = logged[1];
  await page.locator(`#whatif-history li[data-id="${removed}"] .whatif-remove`).click();
  let want = logged.filter((id) => id !== removed);
  await historyBecomes(page, want, `after removing ${removed}`);
  // Add a catalogue item the history lacks, by id.
  const added = ["i3", "i4", "i5", "i6"].find((id) => !logged.includes(id));
  await page.locator("#whatif-add").fill(added);
  await page.locator("#whatif-add-button").click();
  want = [...want, added];
  await historyBecomes(page, want, `after adding ${added}`);
  // Type an item no log has seen.
  await page.locator("#whatif-new-title").fill("Puppet of the Balloon");
  await page.locator("#whatif-new-genres").fill("Animation");
  await page.locator("#whatif-new-button").click();
  want = [...want, "new-1"];
  await historyBecomes(page, want, "after typing a new item");
  assert.match(await page.locator('#whatif-history li[data-id="new-1"]').innerText(), /Puppet of the Balloon \(new\)/);
  // Move it one earlier.
  await page.locator('#whatif-history li[data-id="new-1"] .whatif-up').click();
  want = [...want.slice(0, -2), "new-1", added];
  await historyBecomes(page, want, "after moving new-1 up");

  const after = await scoresOf(page);
  for (const [v, [b, a]] of Object.entries(after)) {
    assert.equal(b, before[v][0], `${v}: the logged history's score moved`);
    assert.notEqual(a, b, `${v}: the edits left the score at ${b}`);
  }
  const inferredAfter = await inferredOf(page);
  assert.notDeepEqual(inferredAfter, inferredBefore, "the reasoner inferred the same behaviours after the edits");
  assert.ok((await page.locator("#whatif-history .whatif-effect").count()) >= want.length - 1, "leave-one-out effects on the timeline");
  await screenshot(page, "sequences-whatif");

  // The page's figures are `reaseq explain`'s for the same edits.
  const edits = JSON.parse(new URL(page.url()).searchParams.get("edits"));
  assert.deepEqual(edits.remove, [removed]);
  assert.deepEqual(edits.add, [added]);
  const args = ["explain", "--synthetic", "--user", "u5", "--json"];
  for (const r of edits.remove) args.push("--remove", r);
  for (const a of edits.add) args.push("--add", a);
  for (const n of edits.new_items) args.push("--new", n.title, "--new-genres", n.genres.join(","));
  for (const m of edits.moves) args.push("--move", `${m.item}:${m.to}`);
  const x = cli(args);
  for (const v of x.after.variants) {
    const b = x.before.variants.find((w) => w.variant === v.variant);
    assert.deepEqual(after[v.variant], [b.probability.toFixed(4), v.probability.toFixed(4)], `${v.variant}: page vs reaseq explain`);
  }
  assert.deepEqual(x.after.history.map((h) => h.id), want, "the edited history, page vs CLI");
  assert.deepEqual(x.after.inferred.map((h) => h.id), inferredAfter, "the inferred items, page vs CLI");
  const reaseqTop = await page.locator('.whatif-top[data-variant="ReaSeq"] li').allInnerTexts();
  const cliTop = x.after.variants.find((v) => v.variant === "ReaSeq").top.map((t) => t.title);
  assert.deepEqual(reaseqTop.map((t) => t.replace(/ ↑$/, "")), cliTop, "ReaSeq's top 10, page vs CLI");

  // The link reopens the same what-if.
  const again = await open(page.url());
  await historyBecomes(again, want, "the reopened link");
  await again.locator("#whatif-scores tbody tr").first().waitFor();
  assert.deepEqual(await scoresOf(again), after, "the reopened link's scores");
  // Reset returns to the logged history.
  await again.locator("#whatif-reset").click();
  await historyBecomes(again, logged, "after the reset");
  assert.equal(new URL(again.url()).searchParams.get("edits"), null);

  const phone = await open(page.url(), { viewport: PHONE });
  await historyBecomes(phone, want, "at phone width");
  await screenshot(phone, "sequences-whatif-phone");
});

viewTest("a bad what-if says why and keeps the page usable", async ({ open }) => {
  const page = await open(`/sequences?${WORLD}&user=u5`);
  await page.locator("#whatif-scores tbody tr").first().waitFor({ timeout: 90000 });
  await page.locator("#whatif-add").fill("no-such-item");
  await page.locator("#whatif-add-button").click();
  await page.locator("#whatif-error").waitFor();
  assert.match(await page.locator("#whatif-error").innerText(), /no item with id or title 'no-such-item'/);
  const link = await open(`/sequences?${WORLD}&user=u5&edits=${encodeURIComponent('{"remove":["i199999"]}')}`);
  await link.locator("#whatif-error").waitFor({ timeout: 90000 });
  assert.match(await link.locator("#whatif-error").innerText(), /no item 'i199999'/);
});

const sliceName = (s) => s.conditions.map((c) => `${c.attribute}=${c.value}`).join(" ∧ ");
const signed = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
/** The first `n` slices of a `reaseq slices --json` finding as the page's table prints them. */
const printed = (f, n) => f.slices.slice(0, n).map((s, k) => [
  String(k + 1), sliceName(s), String(s.size), String(s.users), s.value_a.toFixed(4), s.value_b.toFixed(4),
  signed(s.diff), `[${signed(s.ci[0])}, ${signed(s.ci[1])}]`, s.q.toFixed(3),
  s.refines ? `refines ${s.refines.map((c) => `${c.attribute}=${c.value}`).join(" ∧ ")}` : s.significant ? "significant" : "",
]);
const tableOf = (page) => page.locator("#slices-found tr[data-slice]").evaluateAll((trs) =>
  trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText)));

viewTest("the slice finder ranks the CLI's slices and a click filters Compare to one", async ({ open }) => {
  const page = await open(`/compare?${WORLD}&finder_a=base&finder_b=gbr`);
  await page.locator("#compare-table tr[data-variant]").first().waitFor({ timeout: 90000 });
  const all = await page.locator("#compare-summary").innerText();
  await page.locator("#slices-run").click();
  await page.locator("#slices-found tr[data-slice]").first().waitFor({ timeout: 120000 });
  const rows = await tableOf(page);
  const f = cli(["slices", "--synthetic", "--a", "Base", "--b", "+GBR", "--json"]);
  assert.deepEqual(rows, printed(f, rows.length), "the page's top slices vs reaseq slices");
  // The world's ground truth ranks first, general first (docs/results/slice-finder.md).
  assert.equal(rows[0][1], "partner_genre=yes", `the top slice is ${rows[0][1]}`);
  assert.equal(rows[0][9], "significant");
  assert.match(await page.locator("#slices-command").innerText(), /--min-users 20 --measure user-pairs --ranking general-first$/);
  await screenshot(page, "compare-slices");

  // A click filters the test set to the slice.
  await page.locator("#slices-found .slice-link").first().click();
  await page.waitForURL(/where=/);
  await page.locator("#slice-filter").waitFor();
  const size = f.slices[0].size;
  const filtered = await waitUntil(page, (n) => document.querySelector("#compare-summary")?.innerText.startsWith(`${n} impressions`), size, 60000);
  assert.ok(filtered, `the filtered test set says "${await page.locator("#compare-summary").innerText()}", expected ${size} impressions (all: "${all}")`);
  await page.locator("#slice-filter-clear").click();
  const back = await waitUntil(page, (s) => document.querySelector("#compare-summary")?.innerText.split(",")[0] === s, all.split(",")[0], 60000);
  assert.ok(back, "clearing the slice shows every impression again");
});

viewTest("the slice finder compares your model from a score file of the test impressions, as reaseq slices --scores does", async ({ open }) => {
  const page = await open(`/compare?${WORLD}&finder_a=base`);
  await page.locator("#slices-rows").waitFor({ timeout: 90000 });
  // The page's test impressions are the CLI's, with the same probabilities.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#slices-rows")]);
  const rows = readFileSync(await download.path(), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "reaseq-slices-"));
  const cliRows = join(dir, "rows.csv");
  execFileSync(reaseq, ["slices", "--synthetic", "--a", "Base", "--b", "+GBR", "--write-rows", cliRows], { cwd: root, env: { ...process.env, REASEQ_ASSETS: join(root, "assets") }, stdio: "ignore" });
  assert.equal(rows, readFileSync(cliRows, "utf8"), "the page's test impressions vs reaseq slices --write-rows");
  // Your model: +GBR's column under another name.
  const lines = rows.trim().split("\n");
  assert.equal(lines[0], "user_id,item_id,label,Base,+REP,+GBR,ReaSeq");
  const body = lines.slice(1).map((l) => { const f = l.split(","); return `${f[0]},${f[1]},${f[2]},${f[5]}`; });
  const mine = join(dir, "mine.csv");
  writeFileSync(mine, `user_id,item_id,label,mine\n${body.join("\n")}\n`);
  await page.locator("#slices-scores").setInputFiles(mine);
  await page.locator("#slices-models").waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#slices-models").innerText(), "Your models: mine.");
  await page.locator("#slices-finder_b").selectOption("mine");
  await page.waitForURL(/finder_b=mine/);
  assert.match(await page.locator("#slices-command").innerText(), /--b mine .*--scores mine\.csv$/);
  await page.locator("#slices-run").click();
  await page.locator("#slices-found tr[data-slice]").first().waitFor({ timeout: 120000 });
  const table = await tableOf(page);
  const f = cli(["slices", "--synthetic", "--a", "Base", "--b", "mine", "--scores", mine, "--json"]);
  assert.equal(f.b, "mine");
  assert.deepEqual(table, printed(f, table.length), "the page's slices of your model vs reaseq slices --scores");
  assert.deepEqual(table, printed(cli(["slices", "--synthetic", "--a", "Base", "--b", "+GBR", "--json"]), table.length), "a copy of +GBR slices as +GBR");
  // A file missing an impression is refused by name.
  const short = join(dir, "short.csv");
  writeFileSync(short, `user_id,item_id,label,mine\n${body.slice(1).join("\n")}\n`);
  await page.locator("#slices-scores").setInputFiles(short);
  await page.locator("#slices-models-error").waitFor({ timeout: 60000 });
  assert.match(await page.locator("#slices-models-error").innerText(), /short\.csv.*no row for user/);
});
