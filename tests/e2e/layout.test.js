// Layout across the views: every view fits a phone-width screen. Every test also fails on a
// console error (helpers.js), here of any of the seven views at phone width.
import assert from "node:assert/strict";
import { PHONE, screenshot, viewTest } from "./helpers.js";

viewTest("every view fits a phone-width screen", async ({ open }) => {
  const views = [
    ["overview", "/?data=synthetic", '[data-stat="users"]'],
    ["sequences", "/sequences?data=synthetic&user=u5", "#timeline li"],
    ["knowledge", "/knowledge?data=synthetic&item=i3", "#card-text"],
    ["reasoner", "/reasoner?data=synthetic&user=u5", "#slots li"],
    ["compare", "/compare?data=synthetic", "#compare-table"],
    ["metrics", "/metrics", '[data-metric="auc"]'],
    ["summary", "/summary?data=synthetic", "#summary-table"],
  ];
  for (const [name, path, ready] of views) {
    const page = await open(path, { viewport: PHONE });
    await page.locator(ready).first().waitFor({ timeout: 60000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await screenshot(page, `phone-${name}`);
    assert.ok(overflow <= 1, `${name}: the page is ${overflow} px wider than the screen`);
    // One view at a time: a closed page stops its work (and its errors so far are kept).
    await page.close();
  }
});
