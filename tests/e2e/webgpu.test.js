// WebGPU (in a browser that has it: headless Chromium with --enable-unsafe-webgpu gives a
// SwiftShader software adapter): Compare on ?backend=webgpu runs the ranker's WGSL kernel and
// must show the CPU's figures — the test-set table and the full-catalogue ranking — to the
// printed precision, say which adapter ran, and log no console error.
import assert from "node:assert/strict";
import { screenshot, viewTest, withWebGpu, PHONE } from "./helpers.js";

withWebGpu();

/** The Compare table and the full-catalogue figures, as printed. */
async function figures(page) {
  await page.locator("#compare-table").waitFor({ timeout: 180000 });
  const table = await page.locator("#compare-table").innerText();
  const compareBackend = await page.locator("#compare-backend").getAttribute("data-backend");
  await page.click("#full-run");
  await page.locator("#full-table").waitFor({ timeout: 300000 });
  const full = await page.locator("#full-table").innerText();
  const vsBase = await page.locator("#full-vs-base").innerText();
  const fullBackend = await page.locator("#full-backend").getAttribute("data-backend");
  return { table, full, vsBase, compareBackend, fullBackend };
}

viewTest("compare on WebGPU shows the CPU's figures, and says the adapter is a software one", async ({ open }) => {
  const cpu = await figures(await open("/compare?data=synthetic&backend=cpu"));
  assert.equal(cpu.compareBackend, "CPU");
  assert.equal(cpu.fullBackend, "CPU");
  const page = await open("/compare?data=synthetic&backend=webgpu");
  const gpu = await figures(page);
  const line = await page.locator("#compare-backend").innerText();
  assert.equal(gpu.compareBackend, "WebGPU", `the test set ran on: ${line}`);
  assert.equal(gpu.fullBackend, "WebGPU", await page.locator("#full-backend").innerText());
  assert.equal(await page.locator("#full-backend").getAttribute("data-fallback-adapter"), "true");
  assert.match(line, /software \(fallback\) adapter/);
  assert.equal(gpu.table, cpu.table, "the Compare table differs between WebGPU and the CPU");
  assert.equal(gpu.full, cpu.full, "the full-catalogue figures differ between WebGPU and the CPU");
  assert.equal(gpu.vsBase, cpu.vsBase);
  // And they are the CLI's figures for the same bundles.
  const agreement = (await page.locator("#full-cli").innerText()).match(/largest difference from the page's is (\S+)\./);
  assert.ok(agreement && Number(agreement[1]) < 1e-6, await page.locator("#full-cli").innerText());
  await screenshot(page, "compare-webgpu");
  // `auto` keeps the CPU when the only adapter is a software one, and says so.
  const auto = await open("/compare?data=synthetic");
  await auto.locator("#compare-table").waitFor({ timeout: 180000 });
  assert.equal(await auto.locator("#compare-backend").getAttribute("data-backend"), "CPU");
  assert.match(await auto.locator("#compare-backend").innerText(), /only WebGPU adapter.* is a software one/);
  assert.equal(await auto.locator("#compare-table").innerText(), cpu.table);
  const phone = await open("/compare?data=synthetic&backend=webgpu", { viewport: PHONE });
  await phone.locator("#compare-table").waitFor({ timeout: 180000 });
  await phone.click("#full-run");
  await phone.locator("#full-table").waitFor({ timeout: 300000 });
  await screenshot(phone, "compare-webgpu-phone");
}, { timeout: 900000 });

/** The every-user run's table and the backend that ran it. */
async function everyUser(page) {
  await page.locator("#every-run").waitFor({ timeout: 120000 });
  await page.click("#every-run");
  await page.locator("#every-table").waitFor({ timeout: 600000 });
  return {
    table: await page.locator("#every-table td.page").allInnerTexts(),
    fingerprint: await page.locator("#every-summary").getAttribute("data-fingerprint"),
    backend: await page.locator("#every-backend").getAttribute("data-backend"),
    agrees: await page.locator("#every-cli").getAttribute("data-agrees"),
  };
}

viewTest("the reasoner on WebGPU commits the CPU's tokens for every user", async ({ open }) => {
  const cpu = await everyUser(await open("/reasoner?data=synthetic&backend=cpu"));
  assert.equal(cpu.backend, "CPU");
  // The CLI's run of the same reasoner and settings (every_user.json) agrees with the page's.
  assert.equal(cpu.agrees, "true");
  const page = await open("/reasoner?data=synthetic&backend=webgpu");
  const gpu = await everyUser(page);
  assert.equal(gpu.backend, "WebGPU", await page.locator("#every-backend").innerText());
  assert.match(await page.locator("#every-backend").innerText(), /software \(fallback\) adapter/);
  // Every committed token is the CPU's: same fingerprint, same figures, the CLI's too.
  assert.equal(gpu.fingerprint, cpu.fingerprint);
  assert.deepEqual(gpu.table, cpu.table);
  assert.equal(gpu.agrees, "true");
  await screenshot(page, "reasoner-every-webgpu");
}, { timeout: 1200000 });

viewTest("the catalogue placed as new on WebGPU gives the CPU's vectors and figures", async ({ open }) => {
  const place = async (page) => {
    await page.locator("#coldcat-run").waitFor({ timeout: 180000 });
    await page.click("#coldcat-run");
    await page.locator("#coldcat-table").waitFor({ timeout: 300000 });
    return {
      table: await page.locator("#coldcat-table td.page").allInnerTexts(),
      backend: await page.locator("#coldcat-backend").getAttribute("data-backend"),
      cli: Number(await page.locator("#coldcat-cli").getAttribute("data-difference")),
    };
  };
  const cpu = await place(await open("/compare?data=synthetic&backend=cpu"));
  assert.equal(cpu.backend, "CPU");
  assert.ok(cpu.cli < 1e-12, `the page's CPU figures differ from the CLI's by ${cpu.cli}`);
  const page = await open("/compare?data=synthetic&backend=webgpu");
  const gpu = await place(page);
  assert.equal(gpu.backend, "WebGPU", await page.locator("#coldcat-backend").innerText());
  // Every component of every item's vector within 1e-4 of the CPU path's, and the same figures.
  const diff = Number(await page.locator("#coldcat-summary").getAttribute("data-cpu-difference"));
  assert.ok(diff < 1e-4, `largest |WebGPU − CPU| ${diff}`);
  assert.deepEqual(gpu.table, cpu.table);
  assert.ok(gpu.cli < 1e-4, `${gpu.cli}`);
  await screenshot(page, "compare-coldcat-webgpu");
}, { timeout: 900000 });
