// What every end-to-end test file shares: a static server for the built workbench (dist/) on
// 127.0.0.1, one headless Chromium, and `viewTest`, which opens pages, collects what they log
// and fails the test on any console error or uncaught page error.
//
// Each test file is its own process under `node --test`, so each gets its own server (on a port
// the system picks) and its own browser; package.json still runs the files one at a time
// (--test-concurrency=1) so that the timings the tests assert on (long tasks on the page's
// thread) are measured on an otherwise idle machine.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
export const dist = process.env.REASEQ_DIST ?? join(here, "../../dist");
const shots = join(here, "screenshots");

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

let browser, site, hooked = false, webgpu = false;

/**
 * This file's browser gets WebGPU: `--enable-unsafe-webgpu` (and no `--disable-gpu`) gives
 * headless Chromium a SwiftShader software adapter, right for correctness and meaningless for
 * speed. Call it at the top of the file, before its first `viewTest`.
 */
export function withWebGpu() {
  webgpu = true;
}

// The server and the browser start once per file, before its first test, and stop after its
// last. The hooks are registered by the first `viewTest` call, which runs at the top level of
// the test file, so they belong to the file and not to one test.
function hooks() {
  if (hooked) return;
  hooked = true;
  before(async () => {
    site = await serve(dist);
    await mkdir(shots, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // Playwright gives every launch a fresh profile; the flags keep Chromium off the network.
      headless: true,
      args: [
        "--no-sandbox", webgpu ? "--enable-unsafe-webgpu" : "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    site?.server.close();
  });
}

/** A full-page screenshot in tests/e2e/screenshots/{name}.png. */
export const screenshot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/**
 * Waits like `page.waitForFunction`, but answers false on a timeout instead of throwing, for a
 * wait whose outcome the caller asserts next with a message of its own (what was expected,
 * what the page shows). Any other failure is thrown.
 */
export async function waitUntil(page, fn, arg, timeout) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
    return true;
  } catch (e) {
    if (e?.name === "TimeoutError") return false;
    throw e;
  }
}

/**
 * A test of the workbench. `fn` receives
 *   open(path, options): a new page (in a context of its own) on `path` of the served build;
 *     options are Playwright's context options (viewport defaults to DESKTOP) plus `init`, a
 *     script added before the page loads;
 *   url: the server's origin, e.g. http://127.0.0.1:41234;
 *   json(path): a file of the build, parsed;
 *   t: node's test context.
 * After `fn`, the test fails if any page it opened logged a console error or threw an uncaught
 * error, including pages opened after the view's main checks (a reopened link, a bad URL
 * parameter, a phone-width layout). There is no allow-list of known-harmless messages: the
 * workbench logs none, so every console error counts. Every page is closed when the test ends.
 */
export function viewTest(name, fn, options = {}) {
  hooks();
  test(name, options, async (t) => {
    const errors = [];
    const pages = [];
    const open = async (path, { init, viewport = DESKTOP, ...context } = {}) => {
      const page = await browser.newPage({ viewport, ...context });
      pages.push(page);
      page.on("console", (m) => { if (m.type() === "error") errors.push(`${path}: console error: ${m.text()}`); });
      page.on("pageerror", (e) => errors.push(`${path}: page error: ${String(e)}`));
      if (init) await page.addInitScript(init);
      // A path of the served build, or a whole URL (another server of the same build).
      await page.goto(path.startsWith("http") ? path : site.url + path);
      return page;
    };
    const json = async (path) => JSON.parse(await (await fetch(site.url + path)).text());
    let logged;
    try {
      await fn({ open, url: site.url, json, t });
    } catch (e) {
      // The failure is the test's own; what the pages logged until then often explains it.
      if (errors.length > 0) t.diagnostic(`console and page errors before the failure:\n${errors.join("\n")}`);
      throw e;
    } finally {
      // What the pages logged while the test ran (not while they close).
      logged = [...errors];
      await Promise.all(pages.filter((p) => !p.isClosed()).map((p) => p.close()));
    }
    assert.deepEqual(logged, [], `the pages logged ${logged.length} console or page error(s):\n${logged.join("\n")}`);
  });
}

/**
 * Asserts that the Compare table shows, for every variant, seed 0's AUC and GAUC of `results`
 * (a `results.json` of `reaseq experiment`) to the printed precision.
 */
export async function assertSeedZero(page, results) {
  for (const v of ["Base", "+REP", "+GBR", "ReaSeq"]) {
    const row = page.locator(`#compare-table tr[data-variant="${v}"]`);
    const auc = Number((await row.locator('[data-metric="auc"]').innerText()).split(" ")[0]);
    const gauc = Number((await row.locator('[data-metric="gauc"]').innerText()).split(" ")[0]);
    const cli = results.variants[v].per_seed[0];
    assert.ok(Math.abs(auc - cli.auc) < 6e-5, `${v} AUC ${auc} vs CLI ${cli.auc}`);
    assert.ok(Math.abs(gauc - cli.gauc) < 6e-5, `${v} GAUC ${gauc} vs CLI ${cli.gauc}`);
  }
}
