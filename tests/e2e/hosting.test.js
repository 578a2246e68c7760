// The built workbench on a plain static host: no fallback to index.html, folders answered with
// their index.html. A link to a view, opened directly, must still show the view, and no route
// may be answered by a folder listing of the build's files. Every test also fails on a console
// error (helpers.js).
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { dist, viewTest } from "./helpers.js";
import { serve } from "./server.js";

let plain;
before(async () => {
  plain = await serve(dist, { fallback: false });
});
after(() => plain?.server.close());

viewTest("a shared link to a view opens directly on a static host without fallback", async ({ open }) => {
  const page = await open(`${plain.url}/reasoner?data=synthetic&user=u5&steps=4`);
  await page.locator("#reasoner-history li").first().waitFor({ timeout: 60000 });
  assert.match(page.url(), /\/reasoner\/?\?data=synthetic&user=u5&steps=4$/);
  for (const view of ["sequences", "knowledge", "compare", "metrics", "summary"]) {
    const r = await fetch(`${plain.url}/${view}/`);
    assert.equal(r.status, 200, view);
    assert.match(await r.text(), /<html/, `${view} is the page, not a folder listing`);
  }
  // The artifacts live in one folder that no route uses.
  assert.equal((await fetch(`${plain.url}/files/ranker/synthetic/results.json`)).status, 200);
});
