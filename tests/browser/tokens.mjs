#!/usr/bin/env node
// Computed styles that the design tokens decide: node tokens.mjs <page-url>
// Prints one JSON object per colour scheme (light, dark) with the computed
// colours and fonts of the page, so a test can compare a site with and
// without an organisation's tokens.css.
import { launch } from "./lib.mjs";

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node tokens.mjs <page-url>");
  process.exit(2);
}
const browser = await launch();
const out = {};
try {
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "load" });
    out[scheme] = await page.evaluate(() => {
      const css = (sel, prop) => {
        const el = document.querySelector(sel);
        return el ? getComputedStyle(el).getPropertyValue(prop) : null;
      };
      return {
        body_background: css("body", "background-color"),
        body_color: css("body", "color"),
        body_font: css("body", "font-family"),
        header_background: css(".site-header", "background-color"),
        heading_color: css("main h1", "color"),
        link_color: css("main .content a", "color"),
        wrap_padding: css(".wrap", "padding-left"),
      };
    });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
