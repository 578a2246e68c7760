// Benchmark of the WebGPU path against the CPU path in headless Chromium with
// --enable-unsafe-webgpu, on the built workbench (dist/): per dataset, the Compare test-set
// scoring and the full-catalogue ranking on each backend, and the one-off device and kernel
// set-up. Each backend gets a fresh page, so a fresh worker. Prints figures; asserts nothing.
// Run: `cd tests/e2e && node webgpu-bench.js` after `trunk build --release`
// (BENCH_DATA=synthetic for the synthetic world only).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");
const datasets = (process.env.BENCH_DATA ?? "synthetic,ml-100k").split(",");

const site = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
console.log("WebGPU here is Chromium's SwiftShader, a software adapter on this machine's CPU:");
console.log("its timings are not a GPU's; they show the path works, not how fast a GPU runs it.\n");
const rows = [];
for (const data of datasets) {
  for (const backend of ["cpu", "webgpu"]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${site.url}/compare?data=${data}&backend=${backend}`);
    await page.locator("#compare-summary, .error").first().waitFor({ timeout: 600000 });
    if ((await page.locator("#compare-summary").count()) === 0) {
      console.log(`${data}: not in this build (${await page.locator(".error").first().innerText()})`);
      await page.close();
      break;
    }
    const line = page.locator("#compare-backend");
    const ran = await line.getAttribute("data-backend");
    const device = await line.getAttribute("data-device-ms");
    const pipelines = await line.getAttribute("data-pipelines-ms");
    const scoring = Number(await page.locator("#compare-summary").getAttribute("data-scoring-seconds"));
    await page.click("#full-run");
    await page.locator("#full-summary, #full-card .error").first().waitFor({ timeout: 3600000 });
    const full = Number(await page.locator("#full-summary").getAttribute("data-seconds"));
    const perVariant = (await page.locator("#full-summary").innerText()).match(/Ranked in [\d.]+ s \(([^)]*)\)/)?.[1] ?? "";
    rows.push({ data, asked: backend, ran, device, pipelines, scoring, full, perVariant });
    console.log(`${data.padEnd(10)} ?backend=${backend.padEnd(7)} ran on ${ran.padEnd(7)}` +
      ` device ${device ? Number(device).toFixed(0) + " ms" : "—"}, kernels ${pipelines ? Number(pipelines).toFixed(0) + " ms" : "—"};` +
      ` test-set scoring ${scoring.toFixed(2)} s; full-catalogue ranking ${full.toFixed(1)} s (${perVariant})`);
    await page.close();
  }
}
await browser.close();
site.server.close();
