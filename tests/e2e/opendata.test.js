// The researcher's own data, opened in the page: plain CSV of 100,000 interactions, RecBole
// atomic files, a malformed file, a file that is not data, and a shared link to opened data.
// Nothing is uploaded; every test also fails on a console error (helpers.js).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { screenshot, viewTest } from "./helpers.js";

const stat = (page, label) => page.locator(`[data-stat="${label}"]`).innerText();
const file = (name, text) => ({ name, mimeType: "text/plain", buffer: Buffer.from(text) });

/** A dataset the project has never seen: 1,000 users × 100 events over 500 items. */
function csvDataset() {
  const items = ["item_id,title,genres"];
  for (let i = 0; i < 500; i++) {
    // One title holds HTML, which must show as text.
    const title = i === 7 ? '"<img src=x onerror=alert(1)>Bold <b>title</b>"' : `Film ${i}`;
    items.push(`m${i},${title},${i % 2 ? "Drama" : "Comedy"}`);
  }
  const inter = ["user_id,item_id,timestamp,rating"];
  for (let u = 0; u < 1000; u++) {
    for (let e = 0; e < 100; e++) {
      const item = u === 0 && e === 0 ? 7 : (u * 7 + e * 13) % 500;
      inter.push(`user${u},m${item},${1000 + e},${1 + ((u + e) % 5)}`);
    }
  }
  return [file("interactions.csv", inter.join("\n") + "\n"), file("items.csv", items.join("\n") + "\n")];
}

viewTest("opened CSV data shows its exact counts and timelines in every view, links carry its fingerprint", async ({ open }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  await page.locator("#open-data").setInputFiles(csvDataset());
  await page.waitForURL(/data=local&fp=[0-9a-f]{16}/, { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "1000", null, { timeout: 60000 });
  assert.equal(await stat(page, "users"), "1000");
  assert.equal(await stat(page, "items"), "500");
  assert.equal(await stat(page, "interactions"), "100000");
  assert.match(await page.locator("#open-status").innerText(), /1000 users, 500 items, 100000 interactions/);
  await screenshot(page, "opened-overview");
  // The navigation keeps the opened data: Sequences shows its users' timelines.
  await page.locator('nav a:has-text("Sequences")').click();
  await page.waitForURL(/\/sequences\?data=local&fp=/);
  await page.locator("#user-list li").first().waitFor({ timeout: 30000 });
  await page.locator("#user-list li", { hasText: "user0" }).first().click();
  await page.locator("#timeline li").first().waitFor({ timeout: 30000 });
  assert.ok((await page.locator("#timeline li").count()) > 50);
  // The HTML in a title is text, never markup.
  assert.equal(await page.locator("#timeline img").count(), 0);
  assert.match(await page.locator("#timeline").innerText(), /<img src=x onerror=alert\(1\)>Bold <b>title<\/b>/);
  // A shared link to opened data, in another page: the data never left the first one.
  const fp = new URL(page.url()).searchParams.get("fp");
  const other = await open(`/?data=local&fp=${fp}`);
  await other.locator("pre.error").waitFor({ timeout: 30000 });
  assert.match(await other.locator("pre.error").innerText(), /opened in another page.*Open data/s);
  // Opening the same files there shows them, and says nothing of a mismatch.
  await other.locator("#open-data").setInputFiles(csvDataset());
  await other.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "1000", null, { timeout: 60000 });
  assert.doesNotMatch(await other.locator("#open-status").innerText(), /not the data of the link/);
});

viewTest("a large opening shows how far the worker has read and can be cancelled; the data opened before stay", async ({ open }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  await page.locator("#open-data").setInputFiles(csvDataset());
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "1000", null, { timeout: 60000 });
  const before = page.url();
  // 1.5 million interactions (about 30 MB): seconds of checking in the worker.
  const folder = mkdtempSync(join(tmpdir(), "large-"));
  const rows = ["user_id,item_id,timestamp"];
  for (let k = 0; k < 1500000; k++) rows.push(`u${k % 20000},i${(k * 7) % 5000},${k}`);
  writeFileSync(join(folder, "interactions.csv"), rows.join("\n") + "\n");
  await page.locator("#open-data").setInputFiles(join(folder, "interactions.csv"));
  await page.waitForFunction(() => Number(document.querySelector("#open-progress")?.value) > 0, null, { timeout: 60000 });
  assert.match(await page.locator(".open-progress").innerText(), /checking rows: \d+%/);
  await screenshot(page, "open-progress");
  await page.click("#open-cancel");
  await page.locator(".open-data pre.error").waitFor({ timeout: 30000 });
  assert.match(await page.locator(".open-data pre.error").innerText(), /cancelled/);
  assert.equal(await page.locator("#open-progress").count(), 0);
  assert.equal(page.url(), before);
  assert.equal(await stat(page, "users"), "1000");
});

viewTest("opened RecBole files load (dropped), a folder loads; a malformed file and a file that is not data are named in the page", async ({ open }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  const inter = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" +
    Array.from({ length: 60 }, (_, k) => `u${k % 6}\ti${k % 10}\t${1 + (k % 5)}\t${k}`).join("\n") + "\n";
  const item = "item_id:token\tmovie_title:token_seq\n" + Array.from({ length: 10 }, (_, i) => `i${i}\tTitle ${i}`).join("\n") + "\n";
  // Dropped on the page, as a researcher drags them from a file manager.
  await page.evaluate(({ inter, item }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([inter], "tiny.inter"));
    dt.items.add(new File([item], "tiny.item"));
    document.querySelector("#drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { inter, item });
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "6", null, { timeout: 60000 });
  assert.equal(await stat(page, "items"), "10");
  assert.equal(await stat(page, "interactions"), "60");
  // A bad timestamp on line 3: its file, line and column, in the page.
  const bad = "user_id,item_id,timestamp\nu1,i1,1\nu1,i2,yesterday\nu2,i1,4\n";
  await page.locator("#open-data").setInputFiles([file("interactions.csv", bad)]);
  await page.locator(".open-data pre.error").waitFor({ timeout: 30000 });
  assert.match(await page.locator(".open-data pre.error").innerText(), /interactions\.csv:3: timestamp/);
  // Leniently, the bad row is skipped and counted.
  await page.locator("#open-lenient").check();
  await page.locator("#open-data").setInputFiles([file("interactions.csv", bad)]);
  await page.waitForFunction(() => document.querySelector("#open-status")?.innerText.includes("Skipped 1 bad rows"), null, { timeout: 30000 });
  assert.match(await page.locator("#open-status").innerText(), /interactions\.csv:3: timestamp/);
  // An image is refused by what it is, before it is parsed.
  const png = { name: "photo.png", mimeType: "image/png", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0]) };
  await page.locator("#open-data").setInputFiles([png]);
  await page.locator(".open-data pre.error").waitFor({ timeout: 30000 });
  assert.match(await page.locator(".open-data pre.error").innerText(), /photo\.png: a PNG image, not a data file/);
  // A whole folder, through the folder picker: its CSV files are found by name.
  const folder = mkdtempSync(join(tmpdir(), "opened-"));
  writeFileSync(join(folder, "interactions.csv"), "user_id,item_id,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu3,i3,4\n");
  writeFileSync(join(folder, "README.txt"), "not data");
  await page.locator("#open-folder").setInputFiles(folder);
  await page.waitForFunction(() => document.querySelector('[data-stat="users"]')?.innerText === "3", null, { timeout: 30000 });
  assert.equal(await stat(page, "interactions"), "4");
});

viewTest("opened RecBole files with a knowledge graph: the Knowledge view counts opaque graph ids", async ({ open }) => {
  const page = await open("/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 30000 });
  const inter = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" +
    Array.from({ length: 40 }, (_, k) => `u${k % 5}\ti${k % 8}\t${1 + (k % 5)}\t${k}`).join("\n") + "\n";
  const item = "item_id:token\tmovie_title:token_seq\n" + Array.from({ length: 8 }, (_, i) => `i${i}\tFilm ${i}`).join("\n") + "\n";
  const link = "item_id:token\tentity_id:token\n" + Array.from({ length: 8 }, (_, i) => `i${i}\tm.0film${i}`).join("\n") + "\n";
  const kg = "head_id:token\trelation_id:token\ttail_id:token\n" +
    ["m.018yhr", "m.02x7vq", "m.0c1pj"].map((a) => `m.0film0\tfilm.film.actor\t${a}`).join("\n") + "\n";
  const files = [["tiny.inter", inter], ["tiny.item", item], ["tiny.link", link], ["tiny.kg", kg]];
  await page.locator("#open-data").setInputFiles(files.map(([name, text]) => ({ name, mimeType: "text/plain", buffer: Buffer.from(text) })));
  await page.waitForFunction(() => document.querySelector('[data-stat="items"]')?.innerText === "8", null, { timeout: 60000 });
  await page.locator('nav a:has-text("Knowledge")').click();
  await page.waitForURL(/\/knowledge\?data=local&fp=/);
  await page.locator("#card-title").waitFor({ timeout: 30000 });
  const summary = page.locator("#knowledge-card details.ids summary");
  assert.equal(await summary.innerText(), "3 actors (graph ids)");
  await summary.click();
  assert.match(await page.locator("#knowledge-card details.ids").innerText(), /m\.018yhr, m\.02x7vq, m\.0c1pj/);
});
