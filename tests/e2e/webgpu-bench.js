// Benchmark of the WebGPU path against the CPU path in headless Chromium with
// --enable-unsafe-webgpu, on the built workbench (dist/): per dataset, the Compare test-set
// scoring, the full-catalogue ranking and the student over the whole catalogue on each backend,
// the reasoner's sampler over every user (Reasoner page, default settings), and the one-off
// device and kernel set-up. Each backend gets a fresh page, so a fresh worker. Prints figures; asserts nothing.
// Run: `cd tests/e2e && node webgpu-bench.js` after `trunk build --release`
// (BENCH_DATA=synthetic for the synthetic world only; BENCH_ONLY=ranker,reasoner,student picks
// workloads).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");
const datasets = (process.env.BENCH_DATA ?? "synthetic,ml-100k").split(",");
const only = process.env.BENCH_ONLY;

const site = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
console.log("WebGPU here is Chromium's SwiftShader, a software adapter on this machine's CPU:");
console.log("its timings are not a GPU's; they show the path works, not how fast a GPU runs it.\n");
const ms = (x) => (x ? Number(x).toFixed(0) + " ms" : "—");

/** Compare's test-set scoring and the full-catalogue ranking on one backend; null when the build lacks the data. */
async function ranker(data, backend) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${site.url}/compare?data=${data}&backend=${backend}`);
  await page.locator("#compare-summary, .error").first().waitFor({ timeout: 600000 });
  if ((await page.locator("#compare-summary").count()) === 0) {
    console.log(`${data}: not in this build (${await page.locator(".error").first().innerText()})`);
    await page.close();
    return null;
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
  await page.close();
  return `ran on ${ran.padEnd(7)} device ${ms(device)}, kernels ${ms(pipelines)}; test-set scoring ${scoring.toFixed(2)} s;` +
    ` full-catalogue ranking ${full.toFixed(1)} s (${perVariant})`;
}

/** The student over the whole catalogue (Compare's catalogue-as-new card) on one backend. */
async function student(data, backend) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${site.url}/compare?data=${data}&backend=${backend}`);
  await page.locator("#coldcat-run").waitFor({ timeout: 600000 });
  await page.click("#coldcat-run");
  await page.locator("#coldcat-summary, #coldcat-card .error").first().waitFor({ timeout: 600000 });
  const summary = page.locator("#coldcat-summary");
  const placed = Number(await summary.getAttribute("data-seconds"));
  const items = (await summary.innerText()).match(/^(\d+) items/)?.[1];
  const diff = await summary.getAttribute("data-cpu-difference");
  const ran = await page.locator("#coldcat-backend").getAttribute("data-backend");
  await page.close();
  return `ran on ${ran.padEnd(7)} student over ${items} items ${(placed * 1e3).toFixed(1)} ms` +
    (diff ? ` (largest |WebGPU − CPU| ${Number(diff).toExponential(1)})` : "");
}

/** The reasoner's sampler over every user (the Reasoner page's defaults) on one backend. */
async function reasoner(data, backend) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${site.url}/reasoner?data=${data}&backend=${backend}`);
  await page.locator("#every-run").waitFor({ timeout: 600000 });
  await page.click("#every-run");
  await page.locator("#every-summary, #every-card .error").first().waitFor({ timeout: 3600000 });
  const summary = page.locator("#every-summary");
  const seconds = Number(await summary.getAttribute("data-seconds"));
  const line = page.locator("#every-backend");
  const ran = await line.getAttribute("data-backend");
  const device = await line.getAttribute("data-device-ms");
  const pipelines = await line.getAttribute("data-pipelines-ms");
  const users = (await summary.innerText()).match(/^(\d+) users/)?.[1];
  const fingerprint = await summary.getAttribute("data-fingerprint");
  await page.close();
  return `ran on ${ran.padEnd(7)} device ${ms(device)}, kernels ${ms(pipelines)}; reasoner over ${users} users ${seconds.toFixed(1)} s` +
    ` (committed-token fingerprint ${fingerprint})`;
}

for (const data of datasets) {
  for (const backend of ["cpu", "webgpu"]) {
    const at = `${data.padEnd(10)} ?backend=${backend.padEnd(7)}`;
    // Each workload in a fresh page, so a fresh worker of its own.
    if (!only || only.includes("ranker")) {
      const line = await ranker(data, backend);
      if (line === null) break;
      console.log(`${at} ${line}`);
    }
    if (!only || only.includes("reasoner")) console.log(`${at} ${await reasoner(data, backend)}`);
    if (!only || only.includes("student")) console.log(`${at} ${await student(data, backend)}`);
  }
}
await browser.close();
site.server.close();
