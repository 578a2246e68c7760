// Benchmark of the built workbench (dist/) on 127.0.0.1: time to interactive, wasm and asset
// sizes (raw and gzip), and the time to recompute the Compare view. Prints figures; asserts
// nothing about speed. Run: `cd tests/e2e && node bench.js` after `trunk build --release`.
import { readdir, readFile, stat } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
let groups = { "wasm: page (no model weights)": [0, 0], "wasm: Web Worker (no model weights)": [0, 0], "js + css + html": [0, 0], "synthetic bundles (assets)": [0, 0], "MovieLens-100k data and bundles (staged)": [0, 0] };
for (const f of await files(dist)) {
  const rel = relative(dist, f);
  const body = await readFile(f);
  const gz = gzipSync(body, { level: 9 }).length;
  const key = rel.endsWith(".wasm") ? (rel.startsWith("reaseq-worker") ? "wasm: Web Worker (no model weights)" : "wasm: page (no model weights)")
    : /\.(js|css|html)$/.test(rel) ? "js + css + html"
    : rel.startsWith("files/data/") ? "MovieLens-100k data and bundles (staged)"
    : "synthetic bundles (assets)";
  groups[key][0] += (await stat(f)).size;
  groups[key][1] += gz;
}
for (const [k, [raw, gz]] of Object.entries(groups)) console.log(`${k.padEnd(42)} ${kb(raw).padStart(9)} raw ${kb(gz).padStart(9)} gzip`);

const site = await serve(dist);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const runs = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const t0 = Date.now();
  await page.goto(site.url + "/?data=synthetic");
  await page.locator('[data-stat="users"]').waitFor({ timeout: 60000 });
  runs.push(Date.now() - t0);
  await page.close();
}
runs.sort((a, b) => a - b);
console.log(`time to interactive (Overview, synthetic world): median ${runs[2]} ms of 5 (min ${runs[0]} ms)`);
for (const data of ["synthetic", "ml-100k"]) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${site.url}/compare?data=${data}`);
  await page.locator("#compare-summary, .error").first().waitFor({ timeout: 300000 });
  const ok = (await page.locator("#compare-summary").count()) > 0;
  if (ok) console.log(`Compare recompute (${data}): ${await page.locator("#compare-summary").innerText()}`);
  else console.log(`Compare (${data}): not in this build`);
  await page.close();
}
await browser.close();
site.server.close();
