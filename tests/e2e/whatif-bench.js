// Benchmark of the Sequences page's what-if on the CPU path (WebAssembly, in the worker): for
// each dataset the build carries, one user's history is edited EDITS times in the page (remove
// the oldest event, add a catalogue item, in turn) and the time of each edit is printed — the
// worker's own (the reasoner, every variant's score, leave-one-out effects and top 10 of the
// edited history; the logged history's state is kept between edits), the page's from the edit
// to the answer back (the worker's time with the message round trip), and from the test
// driver's click to the redrawn history (Playwright's own actions and
// polling included). Prints figures; asserts nothing about speed.
// Run: `cd tests/e2e && node whatif-bench.js` after `trunk build --release`.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");
const EDITS = Number(process.env.EDITS ?? 12);

const site = await serve(dist);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms`;
};

for (const [data, user] of [["synthetic&users=300&items=200&seed=0", "u5"], ["ml-100k", "1"]]) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${site.url}/sequences?data=${data}&user=${user}`);
  const ready = await page.locator("#whatif-scores tbody tr, #whatif-error").first().waitFor({ timeout: 300000 }).then(() => true, () => false);
  if (!ready || (await page.locator("#whatif-scores").count()) === 0) {
    const why = ready ? `: ${await page.locator("#whatif-error").innerText()}` : "";
    console.log(`what-if (${data}): not in this build${why}`);
    await page.close();
    continue;
  }
  const first = Number(await page.locator("#whatif-target").getAttribute("data-millis"));
  const logged = await page.locator("#whatif-history li").evaluateAll((ls) => ls.map((l) => l.dataset.id));
  const catalogue = await page.locator("#whatif-catalogue option").evaluateAll((os) => os.map((o) => o.value));
  const free = catalogue.filter((id) => !logged.includes(id));
  const ids = () => page.locator("#whatif-history li").evaluateAll((ls) => ls.map((l) => l.dataset.id).join(","));
  const worker = [];
  const trip = [];
  const round = [];
  for (let k = 0; k < EDITS; k++) {
    const was = await ids();
    const t0 = Date.now();
    if (k % 2 === 0) {
      await page.locator("#whatif-history li .whatif-remove").first().click();
    } else {
      await page.locator("#whatif-add").fill(free[k]);
      await page.locator("#whatif-add-button").click();
    }
    await page.waitForFunction((w) => [...document.querySelectorAll("#whatif-history li")].map((l) => l.dataset.id).join(",") !== w, was, { timeout: 300000 });
    round.push(Date.now() - t0);
    worker.push(Number(await page.locator("#whatif-target").getAttribute("data-millis")));
    trip.push(Number(await page.locator("#whatif-target").getAttribute("data-round-millis")));
  }
  console.log(`what-if (${data}, user ${user}, ${logged.length} logged items): first view ${first.toFixed(0)} ms in the worker (the logged history's state and the first answer); per edit over ${EDITS} edits: worker ${stats(worker)}; page, edit → answer back (the worker's time with the page's round trip) ${stats(trip)}; click → redrawn as the test driver sees it (its own clicks and polling included) ${stats(round)}`);
  await page.close();
}
await browser.close();
site.server.close();
